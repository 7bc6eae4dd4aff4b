"""Leaderboard at club scale: reads and writes of both boards with a million members.

    .venv/bin/python bench/leaderboard.py [--members 1000000] [--earnings 3] [--branches 3]
                                          [--seconds 3] [--redis redis://127.0.0.1:6379/15]

Creates a throw-away PostgreSQL database (dropped at the end, on errors and Ctrl-C too), seeds
the members (one in twenty opted out) and `--earnings` ledger transactions each (tier points at
a random branch or none, over the last 60 days: about half of them this month) with SQL, and
measures, one call after another for `--seconds` each:

- the Redis board (keys under a prefix of their own, deleted at the end): `rebuild` from the
  ledger; then the board alone (`top`, `around` a member, `record` of two earnings: the purchase
  path's one round trip) at full size and on a board of 1,000 members; then the service as the
  API calls it (with the member names and branch check from the database): `top` of the club's
  all-time board and of a branch's this month, `standing_of` with 2 neighbours, `rank_of`;
- the database board (a club without Redis): the build a read pays after an earning or
  `FRESH_SECONDS`, and a read from the kept boards;
- that both boards show the same top 100 and the same standings of 200 members.

Prints p50 and p99 latency and calls per second. Exit status 0 when the Redis board's reads and
writes at full size cost within 2x (+0.3 ms) of the small board's (O(log n), not O(n)) and the
boards agree; 1 if not.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

import asyncpg
from tortoise import Tortoise

from loyalty import db, leaderboard
from loyalty.leaderboard import Period
from loyalty.leaderboard.board import BoardId
from loyalty.leaderboard.database import DatabaseBoard
from loyalty.leaderboard.redis import RedisBoard
from loyalty.leaderboard.scores import Earning, month_of

PG_SERVER = "postgres://postgres@127.0.0.1:5432"
PG_ADMIN_DB = "test"
# Reads and writes at any size within this of a small board's: O(log n), not O(n).
SMALL = 1_000
SCALE_LIMIT = 2.0
SLACK_MS = 0.3


def say(message: str) -> None:
    print(message, flush=True)


async def seed(url: str, members: int, earnings: int, branches: int) -> None:
    """Members and their earnings, straight into the tables (the services would take hours)."""
    conn = await asyncpg.connect(url.replace("postgres://", "postgresql://", 1))
    try:
        await conn.execute(
            "INSERT INTO branch (code, name, city, created_at) "
            "SELECT 'B' || g, 'Branch ' || g, '', now() FROM generate_series(1, $1) g",
            branches,
        )
        await conn.execute(
            "INSERT INTO member (phone, first_name, last_name, city, area, interests, language, "
            "marketing_consent, profiling_consent, enrolled_at) "
            "SELECT '+98912' || lpad(g::text, 7, '0'), 'Member', 'N' || g, '', '', '[]', 'fa', "
            "false, false, now() FROM generate_series(1, $1) g",
            members,
        )
        # Every twentieth member keeps off the boards.
        await conn.execute("UPDATE member SET leaderboard_opt_out = true WHERE id % 20 = 0")
        await conn.execute(
            "INSERT INTO journal_transaction (kind, member_id, idempotency_key, request_hash, "
            "reason_code, reason, branch_id, points, credit, tier_points, lines, created_at) "
            "SELECT 'earn', m, '#bench:' || m || ':' || e, '', 'earn', 'bench', "
            "CASE WHEN random() < 0.2 THEN NULL ELSE 1 + (random() * ($3 - 1))::int END, "
            "p, 0, p, '[]', now() - random() * interval '60 days' "
            "FROM (SELECT m, e, 1 + (random() * 499)::int AS p "
            "FROM generate_series(1, $1) m, generate_series(1, $2) e) earned",
            members,
            earnings,
            branches,
        )
        await conn.execute("ANALYZE")
    finally:
        await conn.close()


async def measure(name: str, seconds: float, call: Callable[[], Awaitable[object]]) -> float:
    """Call `call` one after another for `seconds`; print its figures; return its p50 (ms)."""
    await call()  # warm
    timings: list[float] = []
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        start = time.perf_counter()
        await call()
        timings.append((time.perf_counter() - start) * 1000)
    timings.sort()
    p50 = statistics.median(timings)
    p99 = timings[min(len(timings) - 1, int(len(timings) * 0.99))]
    say(f"  {name:<46} p50 {p50:7.2f} ms   p99 {p99:7.2f} ms   {len(timings) / seconds:8.0f}/s")
    return p50


async def timed(name: str, work: Awaitable[object]) -> object:
    start = time.perf_counter()
    result = await work
    say(f"  {name:<46} {time.perf_counter() - start:7.1f} s")
    return result


def use(board: object) -> None:
    leaderboard.current_board = lambda: board  # type: ignore[assignment,return-value]


async def port_figures(
    board: RedisBoard, members: int, seconds: float, rng: random.Random
) -> list[float]:
    """The Redis board's own reads and writes (no database): p50 of top, around, record."""
    month = month_of(datetime.now(UTC))
    club = BoardId(Period.ALL_TIME, None, month)

    def someone() -> int:
        return rng.randrange(1, members // 20) * 20 + rng.randint(1, 19)  # not opted out

    def back_and_forth() -> list[Earning]:
        # A purchase and its referrer's reward, say; +10 then -10 leaves the board as it was.
        member, now = someone(), datetime.now(UTC)
        return [Earning(member, 1, 10, now), Earning(member, 1, -10, now)]

    return [
        await measure("top 10", seconds, lambda: board.top(club, 10)),
        await measure(
            "around a member, 2 either side", seconds, lambda: board.around(club, someone(), 2)
        ),
        await measure("record 2 earnings", seconds, lambda: board.record(back_and_forth())),
    ]


async def run(args: argparse.Namespace, url: str) -> int:
    from redis.asyncio import Redis

    say(f"seeding {args.members:,} members with {args.earnings} earnings each ...")
    start = time.perf_counter()
    await seed(url, args.members, args.earnings, args.branches)
    say(f"  seeded in {time.perf_counter() - start:.0f} s")
    await Tortoise.init(config=db.tortoise_config(url))
    rng = random.Random(1)

    def someone() -> int:
        return rng.randint(1, args.members)

    client = Redis.from_url(args.redis, decode_responses=True)
    prefix = f"bench:leaderboard:{uuid.uuid4().hex[:8]}:"
    redis_board, small_board = RedisBoard(client, prefix), RedisBoard(client, f"{prefix}small:")
    try:
        say("redis board")
        use(redis_board)
        entries = await timed("rebuild (every board, from the ledger)", leaderboard.rebuild())
        say(f"  {entries:,} entries on {2 * (args.branches + 1)} boards")
        say(f"redis board alone, {args.members:,} members")
        large = await port_figures(redis_board, args.members, args.seconds, rng)
        say(f"redis board alone, {SMALL:,} members")
        now = datetime.now(UTC)
        await small_board.record(
            [Earning(m, 1, rng.randint(1, 1500), now) for m in range(1, SMALL)]
        )
        small = await port_figures(small_board, SMALL, args.seconds, rng)
        say("the service on the redis board (board, member names, branch check)")
        await measure(
            "top 10, club, all-time", args.seconds, lambda: leaderboard.top(Period.ALL_TIME)
        )
        await measure(
            "top 10, a branch, this month", args.seconds, lambda: leaderboard.top(Period.MONTH, 1)
        )
        await measure(
            "standing_of a member, 2 neighbours",
            args.seconds,
            lambda: leaderboard.standing_of(someone(), Period.ALL_TIME),
        )
        await measure("rank_of a member", args.seconds, lambda: leaderboard.rank_of(someone()))

        say("database board (no Redis)")
        database_board = DatabaseBoard()
        use(database_board)
        await timed("build (a read after an earning)", leaderboard.top(Period.ALL_TIME))
        await measure(
            "standing_of from the kept boards",
            args.seconds,
            lambda: leaderboard.standing_of(someone(), Period.ALL_TIME),
        )

        say("the boards agree")
        agree = True
        sample = [someone() for _ in range(200)]
        for period, branch in ((Period.ALL_TIME, None), (Period.MONTH, 2)):
            seen = []
            for board in (redis_board, database_board):
                use(board)
                top = await leaderboard.top(period, branch, 100)
                standings = [await leaderboard.standing_of(m, period, branch) for m in sample]
                seen.append((top, standings))
            agree &= seen[0] == seen[1]
        say(f"  top 100 and 200 standings on 2 boards: {'equal' if agree else 'DIFFERENT'}")
    finally:
        keys = [key async for key in client.scan_iter(match=f"{prefix}*")]
        if keys:
            await client.unlink(*keys)
        await client.aclose()
        await Tortoise.close_connections()
    scales = all(
        big <= SCALE_LIMIT * little + SLACK_MS for big, little in zip(large, small, strict=True)
    )
    say(
        f"target: the Redis board's reads and writes at {args.members:,} members within "
        f"{SCALE_LIMIT:g}x (+{SLACK_MS:g} ms) of {SMALL:,} members, and the boards equal: "
        + ("met" if scales and agree else "MISSED")
    )
    return 0 if scales and agree else 1


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=1_000_000)
    parser.add_argument("--earnings", type=int, default=3, help="ledger earnings per member")
    parser.add_argument("--branches", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=3.0, help="per measured call")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/15")
    args = parser.parse_args()

    name = f"loyalty_bench_lb_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(f"postgresql://{PG_SERVER.split('://', 1)[1]}/{PG_ADMIN_DB}")
    await admin.execute(f'CREATE DATABASE "{name}"')
    url = f"{PG_SERVER}/{name}"
    try:
        await db.upgrade(url)
        return await run(args, url)
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
