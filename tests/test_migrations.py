"""Migrations: the test database was built by them (conftest), and they match the models."""

from __future__ import annotations

import importlib
import json
import subprocess
import sys
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


async def test_members_enrolled_before_the_programme_get_their_standing(orm: str) -> None:
    """0003 opens a standing, with the history they have, for every member already enrolled."""
    from datetime import UTC, datetime, timedelta
    from types import SimpleNamespace

    from loyalty import purchases
    from loyalty.models import MemberStanding
    from loyalty.programme import standing
    from tests import factories as f

    programme = importlib.import_module("loyalty.migrations.0003_programme")
    shop = await f.branch()
    cashier = await f.staff_actor(branch_id=shop.id)
    sara, reza = await f.member("Sara"), await f.member("Reza")
    first = datetime.now(UTC) - timedelta(days=30)
    for n, when in enumerate((first, first + timedelta(days=10))):
        await purchases.record(
            cashier,
            branch_id=shop.id,
            member_id=sara.id,
            amount=100_000,
            receipt_number=f"R{n}",
            idempotency_key=f.key(),
            occurred_at=when,
        )
    before = await MemberStanding.get(member_id=sara.id)
    await MemberStanding.all().delete()

    client = connections.get("default")
    await programme._backfill(None, SimpleNamespace(client=client))

    after = await MemberStanding.get(member_id=sara.id)
    assert (after.visit_count, after.spend_total) == (2, 200_000)
    assert (after.first_visit_at, after.last_visit_at) == (
        before.first_visit_at,
        before.last_visit_at,
    )
    assert after.tier_points_total == before.tier_points_total > 0
    assert (after.points_account_id, after.credit_account_id) == (
        before.points_account_id,
        before.credit_account_id,
    )
    assert after.referral_code != before.referral_code
    assert standing.REFERRAL_ALPHABET.startswith("ABCDEFGH")
    assert set(after.referral_code) <= set(standing.REFERRAL_ALPHABET)
    empty = await MemberStanding.get(member_id=reza.id)
    assert (empty.visit_count, empty.first_visit_at, empty.spend_total) == (0, None, 0)


def test_a_core_database_with_data_upgrades(tmp_path: Path) -> None:
    """A club kept since the core (0001-0002) upgrades: new columns get their defaults, the
    journal's member side is backfilled, and every member gets a standing with their history."""
    url = f"sqlite://{tmp_path / 'core.sqlite3'}"
    done = subprocess.run(
        [sys.executable, "-m", "tests.upgrade_from_core", url],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=Path(__file__).parent.parent,
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.strip().splitlines()[-1])
    [standing] = result["standings"]
    assert (
        standing["member_id"],
        standing["points_account_id"],
        standing["credit_account_id"],
    ) == (
        1,
        1,
        2,
    )
    assert (standing["visit_count"], standing["spend_total"]) == (2, 1_500_000)
    assert standing["tier_points_total"] == 100 and len(standing["referral_code"]) == 8
    assert [(t["points"], t["credit"], t["tier_points"]) for t in result["transactions"]] == [
        (100, 0, 100),
        (-10, 0, -10),
    ]
    assert all(json.loads(t["lines"]) == [] for t in result["transactions"])
    assert [(p["discount"], p["paid_with_credit"]) for p in result["purchases"]] == [(0, 0), (0, 0)]
