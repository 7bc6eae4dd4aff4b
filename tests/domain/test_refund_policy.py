"""The refund policy: a refund takes back what its purchase earned (points and cash-back), in
proportion; what was already spent becomes debt, recovered from later earnings; a referral
reward paid for the purchase goes when it is refunded in full."""

from __future__ import annotations

import asyncio

import pytest

from loyalty import history, ledger, purchases, refunds, wallet
from loyalty.actors import Actor
from loyalty.ledger import Balances, Purse
from loyalty.models import (
    JournalTransaction,
    MemberStanding,
    Referral,
    ReferralStatus,
    Role,
    RuleKind,
    TransactionKind,
)
from loyalty.programme import rules, tiers
from loyalty.programme.policies import TierPolicy
from loyalty.programme.rules import RuleSpec
from loyalty.reconcile import reconcile
from tests import factories as f


class Shop:
    """A branch whose purchases earn 1 point per 10,000 Rials and 5% cash-back."""

    def __init__(self, shop_id: int, cashier: Actor, boss: Actor) -> None:
        self.shop_id, self.cashier, self.boss = shop_id, cashier, boss

    @classmethod
    async def open(cls, *, referral_points: int = 0) -> Shop:
        branch = await f.branch()
        shop = cls(branch.id, await f.staff_actor(Role.CASHIER, branch.id), await f.manager())
        specs = [
            RuleSpec("Points", RuleKind.POINTS_PER_AMOUNT, {"points": 1, "per_amount": 10_000}),
            RuleSpec("Cash-back", RuleKind.CASHBACK, {"basis_points": 500}),
        ]
        if referral_points:
            specs.append(
                RuleSpec(
                    "Referral",
                    RuleKind.EVENT_POINTS,
                    {"event": "referral", "points": referral_points},
                )
            )
        for spec in specs:
            await rules.create(shop.boss, spec)
        return shop

    async def buy(self, member_id: int, amount: int) -> purchases.PurchaseResult:
        return await purchases.record(
            self.cashier,
            branch_id=self.shop_id,
            member_id=member_id,
            amount=amount,
            receipt_number=f.key()[:12],
            idempotency_key=f.key(),
        )

    async def refund(
        self, purchase_id: int, amount: int | None = None, key: str | None = None
    ) -> refunds.RefundResult:
        return await refunds.refund(
            self.cashier, purchase_id=purchase_id, amount=amount, idempotency_key=key or f.key()
        )

    async def spend(self, member_id: int, purse: Purse, amount: int) -> None:
        await wallet.spend(
            self.cashier, member_id=member_id, purse=purse, amount=amount, idempotency_key=f.key()
        )


async def debt(member_id: int) -> Balances:
    standing = await MemberStanding.get(member_id=member_id)
    return Balances(points=standing.points_debt, credit=standing.credit_debt)


async def test_refund_after_spend_leaves_a_debt_that_the_next_purchase_recovers() -> None:
    shop = await Shop.open()
    sara = await f.member()
    first = await shop.buy(sara.id, 1_000_000)  # 100 points, 50,000 Rials cash-back
    assert first.balances == Balances(points=100, credit=50_000)
    await shop.spend(sara.id, Purse.POINTS, 100)
    await shop.spend(sara.id, Purse.CREDIT, 30_000)

    refunded = await shop.refund(first.purchase.id)
    assert refunded.balances == Balances(points=0, credit=0)
    assert refunded.owed == Balances(points=100, credit=30_000)
    assert await debt(sara.id) == Balances(points=100, credit=30_000)
    [reversal] = refunded.reversed
    assert (reversal.points, reversal.credit, reversal.tier_points) == (0, -20_000, -100)
    assert [(line["code"], line["purse"], line["amount"]) for line in reversal.lines] == [
        ("refund_owed", "points", -100),
        ("refund", "credit", -20_000),
        ("refund_owed", "credit", -30_000),
    ]

    # The dry run tells the cashier the same: what is earned, and what is kept back.
    quoted = await purchases.quote(
        shop.cashier, member_id=sara.id, branch_id=shop.shop_id, amount=1_500_000
    )
    assert (quoted.points, quoted.credit) == (50, 45_000)
    second = await shop.buy(sara.id, 1_500_000)  # 150 points, 75,000 Rials cash-back
    assert second.lines == quoted.lines
    assert second.balances == Balances(points=50, credit=45_000)
    assert await debt(sara.id) == Balances(points=0, credit=0)
    recovery = [(line.code, line.purse, line.amount) for line in second.lines]
    assert ("debt_recovery", "points", -100) in recovery
    assert ("debt_recovery", "credit", -30_000) in recovery
    # The member sees the recovery on the earning in their history, in both languages.
    [earned] = [e for e in (await history.transactions(sara.id)).items if e.kind == "earn"][:1]
    kept_back = [line for line in earned.lines if line.code == "debt_recovery"]
    assert [line.text.en for line in kept_back] == [
        "100 points kept back towards an earlier refund",
        "3,000 Toman kept back towards an earlier refund",
    ]
    assert all(line.text.fa for line in kept_back)
    assert (await reconcile()).ok


