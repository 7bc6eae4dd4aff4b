"""The little SQL that differs between SQLite and PostgreSQL in the analysis: a stored moment's
calendar day in the club's zone, as a day number (days since 1970-01-01), and back to a date.

PostgreSQL converts with `AT TIME ZONE`. SQLite knows no time zones, so the day is computed by
a Python function registered on its connection (an embedded club is small enough for that),
which keeps the zone's daylight-saving rules exactly as PostgreSQL does.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

from tortoise import connections

from loyalty import sql
from loyalty.settings import get_settings

EPOCH = date(1970, 1, 1).toordinal()
_ZONE_NAME = re.compile(r"^[A-Za-z0-9_+\-/]+$")


def _club_day(value: str | None) -> int | None:
    if value is None:
        return None
    moment = datetime.fromisoformat(value)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(get_settings().zone).date().toordinal() - EPOCH


async def prepare() -> None:
    """Give SQLite the `club_day` function (once per connection is enough; again is harmless)."""
    if sql.postgres():
        return
    async with connections.get("default").acquire_connection() as connection:
        await connection.create_function("club_day", 1, _club_day, deterministic=True)


def day_number(column: str) -> str:
    """SQL: the club's calendar day of a stored moment, as a day number."""
    if not sql.postgres():
        return f"club_day({column})"
    zone = get_settings().timezone
    if not _ZONE_NAME.match(zone):  # settings check it is a known zone; this keeps SQL clean
        raise ValueError(f"unexpected time zone name {zone!r}")
    return f"(({column} AT TIME ZONE '{zone}')::date - DATE '1970-01-01')"


def as_date(expression: str) -> str:
    """SQL: a day number as a date column value."""
    if sql.postgres():
        return f"(DATE '1970-01-01' + CAST({expression} AS INTEGER))"
    return f"date(({expression}) * 86400, 'unixepoch')"


def day_number_of(day: date) -> int:
    return day.toordinal() - EPOCH


def date_of(number: int) -> date:
    return date.fromordinal(number + EPOCH)


def moment_parameter() -> str:
    """SQL: a placeholder for a timestamp written by INSERT ... SELECT (PostgreSQL would
    otherwise take the parameter for text)."""
    return "CAST(? AS TIMESTAMPTZ)" if sql.postgres() else "?"
