"""Database configuration and migrations (tortoise's own migration framework)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tortoise import Tortoise
from tortoise.backends.base.config_generator import expand_db_url
from tortoise.migrations.api import migrate

APP = "loyalty"


def _connection(database_url: str) -> str | dict[str, Any]:
    """PostgreSQL goes through `loyalty.postgres` (asyncpg without the per-release reset)."""
    expanded = expand_db_url(database_url)
    if expanded["engine"] != "tortoise.backends.asyncpg":
        return database_url
    return {**expanded, "engine": "loyalty.postgres"}


def tortoise_config(database_url: str) -> dict[str, Any]:
    return {
        "connections": {"default": _connection(database_url)},
        "apps": {
            APP: {
                "models": ["loyalty.models"],
                "default_connection": "default",
                "migrations": "loyalty.migrations",
            }
        },
        "use_tz": True,
        "timezone": "UTC",
    }


# What `loyalty db makemigrations` compares the models with; it needs no real database.
MIGRATIONS_CONFIG = tortoise_config("sqlite://:memory:")


def ensure_sqlite_directory(database_url: str) -> None:
    if database_url.startswith("sqlite://") and ":memory:" not in database_url:
        path = database_url.removeprefix("sqlite://").split("?", 1)[0]
        Path(path).parent.mkdir(parents=True, exist_ok=True)


async def upgrade(database_url: str) -> None:
    """Apply every migration not yet applied (`loyalty db upgrade`)."""
    ensure_sqlite_directory(database_url)
    try:
        await migrate(config=tortoise_config(database_url))
    finally:
        await Tortoise.close_connections()
