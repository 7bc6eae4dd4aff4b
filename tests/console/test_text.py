"""Persian for terminals, Jalali days, money."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from console.text import Writer

TEHRAN = ZoneInfo("Asia/Tehran")


def test_persian_is_joined_and_laid_out_for_the_terminal_and_latin_is_left_alone() -> None:
    writer = Writer(TEHRAN, "jalali", "toman", bidi=True)
    shown = writer.text("سلام")
    assert shown != "سلام"
    assert shown[0] == "ﻡ"  # the last letter, in its final form, comes first on screen
    assert writer.text("Sara 09121234567") == "Sara 09121234567"
    assert Writer(TEHRAN, "jalali", "toman", bidi=False).text("سلام") == "سلام"


def test_days_in_the_clubs_calendar_both_ways() -> None:
    jalali = Writer(TEHRAN, "jalali", "rial", bidi=True)
    assert jalali.day(date(2026, 3, 21)) == "1405/01/01"
    assert jalali.parse_day("1405/01/01") == date(2026, 3, 21)
    assert jalali.moment(datetime(2026, 3, 20, 21, 0, tzinfo=UTC)) == "1405/01/01 00:30"
    gregorian = Writer(TEHRAN, "gregorian", "rial", bidi=True)
    assert gregorian.parse_day("2026-03-21") == date(2026, 3, 21)
    assert gregorian.money(1_250_000) == "1,250,000 Rials"
    assert Writer(TEHRAN, "jalali", "toman", True).money(1_250_000) == "125,000 Toman"
