"""Purchases, top-ups and payments started by a tap; offline ones the server now refuses are
kept for a manager's review, never dropped."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime
from typing import TypeVar

from loyalty import purchases, wallet
from loyalty.actors import Actor
from loyalty.cards import cards, keys
from loyalty.cards.cards import Tap
from loyalty.errors import DomainError, InvalidInput
from loyalty.idempotency import check_key
from loyalty.ledger import Purse
from loyalty.models import (
    Card,
    CardOperation,
    CardStatus,
    JournalTransaction,
    OfflineReview,
    Purchase,
)
from loyalty.purchases import LineItem
from loyalty.wallet import COUNTER_ROLES

R = TypeVar("R")


async def _done_before(key: str) -> bool:
    """A request with this key went through already (its answer may have been lost)."""
    return await Purchase.exists(idempotency_key=key) or await JournalTransaction.exists(
        idempotency_key=key
    )


async def _card_for(actor: Actor, tap: Tap, key: str) -> Card:
    try:
        return await cards.resolve(actor, tap)
    except DomainError:
        # A retry of what this card did before it was blocked answers as it did then.
        card = await cards.look_up(tap)
        if card.status is not CardStatus.ACTIVE and await _done_before(key):
            return card
        raise


async def _run(
    actor: Actor,
    tap: Tap,
    *,
    operation: CardOperation,
    amount: int,
    idempotency_key: str,
    accepted_offline_at: datetime | None,
    request: dict,
    write: Callable[[int], Awaitable[R]],
) -> R:
    actor.require_staff(*COUNTER_ROLES)
    key = check_key(idempotency_key)
    card = None
    try:
        card = await _card_for(actor, tap, key)
        return await write(card.member_id)  # type: ignore[attr-defined]
    except DomainError as error:
        if accepted_offline_at is None:
            raise
        review = await _keep_for_review(
            actor, tap, card, operation, amount, key, accepted_offline_at, request, error
        )
        error.message += f" (accepted offline: kept for a manager's review, #{review.id})"
        error.args = (error.message,)
        raise


async def _keep_for_review(
    actor: Actor,
    tap: Tap,
    card: Card | None,
    operation: CardOperation,
    amount: int,
    key: str,
    accepted_at: datetime,
    request: dict,
    error: DomainError,
) -> OfflineReview:
    if card is None:
        try:
            card = await cards.look_up(tap)
        except DomainError:
            pass
    number = card.card_number if card else keys.number_in(tap.record)
    review, _ = await OfflineReview.get_or_create(
        idempotency_key=key,
        defaults={
            "operation": operation,
            "card_number": number,
            "card_id": card.id if card else None,
            "member_id": card.member_id if card else None,  # type: ignore[attr-defined]
            "branch_id": actor.branch_id,
            "station_id": actor.staff_id,
            "amount": amount,
            "request": {"uid": (tap.uid or "")[:32], **request},
            "error_code": error.code.value,
            "error_message": error.message[:500],
            "occurred_at": accepted_at.astimezone(UTC),
        },
    )
    return review


async def purchase(
    actor: Actor,
    tap: Tap,
    *,
    amount: int,
    receipt_number: str,
    idempotency_key: str,
    items: Sequence[LineItem] = (),
    paid_with_credit: int = 0,
    occurred_at: datetime | None = None,
    accepted_offline_at: datetime | None = None,
) -> purchases.PurchaseResult:
    """Record a purchase for the member of the card, at the station's branch."""

    async def write(member_id: int) -> purchases.PurchaseResult:
        return await purchases.record(
            actor,
            branch_id=await _branch(actor),
            member_id=member_id,
            amount=amount,
            receipt_number=receipt_number,
            idempotency_key=idempotency_key,
            items=items,
            occurred_at=occurred_at,
            paid_with_credit=paid_with_credit,
        )

    return await _run(
        actor,
        tap,
        operation=CardOperation.PURCHASE,
        amount=amount,
        idempotency_key=idempotency_key,
        accepted_offline_at=accepted_offline_at,
        request={"receipt": receipt_number, "paid_with_credit": paid_with_credit},
        write=write,
    )


async def top_up(
    actor: Actor,
    tap: Tap,
    *,
    amount: int,
    paid_by: wallet.CounterPayment,
    idempotency_key: str,
    accepted_offline_at: datetime | None = None,
) -> wallet.LedgerResult:
    """Credit the card's member paid for at the counter, in cash or by card."""

    async def write(member_id: int) -> wallet.LedgerResult:
        return await wallet.top_up(
            actor,
            member_id=member_id,
            amount=amount,
            idempotency_key=idempotency_key,
            paid_by=paid_by,
        )

    return await _run(
        actor,
        tap,
        operation=CardOperation.TOP_UP,
        amount=amount,
        idempotency_key=idempotency_key,
        accepted_offline_at=accepted_offline_at,
        request={"paid_by": paid_by.value},
        write=write,
    )


async def pay(
    actor: Actor,
    tap: Tap,
    *,
    purse: Purse,
    amount: int,
    idempotency_key: str,
    accepted_offline_at: datetime | None = None,
) -> wallet.LedgerResult:
    async def write(member_id: int) -> wallet.LedgerResult:
        return await wallet.spend(
            actor, member_id=member_id, purse=purse, amount=amount, idempotency_key=idempotency_key
        )

    return await _run(
        actor,
        tap,
        operation=CardOperation.PAY,
        amount=amount,
        idempotency_key=idempotency_key,
        accepted_offline_at=accepted_offline_at,
        request={"purse": purse.value},
        write=write,
    )


async def _branch(actor: Actor) -> int:
    branch_id = await wallet.counter_branch(actor, None)
    if branch_id is None:
        raise InvalidInput("a purchase by card is recorded at the staff user's own branch")
    return branch_id
