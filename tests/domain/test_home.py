"""The app's home screen: balances, tier progress, unread messages, personalised offers and
points expiring soon, all read by one domain call."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from loyalty import home, inbox, purchases
from loyalty.actors import Actor
from loyalty.ledger import Purse
from loyalty.models import BenefitKind, RewardKind, Role, RuleKind
from loyalty.programme import policies, rewards, rules, tiers
from loyalty.programme.coupons import Benefit
from loyalty.programme.offers import OfferKind
from loyalty.programme.rewards import RewardSpec
from loyalty.programme.rules import RuleSpec
from loyalty.programme.tiers import TierSpec
from tests import factories as f

NOW = datetime.now(UTC)
TEN_PERCENT = Benefit(BenefitKind.PERCENT_OFF, basis_points=1_000)


async def _buy(cashier, shop: int, member_id: int, amount: int, at: datetime | None = None):
    key = f.key()
    return await purchases.record(
        cashier,
        branch_id=shop,
        member_id=member_id,
        amount=amount,
        receipt_number=key,
        idempotency_key=key,
        occurred_at=at,
    )


async def test_a_new_member_sees_zero_balances_the_entry_tier_and_nothing_pending() -> None:
    boss = await f.manager()
    await tiers.save(boss, TierSpec("Bronze", 0, 0))
    await tiers.save(boss, TierSpec("Silver", 1, 1_000, 150))
    sara = await f.member("Sara")

    screen = await home.of(sara.id)

    assert screen.member.id == sara.id
    assert (screen.balances.points, screen.balances.credit) == (0, 0)
    assert screen.tier.tier.name == "Bronze"
    assert screen.tier.next_tier.name == "Silver" and screen.tier.needed == 1_000
    assert screen.unread == 0 and screen.offers == [] and screen.expiring_soon == []
    assert screen.rank is None  # nothing earned: not on the leaderboard


async def test_home_shows_balances_tier_progress_and_unread_messages() -> None:
    shop = await f.branch()
    cashier = await f.staff_actor(Role.CASHIER, shop.id)
    boss = await f.manager()
    await tiers.save(boss, TierSpec("Bronze", 0, 0))
    await tiers.save(boss, TierSpec("Silver", 1, 100))
    await rules.create(
        boss, RuleSpec("Points", RuleKind.POINTS_PER_AMOUNT, {"points": 1, "per_amount": 10_000})
    )
    sara = await f.member("Sara")
    await f.give(sara.id, Purse.CREDIT, 70_000)
    await _buy(cashier, shop.id, sara.id, 400_000)
    for n in range(3):
        await inbox.deliver(sara.id, kind="message", title=f"T{n}", body="B", dedupe_key=f"h{n}")
    first = (await inbox.page(sara.id)).items[-1]
    await inbox.mark_read(Actor.member(sara.id), ids=[first.id])

    screen = await home.of(sara.id)

    assert (screen.balances.points, screen.balances.credit) == (40, 70_000)
    assert screen.tier.qualifying == 40 and screen.tier.needed == 60
    assert screen.unread == 2
    assert screen.rank == 1
    reza = await f.member("Reza")
    await _buy(cashier, shop.id, reza.id, 900_000)
    assert (await home.of(sara.id)).rank == 2


async def test_offers_are_personal_ready_first_and_leave_out_what_the_member_cannot_get() -> None:
    shop = await f.branch()
    cashier = await f.staff_actor(Role.CASHIER, shop.id)
    boss = await f.manager()
    bronze = await tiers.save(boss, TierSpec("Bronze", 0, 0))
    gold = await tiers.save(boss, TierSpec("Gold", 1, 1_000_000))
    points = {"points": 1, "per_amount": 10_000}
    await rules.create(boss, RuleSpec("Everyday points", RuleKind.POINTS_PER_AMOUNT, points))
    await rules.create(
        boss,
        RuleSpec(
            "First visit 20% off",
            RuleKind.DISCOUNT,
            {"basis_points": 2_000},
            conditions={"max_visit_number": 1},
        ),
    )
    await rules.create(
        boss,
        RuleSpec(
            "15% from the 11th visit",
            RuleKind.DISCOUNT,
            {"basis_points": 1_500},
            conditions={"min_visit_number": 11},
        ),
    )
    await rules.create(
        boss,
        RuleSpec(
            "Bronze cash-back",
            RuleKind.CASHBACK,
            {"basis_points": 500},
            conditions={"tier_ids": [bronze.id]},
            ends_at=NOW + timedelta(days=3),
        ),
    )
    await rules.create(
        boss,
        RuleSpec(
            "Gold double points",
            RuleKind.POINTS_PER_AMOUNT,
            {**points, "points": 2},
            conditions={"tier_ids": [gold.id]},
        ),
    )
    cheap = await rewards.create(
        boss, RewardSpec("Ten percent", RewardKind.DISCOUNT, TEN_PERCENT, 10)
    )
    dear = await rewards.create(
        boss, RewardSpec("Big discount", RewardKind.DISCOUNT, TEN_PERCENT, 5_000)
    )
    await rewards.create(
        boss,
        RewardSpec("Gold only", RewardKind.DISCOUNT, TEN_PERCENT, 1, tier_ids=[gold.id]),
    )
    sara = await f.member("Sara")
    await _buy(cashier, shop.id, sara.id, 500_000)

    screen = await home.of(sara.id)
    shown = [(o.kind, o.title.en, o.ready) for o in screen.offers]

    assert shown == [
        (OfferKind.PROMOTION, "Bronze cash-back", True),  # ends soonest of the ready ones
        (OfferKind.REWARD, "Ten percent", True),
        (OfferKind.PROMOTION, "15% from the 11th visit", False),
        (OfferKind.REWARD, "Big discount", False),
    ]
    assert {o.id for o in screen.offers if o.kind is OfferKind.REWARD} == {cheap.id, dear.id}
    locked = next(o for o in screen.offers if o.title.en.startswith("15%"))
    assert "11th" in locked.details.en and locked.details.fa


async def test_points_expiring_within_the_warning_period_are_shown() -> None:
    shop = await f.branch()
    cashier = await f.staff_actor(Role.CASHIER, shop.id)
    boss = await f.manager()
    await rules.create(
        boss, RuleSpec("Points", RuleKind.POINTS_PER_AMOUNT, {"points": 1, "per_amount": 10_000})
    )
    await policies.save(
        boss, "expiry", {"mode": "months_after_earning", "months": 2, "warn_days": 30}
    )
    sara = await f.member("Sara")
    await _buy(cashier, shop.id, sara.id, 300_000, at=NOW - timedelta(days=45))
    await _buy(cashier, shop.id, sara.id, 200_000, at=NOW - timedelta(days=1))

    screen = await home.of(sara.id)

    assert [lot.points for lot in screen.expiring_soon] == [30]
    assert screen.expiring_soon[0].expires_at < NOW + timedelta(days=30)
    later = await home.of(sara.id, at=NOW + timedelta(days=40))
    assert [lot.points for lot in later.expiring_soon] == [30, 20]
