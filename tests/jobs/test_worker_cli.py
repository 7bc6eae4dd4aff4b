"""`loyalty worker` as operators run it: a real process, on real Redis, acting on the outbox."""

from __future__ import annotations

import asyncio
import os
import sys
from datetime import datetime
from pathlib import Path

import pytest

from jobs import dispatcher
from loyalty.messaging import messages
from loyalty.models import InboxMessage, Message, MessagePurpose, MessageStatus, OutboxEvent
from loyalty.notifications import Notification
from tests import factories
from tests.conftest import is_postgres

ROOT = Path(__file__).resolve().parents[2]
REDIS_URL = os.environ.get("LOYALTY_TEST_REDIS_URL")
pytestmark = pytest.mark.skipif(not REDIS_URL, reason="LOYALTY_TEST_REDIS_URL is not set")


async def worker(*args: str, database_url: str) -> tuple[int, str]:
    env = {**os.environ, "LOYALTY_DATABASE_URL": database_url, "LOYALTY_REDIS_URL": REDIS_URL}
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "cli.main", "worker", *args, cwd=ROOT, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    output, _ = await asyncio.wait_for(process.communicate(), 60)
    return process.returncode or 0, output.decode(errors="replace")


@pytest.mark.skipif(
    not is_postgres(), reason="workers run beside PostgreSQL: the test holds the SQLite file"
)
async def test_a_burst_worker_sends_what_the_outbox_holds(orm: str) -> None:
    from arq import create_pool
    from arq.connections import RedisSettings

    member = await factories.member(marketing_consent=True)
    night = datetime.fromisoformat("2026-01-01T23:00+03:30")  # its morning has come
    note = Notification("message", "سلام", "صبح بخیر", "app://")
    waiting = await messages.send(
        member.id, note, purpose=MessagePurpose.MARKETING, dedupe_key="morning", at=night
    )
    assert waiting.status is MessageStatus.SCHEDULED

    pool = await create_pool(RedisSettings.from_dsn(REDIS_URL))
    try:
        assert await dispatcher.hand_over(pool) == 1
        status, output = await worker("--burst", "--no-dispatch", database_url=orm)
    finally:
        await pool.delete(pool.default_queue_name)
        await pool.aclose()
    assert status == 0, output
    assert (await Message.get(id=waiting.id)).status is MessageStatus.SENT, output
    assert await InboxMessage.filter(member_id=member.id).count() == 1
    assert await OutboxEvent.filter(finished_at=None).count() == 0


async def test_the_worker_needs_redis(orm: str) -> None:
    env = {k: v for k, v in os.environ.items() if k != "LOYALTY_REDIS_URL"}
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "cli.main", "worker", "--burst", cwd=ROOT,
        env={**env, "LOYALTY_DATABASE_URL": orm},
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    _, error = await process.communicate()
    assert process.returncode == 2
    assert b"the worker needs Redis: set LOYALTY_REDIS_URL" in error
