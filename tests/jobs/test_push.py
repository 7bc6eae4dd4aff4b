"""Push end to end: a message kept in the inbox is pushed once to each of the member's devices
by the outbox job, through the real firebase-admin to the FCM stand-in; dead tokens are
forgotten, throttled devices are tried again by a later event of their own."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from jobs import local, tasks
from jobs.fcm import push_sender
from jobs.sms import LogSender
from loyalty import devices, notifications
from loyalty.actors import Actor
from loyalty.messaging import batch, messages
from loyalty.models import (
    Device,
    InboxMessage,
    Language,
    MessagePurpose,
    OutboxEvent,
    Priority,
)
from loyalty.notifications import PUSH_TASK
from loyalty.settings import get_settings
from tests import factories
from tests.standins.fcm import FcmStandin

pytestmark = pytest.mark.usefixtures("loopback_only")


@pytest.fixture
def firebase(
    monkeypatch: pytest.MonkeyPatch, standin: FcmStandin, account: Path
) -> Iterator[dict[str, Any]]:
    """The club configured for push to the stand-in; the runners' handlers with its sender."""
    monkeypatch.setenv("LOYALTY_FIREBASE_CREDENTIALS", str(account))
    monkeypatch.setenv("LOYALTY_FCM_URL", standin.url)
    get_settings.cache_clear()
    yield {"handlers": tasks.outbox_handlers(push_sender(get_settings()), LogSender())}
    monkeypatch.undo()
    get_settings.cache_clear()


async def member_with_phones(*tokens: str):
    member = await factories.member(marketing_consent=True)
    for token in tokens:
        await devices.register(Actor.member(member.id), token=token, platform="android")
    return member


TIER_UP = notifications.tier_upgraded(
    Language.FA, tier_id=2, tier_name="طلایی", multiplier_percent=150
)


async def test_a_notification_is_pushed_once_to_every_device(firebase, standin) -> None:
    member = await member_with_phones("phone-a", "phone-b")
    sent = await messages.send(
        member.id, TIER_UP, purpose=MessagePurpose.SERVICE, dedupe_key="tier:2"
    )
    [event] = await OutboxEvent.filter(task=PUSH_TASK)
    assert event.payload == {"message_ids": [sent.inbox_message_id]}  # type: ignore[attr-defined]
    assert event.priority is Priority.MEMBER  # ahead of any campaign

    assert await local.run_due_events(firebase) == 1
    assert standin.delivered() == {"phone-a": 1, "phone-b": 1}
    [received, _] = standin.received
    assert received.message["notification"]["title"] == sent.title

    # arq ran the job again: nobody gets it twice.
    assert await tasks.run_outbox_event(firebase, event.id) is False
    assert standin.delivered() == {"phone-a": 1, "phone-b": 1}


async def test_dead_tokens_are_forgotten_and_throttled_ones_retried(firebase, standin) -> None:
    standin.dead_tokens.add("old-phone")
    standin.fail("busy-phone", *[429] * 10)  # beyond the sender's own retries
    member = await member_with_phones("old-phone", "busy-phone", "new-phone")
    await notifications.deliver(member.id, TIER_UP, dedupe_key="tier:2")

    assert await local.run_due_events(firebase) == 1
    assert standin.delivered() == {"new-phone": 1}
    active = await Device.filter(member_id=member.id, active=True).values_list("token", flat=True)
    assert sorted(active) == ["busy-phone", "new-phone"]
    retry = await OutboxEvent.get(task=PUSH_TASK, finished_at=None)
    message = await InboxMessage.get(member_id=member.id)
    assert retry.payload == {"targets": [[message.id, "busy-phone"]], "round": 2}

    standin._scripted.clear()  # FCM lets it through now
    assert await local.run_due_events(firebase, retry.due_at) == 1
    assert standin.delivered() == {"new-phone": 1, "busy-phone": 1}


async def test_without_firebase_notifications_stay_in_the_inbox() -> None:
    member = await member_with_phones("phone-a")
    await notifications.deliver(member.id, TIER_UP, dedupe_key="tier:2")
    assert await InboxMessage.filter(member_id=member.id).count() == 1
    assert await OutboxEvent.filter(task=PUSH_TASK).count() == 0


async def test_a_batch_of_messages_is_pushed_by_one_event(firebase, standin) -> None:
    people = [await member_with_phones(f"phone-{n}") for n in range(3)]
    night_owl = await factories.member()  # no consent: held back, never pushed
    chunk = [
        messages.Outgoing(member.id, TIER_UP, f"campaign:1:{member.id}")
        for member in [*people, night_owl]
    ]
    noon = datetime.fromisoformat("2026-11-23T12:00+03:30")  # outside quiet hours
    send = {"purpose": MessagePurpose.MARKETING, "source": "campaign:1", "at": noon}
    sent = await batch.send_batch(chunk, **send)
    assert [m.status.value for m in sent] == ["sent", "sent", "sent", "suppressed"]
    [event] = await OutboxEvent.filter(task=PUSH_TASK)
    assert len(event.payload["message_ids"]) == 3
    assert event.priority is Priority.DELIVERY  # behind single members' pushes

    # The same chunk again (the campaign job ran twice): nothing new, no second push event.
    await batch.send_batch(chunk, **send)
    assert await OutboxEvent.filter(task=PUSH_TASK).count() == 1

    assert await local.run_due_events(firebase) == 1
    assert standin.delivered() == {"phone-0": 1, "phone-1": 1, "phone-2": 1}


async def test_the_retry_of_a_mass_push_stays_behind_single_members(firebase, standin) -> None:
    people = [await member_with_phones(f"phone-{n}") for n in range(2)]
    standin.fail("phone-1", *[429] * 10)
    chunk = [messages.Outgoing(m.id, TIER_UP, f"campaign:1:{m.id}") for m in people]
    noon = datetime.fromisoformat("2026-11-23T12:00+03:30")
    await batch.send_batch(chunk, purpose=MessagePurpose.MARKETING, source="campaign:1", at=noon)
    assert await local.run_due_events(firebase) == 1
    retry = await OutboxEvent.get(task=PUSH_TASK, finished_at=None)
    assert retry.priority is Priority.DELIVERY and retry.payload["round"] == 2
