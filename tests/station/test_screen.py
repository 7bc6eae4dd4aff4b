"""The staff screen, driven by Textual's Pilot, with the UDP reader, an emulated card and the
live server."""

from __future__ import annotations

import asyncio
import time

from textual.widgets import Select, Static

from nfc_station.cardsim import CardSim
from nfc_station.screen import StationApp
from tests import factories as f
from tests.station.conftest import TAP_SECONDS, Club


def text(app: StationApp, selector: str) -> str:
    return str(app.query_one(selector, Static).content)


async def until(app: StationApp, pilot, condition) -> None:
    deadline = time.monotonic() + TAP_SECONDS
    while not condition():
        assert time.monotonic() < deadline, text(app, "#result")
        await pilot.pause(0.05)


async def tap(app: StationApp, pilot, club: Club, card, shown: str) -> None:
    """Present the card until the screen shows what was expected, then take it away, until
    the reader has found it gone (staff do not tap again within the reader's presence check:
    a card put back before that was never away)."""
    sim = CardSim(club.device, card).start()
    try:
        await until(app, pilot, lambda: shown in text(app, "#result"))
    finally:
        await asyncio.to_thread(sim.stop)
    await until(app, pilot, lambda: not app.reader.holding.is_set())


async def fill(app: StationApp, pilot, amount: str, paid: str | None = None) -> None:
    await pilot.click("#amount")
    app.query_one("#amount").value = ""
    await pilot.press(*amount)
    if paid is not None:
        app.query_one("#paid", Select).value = paid
        await pilot.pause()


async def choose(app: StationApp, pilot, mode: str) -> None:
    app.query_one("#mode", Select).value = mode
    await pilot.pause()


async def test_staff_tap_then_top_up_then_pay_offline_on_the_screen(club: Club) -> None:
    card = club.card("sara")
    member = {"phone": f.phone(), "firstName": "Sara"}
    assert club.enrol(card, member)["ok"]
    app = StationApp(club.station, club.device, keeper=club.cashier)
    async with app.run_test(size=(100, 40)) as pilot:
        await until(app, pilot, lambda: text(app, "#status").startswith("online"))
        await choose(app, pilot, "topup")
        await fill(app, pilot, "250000", paid="CASH")
        await pilot.click("#ready")
        assert text(app, "#result") == "Tap the card first"

        # The tap comes first: the member and their balances, before any amount is taken.
        await tap(app, pilot, club, card, "Top up credit: fill it in and confirm")
        assert "Sara" in text(app, "#result") and "Credit: 0 Rials" in text(app, "#result")
        app.query_one("#paid", Select).clear()
        await pilot.click("#ready")
        assert text(app, "#result") == "Choose how the member paid: cash or card"
        await fill(app, pilot, "250000", paid="CASH")
        await pilot.click("#ready")
        await until(app, pilot, lambda: "Credit: 250000 Rials" in text(app, "#result"))
        assert "Sara" in text(app, "#result")
        # Confirmed once: the next confirm needs the next tap.
        await fill(app, pilot, "1000", paid="CASH")
        await pilot.click("#ready")
        assert text(app, "#result") == "Tap the card first"

        club.server.stop()
        try:
            await choose(app, pilot, "pay")
            await tap(app, pilot, club, card, "Pay with credit: fill it in and confirm")
            assert "Credit: 250000 Rials" in text(app, "#result")  # as last seen here
            await fill(app, pilot, "100000")
            await pilot.click("#ready")
            await until(app, pilot, lambda: "Offline" in text(app, "#result"))
            assert "Credit: 150000 Rials" in text(app, "#result")
            assert text(app, "#status") == "OFFLINE · queue: 1 · reader ready"
        finally:
            club.server.start()
        await pilot.press("ctrl+s")
        await until(app, pilot, lambda: text(app, "#status") == "online · queue: 0 · reader ready")


async def test_a_card_keeper_blocks_the_card_tapped_on_the_screen(club: Club) -> None:
    card = club.card("lost")
    assert club.enrol(card, {"phone": f.phone(), "firstName": "Reza"})["ok"]
    app = StationApp(club.station, club.device, keeper=club.cashier)
    async with app.run_test(size=(100, 40)) as pilot:
        await until(app, pilot, lambda: text(app, "#status").startswith("online"))
        await choose(app, pilot, "block")
        await tap(app, pilot, club, card, "Block a card: fill it in and confirm")
        assert "Reza" in text(app, "#result")
        await pilot.click("#reason")
        await pilot.press(*"damaged")
        await pilot.click("#ready")
        await until(app, pilot, lambda: "BLOCKED" in text(app, "#result"))
        assert "Reza" in text(app, "#result")
        # Tapped again, it is refused: nothing is left to confirm.
        await tap(app, pilot, club, card, "Refused (CARD_BLOCKED)")
        await pilot.click("#ready")
        assert text(app, "#result") == "Tap the card first"
