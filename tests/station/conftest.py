"""End to end: the station against a live `loyalty serve` on the test database, tapping cards
emulated by nfcpy over UDP (its simulated reader speaks the real protocol)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from loyalty.actors import Actor
from loyalty.models import Role, StaffUser
from nfc_station.api import Api
from nfc_station.cardsim import CardFile, CardSim
from nfc_station.cli import on_one_tap
from nfc_station.station import Station
from nfc_station.store import Store
from nfc_station.tags import CardOnReader, read
from tests import factories as f
from tests.conftest import empty_tables

ROOT = Path(__file__).resolve().parents[2]
STARTUP_SECONDS = 60
TAP_SECONDS = 30


def free_port(kind: int = socket.SOCK_STREAM) -> int:
    with socket.socket(socket.AF_INET, kind) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LiveServer:
    """`loyalty serve` in a child process; stopped and started again on the same port to play
    a link that goes down and comes back."""

    def __init__(self, database_url: str, log: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        if database_url.startswith("sqlite"):
            database_url += "?busy_timeout=5000"
        self.env = {**os.environ, "LOYALTY_DATABASE_URL": database_url}
        self.log = log
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        with self.log.open("a") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "cli.main", "serve", "--port", str(self.port),
                 "--no-access-log", "--log-level", "warning"],
                cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT,
            )  # fmt: skip
        deadline = time.monotonic() + STARTUP_SECONDS
        while True:
            try:
                with urllib.request.urlopen(self.url + "/healthz", timeout=2):
                    return
            except OSError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(
                        f"the server did not start:\n{self.log.read_text()}"
                    ) from None
                time.sleep(0.1)

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
            self.process = None


@dataclass
class Club:
    server: LiveServer
    station: Station
    device: str
    tmp: Path
    branch_id: int
    station_user: str
    cashier: Api
    cashier_actor: Actor
    cashier_user: str

    def card(
        self, name: str, *, blank: bool = True, kind: int | None = None, model: str | None = None
    ) -> CardFile:
        return CardFile(self.tmp / f"{name}.json", blank=blank, kind=kind, model=model)

    def tap(self, card: CardFile, handle, **sim):
        """Present the card to the reader (`sim`: how the card behaves, see CardSim), run
        `handle(tag)` on the tap, take the card away."""
        sim = CardSim(self.device, card, **sim).start()
        try:
            result = on_one_tap(self.device, handle, TAP_SECONDS)
        finally:
            sim.stop()
        assert result is not None, "the reader saw no card"
        return result

    def tap_to_write(self, card: CardFile, handle, **tap) -> dict:
        """A tap that writes the card, as staff do it: one the station could not write is
        tapped again (on a loaded machine the emulated card can miss the reader's deadlines)."""
        for _ in range(3):
            result = self.tap(card, handle, **tap)
            if result.get("code") != "CARD_NOT_WRITTEN" or tap:
                break
        return result

    def enrol(self, card: CardFile, member: dict, **tap) -> dict:
        return self.tap_to_write(card, lambda tag: self.station.enrol(tag, member), **tap)

    def read(self, card: CardFile) -> CardOnReader:
        return self.tap(card, read)

    def new_station(self) -> Station:
        """The station started again on the same queue file."""
        self.station.store.close()
        self.station.api.close()
        self.station = Station(api(self.server, self.station_user), Store(self.tmp / "q.sqlite3"))
        return self.station


def api(server: LiveServer, username: str) -> Api:
    return Api(server.url, username, f.PASSWORD, timeout=3)


@pytest.fixture(autouse=True)
async def clean_db() -> None:
    """The live server is shared by this package's tests (starting one takes seconds): it
    keeps the database, and every test makes its own branch, staff, members and cards."""


@pytest.fixture(scope="package")
async def live_server(orm: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    await empty_tables()
    server = LiveServer(orm, tmp_path_factory.mktemp("server") / "serve.log")
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
async def club(live_server: LiveServer, tmp_path: Path) -> Iterator[Club]:
    if live_server.process is None:  # a test that took it down failed before it came back
        live_server.start()
    branch = await f.branch()
    station_actor = await f.staff_actor(Role.STATION, branch.id)
    cashier_actor = await f.staff_actor(Role.CASHIER, branch.id)
    names = dict(
        await StaffUser.filter(id__in=[station_actor.id, cashier_actor.id]).values_list(
            "id", "username"
        )
    )
    station = Station(api(live_server, names[station_actor.id]), Store(tmp_path / "q.sqlite3"))
    club = Club(
        live_server,
        station,
        f"udp:127.0.0.1:{free_port(socket.SOCK_DGRAM)}",
        tmp_path,
        branch.id,
        names[station_actor.id],
        api(live_server, names[cashier_actor.id]),
        cashier_actor,
        names[cashier_actor.id],
    )
    try:
        yield club
    finally:
        club.station.store.close()
