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


# A statement and its parameters, to run later, perhaps together with others.
Statement = tuple[str, list[Any]]


def insert_statement(
    table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]
) -> Statement:
    return (
        f"INSERT INTO {table} ({', '.join(columns)}) "
        f"VALUES {placeholders(len(rows), len(columns))}",
        [value for row in rows for value in row],
    )


def with_first(statements: Sequence[Statement], final: Statement) -> Statement:
    """PostgreSQL: `statements` as data-modifying WITH clauses of `final`, one round trip
    (they run whether or not `final` reads them, and see the database as `final` does)."""
    if not statements:
        return final
    clauses = ", ".join(f"w{n} AS ({text})" for n, (text, _) in enumerate(statements))
    text, params = final
    head = text.lstrip()
    # `final` may have WITH clauses of its own: they follow ours.
    rest = f", {head[5:]}" if head.upper().startswith("WITH ") else f" {head}"
    return f"WITH {clauses}{rest}", [p for _, ps in statements for p in ps] + params


async def run_all(statements: Sequence[Statement]) -> list[dict]:
    """Run independent writes: in one round trip on PostgreSQL, one by one on SQLite. Returns
    the rows the last one returns."""
    if not statements:
        return []
    if postgres():
        return await fetch(*with_first(statements[:-1], statements[-1]))
    for statement in statements[:-1]:
        await fetch(*statement)
    return await fetch(*statements[-1])


async def insert(
    table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]], returning: str = ""
) -> list[dict]:
    """One INSERT of all `rows` (values in `columns` order): one round trip, where tortoise's
    `bulk_create` costs a statement per row on PostgreSQL."""
    text, params = insert_statement(table, columns, rows)
    return await fetch(f"{text} RETURNING {returning}" if returning else text, params)


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
