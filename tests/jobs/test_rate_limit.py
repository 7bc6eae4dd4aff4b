"""The send quota: never more than its limit in any rolling window, in one process and across
processes sharing Redis. Windows are short here so the tests take seconds; the Redis tests run
when LOYALTY_TEST_REDIS_URL is set (each under its own key)."""

from __future__ import annotations

import asyncio
import os
import random
import time
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass

import pytest
from redis.asyncio import Redis

from jobs.rate_limit import LocalQuota, RedisQuota, SendQuota

REDIS_URL = os.environ.get("LOYALTY_TEST_REDIS_URL")

MakeQuota = Callable[..., SendQuota]


def _redis() -> Redis:
    if not REDIS_URL:
        pytest.skip("LOYALTY_TEST_REDIS_URL is not set")
    return Redis.from_url(REDIS_URL)


@pytest.fixture(params=["local", "redis"])
async def make_quota(request: pytest.FixtureRequest) -> AsyncIterator[MakeQuota]:
    """Quotas of one kind; the Redis ones share one key, as the workers of a club do."""
    if request.param == "local":
        yield LocalQuota
        return
    client, key = _redis(), f"test:quota:{uuid.uuid4().hex[:10]}"
    yield lambda limit, **options: RedisQuota(client, key, limit, **options)
    await client.delete(key)
    await client.aclose()


@dataclass(frozen=True)
class Batch:
    count: int
    began: float  # inside the quota: the first send may go
    ended: float  # the last send has gone


async def _send(quota: SendQuota, count: int, took: float, log: list[Batch]) -> None:
    async with quota.sending(count):
        began = time.monotonic()
        await asyncio.sleep(took)
        log.append(Batch(count, began, time.monotonic()))


def _busiest(log: list[Batch], window: float) -> int:
    """The most sends any `window` seconds could have seen, a batch's sends being anywhere
    between its start and its end."""
    return max(
        sum(b.count for b in log if b.began < start + window and b.ended >= start)
        for start in (b.ended for b in log)
    )


async def test_never_more_than_the_limit_in_any_window(make_quota: MakeQuota) -> None:
    window, limit = 0.4, 20
    quota = make_quota(limit, window=window, buckets=8)
    chosen = random.Random(7)
    log: list[Batch] = []
    started = time.monotonic()
    await asyncio.gather(
        *(_send(quota, chosen.randint(1, 6), chosen.uniform(0, 0.05), log) for _ in range(30))
    )
    sent = sum(b.count for b in log)
    assert _busiest(log, window) <= limit
    # And the quota was used, not just waited on: close to `limit` each window.
    assert time.monotonic() - started < (sent / limit + 2) * window


async def test_several_quotas_on_one_redis_key_share_the_limit() -> None:
    client, key = _redis(), f"test:quota:{uuid.uuid4().hex[:10]}"
    workers = [RedisQuota(client, key, 15, window=0.4, buckets=8) for _ in range(3)]
    log: list[Batch] = []
    try:
        await asyncio.gather(*(_send(w, 4, 0.01, log) for w in workers for _ in range(6)))
        assert _busiest(log, 0.4) <= 15
        assert 0 < await client.pttl(key) <= 800  # gone when the club stops sending
        other = RedisQuota(client, f"{key}:other", 15, window=0.4)
        async with asyncio.timeout(0.2), other.sending(15):
            pass  # another key (another Firebase project) has its own quota
    finally:
        await client.delete(key, f"{key}:other")
        await client.aclose()


async def test_a_batch_counts_from_when_it_finished(make_quota: MakeQuota) -> None:
    window = 0.4
    quota = make_quota(5, window=window, buckets=20)
    async with quota.sending(5):
        await asyncio.sleep(0.3)  # a slow batch: its last request went out just now
    finished = time.monotonic()
    async with quota.sending(1):
        waited = time.monotonic() - finished
    assert window <= waited < window + 0.15


async def test_a_full_quota_waits_for_its_oldest_sends_to_leave_the_window(
    make_quota: MakeQuota,
) -> None:
    window = 0.4
    quota = make_quota(6, window=window, buckets=20)
    async with quota.sending(4):
        pass
    await asyncio.sleep(0.2)
    async with quota.sending(2):
        pass
    second = time.monotonic()
    async with quota.sending(3):  # needs the first four gone, not the two
        waited = time.monotonic() - second
    assert 0.15 <= waited < 0.2 + 0.15


@pytest.mark.parametrize(
    ("limit", "options", "count"),
    [(0, {}, 1), (10, {"window": 0}, 1), (10, {"window": 0.01, "buckets": 60}, 1),
     (10, {}, 11), (10, {}, 0)],
    ids=["no-sends", "no-window", "buckets-under-1ms", "count-over-limit", "count-zero"],
)  # fmt: skip
async def test_bad_quotas_and_counts_are_refused(
    make_quota: MakeQuota, limit: int, options: dict, count: int
) -> None:
    with pytest.raises(ValueError, match="quota"):
        async with make_quota(limit, **options).sending(count):
            pass
