"""Migrations: the test database was built by them (conftest), and they match the models."""

from __future__ import annotations

from tortoise import Tortoise, connections
from tortoise.migrations.autodetector import MigrationAutodetector

from loyalty.db import tortoise_config


async def test_models_have_no_changes_missing_from_the_migrations(orm: str) -> None:
    apps_config = tortoise_config(orm)["apps"]
    writers = await MigrationAutodetector(Tortoise.apps, apps_config).changes()
    assert [w.name for w in writers] == [], "run `loyalty db makemigrations`"


async def test_every_migration_was_applied_to_the_test_database(orm: str) -> None:
    rows = await connections.get("default").execute_query_dict(
        "SELECT name FROM tortoise_migrations WHERE app = 'loyalty' ORDER BY name"
    )
    assert [r["name"] for r in rows] == ["0001_initial", "0002_ledger_guards"]
