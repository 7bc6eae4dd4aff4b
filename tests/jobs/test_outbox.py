"""The outbox and its two runners: arq on real Redis (a burst worker), and the in-process runner
`loyalty serve` uses without Redis. An event is recorded only with its write, never lost, never
acted on twice."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from tortoise.transactions import in_transaction

from jobs import dispatcher, local, tasks
from jobs.schedule import SCHEDULE, Scheduled, jobs_for
from jobs.sms import LogSender
from loyalty import outbox
from loyalty.errors import InvalidInput
from loyalty.models import OutboxEvent, Priority
from tests.arq_queue import burst, private_queue
from tests.conftest import empty_tables


class Effects:
    """A task with a side effect we can count: what a real task's dedupe must protect."""

    def __init__(self) -> None:
        self.seen: Counter[str] = Counter()
        self.order: list[str] = []
        self.fail_next = 0

    async def __call__(self, payload: Mapping[str, Any]) -> str:
        if self.fail_next:
            self.fail_next -= 1
            raise RuntimeError("the provider is down")
        self.seen[payload["what"]] += 1
        self.order.append(payload["what"])
        return payload["what"]


@pytest.fixture
def effects() -> Effects:
    return Effects()


def ctx(effects: Effects) -> dict[str, Any]:
    """What a runner hands its tasks: here a counting task beside the real ones."""
    return {"handlers": {**tasks.outbox_handlers(None, LogSender()), "count": effects}}


async def test_an_event_is_recorded_only_if_its_write_commits(effects: Effects) -> None:
    with pytest.raises(RuntimeError):
        async with in_transaction():
            await outbox.record("count", {"what": "rolled back"})
            raise RuntimeError("the write fails")
    async with in_transaction():
        await outbox.record("count", {"what": "committed"})

    assert await local.run_due_events(ctx(effects)) == 1
    assert effects.seen == {"committed": 1}


async def test_a_task_is_required() -> None:
    with pytest.raises(InvalidInput):
        await outbox.record("", {})
    assert await OutboxEvent.all().count() == 0


async def test_an_event_waits_until_it_is_due(effects: Effects) -> None:
    now = datetime.now(UTC)
    await outbox.record("count", {"what": "later"}, due_at=now + timedelta(hours=1))
    assert await local.run_due_events(ctx(effects), now) == 0
    assert await outbox.next_due_at() == now + timedelta(hours=1)
    assert await local.run_due_events(ctx(effects), now + timedelta(hours=1)) == 1
    assert effects.seen == {"later": 1}


async def test_an_event_taken_by_a_dispatcher_that_died_is_handed_over_again(
    effects: Effects,
) -> None:
    await outbox.record("count", {"what": "once"})
    now = datetime.now(UTC)
    taken = await outbox.due(now)  # ... and the dispatcher dies before queueing it
    assert len(taken) == 1
    assert await outbox.due(now + timedelta(seconds=30)) == []  # not yet: it may be queued

    later = now + outbox.REDISPATCH_AFTER + timedelta(seconds=1)
    assert await local.run_due_events(ctx(effects), later) == 1
    event = await OutboxEvent.get(id=taken[0].id)
    assert event.attempts == 2 and event.finished_at is not None
    assert effects.seen == {"once": 1}
    assert await local.run_due_events(ctx(effects), later + outbox.REDISPATCH_AFTER * 2) == 0


async def test_two_copies_of_a_job_act_once(effects: Effects) -> None:
    event_id = await outbox.record("count", {"what": "once"})
    ran = await asyncio.gather(*(tasks.run_outbox_event(ctx(effects), event_id) for _ in range(5)))
    assert sorted(ran) == [False, False, False, False, True]
    assert await tasks.run_outbox_event(ctx(effects), event_id) is False
    assert effects.seen == {"once": 1}


async def test_a_failed_run_is_retried_later_and_acts_once(effects: Effects) -> None:
    effects.fail_next = 1
    event_id = await outbox.record("count", {"what": "retried"})
    now = datetime.now(UTC)
    assert await local.run_due_events(ctx(effects), now) == 1  # fails, logged
    event = await OutboxEvent.get(id=event_id)
    assert event.finished_at is None and "provider is down" in event.last_error
    assert (
        await local.run_due_events(
            ctx(effects), now + outbox.REDISPATCH_AFTER + timedelta(seconds=1)
        )
        == 1
    )
    event = await OutboxEvent.get(id=event_id)
    assert event.finished_at is not None and event.last_error == ""
    assert effects.seen == {"retried": 1}


async def test_an_unknown_task_is_kept_with_its_error(effects: Effects) -> None:
    event_id = await outbox.record("no_such_task", {})
    with pytest.raises(LookupError):
        await tasks.run_outbox_event(ctx(effects), event_id)
    event = await OutboxEvent.get(id=event_id)
    assert event.finished_at is None and "no task named 'no_such_task'" in event.last_error


# --- the in-process runner --------------------------------------------------------------------


async def test_the_in_process_runner_runs_events_and_the_schedule(effects: Effects) -> None:
    ticks: list[datetime] = []

    async def tick(ctx: Mapping[str, Any]) -> None:
        ticks.append(datetime.now(UTC))

    every_second = Scheduled(tick, {"second": None})
    runner = local.InProcessRunner([every_second], UTC, ctx(effects), poll_seconds=0.05)
    runner.start()
    try:
        await outbox.record("count", {"what": "in process"})
        for _ in range(60):
            if effects.seen and len(ticks) >= 2:
                break
            await asyncio.sleep(0.05)
    finally:
        await runner.stop()
    assert effects.seen == {"in process": 1}
    assert len(ticks) >= 2


