"""The scheduled run of the timer journeys: each active one goes over the day (in the club's
zone) a batch at a time, and remembers how far it got.

Run it as often as you like: a day finished is not gone over again, a day cut short (by the
time budget, or a failure) goes on from its last batch, and every message has a dedupe key, so
nothing is sent twice. Days the runner missed altogether (it was down) are caught up, at most
`CATCH_UP_DAYS` back, but never days before a journey was started or resumed.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.expressions import F

from loyalty import clock
from loyalty.journeys import definitions, occasions, sending
from loyalty.models import Journey, JourneyKind, JourneyRun

BATCH = 200
CATCH_UP_DAYS = 3

Finder = Callable[[Any, date, int, int], Awaitable[occasions.Batch]]
FINDERS: dict[JourneyKind, Finder] = {
    JourneyKind.AFTER_PURCHASE: occasions.after_purchase,
    JourneyKind.BIRTHDAY: occasions.birthday,
    JourneyKind.WIN_BACK: occasions.win_back,
    JourneyKind.POINTS_EXPIRING: occasions.points_expiring,
    JourneyKind.NEW_PRODUCTS: occasions.new_products,
}


@dataclass(slots=True)
class Summary:
    days: int = 0  # journey-days finished
    sent: int = 0
    held: int = 0
    unfinished: bool = False  # out of time: the next run goes on


async def run_due(
    at: datetime | None = None, *, budget: timedelta | None = None, batch: int = BATCH
) -> Summary:
    """Go over the day of `at` (and any missed) for every active timer journey; stop after the
    batch during which `budget` ran out."""
    at = (at or datetime.now(UTC)).astimezone(UTC)
    deadline = time.monotonic() + budget.total_seconds() if budget is not None else None
    today = clock.local_date(at)
    summary = Summary()
    journeys = await Journey.filter(active=True, kind__in=list(FINDERS)).order_by("id")
    for journey in journeys:
        for day in await _days_due(journey, today):
            if not await _run_day(journey, day, at, deadline, batch, summary):
                summary.unfinished = True
                return summary
    return summary


async def _days_due(journey: Journey, today: date) -> list[date]:
    """Today, and the days since the journey's last run (when the runner missed some)."""
    latest = await JourneyRun.filter(journey_id=journey.id).order_by("-day").first()
    start = today if latest is None else max(latest.day, today - timedelta(days=CATCH_UP_DAYS))
    if journey.active_since is not None:
        start = max(start, clock.local_date(journey.active_since))
    start = min(start, today)
    wanted = [start + timedelta(days=n) for n in range((today - start).days + 1)]
    finished = await JourneyRun.filter(
        journey_id=journey.id, day__in=wanted, finished_at__isnull=False
    ).values_list("day", flat=True)
    return [day for day in wanted if day not in set(finished)]


async def _run_day(
    journey: Journey,
    day: date,
    at: datetime,
    deadline: float | None,
    batch: int,
    summary: Summary,
) -> bool:
    """Go over one day of a journey from where it got to, a batch at least; False when out of
    time before the end."""
    run = await _run_of(journey.id, day)
    options = definitions.parse_options(journey.kind, journey.options)
    find = FINDERS[journey.kind]
    cursor = run.cursor
    while True:
        found = await find(options, day, cursor, batch)
        sent = await sending.send_all(journey, found.occasions, at)
        await JourneyRun.filter(id=run.id).update(
            cursor=found.cursor,
            sent=F("sent") + sent.sent,
            held=F("held") + sent.held,
            finished_at=datetime.now(UTC) if found.done else None,
        )
        summary.sent += sent.sent
        summary.held += sent.held
        if found.done:
            summary.days += 1
            return True
        if deadline is not None and time.monotonic() >= deadline:
            return False
        cursor = found.cursor


async def _run_of(journey_id: int, day: date) -> JourneyRun:
    run = await JourneyRun.get_or_none(journey_id=journey_id, day=day)
    if run is None:
        try:
            run = await JourneyRun.create(journey_id=journey_id, day=day)
        except IntegrityError:  # another runner began it a moment ago
            run = await JourneyRun.get(journey_id=journey_id, day=day)
    return run
