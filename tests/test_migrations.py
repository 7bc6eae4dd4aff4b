"""Migrations: the test database was built by them (conftest), and they match the models."""

from __future__ import annotations

from pathlib import Path

from tortoise import Tortoise, connections
from tortoise.migrations.autodetector import MigrationAutodetector

from loyalty import migrations
from loyalty.db import tortoise_config

MIGRATIONS = Path(migrations.__file__).parent


async def test_models_have_no_changes_missing_from_the_migrations(orm: str) -> None:
    apps_config = tortoise_config(orm)["apps"]
    writers = await MigrationAutodetector(Tortoise.apps, apps_config).changes()
    assert [w.name for w in writers] == [], "run `loyalty db makemigrations`"


async def test_every_migration_was_applied_to_the_test_database(orm: str) -> None:
    rows = await connections.get("default").execute_query_dict(
        "SELECT name FROM tortoise_migrations WHERE app = 'loyalty' ORDER BY name"
    )
    on_disk = sorted(p.stem for p in MIGRATIONS.glob("0*.py"))
    assert len(on_disk) >= 3
    assert [r["name"] for r in rows] == on_disk
