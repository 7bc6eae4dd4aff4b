"""The same journeys under both runners: in-process (`loyalty serve` without Redis) and a burst
arq worker on real Redis, with the outbox's dispatcher between them and the database."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import date, datetime
from typing import Any

import pytest

from jobs import dispatcher, local, tasks
from jobs.schedule import SCHEDULE
from jobs.sms import LogSender
from jobs.worker import FUNCTIONS
from loyalty.models import InboxMessage, JourneyKind, Message, MessagePurpose, MessageStatus
from tests import factories as f
from tests.arq_queue import burst, private_queue
from tests.journeys.support import at, messages_of, shop

# Days after the journeys begin (they begin when the test runs): no test waits for a date.
BIRTHDAY = date(2099, 12, 5)

# Runs the journeys as of a moment, then every outbox event due by then.
Runner = Callable[[datetime], Awaitable[None]]


def ctx() -> dict[str, Any]:
    return {"handlers": tasks.outbox_handlers(None, LogSender())}


@pytest.fixture
def in_process() -> Runner:
    async def run(moment: datetime) -> None:
        await tasks.run_journeys(ctx(), moment.isoformat())
        while await local.run_due_events(ctx(), moment):
            pass

    return run


@pytest.fixture
async def on_arq() -> AsyncIterator[Runner]:
    functions = [*FUNCTIONS, tasks.run_journeys]
    async with private_queue() as pool:

        async def run(moment: datetime) -> None:
            await pool.enqueue_job("run_journeys", moment.isoformat())
            await burst(pool, ctx(), functions)
            while await dispatcher.hand_over(pool, moment):
                await burst(pool, ctx(), functions)

        yield run


@pytest.fixture(params=["in_process", "on_arq"])
def runner(request: pytest.FixtureRequest) -> Runner:
    return request.getfixturevalue(request.param)


async def test_journeys_run_once_whatever_runs_them(runner: Runner) -> None:
    club = await shop()
    welcome = await club.journey(
        JourneyKind.WELCOME, "{first_name} عزیز، خوش آمدید", purpose=MessagePurpose.SERVICE
    )
    birthday = await club.journey(JourneyKind.BIRTHDAY, "{first_name} جان، تولدت مبارک")
    sara = await f.member("سارا", birthday=date(1990, 12, 5), marketing_consent=True)
    reza = await f.member("رضا", birthday=date(1991, 12, 5))  # no consent

    night = at(BIRTHDAY, 1)
    await runner(night)
    await runner(night)  # the same day again: nothing new
    [greeted_sara, greeted_reza] = await messages_of(welcome)
    assert {greeted_sara.member_id, greeted_reza.member_id} == {sara.id, reza.id}  # type: ignore[attr-defined]
    waiting, held = await messages_of(birthday)
    assert (waiting.member_id, waiting.status) == (sara.id, MessageStatus.SCHEDULED)  # type: ignore[attr-defined]
    assert (held.member_id, held.status) == (reza.id, MessageStatus.SUPPRESSED)  # type: ignore[attr-defined]

    await runner(at(BIRTHDAY, 9))  # the quiet hours are over
    await runner(at(BIRTHDAY, 10))
    assert (await Message.get(id=waiting.id)).status is MessageStatus.SENT
    inbox = (
        await InboxMessage.filter(member_id=sara.id).order_by("id").values_list("body", flat=True)
    )
    assert inbox == ["سارا عزیز، خوش آمدید", "سارا جان، تولدت مبارک"]
    assert await Message.all().count() == 4


def test_the_journeys_run_every_ten_minutes() -> None:
    [scheduled] = [s for s in SCHEDULE if s.name == "run_journeys"]
    after = scheduled.next_after(datetime(2026, 12, 5, 0, 3, 59))
    assert (after.hour, after.minute, after.second) == (0, 10, 20)
