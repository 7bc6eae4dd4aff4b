"""A report's period: whole days in the club's zone, written in the club's calendar, and the
buckets (day, month, weekday and hour) its figures fall into."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import jdatetime

from loyalty import clock
from loyalty.analysis import dialect
from loyalty.calendars import CalendarDate, written
from loyalty.errors import InvalidInput
from loyalty.models import Calendar
from loyalty.settings import get_settings

MAX_DAYS = 366

_WEEKDAYS_EN = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_WEEKDAYS_FA = ("دوشنبه", "سه‌شنبه", "چهارشنبه", "پنجشنبه", "جمعه", "شنبه", "یکشنبه")


def club_calendar() -> Calendar:
    return Calendar(get_settings().calendar)


@dataclass(frozen=True, slots=True)
class Period:
    """From the start of `first` to the end of `last` (Gregorian dates of club-local days)."""

    first: date
    last: date

    def __post_init__(self) -> None:
        if self.last < self.first:
            raise InvalidInput("to must not be before from", field="to")
        if (self.last - self.first).days >= MAX_DAYS:
            raise InvalidInput(f"at most {MAX_DAYS} days at a time", field="to")

    @classmethod
    def written(cls, first: str, last: str) -> Period:
        """From dates written in the club's calendar (1405-09-01, or 2026-11-22)."""
        calendar = club_calendar()
        return cls(
            CalendarDate(first, calendar).to_gregorian(field="from"),
            CalendarDate(last, calendar).to_gregorian(field="to"),
        )

    @property
    def since(self) -> datetime:
        return clock.midnight(self.first)

    @property
    def until(self) -> datetime:
        """The first moment after the period."""
        return clock.midnight(self.last + timedelta(days=1))

    @property
    def day_numbers(self) -> tuple[int, int]:
        """The first and the last day as the roll-ups number them."""
        return dialect.day_number_of(self.first), dialect.day_number_of(self.last)

    @property
    def days(self) -> list[date]:
        return [self.first + timedelta(days=n) for n in range((self.last - self.first).days + 1)]

    def text(self, *, isolated: bool = True) -> str:
        """1405-09-01 – 1405-09-30. `isolated`: each date marked left to right, or in a
        right-to-left line it would show 30-09-1405."""
        calendar = club_calendar()
        first, last = written(self.first, calendar), written(self.last, calendar)
        if isolated:
            first, last = f"\u2066{first}\u2069", f"\u2066{last}\u2069"
        return f"{first} – {last}"


def day_label(day: date) -> str:
    return written(day, club_calendar())


def month_label(day: date) -> str:
    """The club-calendar month holding `day`: 1405-10."""
    if club_calendar() is Calendar.JALALI:
        local = jdatetime.date.fromgregorian(date=day)
        return f"{local.year:04d}-{local.month:02d}"
    return f"{day.year:04d}-{day.month:02d}"


def weekdays() -> list[int]:
    """Python weekday numbers in the club's week order: from Saturday (Jalali), Monday else."""
    first = 5 if club_calendar() is Calendar.JALALI else 0
    return [(first + n) % 7 for n in range(7)]


def weekday_name(weekday: int, language: str = "fa") -> str:
    return (_WEEKDAYS_FA if language == "fa" else _WEEKDAYS_EN)[weekday]


def local(moment: datetime) -> datetime:
    return moment.astimezone(UTC).astimezone(get_settings().zone)
