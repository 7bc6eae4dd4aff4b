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


def _local(value: str) -> datetime:
    moment = datetime.fromisoformat(value)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(get_settings().zone)


def _club_day(value: str | None) -> int | None:
    if value is None:
        return None
    return _local(value).date().toordinal() - EPOCH


def _club_hour(value: str | None) -> int | None:
    if value is None:
        return None
    local = _local(value)
    return (local.date().toordinal() - EPOCH) * 24 + local.hour


async def prepare() -> None:
    """Give SQLite the `club_day` and `club_hour` functions (once per connection is enough;
    again is harmless)."""
    if sql.postgres():
        return
    async with connections.get("default").acquire_connection() as connection:
        await connection.create_function("club_day", 1, _club_day, deterministic=True)
        await connection.create_function("club_hour", 1, _club_hour, deterministic=True)


def _zone() -> str:
    zone = get_settings().timezone
    if not _ZONE_NAME.match(zone):  # settings check it is a known zone; this keeps SQL clean
        raise ValueError(f"unexpected time zone name {zone!r}")
    return zone


def day_number(column: str) -> str:
    """SQL: the club's calendar day of a stored moment, as a day number."""
    if not sql.postgres():
        return f"club_day({column})"
    return f"(({column} AT TIME ZONE '{_zone()}')::date - DATE '1970-01-01')"


def hour_number(column: str) -> str:
    """SQL: the club-local hour of a stored moment, as hours since 1970-01-01 00:00 local
    (its day number times 24 plus the hour of the day)."""
    if not sql.postgres():
        return f"club_hour({column})"
    local = f"({column} AT TIME ZONE '{_zone()}')"
    return f"CAST(FLOOR(EXTRACT(EPOCH FROM {local}) / 3600) AS INTEGER)"


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
