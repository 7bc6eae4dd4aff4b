"""Results the operator confirmed that the server has not acknowledged yet.

Each outcome or complaint is written here, with its idempotency key, BEFORE it is sent, and
stays until the server answers: a dropped connection or a closed console loses nothing, and a
resend with the same key cannot record it twice. The file is a small SQLite database (one
writer, atomic commits), on the operator's PC.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Awaitable, Callable, Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any


class Kind(StrEnum):
    OUTCOME = "outcome"
    COMPLAINT = "complaint"


@dataclass(frozen=True)
class Unsent:
    key: str  # the idempotency key: also the row's identity
    kind: Kind
    operator: str  # whose session sends it (the server checks the claim is theirs)
    payload: dict[str, Any]


@dataclass(frozen=True)
class Refused:
    """The server answered with an error: the item left the queue, the operator is told why."""

    item: Unsent
    reason: str


SCHEMA = """
CREATE TABLE IF NOT EXISTS unsent (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    key TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    operator TEXT NOT NULL,
    payload TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS refused (
    key TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    operator TEXT NOT NULL,
    payload TEXT NOT NULL,
    reason TEXT NOT NULL
);
"""


class Outbox:
    """Durable FIFO of unsent results. Each call opens and closes its own connection (a few rows,
    milliseconds), so no handle outlives a call or crosses threads."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        with self._connection() as db:
            db.executescript(SCHEMA)

    @contextmanager
    def _connection(self) -> Iterator[sqlite3.Connection]:
        with closing(sqlite3.connect(self.path, timeout=5)) as db, db:
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=FULL")  # on disk before we send
            yield db

    def put(self, item: Unsent) -> None:
        """Keep an item; putting the same key again keeps the first."""
        with self._connection() as db:
            db.execute(
                "INSERT OR IGNORE INTO unsent (key, kind, operator, payload) VALUES (?, ?, ?, ?)",
                (item.key, item.kind.value, item.operator, json.dumps(item.payload)),
            )

    def pending(self, operator: str | None = None) -> list[Unsent]:
        """What is left to send, oldest first (a complaint before the outcome that closed its
        call); only one operator's when named."""
        query = "SELECT key, kind, operator, payload FROM unsent"
        args: tuple[str, ...] = ()
        if operator is not None:
            query += " WHERE operator = ?"
            args = (operator,)
        with self._connection() as db:
            rows = db.execute(query + " ORDER BY seq", args).fetchall()
        return [
            Unsent(key, Kind(kind), who, json.loads(payload)) for key, kind, who, payload in rows
        ]

    def count(self, operator: str | None = None) -> int:
        return len(self.pending(operator))

    def sent(self, key: str) -> None:
        with self._connection() as db:
            db.execute("DELETE FROM unsent WHERE key = ?", (key,))

    def refuse(self, item: Unsent, reason: str) -> None:
        with self._connection() as db:
            db.execute("DELETE FROM unsent WHERE key = ?", (item.key,))
            db.execute(
                "INSERT OR REPLACE INTO refused (key, kind, operator, payload, reason)"
                " VALUES (?, ?, ?, ?, ?)",
                (item.key, item.kind.value, item.operator, json.dumps(item.payload), reason),
            )

    def refused(self) -> list[Refused]:
        with self._connection() as db:
            rows = db.execute("SELECT key, kind, operator, payload, reason FROM refused").fetchall()
        return [
            Refused(Unsent(key, Kind(kind), who, json.loads(payload)), reason)
            for key, kind, who, payload, reason in rows
        ]


Send = Callable[[Unsent], Awaitable[None]]


async def deliver(
    outbox: Outbox, operator: str, send: Send, is_refusal: Callable[[Exception], bool]
) -> list[Refused]:
    """Send one operator's items in order until the queue is empty.

    An exception `is_refusal` accepts is the server's answer: the item is set aside as refused.
    Any other exception (the network) stops the round and propagates, leaving the rest queued
    for the next try.
    """
    refusals = []
    for item in outbox.pending(operator):
        try:
            await send(item)
        except Exception as exc:
            if not is_refusal(exc):
                raise
            refusals.append(Refused(item, str(exc)))
            outbox.refuse(item, str(exc))
        else:
            outbox.sent(item.key)
    return refusals
