"""Grouping times by the club's local hour in SQL, on PostgreSQL and on SQLite.

PostgreSQL converts to the club's zone itself (`AT TIME ZONE`), so a year is at most 8,784
groups. SQLite knows no zones: it groups by UTC quarter-hour, which a local hour holds whole
in every zone there is (offsets are multiples of 15 minutes), and Python converts each.
"""

from __future__ import annotations

from datetime import UTC, datetime

from loyalty import sql
from loyalty.settings import get_settings

QUARTER_HOUR = 900


def _zone_literal() -> str:
    # The setting is validated as a known zone name; quoted for SQL all the same.
    return "'" + get_settings().timezone.replace("'", "''") + "'"


def local_hour(column: str) -> str:
    """An SQL expression grouping `column` (a UTC time) by club-local hour; see `hour_of`."""
    if sql.postgres():
        return f"date_trunc('hour', {column} AT TIME ZONE {_zone_literal()})"
    return f"(CAST(strftime('%s', {column}) AS INTEGER) / {QUARTER_HOUR})"


def hour_of(value: object) -> datetime:
    """The club-local hour (naive) a `local_hour` group stands for."""
    if isinstance(value, datetime):
        return value.replace(tzinfo=None)
    moment = datetime.fromtimestamp(int(value) * QUARTER_HOUR, UTC)  # type: ignore[call-overload]
    return moment.astimezone(get_settings().zone).replace(minute=0, tzinfo=None)


def seconds_between(start: str, end: str) -> str:
    """An SQL expression: seconds from `start` to `end` (UTC times)."""
    if sql.postgres():
        return f"EXTRACT(EPOCH FROM ({end} - {start}))"
    return f"(CAST(strftime('%s', {end}) AS INTEGER) - CAST(strftime('%s', {start}) AS INTEGER))"


def hours(seconds: float | None) -> float | None:
    return None if seconds is None else round(float(seconds) / 3600, 1)
