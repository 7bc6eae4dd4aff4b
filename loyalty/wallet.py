"""Counter and back-office operations on a member's points and credit."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from loyalty import ledger, members, validation
from loyalty.actors import Actor
from loyalty.errors import Conflict, ErrorCode, InvalidInput, NotFound
from loyalty.idempotency import check_key, derived_key, request_hash, run_once
from loyalty.ledger import Balances, Purse, SystemAccount
from loyalty.models import Branch, JournalTransaction, Reversal, Role, TransactionKind
from loyalty.money import format_money, format_points

COUNTER_ROLES = (Role.MANAGER, Role.CASHIER, Role.STATION)
_SPENT = {Purse.POINTS: SystemAccount.POINTS_REDEEMED, Purse.CREDIT: SystemAccount.CREDIT_SPENT}
_ADJUSTED = {
    Purse.POINTS: SystemAccount.POINTS_ADJUSTMENT,
    Purse.CREDIT: SystemAccount.CREDIT_ADJUSTMENT,
}
_MAXIMUM = {Purse.POINTS: validation.MAX_POINTS, Purse.CREDIT: validation.MAX_RIAL}


class CounterPayment(StrEnum):
    """How a member paid for a top-up at the counter (the till is counted by it)."""

    CASH = "cash"
    CARD = "card"


_PAID = {CounterPayment.CASH: "paid in cash", CounterPayment.CARD: "paid by card"}


@dataclass(frozen=True, slots=True)
class LedgerResult:
    transaction: JournalTransaction
    balances: Balances
    replayed: bool


async def _transfer_once(
    actor: Actor,
    *,
    operation: str,
    member_id: int,
    purse: Purse,
    amount: int,
    counterpart: SystemAccount,
    kind: TransactionKind,
    idempotency_key: str,
    reason_code: str,
    reason: str,
    branch_id: int | None = None,
) -> LedgerResult:
    key = check_key(idempotency_key)
    digest = request_hash(
        {
            "op": operation,
            "member": member_id,
            "purse": purse,
            "amount": amount,
            "reason": reason,
            "branch": branch_id,
        }
    )
    await members.get(member_id)
    transaction, replayed = await run_once(
        digest,
        lambda: JournalTransaction.get_or_none(idempotency_key=key),
        lambda: ledger.transfer(
            kind=kind,
            member_id=member_id,
            purse=purse,
            amount=amount,
            counterpart=counterpart,
            idempotency_key=key,
            request_hash=digest,
            reason_code=reason_code,
            reason=reason,
            staff_id=actor.staff_id,
            branch_id=branch_id,
        ),
    )
    return LedgerResult(transaction, await ledger.balances(member_id), replayed)


async def top_up(
    actor: Actor,
    *,
    member_id: int,
    amount: int,
    idempotency_key: str,
    branch_id: int | None = None,
    paid_by: CounterPayment | None = None,
) -> LedgerResult:
    """The member pays at the counter and the club holds it as credit (stored value). How
    they paid, when given, is kept in the reason code (`top_up_cash`, `top_up_card`)."""
    actor.require_staff(*COUNTER_ROLES)
    validation.positive_amount(amount, field="amount")
    branch_id = await counter_branch(actor, branch_id)
    paid = f", {_PAID[paid_by]}" if paid_by else ""
    return await _transfer_once(
        actor,
        operation="top_up",
        member_id=member_id,
        purse=Purse.CREDIT,
        amount=amount,
        counterpart=SystemAccount.CREDIT_TOPPED_UP,
        kind=TransactionKind.TOP_UP,
        idempotency_key=idempotency_key,
        reason_code=f"top_up_{paid_by}" if paid_by else "top_up",
        reason=f"Credit topped up: {format_money(amount)}{paid}",
        branch_id=branch_id,
    )


async def spend(
    actor: Actor,
    *,
    member_id: int,
    purse: Purse,
    amount: int,
    idempotency_key: str,
    branch_id: int | None = None,
) -> LedgerResult:
    """Pay with credit or points at the counter. Never below zero."""
    actor.require_staff(*COUNTER_ROLES)
    validation.positive_amount(amount, field="amount", maximum=_MAXIMUM[purse])
    branch_id = await counter_branch(actor, branch_id)
    spent = format_points(amount) if purse is Purse.POINTS else f"{format_money(amount)} of credit"
    return await _transfer_once(
        actor,
        operation="spend",
        member_id=member_id,
        purse=purse,
        amount=-amount,
        counterpart=_SPENT[purse],
        kind=TransactionKind.SPEND,
        idempotency_key=idempotency_key,
        reason_code=f"spend_{purse.value}",
        reason=f"Spent {spent}",
        branch_id=branch_id,
    )


async def adjust(
    actor: Actor,
    *,
    member_id: int,
    purse: Purse,
    delta: int,
    reason: str,
    idempotency_key: str,
) -> LedgerResult:
    """A manager's correction, up or down, always with a reason."""
    actor.require_staff(Role.MANAGER)
    if delta == 0:
        raise InvalidInput(
            "an adjustment must change the balance", field="delta", code=ErrorCode.INVALID_AMOUNT
        )
    # abs() of whole numbers only: anything else (True, "5", None) is refused as it is.
    magnitude = abs(delta) if type(delta) is int else delta
    validation.positive_amount(magnitude, field="delta", maximum=_MAXIMUM[purse])
    reason = validation.text(reason, field="reason", max_length=300, required=True)
    return await _transfer_once(
        actor,
        operation="adjust",
        member_id=member_id,
        purse=purse,
        amount=delta,
        counterpart=_ADJUSTED[purse],
        kind=TransactionKind.ADJUST,
        idempotency_key=idempotency_key,
        reason_code=f"adjust_{purse.value}",
        reason=f"Adjusted by the club: {reason}",
    )


