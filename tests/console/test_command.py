"""`loyalty console`: the server comes from the flag, else from the console's setting."""

from __future__ import annotations

import logging

import pytest

from cli import main as cli
from console.app import Console


@pytest.mark.parametrize(
    ("argv", "env", "server"),
    [
        (["console"], {}, "http://127.0.0.1:8000"),
        (["console"], {"LOYALTY_CONSOLE_SERVER": "http://calls:8000"}, "http://calls:8000"),
        (["console", "--server", "http://flag:9000"], {"LOYALTY_CONSOLE_SERVER": "http://x"},
         "http://flag:9000"),
    ],
)  # fmt: skip
def test_the_server_setting(
    monkeypatch: pytest.MonkeyPatch, tmp_path: object, argv: list[str], env: dict, server: str
) -> None:
    started: list[Console] = []
    monkeypatch.setattr(Console, "run", lambda app: started.append(app))
    monkeypatch.setenv("LOYALTY_CONSOLE_QUEUE_PATH", f"{tmp_path}/unsent.sqlite3")
    monkeypatch.delenv("LOYALTY_CONSOLE_SERVER", raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert cli.main(argv) == 0
    assert started[0].settings.server == server
    # Nothing logs onto the terminal under the screen.
    assert [type(h).__name__ for h in logging.getLogger().handlers] == ["TextualHandler"]
