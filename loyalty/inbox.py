"""The member's inbox: every notification sent to them is kept here, read or unread."""

from __future__ import annotations

from datetime import UTC, datetime

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from loyalty import validation
from loyalty.actors import Actor, ActorKind
from loyalty.errors import InvalidInput, PermissionDenied
from loyalty.history import Page, page_size
from loyalty.models import InboxMessage

MAX_MARKED = 100


async def deliver(
    member_id: int,
    *,
    kind: str,
    title: str,
    body: str,
    dedupe_key: str,
    link: str = "",
    data: dict | None = None,
) -> tuple[InboxMessage, bool]:
    """Keep a message for the member; the same `dedupe_key` again changes nothing.

    Returns the message and whether it is new (a job run twice delivers once).
    """
    values = {
        "kind": validation.text(kind, field="kind", max_length=48, required=True),
        "title": validation.text(title, field="title", max_length=200, required=True),
        "body": validation.text(body, field="body", max_length=2000, required=True),
        "link": validation.text(link, field="link", max_length=300),
        "data": data or {},
    }
    key = validation.text(dedupe_key, field="dedupeKey", max_length=160, required=True)
    existing = await InboxMessage.get_or_none(dedupe_key=key)
    if existing is not None:
        return existing, False
    try:
        # A savepoint: the caller's transaction goes on after a concurrent twin wins the key.
        async with in_transaction():
            message = await InboxMessage.create(member_id=member_id, dedupe_key=key, **values)
        return message, True
    except IntegrityError:
        return await InboxMessage.get(dedupe_key=key), False


def _member(actor: Actor) -> int:
    if actor.kind is not ActorKind.MEMBER or actor.id is None:
        raise PermissionDenied("only the member reads their inbox")
    return actor.id


async def page(
    member_id: int, *, first: int = 20, before_id: int | None = None, unread_only: bool = False
) -> Page[InboxMessage]:
    """Newest first, a page at a time (keyset on id: stable while messages arrive)."""
    size = page_size(first)
    query = InboxMessage.filter(member_id=member_id)
    if unread_only:
        query = query.filter(read_at=None)
    if before_id is not None:
        query = query.filter(id__lt=before_id)
    rows = await query.order_by("-id").limit(size + 1)
    return Page(rows[:size], len(rows) > size)


async def unread_count(member_id: int) -> int:
    return await InboxMessage.filter(member_id=member_id, read_at=None).count()


async def mark_read(actor: Actor, *, ids: list[int] | None = None) -> int:
    """Mark the given messages read (all of them when `ids` is None). Returns unread left."""
    member_id = _member(actor)
    query = InboxMessage.filter(member_id=member_id, read_at=None)
    if ids is not None:
        if not ids or len(ids) > MAX_MARKED:
            raise InvalidInput(f"give 1 to {MAX_MARKED} message ids", field="ids")
        query = query.filter(id__in=ids)
    await query.update(read_at=datetime.now(UTC))
    return await unread_count(member_id)
