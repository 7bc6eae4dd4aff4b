"""The public programme rules: how points are earned, what tiers need, when points expire.

Generated from the live configuration every time, never written separately, so what members
read is what the engine applies.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from loyalty.models import Branch
from loyalty.programme import engine, explain, snapshot
from loyalty.programme.definitions import Cashback, Discount, EventPoints, PointsPerAmount
from loyalty.programme.explain import Text
from loyalty.programme.policies import ExpiryPolicy, TierPolicy
from loyalty.programme.referral import QUALIFYING_PURCHASE
from loyalty.programme.rules import CompiledRule


@dataclass(frozen=True, slots=True)
class Section:
    """One part of the rules: a stable code (for the app's icons), a title and its lines."""

    code: str
    title: str
    lines: tuple[str, ...]


def _live(rules: tuple[CompiledRule, ...], at: datetime) -> list[CompiledRule]:
    """Rules in force now or later (a rule that has ended is no longer part of the programme)."""
    if not rules:
        default = engine.default_rule()
        return [default] if default else []
    return [rule for rule in rules if rule.ends_at is None or rule.ends_at > at]


async def _branch_names(rules: list[CompiledRule]) -> dict[int, Text]:
    ids = {b for rule in rules for b in rule.branch_ids}
    if not ids:
        return {}
    return {b.id: Text(b.name, b.name) for b in await Branch.filter(id__in=ids)}


def _is_referral(rule: CompiledRule) -> bool:
    return isinstance(rule.params, EventPoints) and rule.params.event == "referral"


async def describe(language: str, at: datetime | None = None) -> list[Section]:
    """The programme's rules in `language` ("fa" or "en")."""
    programme = await snapshot.current()
    at = at or datetime.now(UTC)
    rules = _live(programme.rules, at)
    branches = await _branch_names(rules)

    def said(rule: CompiledRule) -> Text:
        scope = explain.scope(rule.branch_ids, rule.starts_at, rule.ends_at, branches)
        return engine.why(rule, programme) + scope

    def of(kinds: type | tuple[type, ...], event: bool = False) -> list[Text]:
        return [
            said(rule)
            for rule in rules
            if isinstance(rule.params, kinds) and _is_referral(rule) is event
        ]

    sections: list[tuple[str, Text, list[Text]]] = [
        (
            "earning",
            Text("Earning points and credit", "کسب امتیاز و اعتبار"),
            of((PointsPerAmount, Cashback)),
        ),
        ("offers", Text("Discounts", "تخفیف‌ها"), of(Discount)),
        ("events", Text("Points for what you do", "امتیاز برای فعالیت‌ها"), of(EventPoints)),
    ]
    referrals = of(EventPoints, event=True)
    if referrals:
        intro = Text(
            "Share your referral code with friends. You are rewarded when a friend you referred "
            f"completes their {explain.ordinal(QUALIFYING_PURCHASE).en} purchase; referring "
            "yourself earns nothing.",
            "کد معرفی خود را با دوستانتان به اشتراک بگذارید. وقتی دوستی که معرفی کرده‌اید "
            f"خرید {explain.ordinal(QUALIFYING_PURCHASE).fa} خود را انجام دهد پاداش می‌گیرید؛ "
            "معرفی خودتان پاداشی ندارد.",
        )
        sections.append(
            ("referral", Text("Referring friends", "معرفی دوستان"), [intro, *referrals])
        )
    tier_policy: TierPolicy = programme.tier_policy  # type: ignore[assignment]
    if programme.tiers:
        ladder = [
            explain.tier(
                explain.name_of(t),
                t.threshold,
                t.points_multiplier_percent,
                tier_policy,
            )
            for t in programme.tiers
        ]
        sections.append(
            ("tiers", Text("Tiers", "سطح‌ها"), [*ladder, *explain.tier_policy(tier_policy)])
        )
    expiry: ExpiryPolicy = programme.expiry_policy  # type: ignore[assignment]
    sections.append(
        ("expiry", Text("When points expire", "انقضای امتیاز"), [explain.expiry_policy(expiry)])
    )
    return [
        Section(code, title.pick(language), tuple(line.pick(language) for line in lines))
        for code, title, lines in sections
        if lines
    ]
