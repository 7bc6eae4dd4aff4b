"""A private arq queue on the tests' Redis (LOYALTY_TEST_REDIS_URL), and burst workers over it:
what the job tests share."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from typing import Any

import pytest
from arq import create_pool
from arq.connections import ArqRedis, RedisSettings
from arq.worker import Worker

from jobs.worker import FUNCTIONS

REDIS_URL = os.environ.get("LOYALTY_TEST_REDIS_URL")


@asynccontextmanager
async def private_queue() -> AsyncIterator[ArqRedis]:
    """A queue of this test's own; skips the test without Redis."""
    if not REDIS_URL:
        pytest.skip("LOYALTY_TEST_REDIS_URL is not set")
    name = f"loyalty-test-{uuid.uuid4().hex[:8]}"
    pool = await create_pool(RedisSettings.from_dsn(REDIS_URL), default_queue_name=name)
    try:
        yield pool
    finally:
        # Only this queue's keys: the outbox's job ids carry the queue's name, and other tests
        # may be using the same Redis database meanwhile.
        keys = [key async for key in pool.scan_iter(match=f"*{name}*")]
        await pool.delete(name, *keys)
        await pool.aclose()


async def burst(
    pool: ArqRedis,
    ctx: Mapping[str, Any],
    functions: Sequence[Any] = FUNCTIONS,
    max_jobs: int = 10,
) -> Worker:
    """A worker that runs what the queue holds, then stops (as `loyalty worker --burst`)."""
    worker = Worker(
        max_jobs=max_jobs,
        functions=list(functions),
        redis_pool=pool,
        queue_name=pool.default_queue_name,
        burst=True,
        poll_delay=0,
        handle_signals=False,
        ctx=dict(ctx),
    )
    await worker.main()
    await worker.close()
    return worker
