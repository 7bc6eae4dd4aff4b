"""The unsent-results queue: on disk before sending, in order, each item gone once answered."""

from __future__ import annotations

from pathlib import Path

import pytest

from console.client import ApiError, Unreachable
from console.outbox import Kind, Outbox, Unsent, deliver


def item(key: str, operator: str = "sara", kind: Kind = Kind.OUTCOME) -> Unsent:
    return Unsent(key, kind, operator, {"callId": "1", "idempotencyKey": key})


def refusal(exc: Exception) -> bool:
    return isinstance(exc, ApiError)


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "data" / "unsent.sqlite3"


def test_items_survive_a_restart_in_order_and_a_key_is_kept_once(path: Path) -> None:
    outbox = Outbox(path)
    outbox.put(item("k1", kind=Kind.COMPLAINT))
    outbox.put(item("k2"))
    outbox.put(item("k1"))
    reopened = Outbox(path)
    assert [(i.key, i.kind) for i in reopened.pending()] == [
        ("k1", Kind.COMPLAINT),
        ("k2", Kind.OUTCOME),
    ]
    assert reopened.pending()[0].payload == {"callId": "1", "idempotencyKey": "k1"}


async def test_delivery_sends_one_operators_items_and_forgets_them(path: Path) -> None:
    outbox = Outbox(path)
    for key, operator in [("a", "sara"), ("b", "reza"), ("c", "sara")]:
        outbox.put(item(key, operator))
    sent: list[str] = []

    async def send(unsent: Unsent) -> None:
        sent.append(unsent.key)

    assert await deliver(outbox, "sara", send, refusal) == []
    assert sent == ["a", "c"]
    assert [i.key for i in outbox.pending()] == ["b"]
    assert outbox.count("sara") == 0


async def test_a_dropped_network_keeps_the_item_and_what_follows(path: Path) -> None:
    outbox = Outbox(path)
    outbox.put(item("a"))
    outbox.put(item("b"))

    async def down(unsent: Unsent) -> None:
        raise Unreachable("the server did not answer")

    with pytest.raises(Unreachable):
        await deliver(outbox, "sara", down, refusal)
    assert [i.key for i in outbox.pending()] == ["a", "b"]


async def test_a_refusal_is_set_aside_with_its_reason(path: Path) -> None:
    outbox = Outbox(path)
    outbox.put(item("a"))
    outbox.put(item("b"))

    async def refuse_a(unsent: Unsent) -> None:
        if unsent.key == "a":
            raise ApiError("CONFLICT", "the call is not yours")

    refused = await deliver(outbox, "sara", refuse_a, refusal)
    assert [(r.item.key, r.reason) for r in refused] == [("a", "the call is not yours")]
    assert outbox.pending() == []
    assert [r.item.key for r in outbox.refused()] == ["a"]
