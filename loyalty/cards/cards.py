"""Binding cards to members, checking a tap, blocking and replacing cards."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from loyalty import members, validation
from loyalty.actors import Actor
from loyalty.cards import keys
from loyalty.errors import Conflict, DomainError, ErrorCode, NotFound
from loyalty.models import Card, CardStatus, Role
from loyalty.wallet import COUNTER_ROLES

# Blocking and replacing a card: a manager, or a cashier at the counter; not the station's own
# credential (a stolen station must not unblock or move cards).
CARD_KEEPERS = (Role.MANAGER, Role.CASHIER)


@dataclass(frozen=True, slots=True)
class Tap:
    """What the station read: the record on the tag and the tag's UID."""

    record: str
    uid: str


@dataclass(frozen=True, slots=True)
class IssuedRecord:
    record: keys.CardRecord
    tag_password: bytes


@dataclass(frozen=True, slots=True)
class Bound:
    card: Card
    replayed: bool


def _refusal(card: Card) -> DomainError:
    if card.status is CardStatus.REPLACED:
        return DomainError(
            "this card was replaced by a new one and no longer works", code=ErrorCode.CARD_BLOCKED
        )
    return DomainError(
        "this card is blocked (reported lost or stolen)", code=ErrorCode.CARD_BLOCKED
    )


async def _unbound(uid: str) -> None:
    if await Card.exists(uid=uid):
        raise Conflict("this tag is already bound to a card")


async def issue_record(actor: Actor, uid: str) -> IssuedRecord:
    """The record to write on a blank tag. Nothing is stored until the card is bound."""
    actor.require_staff(*COUNTER_ROLES)
    uid = keys.clean_uid(uid)
    await _unbound(uid)
    return IssuedRecord(keys.new_record(uid), keys.tag_password(uid))


async def look_up(tap: Tap) -> Card:
    """The card of a tap, whatever its status: refused unless the club wrote it for this tag."""
    record = keys.verify(tap.record, tap.uid)
    card = await Card.get_or_none(card_number=record.card_number).prefetch_related("member")
    if card is None or card.uid != keys.clean_uid(tap.uid):
        raise NotFound("card", record.card_number)
    return card


async def resolve(actor: Actor, tap: Tap) -> Card:
    """The active card of a tap, with its member."""
    actor.require_staff(*COUNTER_ROLES)
    card = await look_up(tap)
    if card.status is not CardStatus.ACTIVE:
        raise _refusal(card)
    return card


async def _bind(actor: Actor, tap: Tap, member_id: int) -> Card:
    record = keys.verify(tap.record, tap.uid)
    return await Card.create(
        card_number=record.card_number,
        member_id=member_id,
        uid=keys.clean_uid(tap.uid),
        key_version=record.key_version,
        branch_id=actor.branch_id,
        enrolled_by_id=actor.staff_id,
    )


async def _same_binding(tap: Tap, member_id: int) -> Card | None:
    """The card this tap already bound to this member (a retried request)."""
    record = keys.verify(tap.record, tap.uid)
    card = await Card.get_or_none(card_number=record.card_number)
    if card is not None and card.uid == keys.clean_uid(tap.uid) and card.member_id == member_id:  # type: ignore[attr-defined]
        return card
    return None


async def enrol(actor: Actor, tap: Tap, member_id: int) -> Bound:
    """Bind a freshly written card to a member. A card or tag already bound is refused."""
    actor.require_staff(*COUNTER_ROLES)
    await members.get(member_id)
    existing = await _same_binding(tap, member_id)
    if existing is not None:
        return Bound(existing, True)
    await _unbound(keys.clean_uid(tap.uid))
    try:
        return Bound(await _bind(actor, tap, member_id), False)
    except IntegrityError:
        raise Conflict("this card or tag is already bound") from None


async def get(actor: Actor, card_number: str) -> Card:
    actor.require_staff()
    card = await Card.get_or_none(card_number=(card_number or "").strip())
    if card is None:
        raise NotFound("card", card_number)
    return card


async def block(actor: Actor, card_number: str, reason: str) -> Card:
    """Refuse the card from now on (lost or stolen). Blocking a blocked card changes nothing."""
    actor.require_staff(*CARD_KEEPERS)
    reason = validation.text(reason, field="reason", max_length=300, required=True)
    card = await get(actor, card_number)
    if card.status is CardStatus.REPLACED:
        raise _refusal(card)
    await Card.filter(id=card.id, status=CardStatus.ACTIVE).update(
        status=CardStatus.BLOCKED,
        status_changed_at=datetime.now(UTC),
        status_changed_by_id=actor.staff_id,
        status_reason=reason,
    )
    return await Card.get(id=card.id)


async def block_tapped(actor: Actor, tap: Tap, reason: str) -> Card:
    """Block the card on the reader: only the club's record on the tag it was written for."""
    actor.require_staff(*CARD_KEEPERS)
    return await block(actor, (await look_up(tap)).card_number, reason)


async def replace(actor: Actor, card_number: str, new_card: Tap, reason: str) -> Bound:
    """A new card takes over the old card's member (balances are the member's, not the card's);
    the old one is refused from now on. A retry of the same replacement returns it again."""
    actor.require_staff(*CARD_KEEPERS)
    reason = validation.text(reason, field="reason", max_length=300, required=True)
    old = await get(actor, card_number)
    member_id: int = old.member_id  # type: ignore[attr-defined]
    if old.status is CardStatus.REPLACED:
        done = await _same_binding(new_card, member_id)
        if done is not None and old.replaced_by_id == done.id:  # type: ignore[attr-defined]
            return Bound(done, True)
        raise _refusal(old)
    await _unbound(keys.clean_uid(new_card.uid))
    try:
        async with in_transaction():
            card = await _bind(actor, new_card, member_id)
            changed = await Card.filter(
                id=old.id, status__in=(CardStatus.ACTIVE, CardStatus.BLOCKED)
            ).update(
                status=CardStatus.REPLACED,
                replaced_by_id=card.id,
                status_changed_at=datetime.now(UTC),
                status_changed_by_id=actor.staff_id,
                status_reason=reason,
            )
            if not changed:
                raise Conflict(f"card {old.card_number} was replaced meanwhile")
    except IntegrityError:
        raise Conflict("this card or tag is already bound") from None
    return Bound(card, False)
