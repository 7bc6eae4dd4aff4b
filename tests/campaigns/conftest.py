"""What the campaigns' tests share: a club with quiet hours off (tests run at any hour), its
manager, members seeded in bulk, and the in-process runner's context."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime
from typing import Any

import pytest

from jobs import local, tasks
from jobs.sms import LogSender
from loyalty import sql
from loyalty.actors import Actor
from loyalty.campaigns import manage, sending
from loyalty.campaigns.manage import CampaignSpec
from loyalty.models import Campaign
from loyalty.programme import policies
from tests import factories

_phones = itertools.count(1)
ROWS = 500  # members a bulk INSERT writes


@pytest.fixture
async def manager() -> Actor:
    actor = await factories.manager()
    # Quiet hours off and no weekly cap to speak of, unless a test sets them.
    await policies.save(
        actor,
        "messaging",
        {"quiet_from": "00:00:00", "quiet_until": "00:00:00", "marketing_per_week": 50},
    )
    return actor


def ctx() -> dict[str, Any]:
    return {"handlers": tasks.outbox_handlers(None, LogSender())}


async def seed_members(count: int, *, consent: bool = True) -> list[int]:
    """`count` members with their standings, written by bulk INSERTs (as a big club's import
    would be), not enrolled one by one; their ids, in order."""
    now = datetime.now(UTC)
    ids: list[int] = []
    for start in range(0, count, ROWS):
        size = min(ROWS, count - start)
        rows = [(f"+98935{next(_phones):07d}", f"Member {n}", consent, now) for n in range(size)]
        inserted = await sql.fetch(
            "INSERT INTO member (phone, first_name, marketing_consent, enrolled_at, last_name, "
            "city, area, interests, language, profiling_consent, display_name, "
            "leaderboard_opt_out, preferred_channel) VALUES "
            + ", ".join(["(?, ?, ?, ?, '', '', '', '[]', 'fa', FALSE, '', FALSE, 'push')"] * size)
            + " RETURNING id",
            [value for row in rows for value in row],
        )
        batch = sorted(int(row["id"]) for row in inserted)
        await sql.fetch(
            "INSERT INTO member_standing (member_id, points_account_id, credit_account_id, "
            "referral_code, visit_count, spend_total, tier_points_total, points_debt, "
            "credit_debt) VALUES " + ", ".join(["(?, 0, 0, ?, 0, 0, 0, 0, 0)"] * size),
            [value for member_id in batch for value in (member_id, f"T{member_id:X}")],
        )
        ids += batch
    return ids


async def scheduled(manager: Actor, **spec: Any) -> Campaign:
    """A campaign to everyone consenting (unless the spec says otherwise), due now."""
    values = {"name": "Autumn", "title": "{name} جان", "body": "پاییز با ما", **spec}
    campaign = await manage.create(manager, CampaignSpec(**values))
    return await manage.schedule(manager, campaign.id)


async def run_all(now: datetime | None = None) -> int:
    """Run every due outbox event in process until none is left; how many ran."""
    ran = 0
    while taken := await local.run_due_events(ctx(), now):
        ran += taken
    return ran


async def start_and_send(manager: Actor, **spec: Any) -> Campaign:
    campaign = await scheduled(manager, **spec)
    assert await sending.start_due() == 1
    await run_all()
    return await Campaign.get(id=campaign.id)
