"""The send: a campaign of 10,000 members with a holdout, by the in-process runner and by a
burst arq worker on real Redis; every treatment member messaged once, the holdout never, a
chunk run twice sends nothing new, a cancelled campaign sends no more chunks."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from tortoise.functions import Count

from jobs import dispatcher, tasks
from loyalty import outbox
from loyalty.campaigns import holdout, manage, report, sending
from loyalty.models import (
    Campaign,
    CampaignRecipient,
    CampaignStatus,
    Message,
    OutboxEvent,
    Priority,
    RecipientGroup,
)
from loyalty.programme import policies
from loyalty.settings import get_settings
from tests.arq_queue import burst, private_queue
from tests.campaigns.conftest import ctx, run_all, scheduled, seed_members

REDIS_URL = os.environ.get("LOYALTY_TEST_REDIS_URL")
CLUB = 10_000


async def _in_process() -> None:
    await run_all()


async def _burst_worker() -> None:
    async with private_queue() as pool:
        while await dispatcher.hand_over(pool):
            await burst(pool, ctx())


@pytest.fixture(params=["in_process", "arq"])
async def runner(request: pytest.FixtureRequest) -> AsyncIterator[Any]:
    if request.param == "arq" and not REDIS_URL:
        pytest.skip("LOYALTY_TEST_REDIS_URL is not set")
    yield _in_process if request.param == "in_process" else _burst_worker


async def _messaged() -> dict[int, int]:
    rows = (
        await Message.filter(source__startswith="campaign:")
        .annotate(n=Count("id"))
        .group_by("member_id")
        .values("member_id", "n")
    )
    return {row["member_id"]: row["n"] for row in rows}


async def test_ten_thousand_members_with_a_holdout(manager, runner) -> None:
    members = await seed_members(CLUB)
    campaign = await scheduled(manager, holdout_percent=10)
    assert await sending.start_due() == 1
    assert await sending.start_due() == 0  # started once

    campaign = await Campaign.get(id=campaign.id)
    assert (campaign.status, campaign.audience, campaign.holdout) == (
        CampaignStatus.SENDING,
        CLUB,
        1_000,
    )
    assert campaign.chunks == 18
    groups = {
        group: set(
            await CampaignRecipient.filter(campaign_id=campaign.id, group=group).values_list(
                "member_id", flat=True
            )
        )
        for group in RecipientGroup
    }
    # The draw is the seed's: recomputed from the recorded seed and the audience.
    assert groups[RecipientGroup.HOLDOUT] == holdout.draw(members, 10, campaign.seed)

    await runner()

    messaged = await _messaged()
    assert set(messaged) == groups[RecipientGroup.TREATMENT]
    assert set(messaged.values()) == {1}
    assert not set(messaged) & groups[RecipientGroup.HOLDOUT]
    campaign = await Campaign.get(id=campaign.id)
    assert (campaign.status, campaign.chunks_done) == (CampaignStatus.SENT, 18)
    assert await outbox.unfinished() == 0

    # Each chunk's job run again (arq ran a job twice): nothing new is sent.
    for event in await OutboxEvent.filter(task=sending.CHUNK_TASK):
        run = await sending.send_chunk(event.payload)
        assert run.outcome in (sending.ChunkOutcome.DONE_BEFORE, sending.ChunkOutcome.STOPPED)
    assert await _messaged() == messaged

    progress = await report.progress(manager, campaign.id)
    assert (progress.audience, progress.treatment, progress.holdout) == (CLUB, 9_000, 1_000)
    assert progress.delivery.sent == 9_000 and progress.delivery.suppressed == 0


async def test_a_chunk_run_twice_sends_once(manager) -> None:
    await seed_members(600)
    campaign = await scheduled(manager)
    await sending.start_due()
    [first, second] = await OutboxEvent.filter(task=sending.CHUNK_TASK).order_by("id")
    assert await tasks.run_outbox_event(ctx(), first.id) is True
    assert (await sending.send_chunk(first.payload)).outcome is sending.ChunkOutcome.DONE_BEFORE
    assert await Message.all().count() == 500
    await run_all()
    assert await Message.all().count() == 600
    campaign = await Campaign.get(id=campaign.id)
    assert (campaign.chunks_done, campaign.status) == (2, CampaignStatus.SENT)
    assert second.payload == {"campaign_id": campaign.id, "chunk": 1}
    # Behind every delivery, so the first chunk's pushes do not wait for the last chunk.
    assert first.priority is second.priority is Priority.PREPARATION


async def test_cancelling_stops_the_remaining_chunks(manager) -> None:
    await seed_members(1_200)
    campaign = await scheduled(manager)
    await sending.start_due()
    first = await OutboxEvent.filter(task=sending.CHUNK_TASK).order_by("id").first()
    assert first is not None
    await tasks.run_outbox_event(ctx(), first.id)
    await manage.cancel(manager, campaign.id)
    await run_all()
    assert await Message.all().count() == 500
    campaign = await Campaign.get(id=campaign.id)
    assert (campaign.status, campaign.chunks_done, campaign.chunks) == (
        CampaignStatus.CANCELLED,
        1,
        3,
    )


async def test_a_chunk_due_in_quiet_hours_waits_for_their_end(manager) -> None:
    await seed_members(10)
    campaign = await scheduled(manager)
    await sending.start_due()
    now = datetime.now(UTC)
    local = now.astimezone(get_settings().zone)
    around_now = {
        "quiet_from": (local - timedelta(hours=1)).strftime("%H:%M:00"),
        "quiet_until": (local + timedelta(hours=1)).strftime("%H:%M:00"),
    }
    await policies.save(manager, "messaging", around_now)
    [event] = await OutboxEvent.filter(task=sending.CHUNK_TASK)
    run = await sending.send_chunk(event.payload, now)
    assert run.outcome is sending.ChunkOutcome.WAITING
    waiting = await OutboxEvent.filter(task=sending.CHUNK_TASK).order_by("-id").first()
    assert waiting is not None and waiting.due_at > now + timedelta(minutes=50)
    assert waiting.priority is Priority.PREPARATION
    assert await Message.all().count() == 0
    assert (await Campaign.get(id=campaign.id)).chunks_done == 0
