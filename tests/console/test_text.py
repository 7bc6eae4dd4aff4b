"""Persian for terminals, Jalali days, money."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from rich.console import Console

from console.text import Writer, for_display
from loyalty.models import Role
from tests.console.club import buyer, open_club
from tests.console.conftest import ConsoleFactory, make_staff
from tests.console.pilot import drawn, shown, to_the_text_question, until

TEHRAN = ZoneInfo("Asia/Tehran")
# Fifteen ordinals, first to fifteenth: long enough to wrap in a narrow pane.
ORDINALS = (
    "اول دوم سوم چهارم پنجم ششم هفتم هشتم نهم دهم یازدهم دوازدهم سیزدهم چهاردهم پانزدهم"
).split()


def on_screen(word: str) -> str:
    """A Persian word as the terminal draws it."""
    return for_display(word)


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


def test_persian_wraps_in_reading_order_then_each_line_is_laid_out() -> None:
    writer = Writer(TEHRAN, "jalali", "toman", bidi=True)
    console = Console(width=24, legacy_windows=False)
    lines = [
        "".join(segment.text for segment in line).rstrip()
        for line in console.render_lines(writer.paragraphs(" ".join(ORDINALS)), pad=False)
    ]
    assert len(lines) > 2
    assert on_screen(ORDINALS[0]) in lines[0]
    assert lines[0].endswith(on_screen(ORDINALS[0]))  # read from the right: first word first
    assert on_screen(ORDINALS[-1]) in lines[-1]
    assert not any(on_screen(ORDINALS[-1]) in line for line in lines[:-1])


async def test_a_long_persian_answer_reads_from_its_first_line_at_80_columns(
    console_for: ConsoleFactory,
) -> None:
    await buyer(await open_club(persian=True), persian=True)
    await make_staff("sara", Role.OPERATOR, "سارا")
    app = console_for(language="fa")
    async with app.run_test(size=(80, 24)) as pilot:
        answer = await to_the_text_question(pilot, "sara")
        answer.value = " ".join(ORDINALS)
        await pilot.press("enter")
        await until(pilot, lambda: ORDINALS[-1] in shown(app, "#questions"))
        await pilot.pause()
        lines = drawn(app, "#questions")
        first = next(n for n, line in enumerate(lines) if "→" in line and on_screen("اول") in line)
        following = lines[first + 1 :]
        assert any(on_screen(ORDINALS[-1]) in line for line in following)
        assert on_screen(ORDINALS[-1]) not in lines[first]
