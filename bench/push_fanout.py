"""Push fan-out: a campaign to 1,000,000 device tokens, sent by `loyalty worker` processes to a
local stand-in that speaks FCM's HTTP v1 protocol (issue 5).

    .venv/bin/python bench/push_fanout.py [--members 1000000] [--keep-db NAME | --reuse-db NAME]
                                          [--workers 2] [--quota 600000] [--latency 0.02]
                                          [--throttled 0.01] [--dead 0.02] [--timeout 5400]

Seeds a club (`big_club`, as bench/member_home.py does; kept with --keep-db), gives every member
marketing consent and one device, starts the FCM stand-in in a process of its own (answers after
`--latency`, 429 with Retry-After for `--throttled` of requests, unregistered for `--dead` of
the tokens), starts `--workers` worker processes on Redis db 14 with Firebase credentials whose
OAuth also goes to the stand-in, and schedules a campaign to every member through the domain, as
a manager would. It then watches the stand-in until every token has its push or is known dead.

Prints messages/s, the total time, the busiest rolling minute, and checks what must hold: no
token pushed twice, none lost, every dead token's device forgotten, never over the quota in any
rolling minute; and the ratio of the rate to FCM's default quota of 600,000 a minute.
Exit status 0 when all hold.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import secrets
import sys
import time
from pathlib import Path

import asyncpg
import big_club
import harness
import httpx
from harness import Run, Say

from tests.standins.fcm import FcmStandin, write_service_account

REDIS_URL = "redis://127.0.0.1:6379/14"  # not the tests' database (15)
FCM_DEFAULT_QUOTA = 600_000


async def prepare_database(args: argparse.Namespace, run: Run, say: Say) -> str:
    """The club (seeded or reused), every member with marketing consent and one device."""
    url, _ = await big_club.club_database(args, run, say, prefix="loyalty_bench_push")
    db = await asyncpg.connect(url)
    try:
        began = time.monotonic()
        await db.execute("UPDATE member SET marketing_consent = true, preferred_channel = 'push'")
        await db.execute("TRUNCATE device, message, outbox_event CASCADE")  # a run before
        await db.execute(
            "INSERT INTO device (member_id, token, platform, active, created_at, last_seen_at) "
            "SELECT id, 'fcm-token-' || id, 'android', true, now(), now() FROM member"
        )
        devices = await db.fetchval("SELECT COUNT(*) FROM device")
        say(f"{devices:,} devices, every member consenting: {time.monotonic() - began:.0f} s")
    finally:
        await db.close()
    return url


async def start_campaign(url: str, say: Say) -> None:
    """A campaign to every member, now, as the club's manager schedules one; no quiet hours and
    room under the weekly cap, so nothing is held back but by the devices themselves."""
    from programme import MANAGER
    from tortoise import Tortoise

    from loyalty.actors import Actor
    from loyalty.campaigns import manage
    from loyalty.db import tortoise_config
    from loyalty.models import StaffUser
    from loyalty.programme import policies

    await Tortoise.init(config=tortoise_config(url))
    try:
        manager = Actor.staff(await StaffUser.get(username=MANAGER))
        await policies.save(
            manager,
            "messaging",
            {"quiet_from": "00:00", "quiet_until": "00:00", "marketing_per_week": 50},
        )
        spec = manage.CampaignSpec(
            name="Yalda night",
            title="{first_name} عزیز، شب یلدا مبارک",
            body="انار و هندوانه مهمان ما باشید: فقط تا پایان هفته.",
        )
        campaign = await manage.create(manager, spec)
        await manage.schedule(manager, campaign.id)
        say(f"campaign {campaign.id} scheduled to every member")
    finally:
        await Tortoise.close_connections()


def start_standin(args: argparse.Namespace, run: Run) -> harness.Server:
    port = harness.free_port()
    command = [
        sys.executable, "-m", "tests.standins.fcm", "--port", str(port),
        "--latency", str(args.latency), "--throttled", str(args.throttled),
        "--dead", str(args.dead), "--retry-after", "1",
    ]  # fmt: skip
    server = harness.start_server("fcm-standin", command, {}, port, run.logs)
    run.servers.append(server)
    return server


async def stats_of(standin: harness.Server) -> dict:
    async with httpx.AsyncClient(timeout=30) as client:
        return (await client.get(f"{standin.base}/stats")).json()


async def wait_for_standin(standin: harness.Server) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            await stats_of(standin)
            return
        except httpx.HTTPError:
            await asyncio.sleep(0.2)
    raise RuntimeError(f"the FCM stand-in did not start:\n{standin.log_tail()}")


def start_workers(args: argparse.Namespace, env: dict[str, str], run: Run) -> None:
    loyalty = str(Path(sys.executable).parent / "loyalty")
    for number in range(args.workers):
        command = [loyalty, "worker", "--log-level", "warning"]
        run.servers.append(harness.start_server(f"worker-{number}", command, env, 0, run.logs))


async def watch(args: argparse.Namespace, url: str, standin: harness.Server, say: Say) -> dict:
    """Until every token has its push or is known dead (or the time is up); the final stats."""
    db = await asyncpg.connect(url)
    try:
        tokens = await db.fetchval("SELECT COUNT(*) FROM device")
        began, last_said = time.monotonic(), 0.0
        while time.monotonic() - began < args.timeout:
            stats = await stats_of(standin)
            unfinished = await db.fetchval(
                "SELECT COUNT(*) FROM outbox_event WHERE finished_at IS NULL"
            )
            done = stats["tokens_delivered"] + stats["by_status"].get("404", 0)
            if time.monotonic() - last_said > 30:
                pushed, gone = stats["tokens_delivered"], stats["by_status"].get("404", 0)
                elapsed = time.monotonic() - began
                say(f"  {elapsed:6.0f} s: {pushed:,} pushed, {gone:,} dead, {unfinished:,} to go")
                last_said = time.monotonic()
            if done >= tokens and unfinished == 0:
                break
            await asyncio.sleep(1)
        stats["tokens"] = tokens
        stats["forgotten"] = await db.fetchval("SELECT COUNT(*) FROM device WHERE NOT active")
        stats["unfinished"] = await db.fetchval(
            "SELECT COUNT(*) FROM outbox_event WHERE finished_at IS NULL"
        )
        return stats
    finally:
        await db.close()


def report(args: argparse.Namespace, stats: dict, say: Say) -> bool:
    tokens, delivered = stats["tokens"], stats["tokens_delivered"]
    dead = stats["by_status"].get("404", 0)
    seconds = max(stats["seconds"], 1e-9)
    rate = stats["requests"] / seconds
    say("")
    say(f"tokens {tokens:,}: pushed {delivered:,}, unregistered {dead:,}, "
        f"requests {stats['requests']:,} ({json.dumps(stats['by_status'])})")  # fmt: skip
    say(f"time {seconds:,.0f} s; {rate:,.0f} requests/s; {delivered / seconds:,.0f} pushes/s; "
        f"busiest rolling minute {stats['busiest_minute']:,}")  # fmt: skip
    say(f"against FCM's default quota of {FCM_DEFAULT_QUOTA:,}/min: "
        f"{rate * 60 / FCM_DEFAULT_QUOTA:.3f} of it")  # fmt: skip
    checks = [
        ("no token pushed twice", stats["duplicates"] == 0, f"{stats['duplicates']:,} twice"),
        ("none lost", delivered + dead == tokens and stats["unfinished"] == 0,
         f"{tokens - delivered - dead:,} without a push, {stats['unfinished']:,} events left"),
        ("dead tokens forgotten", stats["forgotten"] == dead, f"{stats['forgotten']:,} forgotten"),
        (f"never over {args.quota:,} a minute", stats["busiest_minute"] <= args.quota,
         f"busiest minute {stats['busiest_minute']:,}"),
    ]  # fmt: skip
    for name, held, seen in checks:
        say(f"check: {name}: {'held' if held else 'FAILED'} ({seen})")
    return all(held for _, held, _ in checks)


async def bench(args: argparse.Namespace, run: Run, say: Say) -> int:
    url = await prepare_database(args, run, say)
    standin = start_standin(args, run)
    await wait_for_standin(standin)
    account = write_service_account(run.logs / "service-account.json", FcmStandin(url=standin.base))
    env = {
        "LOYALTY_DATABASE_URL": url,
        "LOYALTY_ENV": "production",
        "LOYALTY_SECRET_KEY": secrets.token_urlsafe(48),
        "LOYALTY_REDIS_URL": args.redis_url,
        "LOYALTY_FIREBASE_CREDENTIALS": str(account),
        "LOYALTY_FCM_URL": standin.base,
        "LOYALTY_PUSH_QUOTA_PER_MINUTE": str(args.quota),
    }
    await start_campaign(url, say)
    start_workers(args, env, run)
    say(f"FCM stand-in on :{standin.port}; {args.workers} workers on {args.redis_url}")
    stats = await watch(args, url, standin, say)
    run.stop_servers()
    return 0 if report(args, stats, say) else 1


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=1_000_000)
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--keep-db", metavar="NAME", help="seed into this database and keep it")
    where.add_argument("--reuse-db", metavar="NAME", help="a database kept by --keep-db")
    parser.add_argument("--workers", type=int, default=2, help="`loyalty worker` processes")
    parser.add_argument("--quota", type=int, default=FCM_DEFAULT_QUOTA, help="pushes a minute")
    parser.add_argument("--latency", type=float, default=0.02, help="the stand-in's, seconds")
    parser.add_argument("--throttled", type=float, default=0.01, help="share answered 429")
    parser.add_argument("--dead", type=float, default=0.02, help="share of tokens unregistered")
    parser.add_argument("--timeout", type=float, default=5_400, help="seconds to wait at most")
    parser.add_argument("--redis-url", default=REDIS_URL)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    return harness.main(lambda run, say: bench(args, run, say))


if __name__ == "__main__":
    sys.exit(main())
