"""The in-process runner: without Redis, `loyalty serve` runs the same tasks and the same
schedule itself, so a single shop's club still does its nightly work and sends its messages."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterable, Mapping
from datetime import datetime, tzinfo
from typing import Any

from jobs import tasks
from jobs.dispatcher import POLL_SECONDS
from jobs.schedule import Scheduled
from loyalty import outbox

log = logging.getLogger("loyalty.jobs")


async def run_due_events(ctx: Mapping[str, Any], now: datetime | None = None) -> int:
    """Run every due outbox event here and now; returns how many were taken. A failing event
    is logged and left for a later pass."""
    events = await outbox.due(now)
    for event in events:
        try:
            await tasks.run_outbox_event(ctx, event.id)
        except Exception:
            log.exception("outbox event %s (%s) failed", event.id, event.task)
    return len(events)


class InProcessRunner:
    def __init__(
        self,
        schedule: Iterable[Scheduled],
        zone: tzinfo,
        ctx: Mapping[str, Any],
        poll_seconds: float = POLL_SECONDS,
    ) -> None:
        self.schedule = tuple(schedule)
        self.ctx = ctx
        self.zone = zone
        self.poll_seconds = poll_seconds
        self._tasks: list[asyncio.Task] = []

    def start(self) -> None:
        self._tasks = [asyncio.create_task(self._events()), asyncio.create_task(self._cron())]

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks = []

    async def _events(self) -> None:
        while True:
            try:
                taken = await run_due_events(self.ctx)
            except Exception:
                log.exception("reading the outbox failed; retrying")
                taken = 0
            if taken < outbox.BATCH:
                await asyncio.sleep(self.poll_seconds)

    async def _cron(self) -> None:
        now = datetime.now(self.zone)
        upcoming = [job.next_after(now) for job in self.schedule]
        while upcoming:
            index = min(range(len(upcoming)), key=upcoming.__getitem__)
            job, at = self.schedule[index], upcoming[index]
            await asyncio.sleep(max(0.0, (at - datetime.now(self.zone)).total_seconds()))
            try:
                await job.job(self.ctx)
            except Exception:
                log.exception("scheduled job %s failed", job.name)
            upcoming[index] = job.next_after(max(at, datetime.now(self.zone)))
