"""Many messages at once (a campaign's chunk): the rules of `messages.send` for each member, in a
handful of statements for the whole batch, and one push event for all of it, so FCM gets full
batches. A chunk sent again sends nothing new."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from tortoise.transactions import in_transaction

from loyalty import outbox, sql, validation
from loyalty.errors import InvalidInput, NotFound
from loyalty.messaging import push
from loyalty.messaging.messages import (
    DELIVER_TASK,
    SMS_TASK,
    Outgoing,
    current_policy,
    decide,
    dedupe_key_of,
    inbox_key,
    marketing_this_week,
    utc,
)
from loyalty.models import (
    InboxMessage,
    Member,
    Message,
    MessageChannel,
    MessagePurpose,
    MessageStatus,
    Priority,
)
from loyalty.notifications import push_enabled

MAX_BATCH = 1_000
_INBOX = ("member_id", "kind", "title", "body", "link", "data", "dedupe_key", "created_at")
_MESSAGE = (
    "member_id", "purpose", "source", "dedupe_key", "channel", "status", "reason", "kind",
    "title", "body", "link", "data", "created_at", "due_at", "sent_at", "inbox_message_id",
    "sms_id",
)  # fmt: skip


async def send_batch(
    outgoing: Sequence[Outgoing],
    *,
    purpose: MessagePurpose,
    source: str = "",
    at: datetime | None = None,
) -> list[Message]:
    """Send, schedule or hold back each message, as `messages.send` would; returns their records
    in the order given (a dedupe key given twice is sent once)."""
    if len(outgoing) > MAX_BATCH:
        raise InvalidInput(f"at most {MAX_BATCH:,} messages a batch", field="outgoing")
    at = utc(at)
    source = validation.text(source, field="source", max_length=64)
    keys = [dedupe_key_of(one.dedupe_key) for one in outgoing]
    wanted: dict[str, Outgoing] = {}
    for key, one in zip(keys, outgoing, strict=True):
        wanted.setdefault(key, one)
    async with in_transaction():
        known = Message.filter(dedupe_key__in=list(wanted)).values_list("dedupe_key", flat=True)
        sent_before = set(await known)
        todo = [(key, one) for key, one in wanted.items() if key not in sent_before]
        if todo:
            await _send_new(todo, purpose, source, at)
        found = {m.dedupe_key: m for m in await Message.filter(dedupe_key__in=list(wanted))}
    return [found[key] for key in keys]


async def _send_new(
    todo: list[tuple[str, Outgoing]], purpose: MessagePurpose, source: str, at: datetime
) -> None:
    wanted_ids = {one.member_id for _, one in todo}
    members = {m.id: m for m in await Member.filter(id__in=wanted_ids)}
    if missing := sorted(wanted_ids - set(members)):
        raise NotFound("member", missing[0])
    policy = await current_policy()
    recent = {}
    if purpose is MessagePurpose.MARKETING:
        recent = await marketing_this_week(list(members), at)
    messages = []
    for key, one in todo:
        member = members[one.member_id]
        status, reason, due_at = decide(member, purpose, policy, at, recent.get(member.id, 0))
        now = status is MessageStatus.SCHEDULED and due_at <= at
        n = one.notification
        messages.append(
            Message(
                member_id=member.id,
                purpose=purpose,
                source=source,
                dedupe_key=key,
                channel=MessageChannel(member.preferred_channel),
                status=MessageStatus.SENT if now else status,
                reason=reason,
                kind=validation.text(n.type, field="kind", max_length=48, required=True),
                title=validation.text(n.title, field="title", max_length=200, required=True),
                body=validation.text(n.body, field="body", max_length=2000, required=True),
                link=validation.text(n.link, field="link", max_length=300),
                data=dict(n.data),
                created_at=at,
                due_at=due_at,
                sent_at=at if now else None,
            )
        )
    sent = [m for m in messages if m.status is MessageStatus.SENT]
    inbox_ids = await _into_inboxes(sent, at)
    for message in sent:
        copy = inbox_ids[inbox_key(message.dedupe_key)]
        message.inbox_message_id = copy  # type: ignore[attr-defined]
    rows = await sql.insert(
        Message._meta.db_table,
        _MESSAGE,
        [[sql.column_value(m, column) for column in _MESSAGE] for m in messages],
        returning="id, dedupe_key",
    )
    ids = {row["dedupe_key"]: int(row["id"]) for row in rows}
    texts = [m for m in sent if m.channel is MessageChannel.SMS]
    later = [m for m in messages if m.status is MessageStatus.SCHEDULED]
    # A batch of one is a single member's (a welcome): it goes ahead of mass sends.
    priority = Priority.DELIVERY if len(messages) > 1 else Priority.MEMBER
    await outbox.record_many(
        [(SMS_TASK, {"message_id": ids[m.dedupe_key]}, at) for m in texts]
        + [(DELIVER_TASK, {"message_id": ids[m.dedupe_key]}, m.due_at) for m in later],
        priority=priority,
    )
    if push_enabled():
        await push.record(list(inbox_ids.values()), priority=priority)


async def _into_inboxes(sent: list[Message], at: datetime) -> dict[str, int]:
    """Each message's inbox copy; their ids by the copies' dedupe keys."""
    if not sent:
        return {}
    copies = [
        InboxMessage(
            member_id=m.member_id,  # type: ignore[attr-defined]
            kind=m.kind,
            title=m.title,
            body=m.body,
            link=m.link,
            data=m.data,
            dedupe_key=inbox_key(m.dedupe_key),
            created_at=at,
        )
        for m in sent
    ]
    rows = await sql.insert(
        InboxMessage._meta.db_table,
        _INBOX,
        [[sql.column_value(copy, column) for column in _INBOX] for copy in copies],
        returning="id, dedupe_key",
    )
    return {row["dedupe_key"]: int(row["id"]) for row in rows}
