"""Property: with a realistic programme switched on (multipliers, cash-back in an exclusive group,
visit points, discounts, tiers with multipliers, payment with credit), random sequences of
purchases, top-ups, spends and refunds keep the ledger whole, and a dry run predicts exactly
what the purchase then gives.

Hypothesis drives synchronous code in a worker thread; each domain call is a coroutine handed to
the test's event loop, where tortoise's connections live (as in test_ledger_state_machine.py).
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from loyalty import ledger, purchases, refunds, wallet
from loyalty.errors import DomainError
from loyalty.ledger import Purse
from loyalty.models import Account, JournalTransaction, Purchase, Role, RuleKind, TransactionKind
from loyalty.programme import policies, rules, tiers
from loyalty.programme.rules import RuleSpec
from loyalty.programme.tiers import TierSpec
from loyalty.reconcile import reconcile
from tests import factories as f
from tests.conftest import empty_tables

T = TypeVar("T")
CATEGORIES = ("coffee", "bakery", "other")

buy = st.tuples(
    st.just("buy"),
    st.integers(0, 2),  # member
    st.integers(1, 3_000_000),  # amount
    st.lists(st.tuples(st.sampled_from(CATEGORIES), st.integers(0, 100)), max_size=3),
    st.sampled_from([0, 0, 10, 50, 100]),  # percent paid with credit (as far as it goes)
    st.sampled_from([0, 0, 2, 35]),  # days ago
)
top_up = st.tuples(st.just("top_up"), st.integers(0, 2), st.integers(1, 2_000_000))
spend = st.tuples(st.just("spend"), st.integers(0, 2), st.integers(1, 100))
refund = st.tuples(st.just("refund"), st.integers(0, 20), st.sampled_from([None, 1, 3, 5]))
operations = st.lists(st.one_of(buy, buy, top_up, spend, refund), min_size=1, max_size=12)


async def _programme() -> dict:
    boss = await f.manager()
    shop = await f.branch()
    P, C, E, D = (RuleKind.POINTS_PER_AMOUNT, RuleKind.CASHBACK,
                  RuleKind.EVENT_POINTS, RuleKind.DISCOUNT)  # fmt: skip
    await policies.save(boss, "tiers", {"grace_days": 0})
    await tiers.save(boss, TierSpec("Bronze", 0, 0))
    await tiers.save(boss, TierSpec("Silver", 1, 200, 150))
    gold = await tiers.save(boss, TierSpec("Gold", 2, 600, 200))
    specs = [
        RuleSpec("Points", P, {"points": 3, "per_amount": 70_000, "multipliers": [
            {"category": "coffee", "percent": 250}, {"category": "bakery", "percent": 0}]}),
        RuleSpec("Gross points", P, {"points": 1, "per_amount": 100_000, "base": "gross"}),
        RuleSpec("Back", C, {"basis_points": 333}, exclusive_group="back"),
        RuleSpec("Back later", C, {"basis_points": 777, "max_amount": 90_000},
                 conditions={"min_visit_number": 3}, priority=5, exclusive_group="back"),
        RuleSpec("Visit", E, {"event": "visit", "points": 4, "cap_period": "day"}),
        RuleSpec("Welcome back", D, {"basis_points": 1_250},
                 conditions={"min_days_since_last_visit": 30}),
        RuleSpec("Gold off", D, {"basis_points": 900, "max_amount": 123_457},
                 conditions={"tier_ids": [gold.id]}),
        RuleSpec("Big basket", D, {"basis_points": 4_000}, conditions={"min_basket": 2_500_000}),
    ]  # fmt: skip
    for spec in specs:
        await rules.create(boss, spec)
    cashier = await f.staff_actor(Role.CASHIER, shop.id)
    return {
        "shop": shop.id,
        "cashier": cashier,
        "members": [(await f.member()).id for _ in range(3)],
    }


async def _whole() -> None:
    """The ledger's invariants, and each earning's totals are the sum of its lines."""
    report = await reconcile()
    assert report.ok, report
    assert await Account.filter(member_id__not_isnull=True, balance__lt=0).count() == 0
    for txn in await JournalTransaction.filter(kind=TransactionKind.EARN):
        lines = txn.lines
        assert txn.points == sum(x["amount"] for x in lines if x["purse"] == "points"), lines
        assert txn.credit == sum(x["amount"] for x in lines if x["purse"] == "credit"), lines
    for purchase in await Purchase.all():
        assert 0 <= purchase.discount + purchase.paid_with_credit <= purchase.amount


async def _step(club: dict, op: tuple, bought: list[int]) -> None:
    kind, *args = op
    cashier = club["cashier"]
    if kind == "buy":
        index, amount, parts, credit_share, days = args
        member_id = club["members"][index]
        items = [
            purchases.LineItem(sku=f"S{n}", category=cat, amount=amount * share // 100)
            for n, (cat, share) in enumerate(parts)
        ]
        at = datetime.now(UTC) - timedelta(days=days)

        async def quote(paid: int) -> purchases.Quote:
            return await purchases.quote(
                cashier,
                member_id=member_id,
                branch_id=club["shop"],
                amount=amount,
                items=items,
                paid_with_credit=paid,
            )

        # Credit pays part of what is due after discounts (the dry run says how much).
        due = (await quote(0)).net_amount
        held = (await ledger.balances(member_id)).credit
        paid = min(held, due * credit_share // 100)
        quoted = await quote(paid)
        key = f.key()
        result = await purchases.record(
            cashier,
            branch_id=club["shop"],
            member_id=member_id,
            amount=amount,
            receipt_number=key,
            idempotency_key=key,
            items=items,
            occurred_at=None if days == 0 else at,
            paid_with_credit=paid,
        )
        bought.append(result.purchase.id)
        if days == 0:  # the dry run is for now
            assert result.discounts == quoted.discounts
            assert result.lines == quoted.lines
        assert result.balances == await ledger.balances(member_id)
    elif kind == "top_up":
        index, amount = args
        await wallet.top_up(
            cashier, member_id=club["members"][index], amount=amount, idempotency_key=f.key()
        )
    elif kind == "spend":
        index, share = args
        member_id = club["members"][index]
        held = (await ledger.balances(member_id)).points
        if held * share // 100:
            await wallet.spend(
                cashier,
                member_id=member_id,
                purse=Purse.POINTS,
                amount=held * share // 100,
                idempotency_key=f.key(),
            )
    elif kind == "refund" and bought:
        which, share = args
        purchase = await Purchase.get(id=bought[which % len(bought)])
        left = purchase.amount - purchase.refunded_amount
        amount = None if share is None else max(1, left * share // 10)
        try:
            await refunds.refund(
                cashier, purchase_id=purchase.id, amount=amount, idempotency_key=f.key()
            )
        except DomainError:
            assert left == 0 or (amount is not None and amount > left)


async def test_ledger_stays_whole_with_the_programme_on() -> None:
    loop = asyncio.get_running_loop()

    def run(coroutine: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coroutine, loop).result(timeout=60)

    @settings(
        max_examples=10,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    )
    @given(ops=operations)
    def check(ops: list[tuple]) -> None:
        run(empty_tables())
        club = run(_programme())
        bought: list[int] = []
        for op in ops:
            run(_step(club, op, bought))
            run(_whole())

    await asyncio.to_thread(check)
