"""Idempotent writes: the same key with the same request returns the first result;
the same key with a different request is an error."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Awaitable, Callable
from typing import Any, Protocol, TypeVar

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from loyalty.errors import Conflict, ErrorCode, InvalidInput

MAX_KEY_LENGTH = 128
# Keys the domain derives for the transactions it posts start with "#", which clients cannot use.
_CLIENT_KEY = re.compile(rf"[A-Za-z0-9_.:\-]{{1,{MAX_KEY_LENGTH}}}")


class Keyed(Protocol):
    request_hash: str


T = TypeVar("T", bound=Keyed)


def request_hash(request: dict[str, Any]) -> str:
    canonical = json.dumps(request, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def check_key(key: str) -> str:
    if not isinstance(key, str) or not _CLIENT_KEY.fullmatch(key):
        raise InvalidInput(
            f"an idempotency key of 1 to {MAX_KEY_LENGTH} letters, digits or _.:- is required "
            "(a UUID is a good choice)",
            field="idempotencyKey",
        )
    return key


def derived_key(*parts: object) -> str:
    return "#" + ":".join(str(p) for p in parts)


def _replay(existing: T, digest: str) -> T:
    if existing.request_hash != digest:
        raise Conflict(
            "this idempotency key was already used for a different request",
            code=ErrorCode.IDEMPOTENCY_CONFLICT,
        )
    return existing


async def run_once(
    digest: str,
    find_existing: Callable[[], Awaitable[T | None]],
    write: Callable[[], Awaitable[T]],
    on_integrity_error: Callable[[], Awaitable[None]] | None = None,
    *,
    look_first: bool = True,
) -> tuple[T, bool]:
    """Run `write` in a database transaction unless a record with this key exists.

    Returns the record and whether it was replayed. A concurrent request with the same key
    loses the unique-key race inside the database and gets the winner's record instead.
    `on_integrity_error` may raise a specific error for other unique constraints.
    `look_first=False` skips the read before writing, for writes whose first insert claims the
    key (a replay then costs a failed insert; a first request one round trip less).
    """
    if look_first:
        existing = await find_existing()
        if existing is not None:
            return _replay(existing, digest), True
    try:
        async with in_transaction():
            return await write(), False
    except IntegrityError:
        existing = await find_existing()
        if existing is not None:
            return _replay(existing, digest), True
        if on_integrity_error is not None:
            await on_integrity_error()
        raise
