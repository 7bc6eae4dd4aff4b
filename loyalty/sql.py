"""Raw SQL for the few hot statements tortoise's query builder cannot express or makes slow.

Written with `?` placeholders; PostgreSQL gets them numbered. Runs on the connection of the
current transaction, if any. Driver errors come out as tortoise's (IntegrityError, ...), as
they do from its own queries: both backends translate them in `execute_query_dict`.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from tortoise import connections
from tortoise.models import Model


@lru_cache(maxsize=256)
def _numbered(sql: str) -> str:
    parts = sql.split("?")
    return "".join(f"{part}${n}" for n, part in enumerate(parts[:-1], start=1)) + parts[-1]


def postgres() -> bool:
    return connections.get("default").capabilities.dialect == "postgres"


def placeholders(count: int, width: int) -> str:
    """`(?, ?), (?, ?)`: placeholders for a multi-row VALUES."""
    return ", ".join([f"({', '.join('?' * width)})"] * count)


async def fetch(sql: str, params: list[Any]) -> list[dict]:
    """The rows the statement returns (RETURNING's too)."""
    client = connections.get("default")
    if client.capabilities.dialect == "postgres":
        sql = _numbered(sql)
    # execute_query_dict fetches rows whatever the statement (execute_query drops RETURNING's).
    return await client.execute_query_dict(sql, params)


async def insert(
    table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]], returning: str = ""
) -> list[dict]:
    """One INSERT of all `rows` (values in `columns` order): one round trip, where tortoise's
    `bulk_create` costs a statement per row on PostgreSQL."""
    statement = (
        f"INSERT INTO {table} ({', '.join(columns)}) VALUES {placeholders(len(rows), len(columns))}"
    )
    if returning:
        statement += f" RETURNING {returning}"
    return await fetch(statement, [value for row in rows for value in row])


def column_value(instance: Model, column: str) -> Any:
    """A column's value as tortoise writes it (enums as text, JSON encoded, ...)."""
    meta = instance._meta
    field = meta.fields_map[meta.fields_db_projection_reverse[column]]
    # The class, not the instance: tortoise would stamp `auto_now_add` fields again.
    return field.to_db_value(getattr(instance, field.model_field_name), type(instance))


async def create(instance: Model, columns: Sequence[str]) -> None:
    """Insert `instance` as tortoise's `save` would (only `columns`, so give them all) and set
    its id; its timestamps must be set already."""
    values = [column_value(instance, column) for column in columns]
    [row] = await insert(instance._meta.db_table, columns, [values], returning="id")
    instance.id = int(row["id"])
    instance._saved_in_db = True
