"""The main screens as pictures (pytest-textual-snapshot's SVG snapshots), in English and in
Persian (Jalali dates, Persian wording laid out for the terminal), from fixed data at a fixed
moment. After a deliberate change of a screen: `pytest tests/console --snapshot-update`."""

from __future__ import annotations

import pytest
from pytest_textual_snapshot import SVGImageExtension
from syrupy.assertion import SnapshotAssertion

from console.client import Client
from console.screens.call import CallScreen
from console.screens.supervisor import SupervisorScreen
from loyalty.models import Role
from tests.console.club import PHONE, buyer, open_club
from tests.console.conftest import ConsoleFactory, make_staff
from tests.console.pilot import screenshot, shown, sign_in, until
from tests.factories import PASSWORD

SIZE = (132, 36)  # a terminal filling a small laptop screen
LANGUAGES = {
    "en": {"language": "en", "calendar": "gregorian"},
    "fa": {"language": "fa", "calendar": None},  # the club's: Jalali
}


@pytest.fixture
def svg(snapshot: SnapshotAssertion) -> SnapshotAssertion:
    return snapshot.use_extension(SVGImageExtension)


@pytest.mark.parametrize("language", LANGUAGES)
async def test_sign_in(console_for: ConsoleFactory, svg: SnapshotAssertion, language: str) -> None:
    app = console_for(server="http://calls.club.test:8000", **LANGUAGES[language])
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: app.focused is not None)
        assert await screenshot(pilot) == svg


async def two_buyers(persian: bool, answered_on: str | None = None) -> None:
    """Two members bought, both are queued for a call; with a server, Sara has called the
    first and had the script answered."""
    club = await open_club(persian)
    await buyer(club, persian, phone=PHONE)
    await buyer(club, persian)
    await make_staff("sara", Role.OPERATOR, "سارا" if persian else "Sara")
    await make_staff("boss", Role.SUPERVISOR, "مدیر" if persian else "Boss")
    if answered_on is not None:
        await record_completed(answered_on)


async def record_completed(server: str) -> None:
    client = Client(server)
    try:
        await client.sign_in("sara", PASSWORD)
        call = await client.claim_next("snapshot-claim")
        assert call is not None
        answers = [
            {"question": "nps", "rating": 9},
            {"question": "again", "yes": True},
            {"question": "staff", "choice": 2},
        ]
        await client.record_outcome(
            {"callId": call.id, "outcome": "COMPLETED", "answers": answers, "idempotencyKey": "s"}
        )
    finally:
        await client.aclose()


@pytest.mark.parametrize("language", LANGUAGES)
async def test_home(
    console_for: ConsoleFactory, server: str, svg: SnapshotAssertion, language: str
) -> None:
    await two_buyers(language == "fa", answered_on=server)
    app = console_for(**LANGUAGES[language])
    async with app.run_test(size=SIZE) as pilot:
        await sign_in(pilot, "sara")
        await until(pilot, lambda: "Calls today" in shown(app, "#stats"))
        assert await screenshot(pilot) == svg


@pytest.mark.parametrize("language", LANGUAGES)
async def test_call(console_for: ConsoleFactory, svg: SnapshotAssertion, language: str) -> None:
    await two_buyers(language == "fa")
    app = console_for(**LANGUAGES[language])
    async with app.run_test(size=SIZE) as pilot:
        await sign_in(pilot, "sara")
        await pilot.press("n")
        await until(pilot, lambda: isinstance(app.screen, CallScreen))
        await until(pilot, lambda: "▶" in shown(app, "#questions"))
        await pilot.press("8", "enter", "y", "enter")  # on to the choices
        assert await screenshot(pilot) == svg


@pytest.mark.parametrize("language", LANGUAGES)
async def test_supervisor(
    console_for: ConsoleFactory, server: str, svg: SnapshotAssertion, language: str
) -> None:
    await two_buyers(language == "fa", answered_on=server)
    app = console_for(**LANGUAGES[language])
    async with app.run_test(size=SIZE) as pilot:
        await sign_in(pilot, "boss")
        await pilot.press("s")
        await until(pilot, lambda: isinstance(app.screen, SupervisorScreen))
        await until(pilot, lambda: "Queue: 1" in shown(app, "#live"))
        assert await screenshot(pilot) == svg
