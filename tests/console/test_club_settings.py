"""The console writes dates and money as the club says (read after sign-in), unless its own
settings override them."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from console.screens.call import CallScreen
from loyalty.models import Role
from loyalty.settings import get_settings
from tests.console.club import buyer, open_club
from tests.console.conftest import ConsoleFactory, make_staff
from tests.console.pilot import shown, sign_in, until


@pytest.fixture
def gregorian_club(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The server's club writes Gregorian dates and Rials."""
    monkeypatch.setenv("LOYALTY_CALENDAR", "gregorian")
    monkeypatch.setenv("LOYALTY_CURRENCY_DISPLAY", "rial")
    get_settings.cache_clear()
    yield
    monkeypatch.undo()
    get_settings.cache_clear()


async def purchase_line_on_the_card(app_for: ConsoleFactory, **settings: object) -> str:
    """What the call screen's card says about the purchase the call is about."""
    club = await open_club()
    await buyer(club)
    await make_staff("sara", Role.OPERATOR, "Sara")
    app = app_for(**settings)
    async with app.run_test(size=(132, 36)) as pilot:
        await sign_in(pilot, "sara")
        await pilot.press("n")
        await until(pilot, lambda: isinstance(app.screen, CallScreen))
        await until(pilot, lambda: "This call is about" in shown(app, "#card-text"))
        lines = shown(app, "#card-text").splitlines()
        return lines[lines.index("This call is about:") + 1]


@pytest.mark.usefixtures("gregorian_club")
async def test_a_gregorian_club_gets_gregorian_dates_and_rials(
    console_for: ConsoleFactory,
) -> None:
    line = await purchase_line_on_the_card(console_for, calendar=None, currency=None)
    assert line.startswith("2026-12-06 10:00")
    assert "1,250,000 Rials" in line


async def test_a_jalali_club_gets_jalali_dates_and_toman(console_for: ConsoleFactory) -> None:
    line = await purchase_line_on_the_card(console_for, calendar=None, currency=None)
    assert line.startswith("1405/09/15 10:00")
    assert "125,000 Toman" in line


@pytest.mark.usefixtures("gregorian_club")
async def test_the_consoles_own_settings_override_the_club(console_for: ConsoleFactory) -> None:
    line = await purchase_line_on_the_card(
        console_for, calendar="jalali", currency="toman", timezone="UTC"
    )
    assert line.startswith("1405/09/15 06:30")
    assert "125,000 Toman" in line
