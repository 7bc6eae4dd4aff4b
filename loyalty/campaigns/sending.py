"""Sending a campaign: when it is due its audience is chosen and split, then its treatment group
is sent in chunks, one outbox event a chunk.

- `start_due` (a job every minute) starts each campaign whose moment came, in one
  transaction: the audience as the segment holds it now (a snapshot: members joining later
  are not in it), the holdout drawn from a new seed, the treatment group numbered into chunks
  of `CHUNK`, and an event for each chunk. A start cut short leaves nothing; the next minute's
  job starts it again.
- `send_chunk` (the event's task) sends one chunk through `messaging.batch.send_batch`, in one
  transaction with the recipients' record: several workers send different chunks side by
  side, a chunk run twice finds its recipients done and sends nothing, a crash in it rolls
  it back for a retry. Marketing chunks keep out of the club's quiet hours: one that comes up
  in them waits for their end.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

from tortoise.expressions import F
from tortoise.transactions import in_transaction

from loyalty import notifications, outbox, sql
from loyalty.campaigns import holdout, segments, templates
from loyalty.messaging import batch, messages
from loyalty.models import (
    Campaign,
    CampaignRecipient,
    CampaignStatus,
    CouponCode,
    Member,
    MessagePurpose,
    MessageStatus,
    Priority,
    RecipientGroup,
    SavedSegment,
)
from loyalty.programme import coupons, snapshot
from loyalty.programme.policies import MessagingPolicy

CHUNK_TASK = "campaign_chunk"
CHUNK = 500  # members a chunk sends to: one transaction, one push batch
_INSERT_ROWS = 1000
_RECIPIENT_COLUMNS = ("campaign_id", "member_id", '"group"', "chunk")
# A voucher promised in a message held back is withdrawn at once: nobody saw its code.
_HELD_BACK = (MessageStatus.SUPPRESSED, MessageStatus.FAILED)


def source_of(campaign_id: int) -> str:
    """What the campaign's messages record as their source."""
    return f"campaign:{campaign_id}"


async def _policy() -> MessagingPolicy:
    return (await snapshot.current()).messaging_policy  # type: ignore[return-value]


async def start_due(now: datetime | None = None) -> int:
    """Start every scheduled campaign whose moment has come; returns how many started."""
    now = (now or datetime.now(UTC)).astimezone(UTC)
    due = await Campaign.filter(status=CampaignStatus.SCHEDULED, scheduled_at__lte=now).values_list(
        "id", flat=True
    )
    started = 0
    for campaign_id in due:
        started += await start(campaign_id, now)
    return started


