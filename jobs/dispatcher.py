"""Moves due outbox events to arq, one job per event and attempt."""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime

from arq.connections import ArqRedis

from loyalty import outbox
from loyalty.models import OutboxEvent

log = logging.getLogger("loyalty.jobs")
POLL_SECONDS = 0.5


def job_id(queue: str, event: OutboxEvent) -> str:
    # `due` counted this hand-over: a copy of the same attempt is refused by arq; a later
    # attempt (the first was lost) gets a new id, and `outbox.run` keeps it from running twice.
    # arq's job ids are global to the Redis database: the queue's name keeps clubs apart.
    return f"{queue}:outbox:{event.id}:{event.attempts + 1}"


async def hand_over(pool: ArqRedis, now: datetime | None = None) -> int:
    """Queue every due event; those Redis refused go back for the next pass."""
    events = await outbox.due(now)
    for index, event in enumerate(events):
        try:
            await pool.enqueue_job(
                "run_outbox_event", event.id, _job_id=job_id(pool.default_queue_name, event)
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
