"""Raw SQL for the few hot statements tortoise's query builder cannot express or makes slow.

Written with `?` placeholders; PostgreSQL gets them numbered. Runs on the connection of the
current transaction, if any. Driver errors come out as tortoise's (IntegrityError, ...), as
they do from its own queries: both backends translate them in `execute_query_dict`.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from tortoise import connections


@lru_cache(maxsize=256)
def _numbered(sql: str) -> str:
    parts = sql.split("?")
    return "".join(f"{part}${n}" for n, part in enumerate(parts[:-1], start=1)) + parts[-1]


def postgres() -> bool:
    return connections.get("default").capabilities.dialect == "postgres"


def rows(count: int, width: int) -> str:
    """`(?, ?), (?, ?)`: placeholders for a multi-row VALUES."""
    return ", ".join([f"({', '.join('?' * width)})"] * count)


async def fetch(sql: str, params: list[Any]) -> list[dict]:
    """The rows the statement returns (RETURNING's too)."""
    client = connections.get("default")
    if client.capabilities.dialect == "postgres":
        sql = _numbered(sql)
    # execute_query_dict fetches rows whatever the statement (execute_query drops RETURNING's).
    return await client.execute_query_dict(sql, params)
