"""When the scheduled jobs run, in the club's time zone: one list for arq's cron and for the
in-process runner."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from arq.cron import next_cron

from jobs import tasks

Job = Callable[[Mapping[str, Any]], Awaitable[object]]


@dataclass(frozen=True, slots=True)
class Scheduled:
    job: Job
    # arq's cron fields: None is every value; the second defaults to 0.
    when: dict[str, Any] = field(default_factory=dict)
    needs_redis: bool = False  # only where there is something in Redis to look after
    timeout: timedelta | None = None  # arq's job timeout, when the default (5 min) is too short

    @property
    def name(self) -> str:
        return self.job.__name__

    def next_after(self, moment: datetime) -> datetime:
        return next_cron(moment, **self.when)


SCHEDULE: tuple[Scheduled, ...] = (
    Scheduled(tasks.review_tiers, {"hour": 1, "minute": 0}),
    Scheduled(tasks.expire_points, {"hour": 2, "minute": 0}),
    Scheduled(tasks.reconcile_ledger, {"hour": 3, "minute": 0}),
    Scheduled(tasks.rebuild_leaderboards, {"hour": 4, "minute": 0}, needs_redis=True),
    Scheduled(tasks.draw_lotteries, {"second": 5}),  # every minute
    Scheduled(tasks.start_campaigns, {"second": 15}),  # every minute
    # Every 10 minutes: birthdays begin at midnight in the club's zone, and a big day (a new
    # product announced to every member) goes on where the last run's time budget ended.
    Scheduled(tasks.run_journeys, {"minute": set(range(0, 60, 10)), "second": 20}),
    # Every 5 minutes: a purchase is queued for its call soon after it is made.
    Scheduled(tasks.fill_happy_calls, {"minute": set(range(0, 60, 5)), "second": 25}),
    # After expiry (its points count) and reconciliation: every member's figures, RFM and the
    # day's snapshot. A million members take minutes on PostgreSQL: a longer timeout.
    Scheduled(tasks.analyse_members, {"hour": 4, "minute": 30}, timeout=timedelta(minutes=30)),
    # Every 5 minutes: the report roll-ups, so a report refreshing them first has little to do.
    # The first run fills them from every purchase: minutes on a big club, while reports say
    # they are not ready; a run cut short is gone on with by the next.
    Scheduled(
        tasks.refresh_report_rollups,
        {"minute": set(range(0, 60, 5)), "second": 40},
        timeout=timedelta(minutes=30),
    ),
    # Hourly: members who bought or whose points moved since the last run.
    Scheduled(
        tasks.refresh_member_analysis, {"minute": 45, "second": 30}, timeout=timedelta(minutes=15)
    ),
)


def jobs_for(with_redis: bool) -> tuple[Scheduled, ...]:
    return tuple(s for s in SCHEDULE if with_redis or not s.needs_redis)
