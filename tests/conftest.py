"""Test database: SQLite by default, PostgreSQL when LOYALTY_TEST_DATABASE_URL says so.

The schema is built by the real migrations (from an empty database to head), once per run;
every test starts from empty tables.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

os.environ.setdefault("LOYALTY_ENV", "test")
os.environ.setdefault("LOYALTY_SECRET_KEY", "test-secret-key-that-is-long-enough-0123456789")
# Cheap password hashing: tests create many staff users; production keeps argon2's defaults.
os.environ.setdefault("LOYALTY_PASSWORD_TIME_COST", "1")
os.environ.setdefault("LOYALTY_PASSWORD_MEMORY_KIB", "1024")

from tortoise import Tortoise, connections

from loyalty import db, ledger, models
from loyalty.programme import snapshot

# Every table of the club, from its models: a new model is emptied between tests too.
TABLES = [model._meta.db_table for model in models.__models__]


def _postgres_admin_dsn(url: str) -> str:
    return url.replace("postgres://", "postgresql://", 1)


async def _create_postgres_database(base_url: str) -> tuple[str, str]:
    import asyncpg

    name = f"loyalty_test_{uuid.uuid4().hex[:10]}"
    admin = await asyncpg.connect(_postgres_admin_dsn(base_url))
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    return base_url.rsplit("/", 1)[0] + f"/{name}", name


async def _drop_postgres_database(base_url: str, name: str) -> None:
    import asyncpg

    admin = await asyncpg.connect(_postgres_admin_dsn(base_url))
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


def is_postgres() -> bool:
    return os.environ.get("LOYALTY_TEST_DATABASE_URL", "").startswith("postgres")


@pytest.fixture(scope="session")
async def database_url(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[str]:
    base = os.environ.get("LOYALTY_TEST_DATABASE_URL")
    if base and base.startswith("postgres"):
        url, name = await _create_postgres_database(base)
        try:
            yield url
        finally:
            await _drop_postgres_database(base, name)
    else:
        path: Path = tmp_path_factory.mktemp("db") / "loyalty.sqlite3"
        yield f"sqlite://{path}"


@pytest.fixture(scope="session")
async def orm(database_url: str) -> AsyncIterator[str]:
    os.environ["LOYALTY_DATABASE_URL"] = database_url
    await db.upgrade(database_url)
    await Tortoise.init(config=db.tortoise_config(database_url), _enable_global_fallback=True)
    try:
        yield database_url
    finally:
        await Tortoise.close_connections()


async def empty_tables() -> None:
    conn = connections.get("default")
    if is_postgres():
        await conn.execute_script(f"TRUNCATE {', '.join(TABLES)} RESTART IDENTITY CASCADE")
    else:
        await conn.execute_script(
            "PRAGMA foreign_keys=OFF;"
            + "".join(f"DELETE FROM {t};" for t in TABLES)
            + "DELETE FROM sqlite_sequence;PRAGMA foreign_keys=ON;"
        )
    ledger.forget_cached_accounts()
    snapshot.invalidate()


@pytest.fixture(autouse=True)
async def clean_db(orm: str) -> AsyncIterator[None]:
    await empty_tables()
    yield
