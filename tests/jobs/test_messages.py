"""Messages to members: dedupe, consent, the weekly cap and quiet hours (for marketing only),
the inbox always, and SMS through the real Kavenegar adapter for members who prefer it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, time, timedelta
from typing import Any

import pytest

from jobs import local, tasks
from jobs.sms import KavenegarSender, LogSender
from loyalty import members
from loyalty.actors import SYSTEM
from loyalty.errors import InvalidInput, NotFound
from loyalty.members import Profile
from loyalty.messaging import batch, messages
from loyalty.models import (
    InboxMessage,
    Member,
    Message,
    MessageChannel,
    MessagePurpose,
    MessageStatus,
    OutboxEvent,
)
from loyalty.notifications import Notification
from loyalty.programme import policies
from loyalty.programme.policies import MessagingPolicy
from tests import factories
from tests.standins.kavenegar import KavenegarStandIn, running_kavenegar

TEHRAN = "+03:30"
NOON = datetime.fromisoformat(f"2026-11-23T12:00{TEHRAN}")
HELLO = Notification("message", "سلام سارا", "زمان تعویض روغن خودروی شما نزدیک است", "app://")
MARKETING, SERVICE = MessagePurpose.MARKETING, MessagePurpose.SERVICE


async def consenting(**profile: Any) -> Member:
    return await factories.member(marketing_consent=True, **profile)


def ctx(sms: Any = None) -> dict[str, Any]:
    return {"handlers": tasks.outbox_handlers(None, sms or LogSender())}


async def test_a_message_goes_to_the_inbox_once_whatever_the_retries() -> None:
    member = await consenting()
    first = await messages.send(member.id, HELLO, purpose=MARKETING, dedupe_key="oil:1", at=NOON)
    again = await messages.send(member.id, HELLO, purpose=MARKETING, dedupe_key="oil:1", at=NOON)
    assert again.id == first.id
    assert first.status is MessageStatus.SENT and first.sent_at == NOON
    inbox = await InboxMessage.filter(member_id=member.id)
    assert [(m.title, m.body) for m in inbox] == [(HELLO.title, HELLO.body)]
    assert first.inbox_message_id == inbox[0].id  # type: ignore[attr-defined]


async def test_marketing_needs_consent_and_service_does_not() -> None:
    member = await factories.member()
    held = await messages.send(member.id, HELLO, purpose=MARKETING, dedupe_key="m", at=NOON)
    receipt = await messages.send(member.id, HELLO, purpose=SERVICE, dedupe_key="s", at=NOON)
    assert (held.status, held.reason) == (MessageStatus.SUPPRESSED, "no marketing consent")
    assert receipt.status is MessageStatus.SENT
    assert await InboxMessage.filter(member_id=member.id).count() == 1


async def test_the_weekly_cap_counts_marketing_over_seven_days() -> None:
    manager = await factories.manager()
    await policies.save(manager, "messaging", {"marketing_per_week": 2})
    member = await consenting()
    sent = [
        await messages.send(member.id, HELLO, purpose=MARKETING, dedupe_key=f"w{day}", at=at)
        for day, at in enumerate([NOON, NOON + timedelta(days=1), NOON + timedelta(days=2)])
    ]
    assert [m.status for m in sent] == [MessageStatus.SENT] * 2 + [MessageStatus.SUPPRESSED]
    assert "weekly cap of 2" in sent[2].reason
    receipt = await messages.send(
        member.id, HELLO, purpose=SERVICE, dedupe_key="r", at=NOON + timedelta(days=2)
    )
    assert receipt.status is MessageStatus.SENT  # service messages are not counted
    a_week_on = await messages.send(
        member.id, HELLO, purpose=MARKETING, dedupe_key="w7", at=NOON + timedelta(days=7)
    )
    assert a_week_on.status is MessageStatus.SENT


@pytest.mark.parametrize(
    ("local", "until"),
    [
        ("20:59", None),
        ("21:00", "2026-11-24T09:00"),
        ("23:30", "2026-11-24T09:00"),
        ("03:00", "2026-11-23T09:00"),
        ("08:59", "2026-11-23T09:00"),
        ("09:00", None),
    ],
)
def test_quiet_hours_end_in_the_morning_in_the_clubs_zone(local: str, until: str | None) -> None:
    at = datetime.fromisoformat(f"2026-11-23T{local}{TEHRAN}")
    ends = messages.quiet_until(at, MessagingPolicy())
    expected = None if until is None else datetime.fromisoformat(f"{until}{TEHRAN}")
    assert ends == expected


def test_quiet_hours_within_one_day_and_none() -> None:
    lunch = MessagingPolicy(quiet_from=time(13), quiet_until=time(15))
    assert messages.quiet_until(NOON, lunch) is None
    at = NOON + timedelta(hours=1, minutes=30)
    assert messages.quiet_until(at, lunch) == NOON + timedelta(hours=3)
    always = MessagingPolicy(quiet_from=time(0), quiet_until=time(0))
    assert messages.quiet_until(NOON - timedelta(hours=12), always) is None


async def test_a_marketing_message_at_night_waits_for_the_morning() -> None:
    member = await consenting()
    night = datetime.fromisoformat(f"2026-11-23T23:00{TEHRAN}")
    morning = datetime.fromisoformat(f"2026-11-24T09:00{TEHRAN}")
    waiting = await messages.send(member.id, HELLO, purpose=MARKETING, dedupe_key="n", at=night)
    otp = await messages.send(member.id, HELLO, purpose=SERVICE, dedupe_key="o", at=night)
    assert (waiting.status, waiting.due_at) == (MessageStatus.SCHEDULED, morning)
    assert otp.status is MessageStatus.SENT  # service messages go at any hour
    assert await InboxMessage.filter(member_id=member.id).count() == 1

    assert await local.run_due_events(ctx(), morning - timedelta(seconds=1)) == 0
    assert await local.run_due_events(ctx(), morning) == 1
    waiting = await Message.get(id=waiting.id)
    assert waiting.status is MessageStatus.SENT
    assert await InboxMessage.filter(member_id=member.id).count() == 2


async def test_consent_withdrawn_overnight_holds_the_message_back() -> None:
    member = await consenting()
    night = datetime.fromisoformat(f"2026-11-23T23:00{TEHRAN}")
    waiting = await messages.send(member.id, HELLO, purpose=MARKETING, dedupe_key="n", at=night)
    await members.update_profile(SYSTEM, member.id, Profile(marketing_consent=False))
    assert await local.run_due_events(ctx(), waiting.due_at) == 1
    waiting = await Message.get(id=waiting.id)
    assert (waiting.status, waiting.reason) == (MessageStatus.SUPPRESSED, "no marketing consent")
    assert await InboxMessage.filter(member_id=member.id).count() == 0


async def test_bad_sends_are_refused_and_change_nothing() -> None:
    member = await consenting()
    with pytest.raises(InvalidInput):
        await messages.send(member.id, HELLO, purpose=SERVICE, dedupe_key="")
    with pytest.raises(NotFound):
        await messages.send(member.id + 1000, HELLO, purpose=SERVICE, dedupe_key="x")
    assert await Message.all().count() == 0 and await OutboxEvent.all().count() == 0


# --- SMS, for members who prefer it -----------------------------------------------------------


@pytest.fixture(scope="module")
def kavenegar() -> Iterator[KavenegarStandIn]:
    with running_kavenegar() as stand_in:
        yield stand_in


@pytest.fixture
async def texts(kavenegar: KavenegarStandIn):
    kavenegar.reset()
    sender = KavenegarSender(kavenegar.api_key, base_url=kavenegar.url, backoff=0.01)
    yield sender
    await sender.aclose()


async def test_a_member_who_prefers_sms_gets_one_text_and_the_inbox(kavenegar, texts) -> None:
    member = await consenting(preferred_channel=MessageChannel.SMS)
    sent = await messages.send(member.id, HELLO, purpose=MARKETING, dedupe_key="sms", at=NOON)
    assert sent.channel is MessageChannel.SMS and sent.status is MessageStatus.SENT
    assert await local.run_due_events(ctx(texts)) == 1
    [text] = kavenegar.delivered
    assert text.receptor == "0" + member.phone.removeprefix("+98")
    assert text.message == f"{HELLO.title}\n{HELLO.body}"  # Persian intact
    assert text.localid == str(sent.id)  # the provider refuses a second copy
    assert (await Message.get(id=sent.id)).sms_id == str(text.messageid)

    # The same job again (arq ran it twice): nothing more leaves.
    event = await OutboxEvent.get(task=messages.SMS_TASK)
    await OutboxEvent.filter(id=event.id).update(finished_at=None, started_at=None)
    await tasks.run_outbox_event(ctx(texts), event.id)
    assert len(kavenegar.delivered) == 1
    assert await InboxMessage.filter(member_id=member.id).count() == 1


async def test_a_text_the_provider_could_not_take_is_tried_again_later(kavenegar, texts) -> None:
    member = await consenting(preferred_channel=MessageChannel.SMS)
    kavenegar.fail_next(502, 502, 502)  # every quick retry of the first run
    sent = await messages.send(member.id, HELLO, purpose=SERVICE, dedupe_key="r", at=NOON)
    assert await local.run_due_events(ctx(texts)) == 1
    assert kavenegar.delivered == []
    retry = await OutboxEvent.get(task=messages.SMS_TASK, finished_at=None)
    assert retry.payload == {"message_id": sent.id, "round": 2}
    assert await local.run_due_events(ctx(texts), retry.due_at) == 1
    assert len(kavenegar.delivered) == 1


async def test_a_text_refused_for_good_is_noted(kavenegar, texts) -> None:
    member = await consenting(preferred_channel=MessageChannel.SMS)
    kavenegar.fail_receptor("0" + member.phone.removeprefix("+98"), 411)
    sent = await messages.send(member.id, HELLO, purpose=SERVICE, dedupe_key="x", at=NOON)
    assert await local.run_due_events(ctx(texts)) == 1
    noted = await Message.get(id=sent.id)
    assert noted.sms_id == "" and noted.reason.startswith("SMS not sent: kavenegar 411")
    assert await OutboxEvent.filter(finished_at=None).count() == 0  # not retried


async def test_the_preferred_channel_is_part_of_the_profile() -> None:
    member = await factories.member()
    assert member.preferred_channel is MessageChannel.PUSH
    await members.update_profile(SYSTEM, member.id, Profile(preferred_channel=MessageChannel.SMS))
    assert (await Member.get(id=member.id)).preferred_channel is MessageChannel.SMS


# --- many at once -------------------------------------------------------------------------------


async def test_a_batch_keeps_every_rule_of_a_single_send(kavenegar, texts) -> None:
    manager = await factories.manager()
    await policies.save(manager, "messaging", {"marketing_per_week": 1})
    pushed, texted, unwilling, capped = [
        await consenting(),
        await consenting(preferred_channel=MessageChannel.SMS),
        await factories.member(),
        await consenting(),
    ]
    await messages.send(capped.id, HELLO, purpose=MARKETING, dedupe_key="earlier", at=NOON)
    chunk = [
        messages.Outgoing(m.id, HELLO, f"c:{m.id}") for m in (pushed, texted, unwilling, capped)
    ]
    sent = await batch.send_batch([*chunk, chunk[0]], purpose=MARKETING, source="c", at=NOON)
    assert [(m.status.value, m.reason) for m in sent] == [
        ("sent", ""),
        ("sent", ""),
        ("suppressed", "no marketing consent"),
        ("suppressed", "weekly cap of 1 marketing messages reached"),
        ("sent", ""),  # the same key twice in a batch is one message
    ]
    assert sent[0].id == sent[4].id and sent[1].channel is MessageChannel.SMS
    for message in sent[:2]:
        inbox = await InboxMessage.get(id=message.inbox_message_id)  # type: ignore[attr-defined]
        assert (inbox.member_id, inbox.body) == (message.member_id, HELLO.body)  # type: ignore[attr-defined]
    assert await local.run_due_events(ctx(texts)) == 1  # the SMS
    assert [text.localid for text in kavenegar.delivered] == [str(sent[1].id)]

    again = await batch.send_batch(chunk, purpose=MARKETING, source="c", at=NOON)
    assert [m.id for m in again] == [m.id for m in sent[:4]]
    assert await InboxMessage.all().count() == 3 and await OutboxEvent.all().count() == 1


async def test_a_batch_at_night_waits_for_the_morning() -> None:
    member = await consenting()
    night = datetime.fromisoformat(f"2026-11-23T23:00{TEHRAN}")
    [waiting] = await batch.send_batch(
        [messages.Outgoing(member.id, HELLO, "n")], purpose=MARKETING, at=night
    )
    assert waiting.status is MessageStatus.SCHEDULED
    assert await local.run_due_events(ctx(), waiting.due_at) == 1
    assert (await Message.get(id=waiting.id)).status is MessageStatus.SENT
    assert await InboxMessage.filter(member_id=member.id).count() == 1


async def test_a_bad_batch_changes_nothing() -> None:
    member = await consenting()
    with pytest.raises(NotFound):
        await batch.send_batch(
            [
                messages.Outgoing(member.id, HELLO, "a"),
                messages.Outgoing(member.id + 99, HELLO, "b"),
            ],
            purpose=SERVICE,
        )
    too_many = [messages.Outgoing(member.id, HELLO, f"k{n}") for n in range(batch.MAX_BATCH + 1)]
    with pytest.raises(InvalidInput):
        await batch.send_batch(too_many, purpose=SERVICE)
    empty_title = Notification("message", "", "body", "")
    with pytest.raises(InvalidInput):
        await batch.send_batch([messages.Outgoing(member.id, empty_title, "t")], purpose=SERVICE)
    assert await Message.all().count() == 0 and await InboxMessage.all().count() == 0
