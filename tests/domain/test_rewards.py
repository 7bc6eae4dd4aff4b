"""The rewards catalogue: managing it, redeeming discounts at the counter and vouchers ahead of
a visit, stock, per-member limits, dates, tiers, idempotency, the member's vouchers, and races."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest

from loyalty import ledger, purchases
from loyalty.actors import Actor
from loyalty.errors import (
    Conflict,
    DomainError,
    ErrorCode,
    InvalidInput,
    NotFound,
    PermissionDenied,
)
from loyalty.ledger import Purse, SystemAccount
from loyalty.models import (
    BenefitKind,
    ConfigChange,
    Coupon,
    CouponCode,
    DiscountSource,
    JournalTransaction,
    MemberStanding,
    Posting,
    PurchaseDiscount,
    Reward,
    RewardKind,
    RewardRedemption,
    Role,
    RuleKind,
    TransactionKind,
)
from loyalty.programme import coupons, rewards, rules, tiers
from loyalty.programme.coupons import Benefit, CouponSpec, VoucherStatus
from loyalty.programme.rewards import RewardSpec
from loyalty.programme.rules import RuleSpec
from loyalty.programme.tiers import TierSpec
from loyalty.reconcile import reconcile
from tests import factories as f

NOW = datetime.now(UTC)
TEN_PERCENT = Benefit(BenefitKind.PERCENT_OFF, basis_points=1_000)
FIFTY_OFF = Benefit(BenefitKind.AMOUNT_OFF, amount=500_000)
LATTE = Benefit(BenefitKind.FREE_PRODUCT, sku="LATTE")


def discount(cost: int = 1_000, **more: object) -> RewardSpec:
    return RewardSpec("Ten percent", RewardKind.DISCOUNT, TEN_PERCENT, cost, **more)  # type: ignore[arg-type]


def voucher(cost: int = 2_000, **more: object) -> RewardSpec:
    return RewardSpec("Fifty off", RewardKind.VOUCHER, FIFTY_OFF, cost, **more)  # type: ignore[arg-type]


@pytest.fixture
async def club() -> dict:
    boss = await f.manager()
    shop = await f.branch()
    sara = await f.member("Sara")
    reza = await f.member("Reza")
    await f.give(sara.id, Purse.POINTS, 5_000)
    await f.give(reza.id, Purse.POINTS, 5_000)
    return {
        "boss": boss,
        "shop": shop.id,
        "cashier": await f.staff_actor(Role.CASHIER, shop.id),
        "sara": sara.id,
        "reza": reza.id,
    }


async def buy(club: dict, amount: int, *reward_ids: int, member: str = "sara", **more: object):
    key = f.key()
    return await purchases.record(
        club["cashier"],
        branch_id=club["shop"],
        member_id=club[member],
        amount=amount,
        receipt_number=key,
        idempotency_key=key,
        reward_ids=reward_ids,
        **more,  # type: ignore[arg-type]
    )


async def redeem(club: dict, reward_id: int, member: str = "sara", **more: object):
    return await rewards.redeem(
        more.pop("actor", Actor.member(club[member])),  # type: ignore[arg-type]
        member_id=club[member],
        reward_id=reward_id,
        idempotency_key=more.pop("key", f.key()),  # type: ignore[arg-type]
        **more,  # type: ignore[arg-type]
    )


async def points(member_id: int) -> int:
    return (await ledger.balances(member_id)).points


async def refusal(call, code: ErrorCode) -> str:
    """The message of a refusal; proves it changed nothing."""
    before = await f.row_counts()
    stock = dict(await Reward.all().values_list("id", "stock"))
    with pytest.raises(DomainError) as excinfo:
        await call
    assert excinfo.value.code is code, excinfo.value.message
    assert await f.row_counts() == before
    assert dict(await Reward.all().values_list("id", "stock")) == stock
    return excinfo.value.message


async def test_a_reward_is_validated() -> None:
    boss = await f.manager()
    bad = [
        (RewardSpec("", RewardKind.DISCOUNT, TEN_PERCENT, 100), "name"),
        (RewardSpec("X", RewardKind.DISCOUNT, LATTE, 100), "benefit"),
        (RewardSpec("X", RewardKind.FREE_PRODUCT, TEN_PERCENT, 100), "benefit"),
        (RewardSpec("X", RewardKind.VOUCHER, LATTE, 100), "benefit"),
        (RewardSpec("X", RewardKind.DISCOUNT, TEN_PERCENT, 0), "costPoints"),
        (RewardSpec("X", RewardKind.DISCOUNT, TEN_PERCENT, 100, stock=-1), "stock"),
        (RewardSpec("X", RewardKind.VOUCHER, FIFTY_OFF, 100, voucher_days=0), "voucherDays"),
        (
            RewardSpec("X", RewardKind.DISCOUNT, TEN_PERCENT, 100, per_member_limit=0),
            "perMemberLimit",
        ),
        (RewardSpec("X", RewardKind.DISCOUNT, TEN_PERCENT, 100, tier_ids=[42]), "tierIds"),
        (
            RewardSpec("X", RewardKind.DISCOUNT, TEN_PERCENT, 100, ends_at=datetime(2030, 1, 1)),
            "endsAt",
        ),
        (RewardSpec("X", "gift", TEN_PERCENT, 100), "kind"),  # type: ignore[arg-type]
    ]
    for spec, field in bad:
        with pytest.raises(InvalidInput) as excinfo:
            await rewards.create(boss, spec)
        assert excinfo.value.field == field, spec
    with pytest.raises(PermissionDenied):
        await rewards.create(await f.staff_actor(Role.CASHIER), discount())
    assert await Reward.all().count() == 0


async def test_a_reward_is_versioned_and_audited_and_vouchers_keep_what_was_bought(
    club: dict,
) -> None:
    boss = await f.manager()
    reward = await rewards.create(boss, voucher(stock=5))
    assert reward.coupon_id is not None  # type: ignore[attr-defined]
    bought = await redeem(club, reward.id)
    changed = await rewards.update(
        boss,
        reward.id,
        RewardSpec(
            "Hundred off",
            RewardKind.VOUCHER,
            Benefit(BenefitKind.AMOUNT_OFF, amount=1_000_000),
            3_000,
        ),
        expected_version=1,
    )
    assert (changed.version, changed.cost_points, changed.stock) == (2, 3_000, None)
    assert changed.coupon_id != reward.coupon_id  # type: ignore[attr-defined]
    assert bought.voucher is not None
    code = await CouponCode.get(id=bought.voucher.code.id).prefetch_related("coupon")
    assert code.coupon.amount == 500_000  # type: ignore[attr-defined]
    # The vouchers' coupon is the reward's to change, not a coupon of its own.
    for coupon_id in (reward.coupon_id, changed.coupon_id):  # type: ignore[attr-defined]
        with pytest.raises(InvalidInput):
            await coupons.update(boss, coupon_id, CouponSpec("Mine now", TEN_PERCENT))
        with pytest.raises(InvalidInput):
            await coupons.issue_codes(boss, coupon_id, count=5)
    with pytest.raises(DomainError) as excinfo:
        await rewards.update(boss, reward.id, voucher(), expected_version=1)
    assert excinfo.value.code is ErrorCode.VERSION_CONFLICT
    with pytest.raises(InvalidInput) as excinfo:
        await rewards.update(boss, reward.id, discount())
    assert excinfo.value.field == "kind"
    with pytest.raises(NotFound):
        await rewards.update(boss, 999, voucher())
    trail = await ConfigChange.filter(entity="reward").order_by("id")
    assert [(c.action, c.version) for c in trail] == [("create", 1), ("update", 2)]


async def test_points_for_ten_percent_off_this_purchase(club: dict) -> None:
    await rules.create(
        club["boss"],
        RuleSpec(
            "Points", RuleKind.POINTS_PER_AMOUNT, {"points": 1, "per_amount": 10_000, "base": "net"}
        ),
    )
    reward = await rewards.create(club["boss"], discount())
    result = await buy(club, 1_000_000, reward.id)

    assert result.purchase.discount == 100_000
    (line,) = result.discounts
    assert (line.code, line.amount) == ("reward", 100_000)
    assert line.text.en == "Reward Ten percent: 10% off for 1,000 points"
    assert "۱٬۰۰۰ امتیاز" in line.text.fa
    # Spent 1,000, earned on the 900,000 paid.
    assert [(e.kind, e.points) for e in result.earned] == [
        (TransactionKind.SPEND, -1_000),
        (TransactionKind.EARN, 90),
    ]
    assert await points(club["sara"]) == 5_000 - 1_000 + 90
    spend = await JournalTransaction.get(kind=TransactionKind.SPEND).prefetch_related(
        "postings__account"
    )
    assert {p.account.code: p.amount for p in spend.postings} == {
        f"member:{club['sara']}:points": -1_000,
        SystemAccount.POINTS_REDEEMED.value: 1_000,
    }
    row = await PurchaseDiscount.get()
    assert (row.source, row.source_id, row.amount) == (DiscountSource.REWARD, reward.id, 100_000)
    redemption = await RewardRedemption.get()
    assert (redemption.purchase_id, redemption.points) == (result.purchase.id, 1_000)  # type: ignore[attr-defined]
    assert (await reconcile()).ok


async def test_a_free_product_at_the_counter_and_a_quote_of_it(club: dict) -> None:
    reward = await rewards.create(
        club["boss"], RewardSpec("Free latte", RewardKind.FREE_PRODUCT, LATTE, 800)
    )
    items = [purchases.LineItem("LATTE", 90_000, quantity=2), purchases.LineItem("CAKE", 60_000)]
    quote = await purchases.quote(
        club["cashier"],
        member_id=club["sara"],
        branch_id=club["shop"],
        amount=150_000,
        items=items,
        reward_ids=[reward.id],
    )
    assert [line.amount for line in quote.discounts] == [45_000]
    assert await points(club["sara"]) == 5_000
    message = await refusal(
        buy(club, 60_000, reward.id, items=[purchases.LineItem("CAKE", 60_000)]),
        ErrorCode.NOT_ELIGIBLE,
    )
    assert message == "Free latte gives a free LATTE, which is not in this purchase"
    result = await buy(club, 150_000, reward.id, items=items)
    assert result.purchase.discount == 45_000
    assert (await PurchaseDiscount.get()).sku == "LATTE"
    assert await points(club["sara"]) == 4_200 + 15  # spent 800; 15 for 150,000 gross


async def test_refusals_at_the_counter_change_nothing(club: dict) -> None:
    costly = await rewards.create(club["boss"], discount(cost=6_000))
    message = await refusal(buy(club, 100_000, costly.id), ErrorCode.INSUFFICIENT_BALANCE)
    assert message == "not enough points: 5,000 points available, 6,000 points requested"
    gift = await rewards.create(club["boss"], voucher())
    message = await refusal(buy(club, 100_000, gift.id), ErrorCode.NOT_ELIGIBLE)
    assert message == "Fifty off is a voucher: redeem it ahead, then give its code"
    with pytest.raises(NotFound):
        await buy(club, 100_000, 999)
    cheap = await rewards.create(club["boss"], discount(cost=10))
    with pytest.raises(InvalidInput):
        await buy(club, 100_000, cheap.id, cheap.id)
    # A whole-basket code first leaves the reward nothing to take off: it is not spent.
    whole = await coupons.create(
        club["boss"], CouponSpec("All", Benefit(BenefitKind.PERCENT_OFF, basis_points=10_000))
    )
    (code,) = await coupons.issue_codes(club["boss"], whole.id, count=1)
    message = await refusal(
        buy(club, 100_000, cheap.id, coupon_codes=[code.code]), ErrorCode.NOT_ELIGIBLE
    )
    assert message == "Ten percent: nothing is left of this purchase to take off"
    assert (await CouponCode.get(id=code.id)).uses == 0


async def test_a_voucher_redeemed_ahead_is_used_at_the_counter(club: dict) -> None:
    reward = await rewards.create(club["boss"], voucher(voucher_days=7))
    before = datetime.now(UTC)
    result = await redeem(club, reward.id)
    assert not result.replayed
    assert (result.spent.points, result.spent.reason) == (
        -2_000,
        "Reward Fifty off: 50,000 Toman off for 2,000 points",
    )
    assert result.balances.points == 3_000
    mine = result.voucher
    assert mine is not None and mine.status is VoucherStatus.USABLE
    assert mine.code.member_id == club["sara"]  # type: ignore[attr-defined]
    assert mine.expires_at is not None
    week = timedelta(days=7)
    assert before + week <= mine.expires_at <= datetime.now(UTC) + week
    assert mine.uses_left == 1
    assert mine.text.en == "50,000 Toman off"

    # Someone else's voucher is not theirs to use.
    with pytest.raises(DomainError) as excinfo:
        await buy(club, 900_000, member="reza", coupon_codes=[mine.code.code])
    assert "not yours" in excinfo.value.message
    used = await buy(club, 900_000, coupon_codes=[mine.code.code])
    assert used.purchase.discount == 500_000
    page = await coupons.vouchers(club["sara"])
    assert [(v.code.code, v.status, v.uses_left) for v in page.items] == [
        (mine.code.code, VoucherStatus.USED, 0)
    ]
    assert (await coupons.vouchers(club["reza"])).items == []
    assert (await reconcile()).ok


async def test_vouchers_expire(club: dict) -> None:
    reward = await rewards.create(club["boss"], voucher(voucher_days=1))
    mine = (await redeem(club, reward.id)).voucher
    assert mine is not None
    await CouponCode.filter(id=mine.code.id).update(expires_at=NOW - timedelta(seconds=1))
    (listed,) = (await coupons.vouchers(club["sara"])).items
    assert listed.status is VoucherStatus.EXPIRED
    with pytest.raises(DomainError) as excinfo:
        await buy(club, 900_000, coupon_codes=[mine.code.code])
    assert "expired on" in excinfo.value.message


async def test_redeeming_is_idempotent_and_spends_once(club: dict) -> None:
    reward = await rewards.create(club["boss"], voucher())
    other = await rewards.create(club["boss"], voucher(cost=10))
    key = f.key()
    first = await redeem(club, reward.id, key=key)
    again = await redeem(club, reward.id, key=key)
    assert again.replayed and again.redemption.id == first.redemption.id
    assert again.voucher is not None and first.voucher is not None
    assert again.voucher.code.code == first.voucher.code.code
    assert await points(club["sara"]) == 3_000
    with pytest.raises(Conflict) as excinfo:
        await redeem(club, other.id, key=key)
    assert excinfo.value.code is ErrorCode.IDEMPOTENCY_CONFLICT
    assert await RewardRedemption.all().count() == 1
    assert await CouponCode.all().count() == 1


async def test_who_may_redeem_what(club: dict) -> None:
    reward = await rewards.create(club["boss"], voucher())
    with pytest.raises(PermissionDenied):
        await redeem(club, reward.id, actor=Actor.member(club["reza"]))
    elsewhere = await f.staff_actor(Role.CASHIER, (await f.branch()).id)
    with pytest.raises(PermissionDenied):
        await redeem(club, reward.id, actor=elsewhere, branch_id=club["shop"])
    with pytest.raises(InvalidInput):
        await redeem(club, reward.id, branch_id=club["shop"])
    at_counter = await redeem(club, reward.id, actor=club["cashier"])
    assert at_counter.spent.branch_id == club["shop"]
    with pytest.raises(NotFound):
        await redeem(club, 999)
    ten = await rewards.create(club["boss"], discount())
    message = await refusal(redeem(club, ten.id), ErrorCode.NOT_ELIGIBLE)
    assert message == "Ten percent is redeemed at the counter, on the purchase it discounts"
    pricey = await rewards.create(club["boss"], voucher(cost=4_000))
    await refusal(redeem(club, pricey.id), ErrorCode.INSUFFICIENT_BALANCE)


async def test_stock_limits_dates_and_tiers(club: dict) -> None:
    boss = club["boss"]
    last = await rewards.create(boss, voucher(cost=10, stock=1))
    await redeem(club, last.id)
    message = await refusal(redeem(club, last.id, member="reza"), ErrorCode.OUT_OF_STOCK)
    assert message == "Fifty off is out of stock"
    assert (await Reward.get(id=last.id)).stock == 0

    twice = await rewards.create(boss, discount(cost=10, per_member_limit=2))
    await buy(club, 100_000, twice.id)
    await buy(club, 100_000, twice.id)
    message = await refusal(buy(club, 100_000, twice.id), ErrorCode.LIMIT_REACHED)
    assert message == "you have had Ten percent the 2 times a member may"
    await buy(club, 100_000, twice.id, member="reza")

    later = await rewards.create(boss, voucher(cost=10, starts_at=NOW + timedelta(days=1)))
    over = await rewards.create(boss, voucher(cost=10, ends_at=NOW - timedelta(days=1)))
    off = await rewards.create(boss, voucher(cost=10, active=False))
    for reward in (later, over, off):
        message = await refusal(redeem(club, reward.id), ErrorCode.NOT_ELIGIBLE)
        assert message == "Fifty off is not on offer now"

    gold = await tiers.save(boss, TierSpec("Gold", 0, 0))
    golden = await rewards.create(boss, voucher(cost=10, tier_ids=[gold.id]))
    message = await refusal(redeem(club, golden.id), ErrorCode.NOT_ELIGIBLE)
    assert message == "Fifty off is for members of other tiers"
    await MemberStanding.filter(member_id=club["sara"]).update(tier_id=gold.id)
    await redeem(club, golden.id)


async def test_the_catalogue_as_a_member_sees_it(club: dict) -> None:
    boss = club["boss"]
    cheap = await rewards.create(boss, discount(cost=100, per_member_limit=1))
    dear = await rewards.create(boss, voucher(cost=9_000))
    gone = await rewards.create(boss, voucher(cost=50, stock=0))
    await rewards.create(boss, voucher(cost=10, ends_at=NOW - timedelta(days=1)))
    await rewards.create(boss, voucher(cost=10, active=False))
    await buy(club, 100_000, cheap.id)

    offers = await rewards.catalogue(club["sara"])
    assert [o.reward.id for o in offers] == [gone.id, cheap.id, dear.id]
    summary = {
        o.reward.id: (o.affordable, o.refusal.code if o.refusal else None, o.redeemed)
        for o in offers
    }
    assert summary == {
        gone.id: (True, ErrorCode.OUT_OF_STOCK, 0),
        cheap.id: (True, ErrorCode.LIMIT_REACHED, 1),
        dear.id: (False, None, 0),
    }
    page = await rewards.listed(include_inactive=True, first=3)
    assert len(page.items) == 3 and page.has_more


async def test_two_members_racing_for_the_last_item_one_wins(club: dict) -> None:
    reward = await rewards.create(club["boss"], voucher(cost=100, stock=1))
    results = await asyncio.gather(
        redeem(club, reward.id, member="sara"),
        redeem(club, reward.id, member="reza"),
        return_exceptions=True,
    )
    kinds = Counter(type(r).__name__ for r in results)
    assert kinds == {"Redemption": 1, "DomainError": 1}, results
    (loser,) = [r for r in results if isinstance(r, DomainError)]
    assert loser.code is ErrorCode.OUT_OF_STOCK
    assert (await Reward.get(id=reward.id)).stock == 0
    assert await RewardRedemption.all().count() == 1
    assert await CouponCode.all().count() == 1
    assert await points(club["sara"]) + await points(club["reza"]) == 10_000 - 100
    assert (await reconcile()).ok


async def test_many_members_racing_for_the_stock_never_take_it_below_zero(club: dict) -> None:
    reward = await rewards.create(club["boss"], voucher(cost=100, stock=3))
    crowd = [club["sara"], club["reza"]] + [(await f.member()).id for _ in range(8)]
    for member_id in crowd[2:]:
        await f.give(member_id, Purse.POINTS, 100)
    results = await asyncio.gather(
        *(
            rewards.redeem(
                Actor.member(m), member_id=m, reward_id=reward.id, idempotency_key=f.key()
            )
            for m in crowd
        ),
        return_exceptions=True,
    )
    kinds = Counter(getattr(r, "code", type(r).__name__) for r in results)
    assert kinds == {"Redemption": 3, ErrorCode.OUT_OF_STOCK: 7}, results
    assert (await Reward.get(id=reward.id)).stock == 0
    assert await RewardRedemption.all().count() == 3
    assert (await reconcile()).ok


async def test_one_member_racing_past_their_limit_gets_it_once(club: dict) -> None:
    reward = await rewards.create(club["boss"], voucher(cost=100, per_member_limit=1))
    results = await asyncio.gather(
        *(redeem(club, reward.id) for _ in range(8)), return_exceptions=True
    )
    kinds = Counter(type(r).__name__ for r in results)
    assert kinds == {"Redemption": 1, "DomainError": 7}, results
    assert await Posting.filter(account__code=f"member:{club['sara']}:points").count() == 2
    assert await points(club["sara"]) == 4_900


async def test_a_full_refund_gives_back_reward_points_stock_and_code_uses(club: dict) -> None:
    from loyalty import refunds

    reward = await rewards.create(club["boss"], discount(stock=1))
    coupon = await coupons.create(club["boss"], CouponSpec("Ten off", TEN_PERCENT))
    (code,) = await coupons.issue_codes(club["boss"], coupon.id, count=1)
    bought = await buy(club, 1_000_000, reward.id, coupon_codes=[code.code])
    assert bought.purchase.discount == 200_000
    spent_points = (await ledger.balances(club["sara"])).points

    partial = await refunds.refund(
        club["cashier"], purchase_id=bought.purchase.id, idempotency_key=f.key(), amount=500_000
    )
    # A partial refund keeps the discount on what the member kept: nothing comes back.
    assert partial.balances.points == spent_points - bought.lines[0].amount // 2
    assert (await Reward.get(id=reward.id)).stock == 0
    assert (await CouponCode.get(id=code.id)).uses == 1

    await refunds.refund(club["cashier"], purchase_id=bought.purchase.id, idempotency_key=f.key())
    points = (await ledger.balances(club["sara"])).points
    assert points == 5_000  # the 1,000 points paid for the reward are back; earnings are gone
    assert (await Reward.get(id=reward.id)).stock == 1
    assert (await CouponCode.get(id=code.id)).uses == 0
    assert (await Coupon.get(id=coupon.id)).used_total == 0
    again = await buy(club, 1_000_000, reward.id, coupon_codes=[code.code])
    assert again.purchase.discount == 200_000
    assert (await reconcile()).ok