async def start(campaign_id: int, now: datetime) -> bool:
    """Choose the audience of a due campaign and queue its chunks; False if it is not due or
    another run started it."""
    async with in_transaction():
        # The row lock this takes keeps a second start (and a manager's change) waiting.
        taken = await Campaign.filter(
            id=campaign_id, status=CampaignStatus.SCHEDULED, scheduled_at__lte=now
        ).update(status=CampaignStatus.SENDING, started_at=now, version=F("version") + 1)
        if not taken:
            return False
        campaign = await Campaign.get(id=campaign_id)
        if campaign.saved_segment_id is not None:
            # The saved segment as it is now; kept on the campaign as the audience's definition.
            saved = await SavedSegment.get(id=campaign.saved_segment_id)
            campaign.segment = saved.definition
            await Campaign.filter(id=campaign_id).update(segment=saved.definition)
        audience = [
            member_id
            async for batch in segments.member_ids(segments.parse(campaign.segment), now)
            for member_id in batch
        ]
        seed = holdout.new_seed()
        held = holdout.draw(audience, campaign.holdout_percent, seed)
        treatment = [member_id for member_id in audience if member_id not in held]
        await _record_recipients(campaign_id, treatment, sorted(held))
        chunks = -(-len(treatment) // CHUNK)
        due = messages.quiet_until(now, await _policy()) or now
        for chunk in range(chunks):
            await outbox.record(
                CHUNK_TASK,
                {"campaign_id": campaign_id, "chunk": chunk},
                due_at=due,
                priority=Priority.PREPARATION,
            )
        finished = {"status": CampaignStatus.SENT, "finished_at": now} if not chunks else {}
        await Campaign.filter(id=campaign_id).update(
            seed=seed, audience=len(audience), holdout=len(held), chunks=chunks, **finished
        )
    return True


async def _record_recipients(
    campaign_id: int, treatment: Sequence[int], held: Sequence[int]
) -> None:
    rows = [
        (campaign_id, member_id, RecipientGroup.TREATMENT.value, index // CHUNK)
        for index, member_id in enumerate(treatment)
    ] + [(campaign_id, member_id, RecipientGroup.HOLDOUT.value, None) for member_id in held]
    for first in range(0, len(rows), _INSERT_ROWS):
        await sql.fetch(
            *sql.insert_statement(
                "campaign_recipient", _RECIPIENT_COLUMNS, rows[first : first + _INSERT_ROWS]
            )
        )


class ChunkOutcome(StrEnum):
    SENT = "sent"
    DONE_BEFORE = "done_before"  # a second run of the same chunk
    WAITING = "waiting"  # quiet hours: queued again for their end
    STOPPED = "stopped"  # the campaign was cancelled (or is gone)


@dataclass(frozen=True, slots=True)
class ChunkRun:
    outcome: ChunkOutcome
    messages: int = 0


class _Cancelled(Exception):
    """Raised inside a chunk's transaction to roll it back."""


async def send_chunk(payload: Mapping[str, Any], now: datetime | None = None) -> ChunkRun:
    """The outbox task of one chunk."""
    now = (now or datetime.now(UTC)).astimezone(UTC)
    campaign_id, chunk = int(payload["campaign_id"]), int(payload["chunk"])
    campaign = await Campaign.get_or_none(id=campaign_id)
    if campaign is None or campaign.status is not CampaignStatus.SENDING:
        return ChunkRun(ChunkOutcome.STOPPED)
    if campaign.purpose is MessagePurpose.MARKETING:
        later = messages.quiet_until(now, await _policy())
        if later is not None:
            await outbox.record(CHUNK_TASK, payload, due_at=later, priority=Priority.PREPARATION)
            return ChunkRun(ChunkOutcome.WAITING)
    try:
        async with in_transaction():
            sent = await _send(campaign, chunk, now)
            if not sent:
                return ChunkRun(ChunkOutcome.DONE_BEFORE)
            await _count_done(campaign_id, now)
    except _Cancelled:
        return ChunkRun(ChunkOutcome.STOPPED)
    return ChunkRun(ChunkOutcome.SENT, sent)


async def _send(campaign: Campaign, chunk: int, now: datetime) -> int:
    """Message the chunk's members not messaged yet; how many. Call inside its transaction."""
    # Locked: a second run of the chunk waits here, then finds them messaged (PostgreSQL).
    recipients = (
        await CampaignRecipient.filter(campaign_id=campaign.id, chunk=chunk, message_id=None)
        .order_by("member_id")
        .select_for_update()
    )
    if not recipients:
        return 0
    members = {m.id: m for m in await Member.filter(id__in=[r.member_id for r in recipients])}  # type: ignore[attr-defined]
    vouchers: dict[int, CouponCode] = {}
    if campaign.coupon_id is not None:  # type: ignore[attr-defined]
        expires_at = now + timedelta(days=campaign.voucher_days)
        for recipient in recipients:
            member_id = recipient.member_id  # type: ignore[attr-defined]
            vouchers[member_id] = await coupons.issue_voucher(
                campaign.coupon_id,  # type: ignore[attr-defined]
                member_id,
                expires_at,
            )
    outgoing = [
        messages.Outgoing(
            member.id,
            _notification(campaign, member, vouchers.get(member.id)),
            f"{source_of(campaign.id)}:{member.id}",
        )
        for member in (members[r.member_id] for r in recipients)  # type: ignore[attr-defined]
    ]
    sent = await batch.send_batch(
        outgoing, purpose=campaign.purpose, source=source_of(campaign.id), at=now
    )
    kept: dict[int, tuple[int, int | None]] = {}  # by recipient: message, voucher
    withdrawn = []
    for recipient, message in zip(recipients, sent, strict=True):
        voucher = vouchers.get(message.member_id)  # type: ignore[attr-defined]
        if voucher is not None and message.status in _HELD_BACK:
            withdrawn.append(voucher.id)
            voucher = None
        kept[recipient.id] = (message.id, voucher.id if voucher else None)
    await sql.fetch(*_record_sent(kept))
    if withdrawn:
        await CouponCode.filter(id__in=withdrawn).delete()
    return len(sent)


def _record_sent(kept: Mapping[int, tuple[int, int | None]]) -> sql.Statement:
    """One UPDATE for the chunk: each recipient's message and voucher."""
    cases = {"message_id": "", "voucher_id": ""}
    params: list[object] = []
    for column, index in (("message_id", 0), ("voucher_id", 1)):
        for recipient_id, values in kept.items():
            cases[column] += " WHEN ? THEN CAST(? AS BIGINT)"
            params += [recipient_id, values[index]]
    ids = list(kept)
    return (
        f"UPDATE campaign_recipient SET message_id = CASE id{cases['message_id']} END, "
        f"voucher_id = CASE id{cases['voucher_id']} END "
        f"WHERE id IN ({', '.join('?' * len(ids))})",
        [*params, *ids],
    )


def _notification(
    campaign: Campaign, member: Member, voucher: CouponCode | None
) -> notifications.Notification:
    return notifications.offer(
        member.language,
        campaign_id=campaign.id,
        title=templates.render(campaign.title, member, 200),
        body=templates.render(campaign.body, member, 1900),
        coupon_code=voucher.code if voucher else None,
    )


async def _count_done(campaign_id: int, now: datetime) -> None:
    """One more chunk sent; the last one finishes the campaign. Rolls the chunk back if the
    campaign was cancelled meanwhile."""
    if not await Campaign.filter(id=campaign_id, status=CampaignStatus.SENDING).update(
        chunks_done=F("chunks_done") + 1
    ):
        raise _Cancelled
    campaign = await Campaign.get(id=campaign_id)
    if campaign.chunks_done >= campaign.chunks:
        await Campaign.filter(id=campaign_id).update(
            status=CampaignStatus.SENT, finished_at=now, version=F("version") + 1
        )
