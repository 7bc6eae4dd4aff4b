"""Stamp cards: "10 coffees, the 11th free", carry-over, several cards, category and SKU,
branches and dates, replays, races, refunds, bad definitions, the cache and reconcile."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from loyalty import purchases, refunds, sql
from loyalty.actors import Actor
from loyalty.errors import DomainError, ErrorCode, InvalidInput, PermissionDenied
from loyalty.models import (
    BenefitKind,
    ConfigChange,
    CouponCode,
    RewardKind,
    Role,
    StampCard,
    StampEvent,
    StampProgress,
    StampReason,
    StampUnit,
)
from loyalty.programme import coupons, rewards, snapshot
from loyalty.programme.coupons import Benefit, VoucherStatus
from loyalty.programme.rewards import RewardSpec
from loyalty.purchases import LineItem
from loyalty.reconcile import reconcile
from loyalty.stamps import cards, progress
from loyalty.stamps.cards import StampCardSpec
from tests import factories as f

NOW = datetime.now(UTC)
LATTE_PRICE = 50_000


def latte(quantity: int = 1) -> LineItem:
    return LineItem("LATTE", LATTE_PRICE * quantity, quantity, "coffee", "Latte")


def espresso(quantity: int = 1) -> LineItem:
    return LineItem("ESPRESSO", 40_000 * quantity, quantity, "coffee", "Espresso")


def cake(sku: str = "CAKE-CHOC", quantity: int = 1) -> LineItem:
    return LineItem(sku, 60_000 * quantity, quantity, "cake", "Cake")


@pytest.fixture
async def club() -> dict:
    boss = await f.manager()
    shop = await f.branch()
    free_latte = await rewards.create(
        boss,
        RewardSpec(
            "Free latte",
            RewardKind.FREE_PRODUCT,
            Benefit(BenefitKind.FREE_PRODUCT, sku="LATTE"),
            5_000,
            active=False,  # for stamp cards only, not bought with points
        ),
    )
    return {
        "boss": boss,
        "shop": shop.id,
        "cashier": await f.staff_actor(Role.CASHIER, shop.id),
        "sara": (await f.member("Sara")).id,
        "reward": free_latte.id,
    }


async def coffee_card(club: dict, **more: object) -> StampCard:
    spec = {
        "name": "Coffee",
        "name_fa": "قهوه",
        "unit": StampUnit.ITEM,
        "category": "coffee",
        "stamps_needed": 10,
        "reward_id": club["reward"],
        **more,
    }
    return await cards.create(club["boss"], StampCardSpec(**spec))  # type: ignore[arg-type]


async def buy(club: dict, *items: LineItem, member: str = "sara", **more: object):
    key = more.pop("key", f.key())
    return await purchases.record(
        club["cashier"],
        branch_id=more.pop("branch_id", club["shop"]),  # type: ignore[arg-type]
        member_id=club[member],
        amount=more.pop("amount", sum(i.amount for i in items) or 100_000),  # type: ignore[arg-type]
        receipt_number=key,
        idempotency_key=key,
        items=items,
        **more,  # type: ignore[arg-type]
    )


async def stamps_of(member_id: int, card: StampCard) -> tuple[int, int]:
    """(stamps, completed) of a member on a card."""
    row = await StampProgress.get_or_none(member_id=member_id, card_id=card.id)
    return (row.stamps, row.completed) if row else (0, 0)


async def vouchers(member_id: int) -> list[coupons.Voucher]:
    return (await coupons.vouchers(member_id)).items


def news(result: purchases.PurchaseResult) -> list[str]:
    return [text.en for text in result.unlocked]


async def assert_whole() -> None:
    report = await reconcile()
    assert report.ok, report


async def test_ten_coffees_then_the_eleventh_is_free(club: dict) -> None:
    card = await coffee_card(club)
    for n in range(1, 10):
        result = await buy(club, latte())
        assert news(result)[-1] == f"Stamp card Coffee: {n}/10"
    assert [t.fa for t in result.unlocked][-1] == "کارت مهر قهوه: ۹ از ۱۰"
    assert await vouchers(club["sara"]) == []

    tenth = await buy(club, latte())
    assert news(tenth)[-2:] == [
        "Stamp card Coffee complete: a voucher for a free LATTE issued",
        "Stamp card Coffee: 0/10",
    ]
    assert tenth.unlocked[-2].fa == "کارت مهر قهوه کامل شد: کوپن یک LATTE رایگان صادر شد"
    assert await stamps_of(club["sara"], card) == (0, 1)
    [voucher] = await vouchers(club["sara"])
    assert voucher.status is VoucherStatus.USABLE
    assert voucher.code.member_id == club["sara"]  # type: ignore[attr-defined]

    eleventh = await buy(club, latte(), coupon_codes=[voucher.code.code])
    assert eleventh.purchase.discount == LATTE_PRICE
    # The free coffee earns no stamp.
    assert not [n for n in news(eleventh) if "Stamp card" in n]
    assert await stamps_of(club["sara"], card) == (0, 1)
    [used] = await vouchers(club["sara"])
    assert used.status is VoucherStatus.USED
    # The reward's points price and stock are the catalogue's: stamps paid for this one.
    assert await StampEvent.filter(reason=StampReason.COMPLETED).count() == 1
    await assert_whole()


async def test_extra_stamps_carry_over_and_one_purchase_fills_two_cards(club: dict) -> None:
    card = await coffee_card(club)
    result = await buy(club, latte(25))
    assert news(result)[-2:] == [
        "Stamp card Coffee complete 2 times: 2 vouchers for a free LATTE issued",
        "Stamp card Coffee: 5/10",
    ]
    assert await stamps_of(club["sara"], card) == (5, 2)
    assert len(await vouchers(club["sara"])) == 2
    deltas = await StampEvent.filter(card_id=card.id).order_by("id").values_list("reason", "delta")
    assert deltas == [
        (StampReason.EARNED, 25),
        (StampReason.COMPLETED, -10),
        (StampReason.COMPLETED, -10),
    ]
    await buy(club, latte(5))
    assert await stamps_of(club["sara"], card) == (0, 3)
    await assert_whole()


async def test_several_cards_by_category_sku_and_purchase(club: dict) -> None:
    coffee = await coffee_card(club)
    choc = await coffee_card(club, name="Chocolate cake", category="", sku="CAKE-CHOC")
    visits = await coffee_card(
        club, name="Visits", unit=StampUnit.PURCHASE, category="", min_amount=300_000
    )
    any_visit = await coffee_card(club, name="Any visit", unit=StampUnit.PURCHASE, category="")

    result = await buy(
        club, latte(2), espresso(), cake("CAKE-CHOC", 3), cake("CAKE-LEMON", 4)
    )  # 100,000 + 40,000 + 180,000 + 240,000
    assert await stamps_of(club["sara"], coffee) == (3, 0)
    assert await stamps_of(club["sara"], choc) == (3, 0)
    assert await stamps_of(club["sara"], visits) == (1, 0)
    assert await stamps_of(club["sara"], any_visit) == (1, 0)
    assert news(result)[-4:] == [
        "Stamp card Coffee: 3/10",
        "Stamp card Chocolate cake: 3/10",
        "Stamp card Visits: 1/10",
        "Stamp card Any visit: 1/10",
    ]

    # Below the minimum: only the card for any purchase; no matching item: no coffee stamp.
    await buy(club, cake("CAKE-LEMON"))
    assert await stamps_of(club["sara"], visits) == (1, 0)
    assert await stamps_of(club["sara"], any_visit) == (2, 0)
    assert await stamps_of(club["sara"], coffee) == (3, 0)
    await assert_whole()


async def test_what_a_member_paid_decides_a_purchase_card(club: dict) -> None:
    visits = await coffee_card(
        club,
        name="Visits",
        unit=StampUnit.PURCHASE,
        category="",
        min_amount=50_000,
        stamps_needed=20,
    )
    await coffee_card(club)
    for _ in range(10):
        await buy(club, latte())
    [voucher] = await vouchers(club["sara"])
    # A latte the voucher pays for in full: nothing paid, no stamp on the visits card.
    await buy(club, latte(), coupon_codes=[voucher.code.code])
    assert await stamps_of(club["sara"], visits) == (10, 0)


async def test_branches_and_dates(club: dict) -> None:
    other = (await f.branch()).id
    here = await coffee_card(club, name="Here", branch_ids=[club["shop"]])
    there = await coffee_card(club, name="There", branch_ids=[other])
    later = await coffee_card(club, name="Later", starts_at=NOW + timedelta(days=1))
    spring = await coffee_card(
        club,
        name="Spring",
        starts_at=NOW - timedelta(days=30),
        ends_at=NOW - timedelta(days=1),
    )
    await buy(club, latte())
    assert [await stamps_of(club["sara"], c) for c in (here, there, later, spring)] == [
        (1, 0),
        (0, 0),
        (0, 0),
        (0, 0),
    ]
    # An offline station replays a purchase made while the spring card was on.
    await buy(club, latte(), occurred_at=NOW - timedelta(days=3))
    assert await stamps_of(club["sara"], spring) == (1, 0)
    # Staff of the other branch: its card only.
    away = await f.staff_actor(Role.CASHIER, other)
    await purchases.record(
        away,
        branch_id=other,
        member_id=club["sara"],
        amount=LATTE_PRICE,
        receipt_number="X1",
        idempotency_key=f.key(),
        items=[latte()],
    )
    assert await stamps_of(club["sara"], there) == (1, 0)
    assert await stamps_of(club["sara"], here) == (2, 0)


async def test_max_stamps_per_purchase(club: dict) -> None:
    card = await coffee_card(club, max_stamps_per_purchase=3)
    await buy(club, latte(8))
    assert await stamps_of(club["sara"], card) == (3, 0)


async def test_a_replayed_purchase_stamps_and_rewards_once(club: dict) -> None:
    card = await coffee_card(club)
    await buy(club, latte(9))
    key = f.key()
    first = await buy(club, latte(3), key=key)
    again = await buy(club, latte(3), key=key)
    assert (first.replayed, again.replayed) == (False, True)
    assert news(again) == news(first)
    assert "Stamp card Coffee: 2/10" in news(again)
    assert await stamps_of(club["sara"], card) == (2, 1)
    assert len(await vouchers(club["sara"])) == 1
    assert await StampEvent.all().count() == 3
    await assert_whole()


async def test_concurrent_purchases_of_one_member_never_lose_or_double_a_stamp(
    club: dict,
) -> None:
    coffee = await coffee_card(club)
    visits = await coffee_card(club, name="Visits", unit=StampUnit.PURCHASE, category="")
    results = await asyncio.gather(*(buy(club, latte()) for _ in range(25)))
    assert not any(r.replayed for r in results)
    assert await stamps_of(club["sara"], coffee) == (5, 2)
    assert await stamps_of(club["sara"], visits) == (5, 2)
    assert len(await vouchers(club["sara"])) == 4
    assert await StampEvent.filter(reason=StampReason.EARNED).count() == 50
    await assert_whole()


async def test_a_refund_takes_back_the_stamps_in_the_share_refunded(club: dict) -> None:
    card = await coffee_card(club)
    bought = await buy(club, latte(4))
    cashier = club["cashier"]
    await refunds.refund(
        cashier, purchase_id=bought.purchase.id, amount=LATTE_PRICE * 2, idempotency_key="r1"
    )
    assert await stamps_of(club["sara"], card) == (2, 0)
    replay = await refunds.refund(
        cashier, purchase_id=bought.purchase.id, amount=LATTE_PRICE * 2, idempotency_key="r1"
    )
    assert replay.replayed
    assert await stamps_of(club["sara"], card) == (2, 0)
    # A sliver refunds less than a stamp's share: none taken back yet.
    await refunds.refund(cashier, purchase_id=bought.purchase.id, amount=1, idempotency_key="r2")
    assert await stamps_of(club["sara"], card) == (2, 0)
    await refunds.refund(cashier, purchase_id=bought.purchase.id, idempotency_key="r3")
    assert await stamps_of(club["sara"], card) == (0, 0)
    deltas = await StampEvent.filter(card_id=card.id).order_by("id").values_list("delta", flat=True)
    assert deltas == [4, -2, -2]
    await assert_whole()


async def test_refunding_a_purchase_that_filled_a_card_withdraws_its_unused_voucher(
    club: dict,
) -> None:
    card = await coffee_card(club)
    await buy(club, latte(7))
    filling = await buy(club, latte(5))
    assert await stamps_of(club["sara"], card) == (2, 1)
    [voucher] = await vouchers(club["sara"])

    await refunds.refund(club["cashier"], purchase_id=filling.purchase.id, idempotency_key="r")
    # As if the purchase had not happened: 7 stamps, no full card, the voucher gone.
    assert await stamps_of(club["sara"], card) == (7, 0)
    [withdrawn] = await vouchers(club["sara"])
    assert withdrawn.status is VoucherStatus.EXPIRED
    with pytest.raises(DomainError) as refused:
        await buy(club, latte(), coupon_codes=[voucher.code.code])
    assert refused.value.code is ErrorCode.CODE_NOT_VALID
    reasons = (
        await StampEvent.filter(purchase_id=filling.purchase.id)
        .order_by("id")
        .values_list("reason", "delta")
    )
    assert reasons == [
        (StampReason.EARNED, 5),
        (StampReason.COMPLETED, -10),
        (StampReason.WITHDRAWN, 10),
        (StampReason.REFUNDED, -5),
    ]
    await assert_whole()


async def test_when_the_voucher_was_used_the_stamps_are_owed(club: dict) -> None:
    card = await coffee_card(club)
    await buy(club, latte(7))
    filling = await buy(club, latte(5))
    [voucher] = await vouchers(club["sara"])
    await buy(club, latte(), coupon_codes=[voucher.code.code])

    await refunds.refund(club["cashier"], purchase_id=filling.purchase.id, idempotency_key="r")
    # The member keeps the coffee they had; the card owes 3 stamps.
    assert await stamps_of(club["sara"], card) == (-3, 1)
    [mine] = await progress.of_member(club["sara"])
    assert (mine.on_card, mine.owed, mine.completed) == (0, 3, 1)
    result = await buy(club, latte(4))
    assert news(result)[-1] == "Stamp card Coffee: 1/10"
    await assert_whole()
    owing = await buy(club, latte())
    assert news(owing)[-1] == "Stamp card Coffee: 2/10"


async def test_a_debt_shows_at_the_counter(club: dict) -> None:
    await coffee_card(club)
    filling = await buy(club, latte(10))
    [voucher] = await vouchers(club["sara"])
    await buy(club, latte(), coupon_codes=[voucher.code.code])
    await refunds.refund(club["cashier"], purchase_id=filling.purchase.id, idempotency_key="r")
    result = await buy(club, latte(4))
    assert news(result)[-1] == "Stamp card Coffee: 0/10 (6 owed from a refund)"
    assert result.unlocked[-1].fa == "کارت مهر قهوه: ۰ از ۱۰ (۶ مهر بدهی بابت مرجوعی)"


def _spec(club: dict, **changes: object) -> StampCardSpec:
    spec = {
        "name": "Coffee",
        "unit": StampUnit.ITEM,
        "category": "coffee",
        "stamps_needed": 10,
        "reward_id": club["reward"],
        **changes,
    }
    return StampCardSpec(**spec)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"name": " "}, "name"),
        ({"name_fa": "ق" * 101}, "nameFa"),
        ({"sku": "LATTE"}, "earn.perItem"),
        ({"category": ""}, "earn.perItem"),
        ({"category": "c" * 65}, "earn.perItem.category"),
        ({"unit": StampUnit.PURCHASE, "min_amount": -1}, "earn.perPurchase.minAmount"),
        ({"unit": StampUnit.PURCHASE, "min_amount": 10**14}, "earn.perPurchase.minAmount"),
        ({"unit": "stamp"}, "earn"),
        ({"stamps_needed": 1}, "stampsNeeded"),
        ({"stamps_needed": 1_001}, "stampsNeeded"),
        ({"stamps_needed": True}, "stampsNeeded"),
        ({"reward_id": 999}, "rewardId"),
        ({"branch_ids": [999]}, "branchIds"),
        ({"starts_at": datetime(2030, 1, 1)}, "startsAt"),
        ({"starts_at": NOW, "ends_at": NOW - timedelta(days=1)}, "endsAt"),
        ({"max_stamps_per_purchase": 0}, "maxStampsPerPurchase"),
        ({"max_stamps_per_purchase": 1_001}, "maxStampsPerPurchase"),
    ],
)
async def test_bad_definitions_are_refused_with_the_field_at_fault(
    club: dict, changes: dict, field: str
) -> None:
    with pytest.raises(InvalidInput) as refused:
        await cards.create(club["boss"], _spec(club, **changes))
    assert refused.value.field == field, refused.value.message
    assert await StampCard.all().count() == 0
    assert await ConfigChange.filter(entity="stamp_card").count() == 0


async def test_a_discount_reward_cannot_be_a_cards_reward(club: dict) -> None:
    off = await rewards.create(
        club["boss"],
        RewardSpec(
            "Ten percent",
            RewardKind.DISCOUNT,
            Benefit(BenefitKind.PERCENT_OFF, basis_points=1_000),
            1_000,
        ),
    )
    with pytest.raises(InvalidInput) as refused:
        await cards.create(club["boss"], _spec(club, reward_id=off.id))
    assert refused.value.field == "rewardId"


async def test_only_managers_define_cards(club: dict) -> None:
    for actor in (club["cashier"], Actor.member(club["sara"])):
        with pytest.raises(PermissionDenied):
            await cards.create(actor, _spec(club))
    assert await StampCard.all().count() == 0


async def test_cards_are_versioned_audited_and_switched_off_at_once(club: dict) -> None:
    card = await coffee_card(club)
    await buy(club, latte())
    changed = await cards.update(
        club["boss"], card.id, _spec(club, stamps_needed=2), expected_version=1
    )
    assert (changed.version, changed.stamps_needed) == (2, 2)
    with pytest.raises(DomainError) as stale:
        await cards.update(club["boss"], card.id, _spec(club), expected_version=1)
    assert stale.value.code is ErrorCode.VERSION_CONFLICT
    # The member keeps their stamp; the new size applies from the next one.
    result = await buy(club, latte())
    assert news(result)[-2:] == [
        "Stamp card Coffee complete: a voucher for a free LATTE issued",
        "Stamp card Coffee: 0/2",
    ]
    off = await cards.set_active(club["boss"], card.id, False, expected_version=2)
    assert (off.active, off.version) == (False, 3)
    await buy(club, latte(5))
    assert await stamps_of(club["sara"], card) == (0, 1)
    audit = await ConfigChange.filter(entity="stamp_card").order_by("id")
    assert [(c.version, c.snapshot["stamps_needed"], c.snapshot["active"]) for c in audit] == [
        (1, 10, True),
        (2, 2, True),
        (3, 2, False),
    ]
    # Switched off, a card the member holds stamps on is still theirs to see.
    [mine] = await progress.of_member(club["sara"])
    assert (mine.card.id, mine.completed) == (card.id, 1)


async def test_the_cards_in_force_are_cached_with_the_programme(club: dict) -> None:
    programme = await snapshot.current()
    assert await cards.live(programme) == ()
    # Written behind the services' back: the cache does not know.
    await sql.fetch(
        "INSERT INTO stamp_card (name, name_fa, unit, category, sku, min_amount, stamps_needed, "
        "reward_id, branch_ids, max_stamps_per_purchase, active, version, created_at, "
        "updated_at) VALUES ('Sneaky', '', 'purchase', '', '', 0, 5, ?, '[]', NULL, ?, 1, ?, ?)",
        [club["reward"], True, NOW, NOW],
    )
    assert await cards.live(programme) == ()
    snapshot.invalidate()
    [sneaky] = await cards.live(await snapshot.current())
    assert sneaky.name == "Sneaky"
    # A card made through the service is seen at once.
    await coffee_card(club)
    assert len(await cards.live(await snapshot.current())) == 2


async def test_the_member_sees_their_cards_and_stamp_events(club: dict) -> None:
    card = await coffee_card(club)
    await coffee_card(club, name="Later", starts_at=NOW + timedelta(days=1))
    await buy(club, latte(12))
    await buy(club, latte())
    [mine] = await progress.of_member(club["sara"])
    assert (mine.card.id, mine.stamps, mine.completed) == (card.id, 3, 1)
    assert mine.card.reward.name == "Free latte"  # type: ignore[attr-defined]
    page = await progress.events(club["sara"], card.id, first=2)
    assert [(e.reason, e.delta) for e in page.items] == [
        (StampReason.EARNED, 1),
        (StampReason.COMPLETED, -10),
    ]
    assert page.has_more
    rest = await progress.events(club["sara"], card.id, first=2, before_id=page.items[-1].id)
    assert [(e.reason, e.delta) for e in rest.items] == [(StampReason.EARNED, 12)]
    assert not rest.has_more
    # Another member: the card on offer, nothing on it.
    [theirs] = await progress.of_member((await f.member("Reza")).id)
    assert (theirs.card.id, theirs.stamps) == (card.id, 0)


async def test_reconcile_finds_a_cached_count_that_is_not_the_sum_of_events(club: dict) -> None:
    card = await coffee_card(club)
    await buy(club, latte(3))
    await assert_whole()
    await StampProgress.filter(card_id=card.id).update(stamps=4)
    report = await reconcile()
    assert not report.ok
    [wrong] = report.stamp_mismatches
    assert (wrong.member_id, wrong.card_id, wrong.stamps, wrong.summed) == (
        club["sara"],
        card.id,
        4,
        3,
    )
    await StampProgress.filter(card_id=card.id).update(stamps=3, completed=1)
    [wrong] = (await reconcile()).stamp_mismatches
    assert (wrong.completed, wrong.counted) == (1, 0)


async def test_a_voucher_of_a_full_card_expires_with_the_rewards_days(club: dict) -> None:
    await coffee_card(club)
    await buy(club, latte(10))
    [voucher] = await vouchers(club["sara"])
    assert voucher.expires_at is not None
    assert timedelta(days=29) < voucher.expires_at - NOW <= timedelta(days=31)
    assert await CouponCode.filter(member_id=club["sara"]).count() == 1
