"""The boards as Redis sorted sets, kept in step with the ledger and rebuilt from it on demand.

Keys, under the prefix: `all:club`, `all:branch:<id>`, `month:<1404-07>:club`,
`month:<1404-07>:branch:<id>` (a month's boards expire a week after it ends), and `opted-out`
(the members who keep off the boards, so recording needs no database read). Members are their
zero-padded ids, so Redis lists ties by id, highest first, as the database board does.

Every read is O(log n + entries): ZREVRANGEBYSCORE, ZREVRANK, ZCOUNT; never a scan. Each write
is one script, one round trip: a rebuild routes writes made while it runs into the boards it
is building too (`<key>:rebuilding` names them), and swaps them in with RENAME.
"""

from __future__ import annotations

import logging
import secrets
from collections import defaultdict
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import RedisError
from tortoise.transactions import in_transaction

from loyalty import sql
from loyalty.errors import Conflict
from loyalty.leaderboard.board import Around, BoardId, Period, Top, ranks
from loyalty.leaderboard.scores import Earning, Month, earned_by, earned_by_all, month_of
from loyalty.models import Branch, Member

log = logging.getLogger("loyalty.leaderboard")

# Last month's boards stay a while after it ends, then Redis drops them.
MONTH_KEPT = timedelta(days=7)
# A rebuild that dies leaves its half-built boards and its lock no longer than this.
REBUILD_SECONDS = 3600
_LOAD_BATCH = 10_000

# The live key, and the key being built to replace it, if a rebuild is running.
_TARGETS = """
local function targets(key)
  local building = redis.call('GET', key .. ':rebuilding')
  if building then return {key, building} end
  return {key}
end
"""
# KEYS: the opted-out set, then boards; ARGV: member, points, expire-at (0: never), per board.
_RECORD = (
    _TARGETS
    + """
for i = 2, #KEYS do
  local member, points, expire_at = ARGV[3*i-5], ARGV[3*i-4], tonumber(ARGV[3*i-3])
  if redis.call('SISMEMBER', KEYS[1], member) == 0 then
    for _, key in ipairs(targets(KEYS[i])) do redis.call('ZINCRBY', key, points, member) end
    if expire_at > 0 then redis.call('EXPIREAT', KEYS[i], expire_at) end
  end
end
"""
)
# KEYS: the opted-out set, then the member's boards; ARGV: member.
_KEEP_OFF = (
    _TARGETS
    + """
for _, key in ipairs(targets(KEYS[1])) do redis.call('SADD', key, ARGV[1]) end
for i = 2, #KEYS do
  for _, key in ipairs(targets(KEYS[i])) do redis.call('ZREM', key, ARGV[1]) end
end
"""
)
# KEYS: the opted-out set, then boards; ARGV: member, then points and expire-at per board.
_BRING_BACK = (
    _TARGETS
    + """
for _, key in ipairs(targets(KEYS[1])) do redis.call('SREM', key, ARGV[1]) end
for i = 2, #KEYS do
  local points, expire_at = ARGV[2*i-2], tonumber(ARGV[2*i-1])
  for _, key in ipairs(targets(KEYS[i])) do
    if tonumber(points) == 0 then redis.call('ZREM', key, ARGV[1])
    else redis.call('ZADD', key, points, ARGV[1]) end
  end
  if expire_at > 0 and redis.call('EXISTS', KEYS[i]) == 1 then
    redis.call('EXPIREAT', KEYS[i], expire_at)
  end
end
"""
)
# KEYS: the member's board; ARGV: member, k. Its position and the slice around it, and how many
# are strictly above the slice's first; nothing if the board does not rank the member.
_AROUND = """
local score = redis.call('ZSCORE', KEYS[1], ARGV[1])
if not score or tonumber(score) <= 0 then return false end
local k = tonumber(ARGV[2])
local position = redis.call('ZREVRANK', KEYS[1], ARGV[1])
local first = math.max(0, position - k)
local slice = redis.call('ZREVRANGE', KEYS[1], first, position + k, 'WITHSCORES')
return {position, first, redis.call('ZCOUNT', KEYS[1], '(' .. slice[2], '+inf'), slice}
"""
# KEYS: boards; ARGV: the key each is replaced by, and its expire-at (0: never), per board.
# Atomic: every board swaps at once, and no write falls between a swap and its marker. UNLINK
# first: the old board is freed in the background, where RENAME over it would free a million
# members while Redis serves no one.
_SWAP = """
for i = 1, #KEYS do
  local built, expire_at = ARGV[2*i-1], tonumber(ARGV[2*i])
  redis.call('UNLINK', KEYS[i])
  if redis.call('EXISTS', built) == 1 then
    redis.call('RENAME', built, KEYS[i])
    if expire_at > 0 then redis.call('EXPIREAT', KEYS[i], expire_at)
    else redis.call('PERSIST', KEYS[i]) end
  end
  redis.call('DEL', KEYS[i] .. ':rebuilding')
end
"""
# KEYS: a board being built; ARGV: its lifetime (s), and "points member" pairs, space apart
# (one argument: packing millions of them one by one costs the client more than the load).
# ZINCRBY, not ZADD: what was written since the rebuild began is there already.
_LOAD = """
for points, member in string.gmatch(ARGV[2], '(%S+) (%S+)') do
  redis.call('ZINCRBY', KEYS[1], points, member)
end
redis.call('EXPIRE', KEYS[1], ARGV[1])
"""
_UNLOCK = """
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end
"""


