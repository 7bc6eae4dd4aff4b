"""The club's calendar: its time zone, and years and months in Jalali or Gregorian.

Stored times are UTC; periods (a day, a month, a year) begin at midnight in the club's zone.
"""

from __future__ import annotations

import calendar as gregorian
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal

import jdatetime

from loyalty.settings import get_settings

# How long a write's transaction may stay open after it stamps its rows' times: a run that
# looks for rows recorded since another began looks back this much further, for rows
# committed after that run read.
COMMIT_LAG = timedelta(minutes=2)

Period = Literal["day", "week", "month", "year", "lifetime"]


def _jalali() -> bool:
    return get_settings().calendar == "jalali"


def local_date(moment: datetime) -> date:
    """The (Gregorian) date it is in the club's zone at `moment`."""
    return moment.astimezone(get_settings().zone).date()


def midnight(day: date) -> datetime:
    """The start of `day` in the club's zone, in UTC."""
    return datetime.combine(day, time(), get_settings().zone).astimezone(UTC)


def within_hours(moment: datetime, start: time, end: time) -> bool:
    """Whether `moment` falls in the daily hours from `start` until `end` in the club's zone
    (overnight when `start` is after `end`; never when they are equal)."""
    now = moment.astimezone(get_settings().zone).time()
    if start > end:
        return now >= start or now < end
    return start <= now < end


def year_month_day(day: date) -> tuple[int, int, int]:
    if _jalali():
        j = jdatetime.date.fromgregorian(date=day)
        return j.year, j.month, j.day
    return day.year, day.month, day.day


def _to_date(year: int, month: int, day: int) -> date:
    if _jalali():
        return jdatetime.date(year, month, day).togregorian()
    return date(year, month, day)


def _days_in_month(year: int, month: int) -> int:
    if _jalali():
        if month <= 6:
            return 31
        if month <= 11:
            return 30
        return 30 if jdatetime.date(year, 1, 1).isleap() else 29
    return gregorian.monthrange(year, month)[1]


def add_months(moment: datetime, months: int) -> datetime:
    """The same local time `months` later (the day clamped to the month's end)."""
    local = moment.astimezone(get_settings().zone)
    year, month, day = year_month_day(local.date())
    index = year * 12 + (month - 1) + months
    year, month = divmod(index, 12)
    month += 1
    day = min(day, _days_in_month(year, month))
    return datetime.combine(_to_date(year, month, day), local.timetz()).astimezone(UTC)


def start_of_year(moment: datetime, years_later: int = 0) -> datetime:
    year = year_month_day(local_date(moment))[0] + years_later
    return midnight(_to_date(year, 1, 1))


def period_start(period: Period, moment: datetime) -> datetime | None:
    """When the period holding `moment` began; None for a lifetime."""
    day = local_date(moment)
    if period == "lifetime":
        return None
    if period == "day":
        return midnight(day)
    if period == "week":
        # Weeks begin on Saturday in the Jalali calendar, on Monday in the Gregorian.
        first_weekday = 5 if _jalali() else 0
        return midnight(day - timedelta(days=(day.weekday() - first_weekday) % 7))
    year, month, _ = year_month_day(day)
    if period == "month":
        return midnight(_to_date(year, month, 1))
    return midnight(_to_date(year, 1, 1))


def days_between(earlier: datetime, later: datetime) -> int:
    """Whole calendar days from one local date to the other."""
    return (local_date(later) - local_date(earlier)).days


def format_date(moment: datetime) -> str:
    """A date as the club writes it: 1405-09-02 (Jalali) or 2026-11-23."""
    year, month, day = year_month_day(local_date(moment))
    return f"{year:04d}-{month:02d}-{day:02d}"
