"""The reader unplugged and plugged back: nfcpy's UDP reader loses its device underneath the
station (as a USB reader pulled out does: nfcpy's next call fails with an I/O error), the
station says so, opens it again and goes on reading taps."""

from __future__ import annotations

import asyncio
import queue
import time

from textual.widgets import Static

from nfc_station import tags
from nfc_station.cardsim import CardSim
from nfc_station.screen import StationApp
from nfc_station.tags import Reader
from tests.station.conftest import TAP_SECONDS, Club
from tests.station.test_screen import text, until
from tests.station.test_station_e2e import enrol

UNPLUGGED = (False, "the device stopped answering (unplugged?)")


def unplug(reader: Reader) -> None:
    """Close the reader's device underneath the station, between two of nfcpy's calls."""
    frontend = reader.frontend
    assert frontend is not None, reader.state
    frontend.close()


def wait_for(condition, seconds: float = TAP_SECONDS) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline
        time.sleep(0.01)


async def test_a_reader_unplugged_with_a_card_on_it_comes_back_and_reads_it(club: Club) -> None:
    card = club.card("replug")
    number = enrol(club, card)["card"]
    states: list[tuple[bool, str]] = []
    seen_while_gone: list[str] = []
    served: queue.Queue[dict] = queue.Queue()

    def on_state(ready: bool, detail: str) -> None:
        states.append((ready, detail))
        if not ready:
            seen_while_gone.append(reader.state)

    reader = Reader(
        club.device, lambda tag: served.put(club.station.balance(tags.read(tag))), on_state=on_state
    ).start()
    sim = CardSim(club.device, card).start()
    try:
        first = served.get(timeout=TAP_SECONDS)
        assert (first["ok"], first["card"]) == (True, number), first
        unplug(reader)  # the card stays on it, held, when the device goes
        wait_for(lambda: UNPLUGGED in states)
        assert seen_while_gone == ["READER UNAVAILABLE: the device stopped answering (unplugged?)"]
        # Opened again a second later: the card still on it is read again.
        again = served.get(timeout=TAP_SECONDS)
        assert (again["ok"], again["card"]) == (True, number), again
        assert states == [(True, ""), UNPLUGGED, (True, "")]
        assert reader.state == "reader ready"
    finally:
        sim.stop()
        reader.stop()


async def test_a_reader_that_cannot_be_opened_is_reported_and_retried(club: Club) -> None:
    states: list[tuple[bool, str]] = []
    reader = Reader(
        "udp:reader.invalid:1", lambda tag: None, on_state=lambda *state: states.append(state)
    ).start()
    try:
        wait_for(lambda: len(states) >= 2, seconds=5)  # tried, and tried again a second later
    finally:
        reader.stop()
    assert all(ready is False for ready, _ in states), states
    assert reader.state.startswith("READER UNAVAILABLE: ")


async def test_the_screen_shows_the_reader_gone_then_back(club: Club) -> None:
    card = club.card("screen")
    assert enrol(club, card)["ok"]
    app = StationApp(club.station, club.device)
    async with app.run_test(size=(100, 40)) as pilot:
        await until(app, pilot, lambda: text(app, "#status").endswith("· reader ready"))
        sim = CardSim(club.device, card).start()
        try:
            await until(app, pilot, lambda: "Purchase: fill it in" in text(app, "#result"))
            app.query_one("#result", Static).update("")
            # Unplugged with the card on it (between nfcpy's calls: the card is held, so the
            # reader is not in the middle of sensing on the UDP link, which takes seconds).
            await asyncio.to_thread(unplug, app.reader)
            await until(app, pilot, lambda: "READER UNAVAILABLE" in text(app, "#status"))
            assert app.query_one("#status").has_class("offline")
            await until(app, pilot, lambda: text(app, "#status").endswith("· reader ready"))
            await until(app, pilot, lambda: "Purchase: fill it in" in text(app, "#result"))
        finally:
            await asyncio.to_thread(sim.stop)