def test_the_schedule_without_redis_leaves_out_only_what_looks_after_redis() -> None:
    assert {s.name for s in SCHEDULE} - {s.name for s in jobs_for(False)} == {
        "rebuild_leaderboards"
    }
    assert {s.name for s in jobs_for(True)} == {
        "review_tiers",
        "expire_points",
        "reconcile_ledger",
        "rebuild_leaderboards",
        "draw_lotteries",
        "start_campaigns",
        "run_journeys",
        "fill_happy_calls",
        "analyse_members",
        "refresh_member_analysis",
        "refresh_report_rollups",
    }


def test_nightly_jobs_run_at_night_in_the_clubs_zone() -> None:
    expire = next(s for s in SCHEDULE if s.name == "expire_points")
    evening = datetime(2026, 3, 20, 22, 0, tzinfo=UTC).astimezone(ZoneInfo("Asia/Tehran"))
    at = expire.next_after(evening)
    assert (at.hour, at.minute, at.date().isoformat()) == (2, 0, "2026-03-21")


async def test_events_are_taken_by_priority_then_oldest_first(effects: Effects) -> None:
    now = datetime.now(UTC)
    await outbox.record("count", {"what": "chunk"}, priority=Priority.PREPARATION)
    pushes = [("count", {"what": f"push {i}"}, now) for i in range(3)]
    await outbox.record_many(pushes, priority=Priority.DELIVERY)
    await outbox.record("count", {"what": "receipt"})
    taken = await outbox.due(limit=2)
    assert [e.payload["what"] for e in taken] == ["receipt", "push 0"]
    await local.run_due_events(ctx(effects))
    assert effects.order == ["push 1", "push 2", "chunk"]


# --- arq on real Redis ------------------------------------------------------------------------


@pytest.fixture
async def queue() -> AsyncIterator[Any]:
    async with private_queue() as pool:
        yield pool


async def test_a_burst_worker_acts_on_what_the_dispatcher_queued(queue, effects) -> None:
    for what in ("a", "b", "c"):
        await outbox.record("count", {"what": what})
    assert await dispatcher.hand_over(queue) == 3
    assert await dispatcher.hand_over(queue) == 0
    worker = await burst(queue, ctx(effects))
    assert worker.jobs_complete == 3
    assert effects.seen == {"a": 1, "b": 1, "c": 1}
    assert await outbox.unfinished() == 0


async def test_jobs_run_by_priority_before_lower_ones_queued_earlier(queue, effects) -> None:
    """A campaign's chunks are in the queue; the pushes of the first chunk come, then a
    member's receipt: the receipt goes first, then the pushes, then the other chunks."""
    for i in range(3):
        await outbox.record("count", {"what": f"chunk {i}"}, priority=Priority.PREPARATION)
    assert await dispatcher.hand_over(queue) == 3
    await outbox.record("count", {"what": "pushes"}, priority=Priority.DELIVERY)
    assert await dispatcher.hand_over(queue) == 1
    await outbox.record("count", {"what": "receipt"})
    assert await dispatcher.hand_over(queue) == 1
    await burst(queue, ctx(effects), max_jobs=1)
    assert effects.order == ["receipt", "pushes", "chunk 0", "chunk 1", "chunk 2"]


async def test_a_job_queued_twice_acts_once(queue, effects) -> None:
    """The dispatcher queued an event and died before it knew; the event was queued again
    once stale. Both jobs run; the side effect happens once."""
    await outbox.record("count", {"what": "once"})
    now = datetime.now(UTC)
    assert await dispatcher.hand_over(queue, now) == 1
    assert await dispatcher.hand_over(queue, now + outbox.REDISPATCH_AFTER * 2) == 1
    worker = await burst(queue, ctx(effects))
    assert worker.jobs_complete == 2
    assert effects.seen == {"once": 1}


async def test_redis_down_loses_nothing(queue, effects) -> None:
    import socket

    from arq.connections import ArqRedis
    from redis.exceptions import ConnectionError as RedisConnectionError

    await outbox.record("count", {"what": "kept"})
    with socket.socket() as probe:  # a port nothing listens on: Redis is down
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    down = ArqRedis(host="127.0.0.1", port=port, default_queue_name=queue.default_queue_name)
    try:
        with pytest.raises(RedisConnectionError):
            await dispatcher.hand_over(down)
    finally:
        await down.aclose()
    event = await OutboxEvent.get()
    assert event.dispatched_at is None  # handed back for the next pass
    assert await dispatcher.hand_over(queue) == 1
    await burst(queue, ctx(effects))
    assert effects.seen == {"kept": 1}


async def test_event_ids_starting_again_on_the_same_redis_are_still_run(queue, effects) -> None:
    """Another database (a restore, another club) numbers its events from 1 again, while Redis
    still holds the results of the jobs that ran events 1, 2, …"""
    first = await outbox.record("count", {"what": "before"})
    await dispatcher.hand_over(queue)
    await burst(queue, ctx(effects))
    await empty_tables()  # ids restart
    again = await outbox.record("count", {"what": "after"})
    assert again == first
    assert await dispatcher.hand_over(queue) == 1
    await burst(queue, ctx(effects))
    assert effects.seen == {"before": 1, "after": 1}
