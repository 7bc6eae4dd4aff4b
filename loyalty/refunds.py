"""Refunds: all or part of a purchase, and what it earned taken back in proportion."""

from __future__ import annotations

from dataclasses import dataclass

from tortoise.expressions import F

from loyalty import ledger, validation
from loyalty.actors import Actor
from loyalty.errors import DomainError, ErrorCode, NotFound
from loyalty.idempotency import check_key, derived_key, request_hash, run_once
from loyalty.ledger import Balances
from loyalty.models import JournalTransaction, Purchase, Reversal, Role, TransactionKind
from loyalty.money import format_money, format_points


@dataclass(frozen=True, slots=True)
class RefundResult:
    purchase: Purchase
    refund: Reversal
    reversed: list[JournalTransaction]
    balances: Balances | None
    replayed: bool


async def refund(
    actor: Actor,
    *,
    purchase_id: int,
    idempotency_key: str,
    amount: int | None = None,
    reason: str = "",
) -> RefundResult:
    """Refund all or part of a purchase; what it earned comes back out in proportion.

    Points already spent cannot be taken back below zero: the reversal takes what the member
    holds and the reason records the shortfall. (The rules issue defines recovery from later
    earnings.)
    """
    actor.require_staff(Role.MANAGER, Role.CASHIER)
    key = check_key(idempotency_key)
    purchase = await Purchase.get_or_none(id=purchase_id)
    if purchase is None:
        raise NotFound("purchase", purchase_id)
    actor.require_branch(purchase.branch_id)  # type: ignore[attr-defined]
    refund_amount = purchase.amount - purchase.refunded_amount if amount is None else amount
    reason = validation.text(reason, field="reason", max_length=300)
    digest = request_hash(
        {"op": "refund", "purchase": purchase_id, "amount": amount, "reason": reason}
    )

    async def write() -> Reversal:
        if amount is None and refund_amount == 0:
            # Refunding "the rest" of a purchase refunded in full, perhaps a moment ago.
            raise DomainError(
                "this purchase was already refunded in full",
                code=ErrorCode.REFUND_EXCEEDS_PURCHASE,
            )
        validation.positive_amount(refund_amount, field="amount")
        claimed = await Purchase.filter(
            id=purchase_id, refunded_amount__lte=purchase.amount - refund_amount
        ).update(refunded_amount=F("refunded_amount") + refund_amount)
        if not claimed:
            raise DomainError(
                f"refund of {format_money(refund_amount)} exceeds what is left to refund",
                code=ErrorCode.REFUND_EXCEEDS_PURCHASE,
            )
        # Read after our UPDATE: it holds the row, so concurrent refunds are counted too.
        total_refunded = await Purchase.get(id=purchase_id).values_list(
            "refunded_amount", flat=True
        )
        reversal = await Reversal.create(
            idempotency_key=key,
            request_hash=digest,
            purchase_id=purchase_id,
            amount=refund_amount,
            reason=reason or "refund",
            staff_id=actor.staff_id,
        )
        for earned in await JournalTransaction.filter(
            purchase_id=purchase_id, kind=TransactionKind.EARN
        ).prefetch_related("postings__account"):
            await _reverse_in_proportion(
                actor,
                earned,
                reversal,
                int(total_refunded),
                purchase.amount,
                digest,  # type: ignore[arg-type]
            )
        return reversal

    reversal, replayed = await run_once(
        digest, lambda: Reversal.get_or_none(idempotency_key=key), write
    )
    await purchase.refresh_from_db()
    reversed_ = await JournalTransaction.filter(
        idempotency_key__startswith=derived_key("refund", reversal.id) + ":"
    ).order_by("id")
    balances = await ledger.balances(purchase.member_id) if purchase.member_id else None  # type: ignore[attr-defined]
    return RefundResult(purchase, reversal, reversed_, balances, replayed)


async def _reverse_in_proportion(
    actor: Actor,
    earned: JournalTransaction,
    reversal: Reversal,
    total_refunded: int,
    purchase_amount: int,
    digest: str,
) -> None:
    own, club = sorted(earned.postings, key=lambda p: p.account.member_id is None)  # type: ignore[attr-defined]
    already = -await ledger.posted_total(
        account_id=own.account.id, transaction__reverses_id=earned.id
    )
    # Floor keeps the cumulative reversal exact: a full refund takes back all that was earned.
    due = own.amount * total_refunded // purchase_amount - already
    taken = min(due, own.account.balance)
    if taken <= 0:
        return
    shortfall = "" if taken == due else f", {due - taken:,} not recovered (already spent)"
    await ledger.post(
        kind=TransactionKind.REVERSAL,
        member_id=earned.member_id,  # type: ignore[attr-defined]
        legs=[ledger.Leg(own.account, -taken), ledger.Leg(club.account, taken)],
        idempotency_key=derived_key("refund", reversal.id, earned.id),
        request_hash=digest,
        reason_code=f"refund_{earned.reason_code}",
        reason=f"Refund of purchase: {format_points(taken)} taken back{shortfall}",
        purchase_id=earned.purchase_id,
        reverses_id=earned.id,
        staff_id=actor.staff_id,  # type: ignore[attr-defined]
        branch_id=earned.branch_id,  # type: ignore[attr-defined]
    )
