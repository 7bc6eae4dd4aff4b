"""A Hypothesis state machine that drives the ledger through random sequences of operations.

It keeps its own model of every member's balances and of every purchase's refunds, predicts
whether each operation succeeds, and after every step checks the ledger's invariants: the legs
of every transaction sum to zero per unit, cached balances equal the sum of their legs (also as
`reconcile()` sees it), no balance is below zero, and posted rows never change.

The rules are synchronous (Hypothesis drives them) and run in a worker thread; each domain call
is a coroutine handed to the test's own event loop, where tortoise's connections live.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any, ClassVar, TypeVar

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    consumes,
    initialize,
    invariant,
    multiple,
    rule,
    run_state_machine_as_test,
)

from loyalty import ledger, members, purchases, refunds, wallet
from loyalty.actors import SYSTEM
from loyalty.errors import Conflict, DomainError, ErrorCode, InsufficientBalance, InvalidInput
from loyalty.ledger import Purse
from loyalty.models import (
    Account,
    JournalTransaction,
    MemberStanding,
    Posting,
    Role,
    TransactionKind,
    Unit,
)
from loyalty.money import format_points
from loyalty.reconcile import reconcile
from loyalty.settings import get_settings
from tests import factories as f
from tests.conftest import empty_tables

T = TypeVar("T")
PHONES = [f"0935000{i:04d}" for i in range(6)]


@dataclass
class ModelTransaction:
    member_id: int
    points: int
    credit: int
    kind: TransactionKind
    from_purchase: bool
    reversed: bool = False


@dataclass
class ModelPurchase:
    member_id: int | None
    amount: int
    earned: int
    earn_transaction_id: int | None
    refunded: int = 0
    taken: int = 0
    owed: int = 0


@dataclass(frozen=True)
class Replay:
    """A call that succeeded, to repeat with the same idempotency key."""

    call: Callable[[], Coroutine[Any, Any, wallet.LedgerResult]]
    transaction_id: int
    member_id: int


class LedgerMachine(RuleBasedStateMachine):
    loop: ClassVar[asyncio.AbstractEventLoop]

    members = Bundle("members")
    purchases = Bundle("purchases")
    transactions = Bundle("transactions")
    replays = Bundle("replays")

    def __init__(self) -> None:
        super().__init__()
        self.run(empty_tables())
        self.shop = self.run(f.branch())
        self.cashier = self.run(f.staff_actor(Role.CASHIER, self.shop.id))
        self.manager = self.run(f.staff_actor(Role.MANAGER))
        earn = get_settings()
        self.points_per, self.per_rial = earn.earn_points, earn.earn_per_rial
        self.phones: dict[int, int] = {}
        self.balances: dict[int, dict[Purse, int]] = {}
        # Points refunds could not take back, kept back from later purchase earnings.
        self.debt: dict[int, int] = defaultdict(int)
        self.txns: dict[int, ModelTransaction] = {}
        self.purchase_model: dict[int, ModelPurchase] = {}
        self.posted: dict[int, tuple[int, int, int]] = {}
        self.receipts = 0

    # -- plumbing -------------------------------------------------------------------------

    def run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout=120)

    def refused(self, error: type[DomainError], code: ErrorCode, call: Coroutine) -> None:
        with pytest.raises(error) as excinfo:
            self.run(call)
        assert excinfo.value.code is code, excinfo.value

    def record(self, result: wallet.LedgerResult, kind: TransactionKind, member_id: int) -> int:
        """Note a new transaction in the model and check the balances the call returned."""
        txn = result.transaction
        assert not result.replayed
        assert txn.kind is kind and txn.member_id == member_id  # type: ignore[attr-defined]
        assert txn.id not in self.txns
        model = self.balances[member_id]
        assert (result.balances.points, result.balances.credit) == (
            model[Purse.POINTS],
            model[Purse.CREDIT],
        )
        return txn.id

    # -- operations -----------------------------------------------------------------------

    @initialize(target=members)
    def first_member(self) -> int:
        return self.enrol(0)

    @rule(target=members, phone=st.integers(0, len(PHONES) - 1))
    def enrol(self, phone: int) -> int:
        member, created = self.run(members.enrol(SYSTEM, PHONES[phone]))
        if phone in self.phones:
            assert not created and member.id == self.phones[phone]
        else:
            assert created and member.id not in self.balances
            self.phones[phone] = member.id
            self.balances[member.id] = {Purse.POINTS: 0, Purse.CREDIT: 0}
        return member.id

    @rule(
        target=purchases,
        member_id=st.none() | members,
        amount=st.integers(10_000, 3_000_000) | st.sampled_from([1, 9_999, 10_000, 1_000_000]),
    )
    def purchase(self, member_id: int | None, amount: int) -> int:
        self.receipts += 1
        result = self.run(
            purchases.record(
                self.cashier,
                branch_id=self.shop.id,
                member_id=member_id,
                amount=amount,
                receipt_number=f"R{self.receipts}",
                idempotency_key=f.key(),
            )
        )
        assert not result.replayed
        earned = amount // self.per_rial * self.points_per if member_id is not None else 0
        earn_id = None
        recovered = min(earned, self.debt[member_id]) if member_id is not None else 0
        # A purchase that earns writes its earning, even when a debt takes all of it.
        if earned:
            assert member_id is not None
            [txn] = result.earned
            earn_id = txn.id
            self.debt[member_id] -= recovered
            self.balances[member_id][Purse.POINTS] += earned - recovered
            self.txns[txn.id] = ModelTransaction(
                member_id, earned - recovered, 0, TransactionKind.EARN, from_purchase=True
            )
        else:
            assert result.earned == []
        if member_id is not None:
            assert result.balances == self.model_balances(member_id)
        self.purchase_model[result.purchase.id] = ModelPurchase(member_id, amount, earned, earn_id)
        return result.purchase.id

    @rule(target=transactions, member_id=members, amount=st.integers(1, 500_000))
    def top_up(self, member_id: int, amount: int) -> int:
        result = self.run(
            wallet.top_up(self.cashier, member_id=member_id, amount=amount, idempotency_key=f.key())
        )
        self.balances[member_id][Purse.CREDIT] += amount
        txn_id = self.record(result, TransactionKind.TOP_UP, member_id)
        self.txns[txn_id] = ModelTransaction(member_id, 0, amount, TransactionKind.TOP_UP, False)
        return txn_id

    @rule(
        target=transactions,
        member_id=members,
        purse=st.sampled_from(Purse),
        how_much=st.sampled_from(["all", "part", "more"]),
        data=st.data(),
    )
    def spend(self, member_id: int, purse: Purse, how_much: str, data: st.DataObject):
        held = self.balances[member_id][purse]
        if how_much == "part" and held > 1:
            amount = data.draw(st.integers(1, held - 1), label="amount")
        elif how_much == "all" and held > 0:
            amount = held
        else:
            amount = held + data.draw(st.integers(1, 100_000), label="over by")
        call = wallet.spend(
            self.cashier, member_id=member_id, purse=purse, amount=amount, idempotency_key=f.key()
        )
        if amount > held:
            with pytest.raises(InsufficientBalance) as excinfo:
                self.run(call)
            assert (excinfo.value.available, excinfo.value.requested) == (held, amount)
            return multiple()
        result = self.run(call)
        self.balances[member_id][purse] -= amount
        txn_id = self.record(result, TransactionKind.SPEND, member_id)
        points, credit = (-amount, 0) if purse is Purse.POINTS else (0, -amount)
        self.txns[txn_id] = ModelTransaction(
            member_id, points, credit, TransactionKind.SPEND, False
        )
        return multiple(txn_id)

    @rule(
        target=transactions,
        member_id=members,
        purse=st.sampled_from(Purse),
        delta=st.integers(-300, 300).filter(bool) | st.integers(-300_000, 300_000).filter(bool),
    )
    def adjust(self, member_id: int, purse: Purse, delta: int):
        call = wallet.adjust(
            self.manager,
            member_id=member_id,
            purse=purse,
            delta=delta,
            reason="state machine",
            idempotency_key=f.key(),
        )
        if self.balances[member_id][purse] + delta < 0:
            self.refused(InsufficientBalance, ErrorCode.INSUFFICIENT_BALANCE, call)
            return multiple()
        result = self.run(call)
        self.balances[member_id][purse] += delta
        txn_id = self.record(result, TransactionKind.ADJUST, member_id)
        points, credit = (delta, 0) if purse is Purse.POINTS else (0, delta)
        self.txns[txn_id] = ModelTransaction(
            member_id, points, credit, TransactionKind.ADJUST, False
        )
        return multiple(txn_id)

    @rule(
        purchase_id=purchases,
        share=st.sampled_from([None, 1, 2, 3, 4, 5, 7, 10, 13]),
        data=st.data(),
    )
    def refund(self, purchase_id: int, share: int | None, data: st.DataObject) -> None:
        """Refund the rest (share None) or a random part of the purchase, maybe too much."""
        total = self.purchase_model[purchase_id].amount
        amount = None if share is None else max(1, total * share // 10)
        if share is not None and data.draw(st.booleans(), label="odd amount"):
            amount = data.draw(st.integers(1, total), label="amount")
        self.refund_and_check(purchase_id, amount)

    @rule(purchase_id=consumes(purchases), slices=st.integers(2, 5))
    def refund_rest_in_slices(self, purchase_id: int, slices: int) -> None:
        """Refund what is left in equal slices; then nothing is left to refund."""
        model = self.purchase_model[purchase_id]
        left = model.amount - model.refunded
        for _ in range(slices - 1):
            if left // slices:
                self.refund_and_check(purchase_id, left // slices)
        self.refund_and_check(purchase_id, None)
        self.refund_and_check(purchase_id, None)

    def refund_and_check(self, purchase_id: int, amount: int | None) -> None:
        model = self.purchase_model[purchase_id]
        left = model.amount - model.refunded
        call = refunds.refund(
            self.cashier, purchase_id=purchase_id, amount=amount, idempotency_key=f.key()
        )
        wanted = left if amount is None else amount
        if wanted > left or wanted == 0:  # the rest of a purchase refunded in full is nothing
            self.refused(DomainError, ErrorCode.REFUND_EXCEEDS_PURCHASE, call)
            return
        result = self.run(call)
        assert not result.replayed and result.refund.amount == wanted
        model.refunded += wanted
        assert result.purchase.refunded_amount == model.refunded
        if model.member_id is None:
            assert result.reversed == [] and result.balances is None
            return
        held = self.balances[model.member_id][Purse.POINTS]
        # A purchase whose earning all went to repay a debt wrote no earning to take back.
        earned = model.earned if model.earn_transaction_id is not None else 0
        due = (
            earned * model.refunded // model.amount
            - earned * (model.refunded - wanted) // model.amount
        )
        taken = min(due, held)
        if due > 0:
            [txn] = result.reversed
            assert txn.reverses_id == model.earn_transaction_id  # type: ignore[attr-defined]
            assert txn.tier_points == -due
            assert (f"{format_points(taken)} taken back" in txn.reason) is (taken > 0)
            assert ("owed (already spent)" in txn.reason) is (taken < due)
            assert result.owed.points == due - taken
            model.taken += taken
            model.owed += due - taken
            self.debt[model.member_id] += due - taken
            self.balances[model.member_id][Purse.POINTS] -= taken
            self.txns[txn.id] = ModelTransaction(
                model.member_id, -taken, 0, TransactionKind.REVERSAL, from_purchase=True
            )
        else:
            assert result.reversed == []
        if model.earn_transaction_id is not None and model.refunded == model.amount:
            # Once all is refunded, everything earned came back: taken, or owed if spent.
            legs = self.run(_member_legs(model.member_id, reverses_id=model.earn_transaction_id))
            assert -sum(legs) == model.taken
            assert model.taken + model.owed == model.earned
        assert self.run(_points_debt(model.member_id)) == self.debt[model.member_id]
        assert result.balances == self.model_balances(model.member_id)

    @rule(target=transactions, transaction_id=transactions)
    def reverse(self, transaction_id: int):
        model = self.txns[transaction_id]
        call = wallet.reverse(
            self.manager, transaction_id=transaction_id, reason="oops", idempotency_key=f.key()
        )
        if model.kind is TransactionKind.REVERSAL or model.from_purchase:
            self.refused(InvalidInput, ErrorCode.INVALID_INPUT, call)
            return multiple()
        if model.reversed:
            self.refused(Conflict, ErrorCode.ALREADY_EXISTS, call)
            return multiple()
        held = self.balances[model.member_id]
        if held[Purse.POINTS] < model.points or held[Purse.CREDIT] < model.credit:
            self.refused(InsufficientBalance, ErrorCode.INSUFFICIENT_BALANCE, call)
            return multiple()
        result = self.run(call)
        held[Purse.POINTS] -= model.points
        held[Purse.CREDIT] -= model.credit
        model.reversed = True
        txn_id = self.record(result, TransactionKind.REVERSAL, model.member_id)
        assert result.transaction.reverses_id == transaction_id  # type: ignore[attr-defined]
        self.txns[txn_id] = ModelTransaction(
            model.member_id, -model.points, -model.credit, TransactionKind.REVERSAL, False
        )
        return multiple(txn_id)

    @rule(target=replays, member_id=members, amount=st.integers(1, 100_000))
    def keyed_top_up(self, member_id: int, amount: int) -> Replay:
        key = f.key()

        def call() -> Coroutine[Any, Any, wallet.LedgerResult]:
            return wallet.top_up(
                self.cashier, member_id=member_id, amount=amount, idempotency_key=key
            )

        result = self.run(call())
        self.balances[member_id][Purse.CREDIT] += amount
        txn_id = self.record(result, TransactionKind.TOP_UP, member_id)
        self.txns[txn_id] = ModelTransaction(member_id, 0, amount, TransactionKind.TOP_UP, False)
        return Replay(call, txn_id, member_id)

    @rule(replay=replays)
    def repeat_with_the_same_key(self, replay: Replay) -> None:
        result = self.run(replay.call())
        assert result.replayed and result.transaction.id == replay.transaction_id
        assert result.balances == self.model_balances(replay.member_id)

    # -- invariants -----------------------------------------------------------------------

    def model_balances(self, member_id: int) -> ledger.Balances:
        model = self.balances[member_id]
        return ledger.Balances(points=model[Purse.POINTS], credit=model[Purse.CREDIT])

    @invariant()
    def ledger_is_whole(self) -> None:
        postings, accounts, kinds = self.run(_snapshot())

        # Posted rows never change and never disappear.
        current = {p_id: (txn, account, amount) for p_id, txn, account, amount in postings}
        for p_id, row in self.posted.items():
            assert current.get(p_id) == row, f"posting {p_id} changed: {row} -> {current.get(p_id)}"
        self.posted = current

        # Every transaction the model knows is in the database, with the kind it expects.
        assert kinds == {txn_id: txn.kind for txn_id, txn in self.txns.items()}

        # The legs of every transaction sum to zero per unit.
        units = {account_id: unit for account_id, (unit, _, _) in accounts.items()}
        per_unit: dict[tuple[int, Unit], int] = defaultdict(int)
        summed: dict[int, int] = defaultdict(int)
        for _, txn, account, amount in postings:
            assert amount != 0
            per_unit[txn, units[account]] += amount
            summed[account] += amount
        assert {k: v for k, v in per_unit.items() if v} == {}

        # Cached balances are the sum of their legs, never negative, and what the model says.
        for account_id, (unit, member_id, balance) in accounts.items():
            if member_id is None:
                continue
            assert balance == summed[account_id]
            assert balance >= 0
            purse = Purse.POINTS if unit is Unit.POINTS else Purse.CREDIT
            assert balance == self.balances[member_id][purse], (member_id, purse)
        assert {m for _, m, _ in accounts.values() if m is not None} == set(self.balances)

        report = self.run(reconcile())
        assert report.ok, report
        assert report.transactions_checked == len(self.txns)
        assert report.accounts_checked == 2 * len(self.balances)


async def _points_debt(member_id: int) -> int:
    return (await MemberStanding.get(member_id=member_id)).points_debt


async def _member_legs(member_id: int, **filters: object) -> list[int]:
    query = Posting.filter(
        account__member_id=member_id, **{f"transaction__{k}": v for k, v in filters.items()}
    )
    return list(await query.values_list("amount", flat=True))


async def _snapshot() -> tuple[
    list[tuple[int, int, int, int]],
    dict[int, tuple[Unit, int | None, int]],
    dict[int, TransactionKind],
]:
    postings = await Posting.all().values_list("id", "transaction_id", "account_id", "amount")
    accounts = {
        a_id: (Unit(unit), member_id, balance)
        for a_id, unit, member_id, balance in await Account.all().values_list(
            "id", "unit", "member_id", "balance"
        )
    }
    kinds = {
        t_id: TransactionKind(kind)
        for t_id, kind in await JournalTransaction.all().values_list("id", "kind")
    }
    return postings, accounts, kinds  # type: ignore[return-value]


async def test_ledger_state_machine() -> None:
    LedgerMachine.loop = asyncio.get_running_loop()
    await asyncio.to_thread(
        run_state_machine_as_test,
        LedgerMachine,
        settings=settings(
            max_examples=30,
            stateful_step_count=30,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        ),
    )
