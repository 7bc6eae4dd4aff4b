"""The public programme rules are generated from the live configuration."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

from loyalty import clock
from loyalty.models import RuleKind
from loyalty.programme import policies, rules, tiers, transparency
from loyalty.programme.rules import RuleSpec
from loyalty.programme.tiers import TierSpec
from tests import factories as f


def _text(sections: list[transparency.Section]) -> dict[str, list[str]]:
    return {s.code: [s.title, *s.lines] for s in sections}


async def test_an_empty_programme_describes_the_default_earning_from_settings() -> None:
    english = _text(await transparency.describe("en"))
    assert english["earning"][1] == "1 point for every 1,000 Toman of purchases"
    assert english["expiry"] == ["When points expire", "Points do not expire."]
    assert "tiers" not in english and "offers" not in english and "referral" not in english
    persian = _text(await transparency.describe("fa"))
    assert persian["earning"][1] == "۱ امتیاز به ازای هر ۱٬۰۰۰ تومان خرید"


async def test_changing_a_rule_changes_the_text() -> None:
    manager = await f.manager()
    spec = RuleSpec(
        name="Spend",
        kind=RuleKind.POINTS_PER_AMOUNT,
        params={"points": 100, "per_amount": 1_000_000},
    )
    rule = await rules.create(manager, spec)
    before = _text(await transparency.describe("en"))["earning"]
    assert before[1:] == ["100 points for every 100,000 Toman paid (after discounts and credit)"]

    changed = RuleSpec(
        name="Spend",
        kind=RuleKind.POINTS_PER_AMOUNT,
        params={"points": 150, "per_amount": 1_000_000, "base": "gross"},
        conditions={"min_visit_number": 11},
    )
    await rules.update(manager, rule.id, changed)
    after = _text(await transparency.describe("en"))["earning"]
    assert after[1:] == ["150 points for every 100,000 Toman of purchases, from your 11th visit on"]

    await rules.set_active(manager, rule.id, False)
    assert _text(await transparency.describe("en"))["earning"][1:] == [
        "1 point for every 1,000 Toman of purchases"
    ]


async def test_scope_tiers_referral_and_expiry_come_from_the_configuration() -> None:
    manager = await f.manager()
    shop = await f.branch("NORTH")
    await rules.create(
        manager,
        RuleSpec(
            name="Autumn discount",
            kind=RuleKind.DISCOUNT,
            params={"basis_points": 1_000},
            branch_ids=[shop.id],
            # Midnights in the club's zone: the last day is the one before the end.
            starts_at=clock.midnight(date(2030, 1, 1)),
            ends_at=clock.midnight(date(2030, 2, 1)),
        ),
    )
    await rules.create(
        manager,
        RuleSpec(
            name="Ended",
            kind=RuleKind.CASHBACK,
            params={"basis_points": 500},
            ends_at=datetime(2020, 1, 1, tzinfo=UTC),
        ),
    )
    await rules.create(
        manager,
        RuleSpec(
            name="Referral",
            kind=RuleKind.EVENT_POINTS,
            params={"event": "referral", "points": 500, "cap_count": 10, "cap_period": "year"},
        ),
    )
    await tiers.save(manager, TierSpec(name="Bronze", name_fa="برنزی", rank=0, threshold=0))
    await tiers.save(
        manager,
        TierSpec(
            name="Gold", name_fa="طلایی", rank=1, threshold=5_000, points_multiplier_percent=150
        ),
    )
    await policies.save(manager, "tiers", {"period": "calendar_year", "grace_days": 0})
    await policies.save(manager, "expiry", {"mode": "months_after_earning", "months": 6})

    english = _text(await transparency.describe("en"))
    assert "earning" not in english  # the only spending rule has ended: no default either
    assert english["offers"][1] == (
        f"10% off the purchase (at Branch NORTH only, from {_day(2030, 1, 1)}, "
        f"through {_day(2030, 1, 31)})"
    )
    assert english["referral"][2] == (
        "500 points for a friend you referred (at most 10 times a year)"
    )
    assert english["tiers"][1:3] == [
        "Bronze: where every member starts",
        "Gold: 5,000 points earned in the current year; ×1.5 points for spending",
    ]
    assert "you move to the tier you do qualify for" in english["tiers"][-1]
    assert english["expiry"][1] == "Points expire 6 months after they are earned, oldest first."

    persian = await transparency.describe("fa")
    assert [s.code for s in persian] == ["offers", "referral", "tiers", "expiry"]
    assert "طلایی: ۵٬۰۰۰ امتیاز کسب‌شده در سال جاری؛ ×۱٫۵ امتیاز خرید" in persian[2].lines
    for section in persian:
        for line in (section.title, *section.lines):
            assert not re.search("[0-9]", line.replace("NORTH", "")), line


def _day(year: int, month: int, day: int) -> str:
    """How the club's calendar (Jalali by default) writes a Gregorian date."""
    return clock.format_date(clock.midnight(date(year, month, day)))
