"""Earning rules through the domain: each kind with its edge cases, conditions on the member's
history, scoping, order and combination, the words on every line, dry runs, and rule CRUD."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from loyalty import clock, history, ledger, purchases, refunds
from loyalty.actors import Actor
from loyalty.errors import Conflict, ErrorCode, InvalidInput
from loyalty.ledger import Purse
from loyalty.models import (
    ConfigChange,
    EventAward,
    JournalTransaction,
    MemberStanding,
    PurchaseDiscount,
    Role,
    RuleKind,
    TierChange,
)
from loyalty.programme import rules, tiers
from loyalty.programme.rules import RuleSpec
from loyalty.programme.tiers import TierSpec
from loyalty.reconcile import reconcile
from tests import factories as f

P, C, E, D = (
    RuleKind.POINTS_PER_AMOUNT,
    RuleKind.CASHBACK,
    RuleKind.EVENT_POINTS,
    RuleKind.DISCOUNT,
)
NOW = datetime.now(UTC)


@dataclass
class Club:
    shop: int
    cashier: Actor
    boss: Actor

    async def rule(self, name: str, kind: RuleKind, params: dict, **more: object):
        return await rules.create(self.boss, RuleSpec(name, kind, params, **more))  # type: ignore[arg-type]

    async def buy(
        self,
        member_id: int,
        amount: int,
        *,
        at: datetime | None = None,
        items: list[purchases.LineItem] | None = None,
        branch_id: int | None = None,
        paid_with_credit: int = 0,
    ) -> purchases.PurchaseResult:
        key = f.key()
        return await purchases.record(
            self.cashier,
            branch_id=branch_id or self.shop,
            member_id=member_id,
            amount=amount,
            receipt_number=key,
            idempotency_key=key,
            items=items or [],
            occurred_at=at,
            paid_with_credit=paid_with_credit,
        )


@pytest.fixture
async def club() -> Club:
    shop = await f.branch()
    return Club(shop.id, await f.staff_actor(Role.CASHIER, shop.id), await f.manager())


def days_ago(days: float, hour: int = 8) -> datetime:
    """A moment `days` ago, at a UTC hour that is the same Tehran date (08:00 UTC = 11:30)."""
    return (NOW - timedelta(days=days)).replace(hour=hour, minute=0, second=0, microsecond=0)


def amounts(result: purchases.PurchaseResult | purchases.Quote, purse: str) -> list[int]:
    return [line.amount for line in result.lines if line.purse == purse]


# --- points per amount -----------------------------------------------------------------------


async def test_points_per_amount_floor_rounding(club: Club) -> None:
    await club.rule("Points", P, {"points": 3, "per_amount": 10_000})
    sara = await f.member()
    assert amounts(await club.buy(sara.id, 9_999), "points") == []
    assert amounts(await club.buy(sara.id, 19_999), "points") == [3]
    assert amounts(await club.buy(sara.id, 20_000), "points") == [6]
    assert (await ledger.balances(sara.id)).points == 9


async def test_multipliers_by_category_and_sku_with_an_unitemised_remainder(club: Club) -> None:
    await club.rule(
        "Points",
        P,
        {
            "points": 1,
            "per_amount": 10_000,
            "multipliers": [
                {"category": "coffee", "percent": 200},
                {"sku": "GIFT-CARD", "percent": 0},
            ],
        },
    )
    sara = await f.member()
    result = await club.buy(
        sara.id,
        100_000,
        items=[
            purchases.LineItem(sku="LATTE", amount=30_000, category="coffee"),
            purchases.LineItem(sku="GIFT-CARD", amount=20_000, category="coffee"),
            purchases.LineItem(sku="BREAD", amount=10_000, category="bakery"),
        ],
    )
    # Coffee 30,000 ×2 = 6; the gift card earns nothing (the SKU is named first... and 0%);
    # bread 10,000 = 1; the 40,000 not itemised = 4.
    [line] = result.lines
    assert line.amount == 6 + 4 + 1 + 0 + 0
    assert "×2 on coffee" in line.text.en and "×0 on GIFT-CARD" in line.text.en
    assert "۲" in line.text.fa and "امتیاز" in line.text.fa


async def test_lines_adding_up_to_more_than_the_amount_never_earn_beyond_it(club: Club) -> None:
    await club.rule(
        "Points",
        P,
        {"points": 1, "per_amount": 10_000, "multipliers": [{"category": "x", "percent": 100}]},
    )
    sara = await f.member()
    result = await club.buy(
        sara.id, 50_000, items=[purchases.LineItem(sku="A", amount=500_000, category="x")]
    )
    assert amounts(result, "points") == [5]


async def test_net_base_leaves_out_credit_paid_and_rule_discounts_gross_does_not(
    club: Club,
) -> None:
    await club.rule("Net", P, {"points": 1, "per_amount": 10_000, "base": "net"})
    await club.rule("Gross", C, {"basis_points": 1_000, "base": "gross"})
    await club.rule("Net back", C, {"basis_points": 100, "base": "net"})
    await club.rule("Everyone 10% off", D, {"basis_points": 1_000})
    sara = await f.member()
    await f.give(sara.id, Purse.CREDIT, 30_000)
    result = await club.buy(sara.id, 100_000, paid_with_credit=30_000)
    # 100,000 - 10,000 discount - 30,000 credit = 60,000 net.
    assert [d.amount for d in result.discounts] == [10_000]
    assert amounts(result, "points") == [6]
    assert sorted(amounts(result, "credit")) == [600, 10_000]
    assert result.purchase.discount == 10_000
    assert await PurchaseDiscount.filter(purchase_id=result.purchase.id).count() == 1
    assert result.balances == ledger.Balances(points=6, credit=10_600)


async def test_cashback_is_credit_and_capped(club: Club) -> None:
    await club.rule("Back", C, {"basis_points": 1_000, "max_amount": 500_000})
    sara = await f.member()
    small = await club.buy(sara.id, 1_234_567)
    assert amounts(small, "credit") == [123_456]
    big = await club.buy(sara.id, 10_000_000)
    assert amounts(big, "credit") == [500_000]
    assert "up to" in big.lines[0].text.en and "تا" in big.lines[0].text.fa
    assert (await ledger.balances(sara.id)).credit == 623_456
    earn = await JournalTransaction.get(purchase_id=big.purchase.id, kind="earn")
    assert earn.credit == 500_000 and earn.lines[0]["amount"] == 500_000


async def test_discount_is_capped_and_never_beyond_the_amount(club: Club) -> None:
    await club.rule("Big", D, {"basis_points": 6_000, "max_amount": 5_000_000}, priority=2)
    await club.rule("Bigger", D, {"basis_points": 6_000}, priority=1)
    sara = await f.member()
    result = await club.buy(sara.id, 100_000)
    # 60% then what is left (40%): never more than the purchase.
    assert [d.amount for d in result.discounts] == [60_000, 40_000]
    assert result.purchase.discount == 100_000


# --- event points: visits with caps, in the club's time zone and calendar ----------------------


async def test_visit_points_capped_per_tehran_day(club: Club) -> None:
    await club.rule(
        "Visit", E, {"event": "visit", "points": 5, "cap_count": 1, "cap_period": "day"}
    )
    sara = await f.member()
    midnight = clock.period_start("day", NOW - timedelta(days=5))
    assert midnight is not None and midnight.astimezone(clock.get_settings().zone).hour == 0
    before = await club.buy(sara.id, 10_000, at=midnight - timedelta(minutes=30))
    after = await club.buy(sara.id, 10_000, at=midnight + timedelta(minutes=30))
    again = await club.buy(sara.id, 10_000, at=midnight + timedelta(hours=5))
    assert amounts(before, "points") == [5]
    assert amounts(after, "points") == [5]
    assert amounts(again, "points") == []
    assert "once a day" in before.lines[0].text.en
    assert "در روز" in before.lines[0].text.fa
    assert await EventAward.filter(member_id=sara.id).count() == 2


async def test_visit_cap_counts_a_replayed_purchase_in_its_own_day(club: Club) -> None:
    await club.rule("Visit", E, {"event": "visit", "points": 5, "cap_period": "day"})
    sara = await f.member()
    assert amounts(await club.buy(sara.id, 10_000), "points") == [5]
    # An offline station sends a visit of three days ago after today's: not capped by today.
    assert amounts(await club.buy(sara.id, 10_000, at=days_ago(3)), "points") == [5]
    assert amounts(await club.buy(sara.id, 10_000, at=days_ago(3, hour=9)), "points") == []


async def test_visit_points_capped_per_jalali_week(club: Club) -> None:
    await club.rule(
        "Visit", E, {"event": "visit", "points": 7, "cap_count": 2, "cap_period": "week"}
    )
    sara = await f.member()
    saturday = clock.period_start("week", NOW - timedelta(days=14))
    assert saturday is not None
    assert saturday.astimezone(clock.get_settings().zone).weekday() == 5  # Saturday
    got = [
        amounts(await club.buy(sara.id, 10_000, at=at), "points")
        for at in (
            saturday - timedelta(hours=1),  # Friday: the week before
            saturday + timedelta(hours=1),
            saturday + timedelta(days=3),
            saturday + timedelta(days=6, hours=20),  # Friday again: third in the week
        )
    ]
    assert got == [[7], [7], [7], []]


async def test_visit_points_capped_per_jalali_month_and_lifetime(club: Club) -> None:
    await club.rule(
        "Monthly", E, {"event": "visit", "points": 10, "cap_count": 1, "cap_period": "month"}
    )
    await club.rule(
        "Twice ever", E, {"event": "visit", "points": 1, "cap_count": 2, "cap_period": "lifetime"}
    )
    sara = await f.member()
    first_of_month = clock.period_start("month", NOW - timedelta(days=40))
    assert first_of_month is not None
    assert clock.year_month_day(clock.local_date(first_of_month))[2] == 1
    got = [
        sorted(amounts(await club.buy(sara.id, 10_000, at=at), "points"))
        for at in (
            first_of_month - timedelta(hours=2),  # the previous Jalali month
            first_of_month + timedelta(hours=2),
            first_of_month + timedelta(days=3),
        )
    ]
    assert got == [[1, 10], [1, 10], []]


# --- conditions: the issue's real cases --------------------------------------------------------


async def test_from_the_11th_visit_credit_back_rises_from_10_to_15_percent(club: Club) -> None:
    ten = await club.rule("Credit back", C, {"basis_points": 1_000}, exclusive_group="back")
    fifteen = await club.rule(
        "Credit back for regulars",
        C,
        {"basis_points": 1_500},
        conditions={"min_visit_number": 11},
        priority=10,
        exclusive_group="back",
    )
    sara = await f.member()
    results = [await club.buy(sara.id, 100_000, at=days_ago(30 - n)) for n in range(12)]
    assert [amounts(r, "credit") for r in results] == [[10_000]] * 10 + [[15_000]] * 2
    assert [r.lines[0].rule_id for r in results] == [ten.id] * 10 + [fifteen.id] * 2
    # The 10th visit tells the cashier what the next one unlocks; no other visit does.
    assert [bool(r.unlocked) for r in results] == [False] * 9 + [True] + [False] * 2
    [news] = results[9].unlocked
    assert news.en == "Unlocked: 15% cash-back as credit, from your 11th visit on"
    assert news.fa.startswith("فعال شد: ") and "۱۱ام" in news.fa
    assert "from your 11th visit on" in results[10].lines[0].text.en
    # A replay tells the same news.
    replay = await purchases.record(
        club.cashier,
        branch_id=club.shop,
        member_id=sara.id,
        amount=100_000,
        receipt_number=results[9].purchase.receipt_number,
        idempotency_key=results[9].purchase.idempotency_key,
        occurred_at=results[9].purchase.occurred_at,
    )
    assert replay.replayed and replay.unlocked == results[9].unlocked
    assert [line.amount for line in replay.lines] == [10_000]


async def test_back_after_more_than_30_days_away_gets_10_percent_off(club: Club) -> None:
    await club.rule(
        "Welcome back",
        D,
        {"basis_points": 1_000},
        conditions={"min_days_since_last_visit": 30},
    )
    await club.rule("Points", P, {"points": 1, "per_amount": 1_000})
    away, exactly = await f.member(), await f.member()
    for member, gap in ((away, 31), (exactly, 30)):
        await club.buy(member.id, 50_000, at=days_ago(gap))
    came_back = await club.buy(away.id, 200_000, at=days_ago(0))
    on_the_day = await club.buy(exactly.id, 200_000, at=days_ago(0))
    assert [d.amount for d in came_back.discounts] == [20_000]
    assert "more than 30 days away" in came_back.discounts[0].text.en
    assert "۳۰ روز" in came_back.discounts[0].text.fa
    assert amounts(came_back, "points") == [180]  # on the net amount
    assert on_the_day.discounts == [] and amounts(on_the_day, "points") == [200]
    # The first visit ever is not "coming back".
    newcomer = await f.member()
    assert (await club.buy(newcomer.id, 200_000)).discounts == []


async def test_days_since_last_visit_over_one_and_a_half_times_the_usual_gap(
    club: Club,
) -> None:
    await club.rule(
        "We missed you", C, {"basis_points": 500}, conditions={"lapse_over_usual_gap": 1.5}
    )
    on_time, lapsed = await f.member(), await f.member()
    for member in (on_time, lapsed):
        for day in (100, 90, 80):  # a visit every 10 days
            assert amounts(await club.buy(member.id, 100_000, at=days_ago(day)), "credit") == []
    assert amounts(await club.buy(on_time.id, 100_000, at=days_ago(65)), "credit") == []
    assert amounts(await club.buy(lapsed.id, 100_000, at=days_ago(64)), "credit") == [5_000]


async def test_spend_in_a_window_counts_what_was_kept(club: Club) -> None:
    await club.rule(
        "Regulars",
        P,
        {"points": 1, "per_amount": 10_000},
        conditions={"min_spend_in_window": 1_000_000, "spend_window_days": 30},
    )
    sara = await f.member()
    old = await club.buy(sara.id, 900_000, at=days_ago(40))  # outside the window
    first = await club.buy(sara.id, 600_000, at=days_ago(10))
    assert amounts(old, "points") == amounts(first, "points") == []
    second = await club.buy(sara.id, 500_000, at=days_ago(5))
    assert amounts(second, "points") == []  # 600,000 before it
    third = await club.buy(sara.id, 100_000, at=days_ago(4))
    assert amounts(third, "points") == [10]
    # A refund takes the spend back out of the window: 999,999 is short of 1,000,000.
    await refunds.refund(
        club.cashier, purchase_id=second.purchase.id, amount=200_001, idempotency_key=f.key()
    )
    assert amounts(await club.buy(sara.id, 100_000, at=days_ago(3)), "points") == []


async def test_min_basket(club: Club) -> None:
    await club.rule("Big baskets", C, {"basis_points": 1_000}, conditions={"min_basket": 500_000})
    sara = await f.member()
    assert amounts(await club.buy(sara.id, 499_999), "credit") == []
    assert amounts(await club.buy(sara.id, 500_000), "credit") == [50_000]


async def test_tier_only_offer(club: Club) -> None:
    await tiers.save(club.boss, TierSpec("Bronze", 0, 0))
    gold = await tiers.save(club.boss, TierSpec("Gold", 1, 100, name_fa="طلایی"))
    await club.rule("Points", P, {"points": 1, "per_amount": 10_000})
    await club.rule("Gold offer", D, {"basis_points": 500}, conditions={"tier_ids": [gold.id]})
    sara = await f.member()
    first = await club.buy(sara.id, 1_000_000)  # 100 points: Gold from now on
    assert first.discounts == []
    assert first.tier_change is not None and first.tier_change.to_tier_id == gold.id  # type: ignore[attr-defined]
    assert [t.en for t in first.unlocked] == [
        "Welcome to the Gold tier",
        "Unlocked: 5% off the purchase, for Gold members",
    ]
    second = await club.buy(sara.id, 1_000_000)
    assert [d.amount for d in second.discounts] == [50_000]
    assert "for Gold members" in second.discounts[0].text.en
    assert "طلایی" in second.discounts[0].text.fa


async def test_branch_scoping_and_dates(club: Club) -> None:
    other = (await f.branch()).id
    await club.rule("Here only", P, {"points": 1, "per_amount": 10_000}, branch_ids=[club.shop])
    await club.rule(
        "Autumn",
        C,
        {"basis_points": 100},
        starts_at=days_ago(20),
        ends_at=days_ago(10),
    )
    await club.rule("Future", C, {"basis_points": 200}, starts_at=NOW + timedelta(days=1))
    anywhere = await f.staff_actor(Role.CASHIER)
    sara = await f.member()
    here = await club.buy(sara.id, 100_000)
    assert amounts(here, "points") == [10] and amounts(here, "credit") == []
    key = f.key()
    there = await purchases.record(
        anywhere,
        branch_id=other,
        member_id=sara.id,
        amount=100_000,
        receipt_number=key,
        idempotency_key=key,
    )
    assert there.lines == []
    # A purchase made (and recorded later) inside the dates gets the dated rule.
    during = await club.buy(sara.id, 100_000, at=days_ago(15))
    assert amounts(during, "credit") == [1_000]
    # starts_at is in, ends_at is out.
    ends = days_ago(10)
    for at, credit in ((days_ago(20), [1_000]), (ends - timedelta(seconds=1), [1_000]), (ends, [])):
        assert amounts(await club.buy(sara.id, 100_000, at=at), "credit") == credit


async def test_rule_order_and_exclusive_groups(club: Club) -> None:
    low = await club.rule("Low", P, {"points": 1, "per_amount": 10_000}, exclusive_group="pts")
    high = await club.rule(
        "High", P, {"points": 2, "per_amount": 10_000}, exclusive_group="pts", priority=5
    )
    gated = await club.rule(
        "Gated",
        P,
        {"points": 5, "per_amount": 10_000},
        exclusive_group="pts",
        priority=9,
        conditions={"min_basket": 1_000_000},
    )
    extra = await club.rule("Extra", P, {"points": 1, "per_amount": 100_000}, priority=-1)
    sara = await f.member()
    small = await club.buy(sara.id, 100_000)
    # The gated rule does not apply, so the next in its group fires; rules outside it too.
    assert [(line.rule_id, line.amount) for line in small.lines] == [(high.id, 20), (extra.id, 1)]
    big = await club.buy(sara.id, 1_000_000)
    assert [(line.rule_id, line.amount) for line in big.lines] == [(gated.id, 500), (extra.id, 10)]
    assert low.id not in {line.rule_id for r in (small, big) for line in r.lines}
    # Every line says which version of which rule gave it, in both languages.
    for line in small.lines + big.lines:
        assert line.rule_version == 1 and line.text.en and line.text.fa
    earn = await JournalTransaction.get(purchase_id=big.purchase.id, kind="earn")
    assert [raw["rule_id"] for raw in earn.lines] == [gated.id, extra.id]
    assert earn.tier_points == 510


# --- a dry run ---------------------------------------------------------------------------------


async def test_quote_is_what_record_then_does_and_writes_nothing(club: Club) -> None:
    await tiers.save(club.boss, TierSpec("Bronze", 0, 0))
    await tiers.save(club.boss, TierSpec("Silver", 1, 150, 150))
    await club.rule(
        "Points",
        P,
        {"points": 1, "per_amount": 10_000, "multipliers": [{"category": "tea", "percent": 300}]},
    )
    await club.rule("Back", C, {"basis_points": 1_000}, conditions={"min_visit_number": 2})
    await club.rule("Visit", E, {"event": "visit", "points": 3, "cap_period": "day"})
    await club.rule("Big", D, {"basis_points": 500}, conditions={"min_basket": 1_000_000})
    sara = await f.member()
    await f.give(sara.id, Purse.CREDIT, 100_000)
    items = [purchases.LineItem(sku="T1", amount=400_000, category="tea")]
    quoted = await purchases.quote(
        club.cashier,
        member_id=sara.id,
        branch_id=club.shop,
        amount=1_000_000,
        items=items,
        paid_with_credit=100_000,
    )
    counts = await f.row_counts()
    standing = await MemberStanding.get(member_id=sara.id)
    assert (
        await purchases.quote(
            club.cashier,
            member_id=sara.id,
            branch_id=club.shop,
            amount=1_000_000,
            items=items,
            paid_with_credit=100_000,
        )
        == quoted
    )
    assert await f.row_counts() == counts
    assert await EventAward.all().count() == 0 and await TierChange.all().count() == 0
    assert await MemberStanding.get(member_id=sara.id) == standing
    assert (await MemberStanding.get(member_id=sara.id)).visit_count == 0

    recorded = await club.buy(sara.id, 1_000_000, items=items, paid_with_credit=100_000)
    assert recorded.discounts == quoted.discounts
    assert recorded.lines == quoted.lines
    assert recorded.unlocked[1:] == quoted.unlocked  # plus the tier reached, which record says
    assert recorded.unlocked[0].en == "Welcome to the Silver tier"
    assert quoted.points == sum(amounts(recorded, "points")) == 3 + 153
    assert quoted.net_amount == 1_000_000 - 50_000 - 100_000
    assert recorded.balances == ledger.Balances(points=156, credit=0)


# --- rule CRUD ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "params", "conditions", "field"),
    [
        (P, {"points": 0, "per_amount": 10_000}, None, "params.points"),
        (P, {"points": 1}, None, "params.per_amount"),
        (P, {"points": 1, "per_amount": "10"}, None, "params.per_amount"),
        (P, {"points": 1, "per_amount": 10, "base": "after tax"}, None, "params.base"),
        (
            P,
            {
                "points": 1,
                "per_amount": 10,
                "multipliers": [{"category": "a", "sku": "b", "percent": 1}],
            },
            None,
            "params.multipliers.0",
        ),
        (
            P,
            {"points": 1, "per_amount": 10, "multipliers": [{"category": "a", "percent": -1}]},
            None,
            "params.multipliers.0.percent",
        ),
        (C, {"basis_points": 10_001}, None, "params.basis_points"),
        (C, {"basis_points": 100, "max_amount": 0}, None, "params.max_amount"),
        (C, {"basis_points": 100, "surprise": 1}, None, "params.surprise"),
        (E, {"event": "dance", "points": 1}, None, "params.event"),
        (E, {"event": "visit", "points": 1, "cap_period": "decade"}, None, "params.cap_period"),
        (D, {"basis_points": 0}, None, "params.basis_points"),
        (D, {"basis_points": 10}, {"min_spend_in_window": 5}, "conditions"),
        (D, {"basis_points": 10}, {"min_visit_number": 5, "max_visit_number": 2}, "conditions"),
        (D, {"basis_points": 10}, {"lapse_over_usual_gap": 0}, "conditions.lapse_over_usual_gap"),
        (D, {"basis_points": 10}, {"tier_ids": [999]}, "conditions.tier_ids"),
        (D, {"basis_points": 10}, {"weather": "sunny"}, "conditions.weather"),
    ],
)
async def test_rule_validation_names_the_field(
    club: Club, kind: RuleKind, params: dict, conditions: dict | None, field: str
) -> None:
    with pytest.raises(InvalidInput) as excinfo:
        await club.rule("Bad", kind, params, conditions=conditions)
    assert excinfo.value.field == field, excinfo.value
    assert str(excinfo.value).startswith(field)
    assert await rules.listed(club.boss, include_inactive=True) == []
    assert await ConfigChange.all().count() == 0


async def test_rule_validation_of_scope_and_dates(club: Club) -> None:
    ok = {"basis_points": 10}
    cases = [
        ({"branch_ids": [999_999]}, "branchIds"),
        ({"starts_at": datetime(2026, 1, 1)}, "startsAt"),
        ({"starts_at": NOW, "ends_at": NOW}, "endsAt"),
        ({"priority": 1001}, "priority"),
        ({"exclusive_group": "x" * 49}, "exclusiveGroup"),
    ]
    for more, field in cases:
        with pytest.raises(InvalidInput) as excinfo:
            await club.rule("Bad", D, ok, **more)
        assert excinfo.value.field == field
    with pytest.raises(InvalidInput) as excinfo:
        await club.rule("", D, ok)
    assert excinfo.value.field == "name"
    cashier_only = await f.staff_actor(Role.CASHIER)
    with pytest.raises(Exception) as excinfo:
        await rules.create(cashier_only, RuleSpec("Mine", D, ok))
    assert isinstance(excinfo.value, Exception) and not await rules.listed(club.boss)


async def test_rule_versions_audit_conflicts_and_deactivation(club: Club) -> None:
    rule = await club.rule("Back", C, {"basis_points": 1_000})
    assert rule.version == 1
    spec = RuleSpec("Back more", C, {"basis_points": 2_000})
    updated = await rules.update(club.boss, rule.id, spec, expected_version=1)
    assert updated.version == 2 and updated.params == {
        "basis_points": 2_000,
        "base": "net",
        "max_amount": None,
    }
    with pytest.raises(Conflict) as excinfo:
        await rules.update(club.boss, rule.id, spec, expected_version=1)
    assert excinfo.value.code is ErrorCode.VERSION_CONFLICT
    with pytest.raises(InvalidInput) as excinfo:
        await rules.update(
            club.boss, rule.id, RuleSpec("Now points", P, {"points": 1, "per_amount": 10})
        )
    assert excinfo.value.field == "kind"
    sara = await f.member()
    bought = await club.buy(sara.id, 100_000)
    assert bought.lines[0].rule_version == 2 and bought.lines[0].amount == 20_000

    off = await rules.set_active(club.boss, rule.id, False, expected_version=2)
    assert off.version == 3 and not off.active
    assert (
        await rules.listed(club.boss) == []
        and len(await rules.listed(club.boss, include_inactive=True)) == 1
    )
    # With no active rule left the settings' default earning applies (1 point per 10,000).
    after = await club.buy(sara.id, 100_000)
    assert [(line.rule_id, line.purse, line.amount) for line in after.lines] == [
        (None, "points", 10)
    ]

    trail = await ConfigChange.filter(entity="rule", entity_id=str(rule.id)).order_by("id")
    assert [(c.version, c.action) for c in trail] == [(1, "create"), (2, "update"), (3, "update")]
    assert {c.staff_id for c in trail} == {club.boss.staff_id}  # type: ignore[attr-defined]
    assert trail[0].snapshot["params"]["basis_points"] == 1_000
    assert trail[1].snapshot["name"] == "Back more"
    assert trail[2].snapshot["active"] is False


async def test_credit_never_pays_more_than_is_due_after_discounts(club: Club) -> None:
    await club.rule("Everyone 10% off", D, {"basis_points": 1_000})
    sara = await f.member()
    await f.give(sara.id, Purse.CREDIT, 100_000)
    counts = await f.row_counts()
    for call in (purchases.quote, purchases.record):
        with pytest.raises(InvalidInput) as excinfo:
            if call is purchases.quote:
                await purchases.quote(
                    club.cashier,
                    member_id=sara.id,
                    branch_id=club.shop,
                    amount=100_000,
                    paid_with_credit=90_001,
                )
            else:
                await club.buy(sara.id, 100_000, paid_with_credit=90_001)
        assert excinfo.value.field == "paidWithCredit"
        assert excinfo.value.code is ErrorCode.INVALID_AMOUNT
    assert await f.row_counts() == counts
    paid_in_full = await club.buy(sara.id, 100_000, paid_with_credit=90_000)
    assert paid_in_full.balances == ledger.Balances(points=0, credit=10_000)


async def test_completing_the_profile_earns_its_points_once(club: Club) -> None:
    from datetime import date

    from loyalty import members
    from loyalty.actors import Actor
    from loyalty.members import Profile
    from loyalty.models import Gender

    await club.rule("Complete your profile", E, {"event": "profile_completed", "points": 50})
    sara = await f.member("Sara")
    me = Actor.member(sara.id)
    await members.update_profile(me, sara.id, Profile(last_name="Ahmadi", city="Tehran"))
    assert (await ledger.balances(sara.id)).points == 0  # birthday and gender still missing

    await members.update_profile(
        me, sara.id, Profile(birthday=date(1990, 3, 21), gender=Gender.FEMALE)
    )
    assert (await ledger.balances(sara.id)).points == 50
    [earned] = (await history.transactions(sara.id)).items
    assert earned.reason_code == "event_profile_completed"
    assert "completing your profile" in earned.lines[0].text.en

    await members.update_profile(me, sara.id, Profile(city="Isfahan"))
    assert (await ledger.balances(sara.id)).points == 50


async def test_each_rule_for_an_event_rewards_a_reference_once(club: Club) -> None:
    from loyalty.programme import events
    from loyalty.programme.events import AlreadyRewarded

    await club.rule("Review points", E, {"event": "review", "points": 20, "cap_count": 5})
    await club.rule("Review bonus", E, {"event": "review", "points": 5, "cap_count": 5})
    sara = await f.member("Sara")
    first = await events.record(club.boss, member_id=sara.id, event="review", reference="R-1")
    assert sorted(line.amount for line in first.awarded) == [5, 20]
    with pytest.raises(AlreadyRewarded):
        await events.record(club.boss, member_id=sara.id, event="review", reference="R-1")
    assert (await ledger.balances(sara.id)).points == 25

    # A rule added later rewards what the others already had, and only its own points.
    await club.rule("Review week", E, {"event": "review", "points": 7, "cap_count": 5})
    later = await events.record(club.boss, member_id=sara.id, event="review", reference="R-1")
    assert [line.amount for line in later.awarded] == [7]
    assert (await ledger.balances(sara.id)).points == 32
    assert (await reconcile()).ok