async def reverse(
    actor: Actor, *, transaction_id: int, reason: str, idempotency_key: str
) -> LedgerResult:
    """Undo a whole transaction with a new one that mirrors its legs. At most once."""
    actor.require_staff(Role.MANAGER)
    key = check_key(idempotency_key)
    reason = validation.text(reason, field="reason", max_length=300, required=True)
    original = await JournalTransaction.get_or_none(id=transaction_id).prefetch_related(
        "postings__account"
    )
    if original is None:
        raise NotFound("transaction", transaction_id)
    if original.kind is TransactionKind.REVERSAL:
        raise InvalidInput("a reversal cannot itself be reversed", field="transactionId")
    if original.purchase_id is not None:  # type: ignore[attr-defined]
        raise InvalidInput(
            "points earned by a purchase are taken back by refunding the purchase",
            field="transactionId",
        )
    digest = request_hash({"op": "reverse", "transaction": transaction_id, "reason": reason})

    async def write() -> Reversal:
        reversal = await Reversal.create(
            idempotency_key=key,
            request_hash=digest,
            transaction_id=original.id,
            reason=reason,
            staff_id=actor.staff_id,
        )
        await ledger.post(
            kind=TransactionKind.REVERSAL,
            member_id=original.member_id,  # type: ignore[attr-defined]
            legs=[ledger.Leg(p.account, -p.amount) for p in original.postings],
            idempotency_key=derived_key("reversal", reversal.id, original.id),
            request_hash=digest,
            reason_code=f"reverse_{original.reason_code}",
            reason=f"Reversed: {original.reason} ({reason})",
            reverses_id=original.id,
            staff_id=actor.staff_id,
            branch_id=original.branch_id,  # type: ignore[attr-defined]
        )
        return reversal

    async def already_reversed() -> None:
        if await Reversal.exists(transaction_id=original.id):
            raise Conflict(f"transaction {original.id} was already reversed")

    _, replayed = await run_once(
        digest, lambda: Reversal.get_or_none(idempotency_key=key), write, already_reversed
    )
    transaction = await JournalTransaction.get(reverses_id=original.id)
    return LedgerResult(transaction, await ledger.balances(transaction.member_id), replayed)  # type: ignore[attr-defined]


async def counter_branch(actor: Actor, branch_id: int | None) -> int | None:
    """The branch a counter operation happens at: the one given, else the actor's own."""
    branch_id = branch_id if branch_id is not None else actor.branch_id
    if branch_id is not None:
        actor.require_branch(branch_id)
        if not await Branch.exists(id=branch_id):
            raise NotFound("branch", branch_id)
    return branch_id
