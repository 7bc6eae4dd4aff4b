"""Moves due outbox events to arq, one job per hand-over."""

from __future__ import annotations

import asyncio
import logging
import uuid
from datetime import datetime, timedelta

from arq.connections import ArqRedis

from loyalty import outbox
from loyalty.models import OutboxEvent, Priority

log = logging.getLogger("loyalty.jobs")
POLL_SECONDS = 0.5
# arq takes jobs in the order of their score, the time they are due. Each step of priority
# scores a job this far back, so it runs before any job of a lower priority queued since
# (a million pushes take about an hour here). arq's log calls such a job "delayed" by that
# much. The expiry is given, as arq's default would shrink by it.
AHEAD = timedelta(days=1)
EXPIRES = timedelta(days=1)


def job_id(queue: str, event: OutboxEvent) -> str:
    """A new id for each hand-over. `due` marks an event handed over before it is queued, so
    no hand-over is ever queued twice, and `outbox.run` keeps two jobs of one event from both
    acting. The id must not repeat: arq silently refuses an id it still holds a result for, and
    event ids start again at 1 in another database (a restore, another club) on the same Redis.
    The queue's name leads it, so each queue's keys can be told apart."""
    return f"{queue}:outbox:{event.id}:{uuid.uuid4().hex[:16]}"


async def hand_over(pool: ArqRedis, now: datetime | None = None) -> int:
    """Queue every due event; those Redis refused go back for the next pass."""
    events = await outbox.due(now)
    for index, event in enumerate(events):
        try:
            await pool.enqueue_job(
                "run_outbox_event",
                event.id,
                _job_id=job_id(pool.default_queue_name, event),
                _defer_by=-AHEAD * (Priority.PREPARATION - event.priority) or None,
                _expires=EXPIRES,
            )
        except Exception:
            await outbox.release([e.id for e in events[index:]])
            raise
    return len(events)


async def hand_over_forever(pool: ArqRedis, poll_seconds: float = POLL_SECONDS) -> None:
    """The worker's dispatcher: a full batch goes straight on; otherwise wait a little. Redis
    or the database being away is logged and retried, never fatal."""
    while True:
        try:
            handed = await hand_over(pool)
        except Exception:
            log.exception("handing outbox events to the queue failed; retrying")
            handed = 0
        if handed < outbox.BATCH:
            await asyncio.sleep(poll_seconds)
