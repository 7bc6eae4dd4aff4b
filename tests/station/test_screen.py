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


async def arm(app: StationApp, pilot, mode: str, amount: str) -> None:
    app.query_one("#mode", Select).value = mode
    await pilot.pause()
    await pilot.click("#amount")
    app.query_one("#amount").value = ""
    await pilot.press(*amount)
    await pilot.click("#ready")
    assert "tap the card" in text(app, "#result")


async def test_staff_top_up_then_pay_offline_on_the_screen(club: Club) -> None:
    card = club.card("sara")
    member = {"phone": f.phone(), "firstName": "Sara"}
    assert club.enrol(card, member)["ok"]
    app = StationApp(club.station, club.device, keeper=club.cashier)
    async with app.run_test(size=(100, 40)) as pilot:
        await until(app, pilot, lambda: text(app, "#status").startswith("online"))
        await arm(app, pilot, "topup", "250000")
        sim = CardSim(club.device, card).start()
        try:
            await until(app, pilot, lambda: "Credit" in text(app, "#result"))
        finally:
            await asyncio.to_thread(sim.stop)
        assert "Credit: 250000 Rials" in text(app, "#result")
        assert "Sara" in text(app, "#result")

        club.server.stop()
        try:
            await arm(app, pilot, "pay", "100000")
            sim = CardSim(club.device, card).start()
            try:
                await until(app, pilot, lambda: "Offline" in text(app, "#result"))
            finally:
                await asyncio.to_thread(sim.stop)
            assert "Credit: 150000 Rials" in text(app, "#result")
            assert text(app, "#status") == "OFFLINE · queue: 1"
        finally:
            club.server.start()
        await pilot.press("ctrl+s")
        await until(app, pilot, lambda: text(app, "#status") == "online · queue: 0")