def _member(member_id: int) -> str:
    return f"{member_id:010d}"


def _pairs(flat: list[str]) -> list[tuple[int, int]]:
    """ZRANGE ... WITHSCORES replies as (member id, points), best first."""
    return [(int(flat[i]), int(float(flat[i + 1]))) for i in range(0, len(flat), 2)]


class RedisBoard:
    def __init__(self, client: Redis, prefix: str) -> None:
        self.client = client
        self.prefix = prefix
        self._record = client.register_script(_RECORD)
        self._keep_off = client.register_script(_KEEP_OFF)
        self._bring_back = client.register_script(_BRING_BACK)
        self._around = client.register_script(_AROUND)
        self._swap = client.register_script(_SWAP)
        self._load_into = client.register_script(_LOAD)
        self._unlock = client.register_script(_UNLOCK)

    def key(self, board: BoardId) -> str:
        period = "all" if board.period is Period.ALL_TIME else f"month:{board.month.label}"
        scope = "club" if board.branch_id is None else f"branch:{board.branch_id}"
        return f"{self.prefix}{period}:{scope}"

    @property
    def _opted_out(self) -> str:
        return f"{self.prefix}opted-out"

    @staticmethod
    def _expire_at(board: BoardId) -> int:
        if board.period is Period.ALL_TIME:
            return 0
        return int((board.month.end + MONTH_KEPT).timestamp())

    def _boards_of(self, member_branches: Sequence[int | None], month: Month) -> list[BoardId]:
        return [
            BoardId(period, branch_id, month)
            for branch_id in dict.fromkeys([None, *member_branches])
            for period in Period
        ]

    async def top(self, board: BoardId, n: int) -> Top:
        key = self.key(board)
        async with self.client.pipeline(transaction=False) as pipe:
            pipe.zrevrangebyscore(key, "+inf", "(0", start=0, num=n, withscores=True)
            pipe.zcount(key, "(0", "+inf")
            best, ranked = await pipe.execute()
        entries = [(int(member), int(points)) for member, points in best]
        return Top(ranks(entries, 1, 0), int(ranked))

    async def around(self, board: BoardId, member_id: int, k: int) -> Around | None:
        found = await self._around(keys=[self.key(board)], args=[_member(member_id), k])
        if not found:
            return None
        position, first, higher, flat = found
        slice_ = ranks(_pairs(flat), int(higher) + 1, int(first))
        mine = int(position) - int(first)
        below = [entry for entry in slice_[mine + 1 :] if entry.points > 0]
        return Around(slice_[mine], slice_[:mine], below)

    async def record(self, earnings: Sequence[Earning]) -> None:
        keys: list[str] = [self._opted_out]
        args: list[Any] = []
        for earning in earnings:
            for board in self._boards_of([earning.branch_id], month_of(earning.at)):
                keys.append(self.key(board))
                args += [_member(earning.member_id), earning.points, self._expire_at(board)]
        if not args:
            return
        try:
            await self._record(keys=keys, args=args)
        except (RedisError, OSError) as exc:
            # The purchase stands; the boards miss it until `loyalty leaderboard rebuild`.
            log.warning("leaderboard: %d earnings not recorded (%s)", len(earnings), exc)

    async def _all_branches(self) -> list[int]:
        return list(await Branch.all().order_by("id").values_list("id", flat=True))

    async def keep_off(self, member_id: int, month: Month) -> None:
        boards = self._boards_of(await self._all_branches(), month)
        await self._keep_off(
            keys=[self._opted_out, *(self.key(b) for b in boards)], args=[_member(member_id)]
        )

    async def bring_back(self, member_id: int, month: Month) -> None:
        earned = await earned_by(member_id, month)
        points: dict[tuple[Period, int | None], int] = defaultdict(int)
        for row in earned:
            for branch_id in {None, row.branch_id}:
                points[Period.ALL_TIME, branch_id] += row.all_time
                points[Period.MONTH, branch_id] += row.month
        boards = self._boards_of(await self._all_branches(), month)
        args: list[Any] = [_member(member_id)]
        for board in boards:
            args += [points[board.period, board.branch_id], self._expire_at(board)]
        await self._bring_back(keys=[self._opted_out, *(self.key(b) for b in boards)], args=args)

    async def rebuild(self, month: Month, periods: Sequence[Period], branch_id: int | None) -> int:
        token = secrets.token_hex(6)
        lock = f"{self.prefix}rebuild-lock"
        if not await self.client.set(lock, token, nx=True, ex=REBUILD_SECONDS):
            raise Conflict("the leaderboard is being rebuilt already; try again later")
        branches = await self._all_branches() if branch_id is None else [branch_id]
        boards = {
            self.key(board): board
            for scope in ([None] if branch_id is None else []) + branches
            for board in (BoardId(period, scope, month) for period in periods)
        }
        built = {key: f"{key}:new:{token}" for key in boards}
        if branch_id is None:
            built[self._opted_out] = f"{self._opted_out}:new:{token}"
        try:
            # From here on, writes reach the new boards too: those the snapshot below misses
            # are not lost.
            async with self.client.pipeline(transaction=False) as pipe:
                for key, new in built.items():
                    pipe.set(f"{key}:rebuilding", new, ex=REBUILD_SECONDS)
                await pipe.execute()
            entries = await self._load(month, list(boards.values()), built)
            swaps: list[Any] = []
            for key, new in built.items():
                swaps += [new, self._expire_at(boards[key]) if key in boards else 0]
            await self._swap(keys=list(built), args=swaps)
        except BaseException:
            await self.client.unlink(*built.values(), *(f"{key}:rebuilding" for key in built))
            raise
        finally:
            await self._unlock(keys=[lock], args=[token])
        return entries

    async def _load(self, month: Month, boards: list[BoardId], built: dict[str, str]) -> int:
        """Add the ledger's totals to the new boards, all read in one database snapshot."""
        wanted = {(b.period, b.branch_id): built[self.key(b)] for b in boards}
        entries = 0
        async with in_transaction():
            if sql.postgres():
                await sql.fetch("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ", [])
            opted_out = built.get(self._opted_out)
            if opted_out is not None:
                ids = await Member.filter(leaderboard_opt_out=True).values_list("id", flat=True)
                for start in range(0, len(ids), _LOAD_BATCH):
                    chunk = ids[start : start + _LOAD_BATCH]
                    async with self.client.pipeline(transaction=False) as pipe:
                        pipe.sadd(opted_out, *(_member(i) for i in chunk))
                        pipe.expire(opted_out, REBUILD_SECONDS)
                        await pipe.execute()
            async for chunk in earned_by_all(month):
                # A chunk holds every row of its members: their totals are whole.
                points: dict[str, dict[int, int]] = defaultdict(lambda: defaultdict(int))
                for row in chunk:
                    for branch_id in {None, row.branch_id}:
                        for period, value in (
                            (Period.ALL_TIME, row.all_time),
                            (Period.MONTH, row.month),
                        ):
                            key = wanted.get((period, branch_id))
                            if key is not None and value:
                                points[key][row.member_id] += value
                for key, board in points.items():
                    entries += await self._add(key, board)
        return entries

    async def _add(self, key: str, points: dict[int, int]) -> int:
        """Add a chunk's totals to a board being built; returns how many it ranks."""
        pairs = [f"{value} {_member(member_id)}" for member_id, value in points.items() if value]
        for start in range(0, len(pairs), _LOAD_BATCH):
            batch = " ".join(pairs[start : start + _LOAD_BATCH])
            await self._load_into(keys=[key], args=[REBUILD_SECONDS, batch])
        return sum(1 for value in points.values() if value > 0)
