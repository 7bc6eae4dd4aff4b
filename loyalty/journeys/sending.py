"""One journey's message to one member: the voucher it gives, then `messages.send`, which keeps
consent, the weekly cap and quiet hours, and sends nothing twice for one dedupe key."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from tortoise.transactions import in_transaction

from loyalty import notifications
from loyalty.journeys import manage, templates
from loyalty.journeys.occasions import Occasion
from loyalty.messaging import batch, messages
from loyalty.models import CouponCode, Journey, Member, Message, MessageStatus
from loyalty.notifications import Notification
from loyalty.programme import coupons

# Message's own limits; a long name could take a title past them.
TITLE_LENGTH, BODY_LENGTH = 200, 2000


@dataclass(frozen=True, slots=True)
class Sent:
    sent: int = 0  # sent, or waiting for the quiet hours to end
    held: int = 0  # held back: no consent, or the weekly cap

    def __add__(self, other: Sent) -> Sent:
        return Sent(self.sent + other.sent, self.held + other.held)


def dedupe_key(journey_id: int, occasion: Occasion) -> str:
    return f"journey:{journey_id}:{occasion.key}"


async def _plain(journey: Journey, member: Member, occasion: Occasion) -> Notification:
    """The message of a journey that gives no voucher."""
    title, body = await templates.words(journey, member, occasion.values)
    return notifications.message(
        journey.language.value, title=title[:TITLE_LENGTH], body=body[:BODY_LENGTH]
    )


async def send(journey: Journey, member: Member, occasion: Occasion, at: datetime) -> Message:
    if journey.coupon_id is None:  # type: ignore[attr-defined]
        return await messages.send(
            member.id,
            await _plain(journey, member, occasion),
            purpose=journey.purpose,
            dedupe_key=dedupe_key(journey.id, occasion),
            source=manage.source(journey.id),
            at=at,
        )
    title, body = await templates.words(journey, member, occasion.values)
    language = journey.language.value
    async with in_transaction():
        voucher = await coupons.issue_voucher(
            journey.coupon_id,  # type: ignore[attr-defined]
            member.id,
            at + timedelta(days=journey.voucher_days),
        )
        notification = notifications.offer(
            language,
            campaign_id=journey.id,
            title=title[:TITLE_LENGTH],
            body=body[: BODY_LENGTH - 40],  # room for the code
            coupon_code=voucher.code,
        )
        message = await messages.send(
            member.id,
            notification,
            purpose=journey.purpose,
            dedupe_key=dedupe_key(journey.id, occasion),
            source=manage.source(journey.id),
            at=at,
        )
        if (
            message.status is MessageStatus.SUPPRESSED
            or message.data.get("couponCode") != voucher.code
        ):
            # Held back, or sent before: a voucher the member would never hear of.
            await CouponCode.filter(id=voucher.id).delete()
    return message


async def send_all(journey: Journey, occasions: Sequence[Occasion], at: datetime) -> Sent:
    """Each occasion not messaged before (one look-up for the whole batch)."""
    keys = [dedupe_key(journey.id, occasion) for occasion in occasions]
    done = set(await Message.filter(dedupe_key__in=keys).values_list("dedupe_key", flat=True))
    todo = [o for o, key in zip(occasions, keys, strict=True) if key not in done]
    members = {m.id: m for m in await Member.filter(id__in={o.member_id for o in todo})}
    todo = [occasion for occasion in todo if occasion.member_id in members]
    if journey.coupon_id is None:  # type: ignore[attr-defined]
        # No voucher to give each: the whole batch in a handful of statements.
        outgoing = [
            messages.Outgoing(
                occasion.member_id,
                await _plain(journey, members[occasion.member_id], occasion),
                dedupe_key(journey.id, occasion),
            )
            for occasion in todo
        ]
        sent = await batch.send_batch(
            outgoing, purpose=journey.purpose, source=manage.source(journey.id), at=at
        )
        held = sum(message.status is MessageStatus.SUPPRESSED for message in sent)
        return Sent(sent=len(sent) - held, held=held)
    total = Sent()
    for occasion in todo:
        message = await send(journey, members[occasion.member_id], occasion, at)
        held = message.status is MessageStatus.SUPPRESSED
        total += Sent(held=1) if held else Sent(sent=1)
    return total
