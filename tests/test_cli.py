"""The nightly programme commands, as an operator or the scheduled job runs them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent


def loyalty(*args: str, database: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "LOYALTY_DATABASE_URL": f"sqlite://{database}"}
    return subprocess.run(
        [sys.executable, "-m", "cli.main", *args],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
        env=env,
    )


@pytest.fixture(scope="module")
def database(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("cli") / "club.sqlite3"
    assert loyalty("db", "upgrade", database=path).returncode == 0
    return path


@pytest.mark.parametrize(
    ("command", "report"),
    [
        ("expire-points", {"members": 0, "points": 0}),
        ("review-tiers", {"reviewed": 0}),
        ("draw-lotteries", {"drawn": [], "paid": 0}),
    ],
)
def test_nightly_commands_print_what_they_did(database: Path, command: str, report: dict) -> None:
    done = loyalty(command, "--at", "2027-03-21T00:00:00+03:30", database=database)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.strip().splitlines()[-1]) == report


@pytest.mark.parametrize("at", ["2027-03-21T00:00:00", "tomorrow"])
def test_a_moment_without_a_zone_is_refused(database: Path, at: str) -> None:
    done = loyalty("review-tiers", "--at", at, database=database)
    assert done.returncode == 2
    assert "with its zone" in done.stderr


def test_the_leaderboard_is_rebuilt_on_demand(database: Path) -> None:
    done = loyalty("leaderboard", "rebuild", database=database)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.strip().splitlines()[-1]) == {"kept_in": "database", "entries": 0}
    unknown = loyalty("leaderboard", "rebuild", "--branch", "NOPE", database=database)
    assert unknown.returncode == 2
    assert "no branch with code NOPE" in unknown.stderr