async def test_refunding_a_purchase_that_repaid_a_debt_brings_the_debt_back() -> None:
    shop = await Shop.open()
    sara = await f.member()
    first = await shop.buy(sara.id, 1_000_000)
    await shop.spend(sara.id, Purse.POINTS, 100)
    await shop.refund(first.purchase.id)  # 100 points owed
    second = await shop.buy(sara.id, 1_500_000)  # 150 earned: 100 repay the debt, 50 held
    assert second.balances.points == 50

    again = await shop.refund(second.purchase.id)

    assert again.balances.points == 0
    assert again.owed.points == 100
    assert again.reversed[0].tier_points == -150
    assert (await debt(sara.id)).points == 100
    assert (await reconcile()).ok


@pytest.mark.parametrize(
    ("amount", "slices"),
    [
        (1_234_567, [100_001, 333_333, 1, 9_999]),
        (999_999, [333_333, 333_333]),
        (30_000, [1, 1, 1, 29_996]),
    ],
)
async def test_partial_refunds_take_points_and_cash_back_in_exact_proportion(
    amount: int, slices: list[int]
) -> None:
    shop = await Shop.open()
    sara = await f.member()
    bought = await shop.buy(sara.id, amount)
    points, credit = amount // 10_000, amount * 500 // 10_000
    assert bought.balances == Balances(points=points, credit=credit)

    refunded = 0
    for part in [*slices, None]:
        result = await shop.refund(bought.purchase.id, part)
        refunded += amount - refunded if part is None else part
        # All refunds so far took the floor of the refunded share of each, never more.
        assert result.balances == Balances(
            points=points - points * refunded // amount,
            credit=credit - credit * refunded // amount,
        )
        assert result.owed == Balances(0, 0)
    assert result.balances == Balances(0, 0)
    taken_for_tiers = await JournalTransaction.filter(
        member_id=sara.id, kind=TransactionKind.REVERSAL
    ).values_list("tier_points", flat=True)
    assert -sum(taken_for_tiers) == points
    assert (await reconcile()).ok


async def test_a_refund_cancels_the_earning_for_tiers_even_when_not_recovered() -> None:
    shop = await Shop.open()
    sara = await f.member()
    bought = await shop.buy(sara.id, 2_000_000)  # 200 points
    await shop.spend(sara.id, Purse.POINTS, 200)
    policy = TierPolicy(period="lifetime")
    assert await tiers.qualifying(sara.id, policy, bought.purchase.occurred_at) == 200

    await shop.refund(bought.purchase.id, 500_000)

    assert await tiers.qualifying(sara.id, policy, bought.purchase.occurred_at) == 150
    assert (await debt(sara.id)).points == 50


async def test_a_refund_replays_without_taking_twice() -> None:
    shop = await Shop.open()
    sara = await f.member()
    bought = await shop.buy(sara.id, 1_000_000)
    await shop.spend(sara.id, Purse.POINTS, 90)
    key = f.key()
    first = await shop.refund(bought.purchase.id, 500_000, key)
    again = await shop.refund(bought.purchase.id, 500_000, key)
    assert again.replayed and again.refund.id == first.refund.id
    assert [t.id for t in again.reversed] == [t.id for t in first.reversed]
    assert again.owed == first.owed == Balances(points=40, credit=0)
    assert await debt(sara.id) == Balances(points=40, credit=0)
    assert again.balances == Balances(points=0, credit=25_000)


