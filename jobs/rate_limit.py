"""A send quota: at most `limit` sends in any rolling `window` (FCM's is per minute).

Sends are counted in time buckets of a `buckets`-th of the window. A bucket counts until all of
it has left the window, so the count is never below the truth: at worst a sender waits one
bucket longer than it had to. A batch is counted from the moment it is granted, and once it is
done it is moved to the bucket of the moment it finished: its last request may reach the
service that late, and the next window starts from there.

`LocalQuota` holds for one process; `RedisQuota` for every process sharing the Redis key (the
count and the clock are Redis's, in one Lua script, so several workers never overshoot).
"""

from __future__ import annotations

import asyncio
import math
import time
from abc import ABC, abstractmethod
from collections import defaultdict
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from redis.asyncio import Redis


class SendQuota(ABC):
    def __init__(self, limit: int, *, window: float = 60.0, buckets: int = 60) -> None:
        if limit < 1:
            raise ValueError(f"a send quota must allow at least one send, not {limit}")
        if window <= 0 or buckets < 1 or window / buckets < 0.001:
            raise ValueError(
                f"a quota window of {window} s in {buckets} buckets is not usable: "
                "the window must be positive and a bucket at least 1 ms"
            )
        self.limit, self.window, self.buckets = limit, window, buckets

    @asynccontextmanager
    async def sending(self, count: int) -> AsyncIterator[None]:
        """Wait until `count` more sends fit in the quota; count them while the block runs and
        from the moment it ends."""
        if not 1 <= count <= self.limit:
            raise ValueError(f"cannot send {count} at once under a quota of {self.limit}")
        while True:
            granted, wait = await self._take(count)
            if granted is not None:
                break
            await asyncio.sleep(wait)
        try:
            yield
        finally:
            await self._settle(granted, count)

    @abstractmethod
    async def _take(self, count: int) -> tuple[int | None, float]:
        """Count `count` sends now if they fit: (the bucket they are in, 0); else (None, the
        seconds until they would fit)."""

    @abstractmethod
    async def _settle(self, bucket: int, count: int) -> None:
        """Move `count` sends from `bucket` to the bucket of now."""


class LocalQuota(SendQuota):
    """The quota of one process (no Redis)."""

    def __init__(self, limit: int, *, window: float = 60.0, buckets: int = 60) -> None:
        super().__init__(limit, window=window, buckets=buckets)
        self._width = window / buckets
        self._counts: defaultdict[int, int] = defaultdict(int)

    def _bucket(self, moment: float) -> int:
        return math.floor(moment / self._width)

    async def _take(self, count: int) -> tuple[int | None, float]:
        now = time.monotonic()
        oldest = self._bucket(now - self.window)  # the oldest bucket still in the window
        for bucket in [b for b in self._counts if b < oldest]:
            del self._counts[bucket]
        used = sum(self._counts.values())
        if used + count <= self.limit:
            bucket = self._bucket(now)
            self._counts[bucket] += count
            return bucket, 0.0
        for bucket in sorted(self._counts):  # the oldest leave first
            used -= self._counts[bucket]
            if used + count <= self.limit:
                break
        return None, (bucket + 1) * self._width + self.window - now

    async def _settle(self, bucket: int, count: int) -> None:
        if bucket in self._counts:
            self._counts[bucket] -= count
            if self._counts[bucket] <= 0:
                del self._counts[bucket]
        self._counts[self._bucket(time.monotonic())] += count


# KEYS[1]: a hash, bucket number → sends counted in it. ARGV: limit, count, window and bucket
# width in microseconds. Returns {1, bucket} when granted, else {0, microseconds to wait}.
_TAKE = """
local key = KEYS[1]
local limit, count = tonumber(ARGV[1]), tonumber(ARGV[2])
local window, width = tonumber(ARGV[3]), tonumber(ARGV[4])
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000000 + tonumber(clock[2])
local oldest = math.floor((now - window) / width)
local counted, used = {}, 0
local flat = redis.call('HGETALL', key)
for i = 1, #flat, 2 do
  local bucket, sends = tonumber(flat[i]), tonumber(flat[i + 1])
  if bucket < oldest then
    redis.call('HDEL', key, flat[i])
  else
    used = used + sends
    table.insert(counted, {bucket, sends})
  end
end
if used + count <= limit then
  local bucket = math.floor(now / width)
  redis.call('HINCRBY', key, string.format('%d', bucket), count)
  redis.call('PEXPIRE', key, math.ceil(2 * window / 1000))
  return {1, bucket}
end
table.sort(counted, function(a, b) return a[1] < b[1] end)
for _, entry in ipairs(counted) do
  used = used - entry[2]
  if used + count <= limit then
    return {0, (entry[1] + 1) * width + window - now}
  end
end
return redis.error_reply('count over the limit')
"""

# KEYS[1]: the same hash. ARGV: the granted bucket, count, window and bucket width (µs).
_SETTLE = """
local key, granted, count = KEYS[1], ARGV[1], tonumber(ARGV[2])
local window, width = tonumber(ARGV[3]), tonumber(ARGV[4])
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000000 + tonumber(clock[2])
local bucket = string.format('%d', math.floor(now / width))
if bucket == granted then
  return 0
end
if redis.call('HEXISTS', key, granted) == 1 then
  if redis.call('HINCRBY', key, granted, -count) <= 0 then
    redis.call('HDEL', key, granted)
  end
end
redis.call('HINCRBY', key, bucket, count)
redis.call('PEXPIRE', key, math.ceil(2 * window / 1000))
return 1
"""


class RedisQuota(SendQuota):
    """The quota of every process that uses the same Redis `key`."""

    def __init__(
        self, redis: Redis, key: str, limit: int, *, window: float = 60.0, buckets: int = 60
    ) -> None:
        super().__init__(limit, window=window, buckets=buckets)
        self.key = key
        self._window_us = round(window * 1_000_000)
        self._width_us = self._window_us // buckets
        self._take_script = redis.register_script(_TAKE)
        self._settle_script = redis.register_script(_SETTLE)

    async def _take(self, count: int) -> tuple[int | None, float]:
        args = [self.limit, count, self._window_us, self._width_us]
        granted, value = await self._take_script(keys=[self.key], args=args)
        if int(granted):
            return int(value), 0.0
        return None, int(value) / 1_000_000

    async def _settle(self, bucket: int, count: int) -> None:
        args = [bucket, count, self._window_us, self._width_us]
        await self._settle_script(keys=[self.key], args=args)
