"""How the console writes things for people: Persian laid out for terminals, dates in the
club's calendar, money in Rials or Toman.

Terminals draw cells left to right and do not join Arabic-script letters, so Persian is shaped
(letters in their joined forms) and reordered for display (python-bidi). Reordering must come
after wrapping: a string reordered as a whole and then wrapped shows its last words on the first
line. `Writer.text` is for one-line strings; `Writer.paragraphs` for text that may wrap.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from zoneinfo import ZoneInfo

import arabic_reshaper
import jdatetime
from bidi import get_display
from rich.console import Console, ConsoleOptions, RenderResult
from rich.measure import Measurement
from rich.text import Text

from console.results import ClubSettings
from console.settings import ConsoleSettings

# Hebrew, Arabic (Persian) and their presentation forms.
RIGHT_TO_LEFT = re.compile("[\u0590-\u08ff\ufb1d-\ufdff\ufe70-\ufefc]")
# A left-to-right mark ends a Persian value inside a line of Latin labels and figures: without
# it, the figures after a Persian name would join its right-to-left run.
LTR_MARK = "\u200e"


def isolated(text: str) -> str:
    """A value that goes into a left-to-right line among other values."""
    return text + LTR_MARK if RIGHT_TO_LEFT.search(text) else text


def for_display(line: str) -> str:
    """One line shaped (letters joined, lam-alef as one) and in display order; the screen's
    lines run left to right, so does the base direction (a Persian run within it is reversed,
    Latin and numbers around it stay)."""
    if not RIGHT_TO_LEFT.search(line):
        return line
    shaped = arabic_reshaper.reshape(line)
    return get_display(shaped, base_dir="L").replace(LTR_MARK, "")


class Paragraphs:
    """Text that wraps to the width it is given in logical order, then has each line shaped and
    reordered for display. A line keeps the style of its first character (spans are not
    reordered). Shaping only joins letters into fewer cells: a wrapped line still fits."""

    def __init__(self, text: Text) -> None:
        self.text = text

    def __str__(self) -> str:
        return self.text.plain  # as it was written

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        return Measurement.get(console, options, self.text)

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        for line in self.text.wrap(console, options.max_width, overflow="fold"):
            if not RIGHT_TO_LEFT.search(line.plain):
                yield line
                continue
            style = line.get_style_at_offset(console, 0) if line.plain else ""
            yield Text(for_display(line.plain), style=style, end=line.end)


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
        return "\n".join(for_display(line) for line in value.split("\n"))

    def paragraphs(self, value: str | Text) -> Text | Paragraphs:
        """Text that may wrap: each wrapped line laid out for the terminal as it is drawn."""
        text = Text(value) if isinstance(value, str) else value
        if not self.bidi or not RIGHT_TO_LEFT.search(text.plain):
            return text
        return Paragraphs(text)

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
