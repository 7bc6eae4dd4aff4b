"""The station's own SQLite file: the queue of operations and what it last saw of each card.

Every operation is written here, with its idempotency key, before it is sent; it stays until
the server answered it. The queue is replayed in order. SQLite's own durability (a committed
row survives a crash or a power cut) is what makes a restart lose nothing.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

SCHEMA = """
CREATE TABLE IF NOT EXISTS operation (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    key TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    variables TEXT NOT NULL,
    card_number TEXT NOT NULL,
    credit INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL,
    accepted_offline_at TEXT,
    offline_day TEXT,
    state TEXT NOT NULL DEFAULT 'new',
    answer TEXT
);
CREATE INDEX IF NOT EXISTS operation_state ON operation (state, seq);
CREATE TABLE IF NOT EXISTS card (
    number TEXT PRIMARY KEY,
    uid TEXT NOT NULL,
    status TEXT NOT NULL,
    member TEXT NOT NULL,
    seen_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS setting (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""

# new: written, not yet answered; offline: accepted while offline, waiting to sync;
# done: the server accepted it; failed: the server refused it (kept for review when offline).
NEW, OFFLINE, DONE, FAILED = "new", "offline", "done", "failed"
WAITING = (NEW, OFFLINE)


@dataclass(frozen=True, slots=True)
class Operation:
    seq: int
    key: str
    kind: str
    variables: dict[str, Any]
    card_number: str
    credit: int
    accepted_offline_at: str | None
    state: str


@dataclass(frozen=True, slots=True)
class SeenCard:
    number: str
    uid: str
    status: str
    member: dict[str, Any]
    seen_at: str


def now() -> str:
    return datetime.now(UTC).isoformat()


class Store:
    def __init__(self, path: str | Path) -> None:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.executescript(SCHEMA)
        self._lock = threading.Lock()

    def close(self) -> None:
        self._db.close()

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def add(self, kind: str, variables: dict[str, Any], card_number: str, credit: int) -> str:
        """Write an operation with a new idempotency key, before it is sent."""
        key = str(uuid.uuid4())
        variables = {**variables, "idempotencyKey": key}
        with self._transaction() as db:
            db.execute(
                "INSERT INTO operation (key, kind, variables, card_number, credit, created_at)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (key, kind, json.dumps(variables), card_number, credit, now()),
            )
        return key

    def get(self, key: str) -> Operation:
        with self._lock:
            row = self._db.execute(
                "SELECT seq, key, kind, variables, card_number, credit, accepted_offline_at,"
                " state FROM operation WHERE key = ?",
                (key,),
            ).fetchone()
        return _operation(row)

    def waiting(self) -> list[Operation]:
        """What the server has not answered yet, in the order it was taken."""
        with self._lock:
            rows = self._db.execute(
                "SELECT seq, key, kind, variables, card_number, credit, accepted_offline_at,"
                " state FROM operation WHERE state IN (?, ?) ORDER BY seq",
                WAITING,
            ).fetchall()
        return [_operation(r) for r in rows]

    def queue_size(self) -> int:
        with self._lock:
            return self._db.execute(
                "SELECT count(*) FROM operation WHERE state IN (?, ?)", WAITING
            ).fetchone()[0]

    def accept_offline(self, key: str, day: str) -> None:
        with self._transaction() as db:
            db.execute(
                "UPDATE operation SET state = ?, accepted_offline_at = ?, offline_day = ?"
                " WHERE key = ?",
                (OFFLINE, now(), day, key),
            )

    def drop(self, key: str) -> None:
        """An operation refused before it was accepted: it never happened."""
        with self._transaction() as db:
            db.execute("DELETE FROM operation WHERE key = ? AND state = ?", (key, NEW))

    def answered(self, key: str, ok: bool, answer: dict[str, Any]) -> None:
        with self._transaction() as db:
            db.execute(
                "UPDATE operation SET state = ?, answer = ? WHERE key = ?",
                (DONE if ok else FAILED, json.dumps(answer), key),
            )

    def answer(self, key: str) -> dict[str, Any] | None:
        with self._lock:
            row = self._db.execute("SELECT answer FROM operation WHERE key = ?", (key,)).fetchone()
        return json.loads(row[0]) if row and row[0] else None

    def offline_credit(self, card_number: str | None = None, day: str | None = None) -> int:
        """Rials of credit accepted offline: not yet synced (for a card, or the whole
        station), or on one day for a card whatever became of it."""
        query = (
            "SELECT coalesce(sum(credit), 0) FROM operation WHERE accepted_offline_at IS NOT NULL"
        )
        args: list[Any] = []
        if day is None:
            query += " AND state = ?"
            args.append(OFFLINE)
        else:
            query += " AND offline_day = ? AND state != ?"
            args += [day, FAILED]
        if card_number is not None:
            query += " AND card_number = ?"
            args.append(card_number)
        with self._lock:
            return self._db.execute(query, args).fetchone()[0]

    def count(self, state: str) -> int:
        with self._lock:
            return self._db.execute(
                "SELECT count(*) FROM operation WHERE state = ?", (state,)
            ).fetchone()[0]

    def remember(self, number: str, uid: str, status: str, member: dict[str, Any]) -> None:
        with self._transaction() as db:
            db.execute(
                "INSERT INTO card (number, uid, status, member, seen_at) VALUES (?, ?, ?, ?, ?)"
                " ON CONFLICT (number) DO UPDATE SET uid = excluded.uid, status = excluded.status,"
                " member = excluded.member, seen_at = excluded.seen_at",
                (number, uid, status, json.dumps(member), now()),
            )

    def seen(self, number: str) -> SeenCard | None:
        with self._lock:
            row = self._db.execute(
                "SELECT number, uid, status, member, seen_at FROM card WHERE number = ?",
                (number,),
            ).fetchone()
        return SeenCard(row[0], row[1], row[2], json.loads(row[3]), row[4]) if row else None

    def update_balances(self, number: str, balances: dict[str, int]) -> None:
        seen = self.seen(number)
        if seen is not None:
            member = {**seen.member, "balances": balances}
            self.remember(number, seen.uid, seen.status, member)

    def setting(self, key: str) -> Any:
        with self._lock:
            row = self._db.execute("SELECT value FROM setting WHERE key = ?", (key,)).fetchone()
        return json.loads(row[0]) if row else None

    def set_setting(self, key: str, value: Any) -> None:
        with self._transaction() as db:
            db.execute(
                "INSERT INTO setting (key, value) VALUES (?, ?)"
                " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                (key, json.dumps(value)),
            )


def _operation(row: tuple) -> Operation:
    return Operation(row[0], row[1], row[2], json.loads(row[3]), row[4], row[5], row[6], row[7])
