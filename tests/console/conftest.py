"""The console against the real API: uvicorn serving the app on a free loopback port, in the
tests' event loop (so it shares their database connections and caches), and a TCP proxy in
front of it that a test can cut and restore."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import time_machine
import uvicorn

from api.app import create_app
from console.app import Console, make_console
from console.settings import ConsoleSettings
from jobs.sms import LogSender
from loyalty import staff
from loyalty.actors import SYSTEM
from loyalty.models import Role
from loyalty.settings import get_settings
from tests.factories import PASSWORD

# The server and the consoles live at this moment (the clock ticks on from it): screens show
# the same dates on any day, and calls fall inside the default calling hours.
MOMENT = datetime(2026, 12, 6, 10, 0, tzinfo=ZoneInfo("Asia/Tehran"))
TODAY = MOMENT.date()


@pytest.fixture(autouse=True)
def clock() -> Iterator[None]:
    with time_machine.travel(MOMENT, tick=True):
        yield


def free_socket() -> socket.socket:
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    return listener


@pytest.fixture
async def server(orm: str) -> AsyncIterator[str]:
    """The API's base URL."""
    app = create_app(get_settings(), sms_sender=LogSender(), manage_database=False)
    listener = free_socket()
    config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off")
    running = uvicorn.Server(config)
    task = asyncio.create_task(running.serve(sockets=[listener]))
    while not running.started:  # noqa: ASYNC110 (uvicorn offers no event for it)
        await asyncio.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        running.should_exit = True
        await task
        listener.close()


class Proxy:
    """A loopback TCP proxy to the server; `cut()` drops every connection and refuses new ones
    until `restore()`."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.port = 0
        self.listener: asyncio.Server | None = None
        self.pipes: set[asyncio.StreamWriter] = set()

    async def restore(self) -> None:
        self.listener = await asyncio.start_server(self._serve, "127.0.0.1", self.port)
        self.port = self.listener.sockets[0].getsockname()[1]

    async def cut(self) -> None:
        assert self.listener is not None
        self.listener.close()
        for writer in list(self.pipes):
            writer.transport.abort()
        await self.listener.wait_closed()
        self.listener = None

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.target_port)
        self.pipes |= {writer, up_writer}

        async def pump(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
            try:
                while data := await source.read(65536):
                    sink.write(data)
                    await sink.drain()
            except (ConnectionError, OSError):
                pass
            finally:
                sink.transport.abort()
                self.pipes.discard(sink)

        await asyncio.gather(pump(reader, up_writer), pump(up_reader, writer))


@pytest.fixture
async def proxy(server: str) -> AsyncIterator[Proxy]:
    through = Proxy(int(server.rsplit(":", 1)[1]))
    await through.restore()
    yield through
    if through.listener is not None:
        await through.cut()


@dataclass
class Operator:
    username: str
    id: int


async def make_staff(username: str, role: Role, display_name: str = "") -> Operator:
    user = await staff.create_staff(
        SYSTEM, username=username, password=PASSWORD, role=role, display_name=display_name
    )
    return Operator(username, user.id)


ConsoleFactory = Callable[..., Console]


@pytest.fixture
def console_for(tmp_path: Path, server: str) -> ConsoleFactory:
    """A console on the test server, its unsent results under the test's directory."""

    def build(name: str = "console", **settings: object) -> Console:
        chosen = {
            "server": server,
            "queue_path": tmp_path / name / "unsent.sqlite3",
            "export_dir": tmp_path,
            "calendar": "gregorian",
            "language": "en",
            "retry_max_seconds": 0.2,
            # The server shares the tests' event loop and database: on a loaded machine (CI) a
            # request can take seconds, and no test waits on a request timing out.
            "request_seconds": 15.0,
            **settings,
        }
        return make_console(ConsoleSettings(**chosen), today=lambda: TODAY)  # type: ignore[arg-type]

    return build
