"""Sending a message to a member: every automatic message (journeys, campaigns) goes through
`send`, which keeps the club's rules for marketing and records what became of each message.

- The same `dedupe_key` again sends nothing: a job run twice, or a day re-run, is harmless.
- Marketing needs the member's marketing consent, keeps to the weekly cap, and waits out the
  club's quiet hours; service messages (codes, receipts, account changes) do none of that.
- Every message goes to the inbox (and so to the member's devices when push is configured);
  a member who prefers SMS also gets it by SMS.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.functions import Count
from tortoise.transactions import in_transaction

from loyalty import clock, notifications, outbox, validation
from loyalty.errors import NotFound
from loyalty.messaging.channels import SmsOutcome, SmsSender
from loyalty.models import (
    Member,
    Message,
    MessageChannel,
    MessagePurpose,
    MessageStatus,
)
from loyalty.notifications import Notification
from loyalty.programme import snapshot
from loyalty.programme.policies import MessagingPolicy
from loyalty.settings import get_settings

DELIVER_TASK = "message"  # a scheduled message whose moment has come
SMS_TASK = "sms"
WEEK = timedelta(days=7)
SMS_RETRY_SECONDS = 300.0
SMS_MAX_ROUNDS = 5


def quiet_until(at: datetime, policy: MessagingPolicy) -> datetime | None:
    """When the quiet hours around `at` end (in the club's zone), or None outside them."""
    zone = get_settings().zone
    local = at.astimezone(zone)
    start, end = policy.quiet_from, policy.quiet_until
    if not clock.within_hours(at, start, end):
        return None
    day: date = local.date()
    if start > end and local.time() >= start:
        day += timedelta(days=1)
    return datetime.combine(day, end, zone).astimezone(UTC)


@dataclass(frozen=True, slots=True)
class Outgoing:
    """One message of a batch (`batch.send_batch`)."""

    member_id: int
    notification: Notification
    dedupe_key: str


def utc(at: datetime | None) -> datetime:
    return (at or datetime.now(UTC)).astimezone(UTC)  # SQLite compares the stored text


def dedupe_key_of(key: str) -> str:
    # Room for `inbox_key`'s prefix within the inbox's 160 characters.
    return validation.text(key, field="dedupeKey", max_length=150, required=True)


async def send(
    member_id: int,
    notification: Notification,
    *,
    purpose: MessagePurpose,
    dedupe_key: str,
    source: str = "",
    at: datetime | None = None,
) -> Message:
    """Send (or schedule, or hold back) one message; returns its record. Call it inside the
    transaction of the write that causes it, if any: the message is kept only if that commits."""
    at, key = utc(at), dedupe_key_of(dedupe_key)
    existing = await Message.get_or_none(dedupe_key=key)
    if existing is not None:
        return existing
    member = await Member.get_or_none(id=member_id)
    if member is None:
        raise NotFound("member", member_id)
    policy = await current_policy()
    recent = 0
    if purpose is MessagePurpose.MARKETING:
        recent = (await marketing_this_week([member_id], at)).get(member_id, 0)
    status, reason, due_at = decide(member, purpose, policy, at, recent)
    try:
        async with in_transaction():
            message = await Message.create(
                member_id=member_id,
                purpose=purpose,
                source=validation.text(source, field="source", max_length=64),
                dedupe_key=key,
                channel=MessageChannel(member.preferred_channel),
                status=status,
                reason=reason,
                kind=notification.type,
                title=notification.title,
                body=notification.body,
                link=notification.link,
                data=dict(notification.data),
                due_at=due_at,
            )
            if status is MessageStatus.SCHEDULED:
                if due_at <= at:
                    await _deliver(message, member, at)
                else:
                    await outbox.record(DELIVER_TASK, {"message_id": message.id}, due_at=due_at)
    except IntegrityError:
        # The same send at the same time: the other one made it.
        return await Message.get(dedupe_key=key)
    return message


async def current_policy() -> MessagingPolicy:
    return (await snapshot.current()).messaging_policy  # type: ignore[return-value]


async def marketing_this_week(member_ids: list[int], at: datetime) -> dict[int, int]:
    """Marketing messages sent or due to each member in the week before `at` (the cap's count)."""
    rows = (
        await Message.filter(
            member_id__in=member_ids,
            purpose=MessagePurpose.MARKETING,
            status__in=[MessageStatus.SCHEDULED, MessageStatus.SENT],
            due_at__gt=at - WEEK,
        )
        .annotate(n=Count("id"))
        .group_by("member_id")
        .values_list("member_id", "n")
    )
    return dict(rows)


def decide(
    member: Member, purpose: MessagePurpose, policy: MessagingPolicy, at: datetime, recent: int
) -> tuple[MessageStatus, str, datetime]:
    """Status, reason and moment of a message to `member` at `at`, `recent` marketing messages
    into their week: marketing needs consent and room under the cap, and waits out quiet hours."""
    if member.erased_at is not None:
        return MessageStatus.SUPPRESSED, "member erased", at
    if purpose is MessagePurpose.SERVICE:
        return MessageStatus.SCHEDULED, "", at
    due_at = quiet_until(at, policy) or at
    if not member.marketing_consent:
        return MessageStatus.SUPPRESSED, "no marketing consent", due_at
    if recent >= policy.marketing_per_week:
        cap = f"weekly cap of {policy.marketing_per_week} marketing messages reached"
        return MessageStatus.SUPPRESSED, cap, due_at
    return MessageStatus.SCHEDULED, "", due_at


async def _deliver(message: Message, member: Member, at: datetime) -> None:
    """Into the inbox (and, through it, to the member's devices); by SMS as well where the
    member prefers it."""
    if message.purpose is MessagePurpose.MARKETING and not member.marketing_consent:
        # Withdrawn while the message waited for its moment.
        message.status, message.reason = MessageStatus.SUPPRESSED, "no marketing consent"
        await message.save(update_fields=["status", "reason"])
        return
    notification = Notification(
        message.kind, message.title, message.body, message.link, dict(message.data)
    )
    inbox_message, _ = await notifications.deliver(
        member.id, notification, dedupe_key=inbox_key(message.dedupe_key)
    )
    if message.channel is MessageChannel.SMS:
        await outbox.record(SMS_TASK, {"message_id": message.id})
    message.status, message.sent_at, message.inbox_message_id = (  # type: ignore[attr-defined]
        MessageStatus.SENT,
        at,
        inbox_message.id,
    )
    await message.save(update_fields=["status", "sent_at", "inbox_message_id"])


def inbox_key(dedupe_key: str) -> str:
    """The inbox copy's own dedupe key: a message's key may be any text its sender chose."""
    return f"message:{dedupe_key}"


async def deliver_due(payload: Mapping[str, Any]) -> MessageStatus | None:
    """The outbox task of a message scheduled for later: send it now, if still waiting."""
    now = datetime.now(UTC)
    async with in_transaction():
        message = await Message.filter(id=payload["message_id"]).select_for_update().first()
        if message is None or message.status is not MessageStatus.SCHEDULED:
            return None
        member = await Member.get(id=message.member_id)  # type: ignore[attr-defined]
        await _deliver(message, member, now)
    return message.status


@dataclass(frozen=True, slots=True)
class SmsRun:
    outcome: SmsOutcome | None  # None: nothing to send (sent before, or no such message)


async def send_sms(payload: Mapping[str, Any], sender: SmsSender) -> SmsRun:
    """The outbox task that texts a sent message to the member. A run after the provider took
    it sends nothing (its id is kept); one it could not reach now is tried again later."""
    message = await Message.get_or_none(id=payload["message_id"]).prefetch_related("member")
    if message is None or message.sms_id:
        return SmsRun(None)
    text = f"{message.title}\n{message.body}"
    result = await sender.send(message.member.phone, text, reference=message.id)
    if result.outcome is SmsOutcome.SENT:
        await Message.filter(id=message.id).update(sms_id=result.provider_id[:64] or "sent")
    elif result.outcome is SmsOutcome.RETRY and int(payload.get("round", 1)) < SMS_MAX_ROUNDS:
        await outbox.record(
            SMS_TASK,
            {"message_id": message.id, "round": int(payload.get("round", 1)) + 1},
            due_at=datetime.now(UTC) + timedelta(seconds=result.retry_after or SMS_RETRY_SECONDS),
        )
    else:
        await Message.filter(id=message.id).update(reason=f"SMS not sent: {result.error}"[:200])
    return SmsRun(result.outcome)
