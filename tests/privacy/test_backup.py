"""`loyalty backup` / `loyalty restore`: a round trip keeps the ledger exactly."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from contextlib import closing
from pathlib import Path

import pytest

from loyalty import backup
from loyalty.ledger import Purse
from tests import factories as f
from tests.conftest import _create_postgres_database, _drop_postgres_database, is_postgres

ROOT = Path(__file__).parent.parent.parent
LEDGER = {
    "transactions": "SELECT id, kind, member_id, idempotency_key, points, credit "
    "FROM journal_transaction ORDER BY id",
    "postings": "SELECT * FROM posting ORDER BY id",
    "balances": "SELECT id, code, balance FROM account ORDER BY id",
}


async def ledger_of(url: str) -> dict[str, list[tuple]]:
    if url.startswith("sqlite"):
        with closing(sqlite3.connect(url.removeprefix("sqlite://"))) as db:
            return {name: db.execute(sql).fetchall() for name, sql in LEDGER.items()}
    import asyncpg

    db = await asyncpg.connect(url.replace("postgres://", "postgresql://", 1))
    try:
        return {name: [tuple(r) for r in await db.fetch(sql)] for name, sql in LEDGER.items()}
    finally:
        await db.close()


def loyalty(command: str, file: Path, url: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "cli.main", command, str(file)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
        env={"PATH": "/usr/bin:/bin", "LOYALTY_DATABASE_URL": url},
    )


def as_tortoise_writes_it(url: str) -> str:
    """The same database in another of tortoise's spellings, with its options: a backup reads
    the URL the way the server does."""
    if url.startswith("sqlite"):
        return f"{url}?journal_mode=WAL"
    return url.replace("postgres://", "asyncpg://", 1) + "?minsize=1&maxsize=2"


async def _another_database(orm: str, tmp_path: Path) -> tuple[str, str | None]:
    if is_postgres():
        url, name = await _create_postgres_database(orm)
        return url, name
    return f"sqlite://{tmp_path / 'restored.sqlite3'}", None


async def test_a_round_trip_keeps_the_ledger(orm: str, tmp_path: Path) -> None:
    member = await f.member()
    await f.give(member.id, Purse.CREDIT, 70_000)
    await f.give(member.id, Purse.POINTS, 120)
    before = await ledger_of(orm)
    assert before["postings"] and before["transactions"]

    file = tmp_path / "club.backup"
    made = loyalty("backup", file, as_tortoise_writes_it(orm))
    assert made.returncode == 0, made.stderr
    await f.give(member.id, Purse.POINTS, 5)  # after the backup: not in it

    target, name = await _another_database(orm, tmp_path)
    try:
        for _ in range(2):  # restoring over a restored database replaces it whole
            back = loyalty("restore", file, target)
            assert back.returncode == 0, back.stderr
            assert await ledger_of(target) == before
    finally:
        if name is not None:
            await _drop_postgres_database(orm, name)


def test_a_file_that_is_not_a_backup_is_refused(tmp_path: Path) -> None:
    junk = tmp_path / "junk.db"
    junk.write_text("not a database")
    target = f"sqlite://{tmp_path / 'club.sqlite3'}"
    done = loyalty("restore", junk, target)
    assert done.returncode == 1 and "not an SQLite backup" in done.stderr
    missing = loyalty("restore", tmp_path / "nope", target)
    assert missing.returncode == 1 and "does not exist" in missing.stderr


def test_missing_postgres_tools_are_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # no pg_dump on this PATH
    with pytest.raises(backup.BackupFailed, match="pg_dump was not found: install"):
        backup.backup("postgres://postgres@127.0.0.1:5432/club", tmp_path / "x")


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("mysql://root@127.0.0.1/club", "SQLite and PostgreSQL databases, not"),
        ("gopher://club", "not one tortoise reads: Unknown DB scheme: gopher"),
        ("sqlite://:memory:", "an in-memory database has nothing to back up"),
    ],
)
def test_a_database_that_cannot_be_backed_up_is_named(tmp_path: Path, url: str, why: str) -> None:
    with pytest.raises(backup.BackupFailed, match=why):
        backup.backup(url, tmp_path / "x")
    assert not (tmp_path / "x").exists()
