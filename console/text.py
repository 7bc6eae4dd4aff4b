"""How the console writes things for people: Persian laid out for terminals, dates in the
club's calendar, money in Rials or Toman."""

from __future__ import annotations

import re
from datetime import date, datetime
from zoneinfo import ZoneInfo

import arabic_reshaper
import jdatetime
from bidi import get_display

from console.results import ClubSettings
from console.settings import ConsoleSettings

# Hebrew, Arabic (Persian) and their presentation forms.
RIGHT_TO_LEFT = re.compile("[\u0590-\u08ff\ufb1d-\ufdff\ufe70-\ufefc]")


class Writer:
    """Formats for one console's settings."""

    def __init__(self, zone: ZoneInfo, calendar: str, currency: str, bidi: bool) -> None:
        self.zone = zone
        self.calendar = calendar
        self.jalali = calendar == "jalali"
        self.toman = currency == "toman"
        self.bidi = bidi

    def text(self, value: str) -> str:
        """Text as it should appear in a terminal: Persian letters joined and laid out right to
        left (terminals draw cells left to right and do not join Arabic-script letters)."""
        if not self.bidi or not RIGHT_TO_LEFT.search(value):
            return value
        return "\n".join(get_display(arabic_reshaper.reshape(line)) for line in value.split("\n"))

    def day(self, value: date) -> str:
        if self.jalali:
            return jdatetime.date.fromgregorian(date=value).strftime("%Y/%m/%d")
        return value.isoformat()

    def moment(self, value: datetime | None) -> str:
        if value is None:
            return "-"
        local = value.astimezone(self.zone)
        return f"{self.day(local.date())} {local:%H:%M}"

    def money(self, rials: int) -> str:
        if self.toman:
            return f"{rials // 10:,} Toman"
        return f"{rials:,} Rials"

    def parse_day(self, value: str) -> date:
        """A day as the operator types it, in the club's calendar (YYYY-MM-DD or YYYY/MM/DD)."""
        year, month, day = (int(part) for part in re.split("[-/]", value.strip()))
        if self.jalali:
            return jdatetime.date(year, month, day).togregorian()
        return date(year, month, day)


# Before sign-in nothing shows a date; these stand in until the club's settings arrive.
STAND_IN = ClubSettings(calendar="jalali", time_zone="Asia/Tehran", currency="toman")


def writer_for(settings: ConsoleSettings, club: ClubSettings = STAND_IN) -> Writer:
    """The club's way of writing, with what the console's own settings override."""
    return Writer(
        ZoneInfo(settings.timezone or club.time_zone),
        settings.calendar or club.calendar,
        settings.currency or club.currency,
        settings.bidi,
    )
