"""Evaluating the programme on one purchase: pure functions, no database.

Rules are tried highest priority first. Of the rules sharing an exclusive group only the first
that applies fires (so "15% from the 11th visit" can replace "10%"). Discounts come first, as
the net amount earning is based on depends on them; then points and cash-back; then the tier's
multiplier on the points earned by spending.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from loyalty.models import RuleKind
from loyalty.programme import explain
from loyalty.programme.definitions import (
    Cashback,
    Conditions,
    Discount,
    EventPoints,
    PointsPerAmount,
)
from loyalty.programme.explain import Text
from loyalty.programme.facts import Facts
from loyalty.programme.rules import CompiledRule
from loyalty.programme.snapshot import Programme
from loyalty.settings import get_settings

POINTS, CREDIT, DISCOUNT = "points", "credit", "discount"


@dataclass(frozen=True, slots=True)
class Item:
    sku: str
    category: str
    amount: int


@dataclass(frozen=True, slots=True)
class Basket:
    amount: int
    branch_id: int | None
    items: tuple[Item, ...] = ()
    paid_with_credit: int = 0
    # Rials already taken off by coupons and rewards the member used on this purchase.
    discount_given: int = 0


@dataclass(frozen=True, slots=True)
class Line:
    """One line of what a purchase gave, and why."""

    code: str
    purse: str
    amount: int
    text: Text
    rule_id: int | None = None
    rule_version: int | None = None

    def as_json(self) -> dict:
        return {
            "code": self.code,
            "purse": self.purse,
            "amount": self.amount,
            "en": self.text.en,
            "fa": self.text.fa,
            "rule_id": self.rule_id,
            "rule_version": self.rule_version,
        }

    @classmethod
    def from_json(cls, raw: dict) -> Line:
        return cls(
            code=raw["code"],
            purse=raw["purse"],
            amount=raw["amount"],
            text=Text(raw["en"], raw["fa"]),
            rule_id=raw.get("rule_id"),
            rule_version=raw.get("rule_version"),
        )


@dataclass(slots=True)
class Outcome:
    discounts: list[Line] = field(default_factory=list)
    awards: list[Line] = field(default_factory=list)
    # Event rules that fired (their awards are counted against the rule's cap).
    events: list[CompiledRule] = field(default_factory=list)
    net_amount: int = 0

    def total(self, purse: str) -> int:
        lines = self.discounts if purse == DISCOUNT else self.awards
        return sum(line.amount for line in lines if line.purse == purse)

    @property
    def points(self) -> int:
        return self.total(POINTS)

    @property
    def credit(self) -> int:
        return self.total(CREDIT)

    @property
    def discount(self) -> int:
        return self.total(DISCOUNT)


def default_rule() -> CompiledRule | None:
    """What a club earns before a manager sets up any rule (from the settings)."""
    settings = get_settings()
    if settings.earn_points <= 0:
        return None
    return CompiledRule(
        id=0,
        version=0,
        name="Points for spending",
        kind=RuleKind.POINTS_PER_AMOUNT,
        params=PointsPerAmount(
            points=settings.earn_points, per_amount=settings.earn_per_rial, base="gross"
        ),
        conditions=Conditions(),
        branch_ids=frozenset(),
        starts_at=None,
        ends_at=None,
        priority=0,
        exclusive_group="",
    )


def rules_in_force(programme: Programme, at: datetime, branch_id: int | None) -> list[CompiledRule]:
    if not programme.rules:
        default = default_rule()
        return [default] if default else []
    return [rule for rule in programme.rules if rule.in_force(at, branch_id)]


def conditions_met(c: Conditions, facts: Facts, basket_amount: int | None) -> bool:
    """Whether `facts` satisfy `c`; `basket_amount` None skips the basket's own conditions."""
    if c.min_visit_number is not None and facts.visit_number < c.min_visit_number:
        return False
    if c.max_visit_number is not None and facts.visit_number > c.max_visit_number:
        return False
    since = facts.days_since_last_visit
    if c.min_days_since_last_visit is not None and (
        since is None or since <= c.min_days_since_last_visit
    ):
        return False
    if c.lapse_over_usual_gap is not None and (
        since is None
        or facts.usual_gap_days is None
        or since <= c.lapse_over_usual_gap * facts.usual_gap_days
    ):
        return False
    if c.min_spend_in_window is not None and (
        facts.spend_in_days.get(c.spend_window_days or 0, 0) < c.min_spend_in_window
    ):
        return False
    if c.min_basket is not None and basket_amount is not None and basket_amount < c.min_basket:
        return False
    return not c.tier_ids or facts.tier_id in c.tier_ids


