"""Raw SQL for the few hot statements tortoise's query builder cannot express or makes slow.

Written with `?` placeholders; PostgreSQL gets them numbered. Runs on the connection of the
current transaction, if any.
"""

from __future__ import annotations

from typing import Any

from tortoise import connections


def _numbered(sql: str) -> str:
    parts = sql.split("?")
    return "".join(f"{part}${n}" for n, part in enumerate(parts[:-1], start=1)) + parts[-1]


async def fetch(sql: str, params: list[Any]) -> list[dict]:
    """The rows the statement returns (RETURNING's too)."""
    client = connections.get("default")
    if client.capabilities.dialect == "postgres":
        sql = _numbered(sql)
    # execute_query_dict fetches rows whatever the statement (execute_query drops RETURNING's).
    return await client.execute_query_dict(sql, params)
