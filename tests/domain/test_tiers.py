"""Tiers: the ladder, upgrades the moment a threshold is crossed (points earned, not balance, or
spend), periods, the tier multiplier, progress, reviews with a grace period, and a race."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from loyalty import clock, ledger, purchases, wallet
from loyalty.errors import Conflict, InvalidInput
from loyalty.ledger import Purse
from loyalty.models import (
    ConfigChange,
    MemberStanding,
    Role,
    RuleKind,
    Tier,
    TierChange,
    TierChangeReason,
)
from loyalty.programme import policies, rules, tiers
from loyalty.programme.rules import RuleSpec
from loyalty.programme.tiers import TierSpec
from loyalty.reconcile import reconcile
from tests import factories as f

NOW = datetime.now(UTC)


@pytest.fixture
async def ladder() -> dict:
    """Bronze (0), Silver (100 points, ×1.5), Gold (1,000 points, ×2); 1 point per 10,000."""
    boss = await f.manager()
    shop = await f.branch()
    cashier = await f.staff_actor(Role.CASHIER, shop.id)
    await rules.create(
        boss, RuleSpec("Points", RuleKind.POINTS_PER_AMOUNT, {"points": 1, "per_amount": 10_000})
    )
    return {
        "boss": boss,
        "shop": shop.id,
        "cashier": cashier,
        "bronze": await tiers.save(boss, TierSpec("Bronze", 0, 0, name_fa="برنزی")),
        "silver": await tiers.save(boss, TierSpec("Silver", 1, 100, 150, name_fa="نقره‌ای")),
        "gold": await tiers.save(boss, TierSpec("Gold", 2, 1_000, 200, name_fa="طلایی")),
    }


async def buy(club: dict, member_id: int, amount: int, at: datetime | None = None):
    key = f.key()
    return await purchases.record(
        club["cashier"],
        branch_id=club["shop"],
        member_id=member_id,
        amount=amount,
        receipt_number=key,
        idempotency_key=key,
        occurred_at=at,
    )


async def tier_of(member_id: int) -> int | None:
    return (await MemberStanding.get(member_id=member_id)).tier_id  # type: ignore[attr-defined]


async def test_ladder_validation() -> None:
    boss = await f.manager()
    with pytest.raises(InvalidInput) as excinfo:
        await tiers.save(boss, TierSpec("Entry", 0, 10))
    assert excinfo.value.field == "threshold"
    with pytest.raises(InvalidInput) as excinfo:
        await tiers.save(boss, TierSpec("Odd", 1, 0))
    assert excinfo.value.field == "threshold"
    with pytest.raises(InvalidInput) as excinfo:
        await tiers.save(boss, TierSpec("Cheap", 1, 100, points_multiplier_percent=99))
    assert excinfo.value.field == "pointsMultiplierPercent"
    with pytest.raises(InvalidInput) as excinfo:
        await tiers.save(boss, TierSpec("", 1, 100))
    assert excinfo.value.field == "name"
    with pytest.raises(InvalidInput) as excinfo:
        await tiers.save(boss, TierSpec("Far", 51, 100))
    assert excinfo.value.field == "rank"

    await tiers.save(boss, TierSpec("Bronze", 0, 0))
    silver = await tiers.save(boss, TierSpec("Silver", 1, 100))
    await tiers.save(boss, TierSpec("Gold", 2, 1_000))
    with pytest.raises(Conflict):
        await tiers.save(boss, TierSpec("Another silver", 1, 500))
    with pytest.raises(InvalidInput) as excinfo:
        await tiers.save(boss, TierSpec("Platinum", 3, 900))  # below Gold's threshold
    assert excinfo.value.field == "threshold"
    with pytest.raises(InvalidInput):
        await tiers.save(boss, TierSpec("Silver", 1, 1_000), tier_id=silver.id)
    # A change is a new version, audited; a stale version is refused.
    changed = await tiers.save(
        boss, TierSpec("Silver", 1, 200, 125), tier_id=silver.id, expected_version=1
    )
    assert changed.version == 2 and changed.threshold == 200
    with pytest.raises(Conflict):
        await tiers.save(boss, TierSpec("Silver", 1, 300), tier_id=silver.id, expected_version=1)
    trail = await ConfigChange.filter(entity="tier", entity_id=str(silver.id)).order_by("id")
    assert [(c.version, c.action) for c in trail] == [(1, "create"), (2, "update")]
    assert trail[1].snapshot["threshold"] == 200 and trail[1].staff_id == boss.staff_id  # type: ignore[attr-defined]
    assert await Tier.filter(active=True).count() == 3


async def test_upgrade_at_once_on_points_earned_and_spending_points_does_not_demote(
    ladder: dict,
) -> None:
    sara = await f.member()
    first = await buy(ladder, sara.id, 990_000)  # 99 points: Bronze
    assert first.tier_change is not None
    assert first.tier_change.to_tier_id == ladder["bronze"].id  # type: ignore[attr-defined]
    second = await buy(ladder, sara.id, 10_000)  # 100: Silver, this very purchase
    assert second.tier_change is not None
    assert second.tier_change.to_tier_id == ladder["silver"].id  # type: ignore[attr-defined]
    assert second.tier_change.reason is TierChangeReason.UPGRADE
    assert second.tier_change.qualifying == 100
    assert second.tier_change.purchase_id == second.purchase.id  # type: ignore[attr-defined]
    assert second.unlocked[0].en == "Welcome to the Silver tier"
    assert second.unlocked[0].fa == "به سطح نقره‌ای خوش آمدید"
    # The multiplier applies from the next purchase, on the points earned by spending.
    third = await buy(ladder, sara.id, 100_000)
    assert [(line.code, line.amount) for line in third.lines] == [
        ("points_per_amount", 10),
        ("tier_bonus", 5),
    ]
    assert third.lines[1].text.en == "Silver tier: ×1.5 points for spending"
    assert third.lines[1].text.fa == "سطح نقره‌ای: ×۱٫۵ امتیاز خرید"
    assert third.tier_change is None

    await wallet.spend(
        ladder["cashier"],
        member_id=sara.id,
        purse=Purse.POINTS,
        amount=115,
        idempotency_key=f.key(),
    )
    assert (await ledger.balances(sara.id)).points == 0
    progress = await tiers.progress(sara.id)
    assert progress.tier.id == ladder["silver"].id  # type: ignore[union-attr]
    assert progress.qualifying == 115
    assert progress.next_tier.id == ladder["gold"].id  # type: ignore[union-attr]
    assert progress.needed == 885
    assert progress.metric == "points_earned"
    assert progress.review_at == clock.add_months(second.purchase.occurred_at, 12)
    assert progress.grace_until is None
    # Spending every point kept the tier; the next purchase still earns the bonus.
    fourth = await buy(ladder, sara.id, 100_000)
    assert fourth.tier_change is None and sum(line.amount for line in fourth.lines) == 15
    assert [c.reason for c in await tiers.changes(sara.id)] == [TierChangeReason.UPGRADE] * 2


async def test_one_purchase_can_climb_two_tiers(ladder: dict) -> None:
    sara = await f.member()
    result = await buy(ladder, sara.id, 10_000_000)
    assert result.tier_change.to_tier_id == ladder["gold"].id  # type: ignore[union-attr]
    progress = await tiers.progress(sara.id)
    assert progress.next_tier is None and progress.needed == 0


async def test_spend_metric_over_a_calendar_year_and_a_rolling_window(ladder: dict) -> None:
    boss = ladder["boss"]
    await policies.save(boss, "tiers", {"metric": "spend", "period": "calendar_year"})
    year_start = clock.start_of_year(NOW)
    sara = await f.member()
    last_year = await buy(ladder, sara.id, 5_000_000, at=year_start - timedelta(days=2))
    assert last_year.tier_change.to_tier_id == ladder["gold"].id  # type: ignore[union-attr]
    progress = await tiers.progress(sara.id)
    assert progress.metric == "spend" and progress.qualifying == 0  # a new Jalali year

    ali = await f.member()
    await buy(ladder, ali.id, 60, at=year_start + timedelta(hours=1))
    assert await tier_of(ali.id) == ladder["bronze"].id
    await buy(ladder, ali.id, 940, at=year_start + timedelta(days=2))
    assert await tier_of(ali.id) == ladder["gold"].id  # 1,000 Rials spent this year

    await policies.save(
        boss, "tiers", {"metric": "spend", "period": "rolling_days", "window_days": 30}
    )
    reza = await f.member()
    await buy(ladder, reza.id, 800, at=NOW - timedelta(days=40))
    assert await tier_of(reza.id) == ladder["silver"].id
    await buy(ladder, reza.id, 300, at=NOW - timedelta(days=1))
    assert await tier_of(reza.id) == ladder["silver"].id  # 800 fell out of the window
    assert (await tiers.progress(reza.id)).qualifying == 300


async def test_review_renews_then_grace_then_downgrade(ladder: dict) -> None:
    boss = ladder["boss"]
    await policies.save(boss, "tiers", {"window_days": 3_000, "grace_days": 30})
    sara = await f.member()
    await buy(ladder, sara.id, 10_000_000)  # Gold
    standing = await MemberStanding.get(member_id=sara.id)
    review_at = standing.tier_review_at
    assert review_at is not None
    assert await tiers.review(sara.id, review_at - timedelta(seconds=1)) is None  # not due

    renewed = await tiers.review(sara.id, review_at)
    assert renewed is not None and renewed.reason is TierChangeReason.RENEWED
    assert renewed.to_tier_id == ladder["gold"].id  # type: ignore[attr-defined]
    standing = await MemberStanding.get(member_id=sara.id)
    assert standing.tier_review_at == clock.add_months(review_at, 12)

    # Now the window is short: the points earned are out of it at the next review.
    await policies.save(boss, "tiers", {"window_days": 30, "grace_days": 30}, expected_version=1)
    second_review = standing.tier_review_at
    grace = await tiers.review(sara.id, second_review)
    assert grace is not None and grace.reason is TierChangeReason.GRACE
    assert grace.to_tier_id == ladder["gold"].id and grace.qualifying == 0  # type: ignore[attr-defined]
    standing = await MemberStanding.get(member_id=sara.id)
    assert standing.tier_grace_until == second_review + timedelta(days=30)
    assert standing.tier_review_at == standing.tier_grace_until
    progress = await tiers.progress(sara.id, second_review)
    assert progress.grace_until == standing.tier_grace_until
    assert await tier_of(sara.id) == ladder["gold"].id  # kept through the grace period

    down = await tiers.review(sara.id, standing.tier_grace_until)
    assert down is not None and down.reason is TierChangeReason.DOWNGRADE
    assert down.from_tier_id == ladder["gold"].id  # type: ignore[attr-defined]
    assert down.to_tier_id == ladder["bronze"].id  # type: ignore[attr-defined]
    standing = await MemberStanding.get(member_id=sara.id)
    assert standing.tier_id == ladder["bronze"].id and standing.tier_grace_until is None  # type: ignore[attr-defined]
    reasons = [c.reason for c in await tiers.changes(sara.id)]
    assert reasons == [
        TierChangeReason.DOWNGRADE,
        TierChangeReason.GRACE,
        TierChangeReason.RENEWED,
        TierChangeReason.UPGRADE,
    ]


async def test_a_member_who_qualifies_again_in_grace_keeps_the_tier(ladder: dict) -> None:
    await policies.save(ladder["boss"], "tiers", {"window_days": 30, "grace_days": 30})
    sara = await f.member()
    await buy(ladder, sara.id, 1_000_000)  # Silver
    review_at = (await MemberStanding.get(member_id=sara.id)).tier_review_at
    assert (await tiers.review(sara.id, review_at)).reason is TierChangeReason.GRACE  # type: ignore[union-attr]
    # She buys again during the grace (qualifying in the window before the grace ends).
    await policies.save(ladder["boss"], "tiers", {"window_days": 3_000, "grace_days": 30})
    grace_until = (await MemberStanding.get(member_id=sara.id)).tier_grace_until
    kept = await tiers.review(sara.id, grace_until)
    assert kept is not None and kept.reason is TierChangeReason.RENEWED
    assert (await MemberStanding.get(member_id=sara.id)).tier_grace_until is None


async def test_review_due_reviews_every_member_due(ladder: dict) -> None:
    await policies.save(ladder["boss"], "tiers", {"window_days": 30, "grace_days": 0})
    members = [await f.member() for _ in range(5)]
    for member in members:
        await buy(ladder, member.id, 1_000_000)
    later = NOW + timedelta(days=400)
    assert await tiers.review_due(NOW) == 0
    assert await tiers.review_due(later, batch=2) == 5
    assert await TierChange.filter(reason=TierChangeReason.DOWNGRADE).count() == 5
    assert {await tier_of(m.id) for m in members} == {ladder["bronze"].id}
    # Their next review is a year on: nothing is due twice.
    assert await tiers.review_due(later) == 0


async def test_two_purchases_crossing_a_threshold_at_once_upgrade_once(ladder: dict) -> None:
    sara = await f.member()
    await buy(ladder, sara.id, 900_000)  # 90 points, Bronze
    results = await asyncio.gather(*(buy(ladder, sara.id, 100_000) for _ in range(8)))

    changes = [r.tier_change for r in results if r.tier_change is not None]
    assert len(changes) == 1
    assert changes[0].to_tier_id == ladder["silver"].id  # type: ignore[attr-defined]
    assert changes[0].qualifying == 100
    assert await TierChange.filter(member_id=sara.id).count() == 2  # Bronze, then Silver
    assert await tier_of(sara.id) == ladder["silver"].id
    # The purchase that crossed earned 10; each one evaluated after it 10 + 5 (Silver ×1.5).
    earned = sorted(sum(line.amount for line in r.lines) for r in results)
    assert earned == [10] + [15] * 7
    assert (await ledger.balances(sara.id)).points == 90 + 10 + 15 * 7
    standing = await MemberStanding.get(member_id=sara.id)
    assert standing.visit_count == 9 and standing.spend_total == 1_700_000
    assert (await reconcile()).ok