def why(rule: CompiledRule, programme: Programme) -> Text:
    """What a rule gives and when, in words."""
    key = (rule.id, rule.version)
    words = programme.words.get(key)
    if words is None:
        words = programme.words[key] = explain.rule_summary(rule.params) + explain.conditions(
            rule.conditions, tier_names(programme)
        )
    return words


def _points_for_spending(params: PointsPerAmount, base: int, basket: Basket) -> int:
    if basket.amount <= 0 or base <= 0:
        return 0

    def factor(item: Item) -> int:
        # A SKU's own multiplier wins over its category's, wherever each is listed.
        for m in params.multipliers:
            if m.sku and m.sku == item.sku:
                return m.percent
        for m in params.multipliers:
            if m.category and m.category == item.category:
                return m.percent
        return 100

    itemised = sum(item.amount for item in basket.items)
    weighted = sum(item.amount * factor(item) for item in basket.items)
    weighted += max(0, basket.amount - itemised) * 100
    # Each line's share of the base, weighted by its multiplier; floored once, at the end.
    # Lines that add up to more than the amount share it: they never earn beyond the base.
    whole = max(basket.amount, itemised)
    return weighted * base // (whole * 100 * params.per_amount) * params.points


def _percent_of(amount: int, basis_points: int, cap: int | None) -> int:
    value = amount * basis_points // 10_000
    return min(value, cap) if cap is not None else value


def tier_names(programme: Programme) -> dict[int, Text]:
    return {t.id: explain.name_of(t) for t in programme.tiers}


def evaluate(programme: Programme, basket: Basket, facts: Facts) -> Outcome:
    outcome = Outcome()
    rules = [
        rule
        for rule in rules_in_force(programme, facts.at, basket.branch_id)
        if conditions_met(rule.conditions, facts, basket.amount)
    ]
    groups_taken: set[str] = set()

    def take(rule: CompiledRule) -> bool:
        if rule.exclusive_group in groups_taken:
            return False
        if rule.exclusive_group:
            groups_taken.add(rule.exclusive_group)
        return True

    def line(rule: CompiledRule, purse: str, amount: int) -> Line:
        return Line(
            rule.kind.value,
            purse,
            amount,
            why(rule, programme),
            rule.id or None,
            rule.version or None,
        )

    room = max(0, basket.amount - basket.discount_given)
    for rule in rules:
        if isinstance(rule.params, Discount) and take(rule):
            off = min(
                room, _percent_of(basket.amount, rule.params.basis_points, rule.params.max_amount)
            )
            if off > 0:
                room -= off
                outcome.discounts.append(line(rule, DISCOUNT, off))
    net = max(0, room - basket.paid_with_credit)
    outcome.net_amount = net
    for_spending = 0
    for rule in rules:
        params = rule.params
        if isinstance(params, Discount) or (
            isinstance(params, EventPoints) and params.event != "visit"
        ):
            continue
        if isinstance(params, EventPoints):
            if facts.event_awards.get(rule.id, 0) >= params.cap_count or not take(rule):
                continue
            outcome.events.append(rule)
            outcome.awards.append(line(rule, POINTS, params.points))
            continue
        if not take(rule):
            continue
        base = net if params.base == "net" else basket.amount
        if isinstance(params, PointsPerAmount):
            earned = _points_for_spending(params, base, basket)
            for_spending += earned
            if earned > 0:
                outcome.awards.append(line(rule, POINTS, earned))
        elif isinstance(params, Cashback):
            back = _percent_of(base, params.basis_points, params.max_amount)
            if back > 0:
                outcome.awards.append(line(rule, CREDIT, back))
    tier = programme.tier(facts.tier_id)
    if tier is not None and tier.points_multiplier_percent != 100 and for_spending > 0:
        bonus = for_spending * (tier.points_multiplier_percent - 100) // 100
        if bonus != 0:
            factor = f"{tier.points_multiplier_percent / 100:g}"
            outcome.awards.append(
                Line(
                    "tier_bonus",
                    POINTS,
                    bonus,
                    Text(
                        f"{tier.name} tier: ×{factor} points for spending",
                        f"سطح {tier.name_fa or tier.name}: "
                        f"×{explain.fa_number(factor)} امتیاز خرید",
                    ),
                )
            )
    return outcome


def unlocked(
    programme: Programme, branch_id: int | None, before: Facts, after: Facts
) -> list[Text]:
    """Offers the member's next visit qualifies for that this one did not: for staff to tell."""
    found: list[Text] = []
    for rule in rules_in_force(programme, after.at, branch_id):
        if isinstance(rule.params, EventPoints) or not rule.conditions.on_history:
            continue
        if conditions_met(rule.conditions, after, None) and not conditions_met(
            rule.conditions, before, None
        ):
            found.append(Text("Unlocked: ", "فعال شد: ") + why(rule, programme))
    return found
