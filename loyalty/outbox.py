"""The outbox: a write that must trigger work records it here, in its own transaction.

A dispatcher (`jobs/`) hands due events to the queue, or runs them in-process without Redis.
Nothing is lost: an event is recorded only if its write commits, and one handed over but not
finished within `REDISPATCH_AFTER` is handed over again (Redis may have lost it, or the worker
died in it). Nothing is done twice: a run first takes the event (`start`); a second copy of the
job finds it taken, or finished, and does nothing.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from tortoise.expressions import F, Q
from tortoise.transactions import in_transaction

from loyalty import sql
from loyalty.errors import InvalidInput
from loyalty.models import OutboxEvent, Priority

# Longer than any one task runs: a run older than this died with its worker.
REDISPATCH_AFTER = timedelta(minutes=5)
BATCH = 500
ERROR_LENGTH = 500

Handler = Callable[[Mapping[str, Any]], Awaitable[object]]


async def record(
    task: str,
    payload: Mapping[str, Any],
    *,
    due_at: datetime | None = None,
    priority: Priority = Priority.MEMBER,
) -> int:
    """Ask for `task` to run with `payload` (JSON) once the current transaction commits; at
    `due_at` at the earliest. Call it inside the write's transaction."""
    if not task:
        raise InvalidInput("an outbox event needs a task", field="task")
    due_at = (due_at or datetime.now(UTC)).astimezone(UTC)
    event = await OutboxEvent.create(
        task=task, payload=dict(payload), due_at=due_at, priority=priority
    )
    return event.id


async def record_many(
    events: list[tuple[str, Mapping[str, Any], datetime]], *, priority: Priority = Priority.MEMBER
) -> None:
    """`record` for many (task, payload, due_at) in one statement."""
    if not events:
        return
    now = datetime.now(UTC)
    rows = [
        OutboxEvent(
            task=task,
            payload=dict(payload),
            created_at=now,
            due_at=due_at.astimezone(UTC),
            priority=priority,
        )
        for task, payload, due_at in events
    ]
    columns = ("task", "payload", "created_at", "due_at", "attempts", "last_error", "priority")
    await sql.insert(
        OutboxEvent._meta.db_table,
        columns,
        [[sql.column_value(row, column) for column in columns] for row in rows],
    )


async def due(now: datetime | None = None, limit: int = BATCH) -> list[OutboxEvent]:
    """Take up to `limit` events due for handing over, by priority, then oldest first, and mark
    them handed over.

    Several dispatchers may run at once: on PostgreSQL each skips the rows another holds.
    """
    # In UTC: SQLite compares the stored text.
    now = (now or datetime.now(UTC)).astimezone(UTC)
    stale = now - REDISPATCH_AFTER
    async with in_transaction():
        events = (
            await OutboxEvent.filter(
                Q(dispatched_at__isnull=True) | Q(dispatched_at__lt=stale),
                finished_at__isnull=True,
                due_at__lte=now,
            )
            .order_by("priority", "id")
            .limit(limit)
            .select_for_update(skip_locked=True)
        )
        if events:
            await OutboxEvent.filter(id__in=[e.id for e in events]).update(
                dispatched_at=now, attempts=F("attempts") + 1
            )
    return events


async def release(event_ids: list[int]) -> None:
    """Hand these back: the queue did not take them (Redis down), so the next pass retries."""
    await OutboxEvent.filter(id__in=event_ids, finished_at__isnull=True).update(dispatched_at=None)


async def next_due_at() -> datetime | None:
    """When the next event not yet handed over falls due (for a runner that sleeps till then)."""
    event = (
        await OutboxEvent.filter(dispatched_at__isnull=True, finished_at__isnull=True)
        .order_by("due_at")
        .first()
    )
    return event.due_at if event else None


@dataclass(frozen=True, slots=True)
class Outcome:
    ran: bool  # False: another run has it, or it finished before
    result: object = None


async def run(
    event_id: int, handlers: Mapping[str, Handler], now: datetime | None = None
) -> Outcome:
    """Run one event's task, unless another run holds it or it is finished. A failure frees it
    for a retry and is raised."""
    now = (now or datetime.now(UTC)).astimezone(UTC)
    taken = await OutboxEvent.filter(
        Q(started_at__isnull=True) | Q(started_at__lt=now - REDISPATCH_AFTER),
        id=event_id,
        finished_at__isnull=True,
    ).update(started_at=now)
    if not taken:
        return Outcome(ran=False)
    event = await OutboxEvent.get(id=event_id)
    handler = handlers.get(event.task)
    if handler is None:
        await _failed(event_id, f"no task named {event.task!r}")
        raise LookupError(f"outbox event {event_id}: no task named {event.task!r}")
    try:
        result = await handler(event.payload)
    except Exception as exc:
        await _failed(event_id, f"{type(exc).__name__}: {exc}")
        raise
    await OutboxEvent.filter(id=event_id).update(finished_at=datetime.now(UTC), last_error="")
    return Outcome(ran=True, result=result)


async def _failed(event_id: int, error: str) -> None:
    await OutboxEvent.filter(id=event_id).update(started_at=None, last_error=error[:ERROR_LENGTH])


async def unfinished() -> int:
    """Events recorded and not yet done (for health and metrics)."""
    return await OutboxEvent.filter(finished_at__isnull=True).count()