async def test_concurrent_refund_and_purchases_keep_the_debt_exact() -> None:
    """Whatever order they run in, the member ends with what the later purchases earned less
    what the refund was due: held if the purchases came first, recovered if the refund did."""
    shop = await Shop.open()
    sara = await f.member()
    bought = await shop.buy(sara.id, 1_000_000)  # 100 points, 50,000 Rials
    await shop.spend(sara.id, Purse.POINTS, 100)
    await shop.spend(sara.id, Purse.CREDIT, 50_000)

    await asyncio.gather(
        shop.refund(bought.purchase.id),
        *(shop.buy(sara.id, 100_000) for _ in range(8)),  # 10 points, 5,000 Rials each
    )

    held, owed = await ledger.balances(sara.id), await debt(sara.id)
    assert held.points - owed.points == 80 - 100
    assert held.credit - owed.credit == 40_000 - 50_000
    assert held.points * owed.points == 0 and held.credit * owed.credit == 0
    assert (await reconcile()).ok


async def test_concurrent_partial_refunds_after_spend_owe_exactly_the_rest() -> None:
    shop = await Shop.open()
    sara = await f.member()
    bought = await shop.buy(sara.id, 1_000_000)
    await shop.spend(sara.id, Purse.POINTS, 75)

    await asyncio.gather(*(shop.refund(bought.purchase.id, 100_000) for _ in range(10)))

    assert (await ledger.balances(sara.id)).points == 0
    assert (await debt(sara.id)).points == 75
    assert (await reconcile()).ok


# -- the referral reward depends on the qualifying purchase ------------------------------------


async def _referred(shop: Shop) -> tuple[int, int, int]:
    """A referrer, and a friend whose second purchase earned them their reward."""
    from loyalty import members
    from loyalty.actors import SYSTEM
    from loyalty.programme import referral

    ali = await f.member("Ali")
    sara, _ = await members.enrol(SYSTEM, f.phone(), referral_code=await referral.code_of(ali.id))
    await shop.buy(sara.id, 100_000)
    qualifying = await shop.buy(sara.id, 200_000)
    assert (await Referral.get(referee_id=sara.id)).status is ReferralStatus.REWARDED
    return ali.id, sara.id, qualifying.purchase.id


async def test_the_referral_reward_is_reversed_when_its_purchase_is_refunded_in_full() -> None:
    shop = await Shop.open(referral_points=300)
    ali_id, sara_id, qualifying = await _referred(shop)
    assert (await ledger.balances(ali_id)).points == 300

    partly = await shop.refund(qualifying, 150_000)
    assert (await ledger.balances(ali_id)).points == 300  # part of the purchase stands
    assert all(t.member_id == sara_id for t in partly.reversed)  # type: ignore[attr-defined]
    assert (await Referral.get(referee_id=sara_id)).status is ReferralStatus.REWARDED

    rest = await shop.refund(qualifying)

    assert (await ledger.balances(ali_id)).points == 0
    [taken] = [t for t in rest.reversed if t.member_id == ali_id]  # type: ignore[attr-defined]
    assert (taken.points, taken.tier_points) == (-300, -300)
    assert taken.reason == (
        "Referral reward taken back (the friend's purchase was refunded): 300 points taken back"
    )
    referral = await Referral.get(referee_id=sara_id)
    assert referral.status is ReferralStatus.REVERSED and referral.note
    # The friend's third purchase earns the referrer nothing.
    await shop.buy(sara_id, 100_000)
    assert (await ledger.balances(ali_id)).points == 0
    assert (await reconcile()).ok


async def test_a_spent_referral_reward_becomes_the_referrers_debt() -> None:
    shop = await Shop.open(referral_points=300)
    ali_id, _, qualifying = await _referred(shop)
    await shop.spend(ali_id, Purse.POINTS, 250)

    await shop.refund(qualifying)

    assert (await ledger.balances(ali_id)).points == 0
    assert (await debt(ali_id)).points == 250
    assert (await reconcile()).ok
