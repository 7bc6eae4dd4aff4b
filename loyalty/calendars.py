"""Dates as people write them: year-month-day in the Jalali or the Gregorian calendar."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

import jdatetime

from loyalty.errors import InvalidInput
from loyalty.models import Calendar
from loyalty.phones import ascii_digits
from loyalty.settings import get_settings

# 1370-05-12, 1370/5/12, ۱۳۷۰/۰۵/۱۲
_WRITTEN = re.compile(r"(\d{4})[-/](\d{1,2})[-/](\d{1,2})")


@dataclass(frozen=True, slots=True)
class CalendarDate:
    """A date written in a calendar, e.g. 1370-05-12 in the Jalali."""

    text: str
    calendar: Calendar

    def to_gregorian(self, *, field: str) -> date:
        """The day it names, or InvalidInput for text that is not a date of its calendar."""
        found = _WRITTEN.fullmatch(ascii_digits((self.text or "").strip()))
        if found is None:
            raise InvalidInput(
                f"{field} must be written year-month-day, e.g. 1370-05-12", field=field
            )
        year, month, day = (int(part) for part in found.groups())
        try:
            if self.calendar is Calendar.JALALI:
                return jdatetime.date(year, month, day).togregorian()
            return date(year, month, day)
        except ValueError:
            raise InvalidInput(
                f"{self.text.strip()} is not a day of the {self.calendar.value} calendar",
                field=field,
            ) from None


def written(day: date, calendar: Calendar) -> str:
    """`day` written in `calendar`: 1370-05-12 (Jalali) or 1991-08-03 (Gregorian)."""
    if calendar is Calendar.JALALI:
        local = jdatetime.date.fromgregorian(date=day)
        return f"{local.year:04d}-{local.month:02d}-{local.day:02d}"
    return day.isoformat()


def chosen_or_club(calendar: Calendar | None) -> Calendar:
    """A member's calendar: their own choice, else the club's."""
    return calendar or Calendar(get_settings().calendar)
