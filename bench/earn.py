"""Earn throughput: `recordPurchase` through the real server, against the floor of the stack.

    .venv/bin/python bench/earn.py [--seconds 20] [--clients 32] [--members 10000] [--workers 2]
                                   [--rounds 3] [--wait-quiet 300] [--show-queries] [--profile DIR]
                                   [--rules]

Creates throw-away PostgreSQL databases (dropped at the end, on errors and Ctrl-C too), seeds a
branch, a cashier and the members, counts the SQL one `recordPurchase` sends, starts
`loyalty serve` (production settings) and the floor (`bench/floor_app.py`: one strawberry
mutation doing an insert and an F() balance update in one transaction, served the same way),
and signs the cashier in. Concurrent keep-alive clients then send `recordPurchase` with GraphQL
variables, a fresh idempotency key and receipt number each, to random members for a fixed time,
then the same to the floor; `--rounds` alternates the two and the best round of each counts,
since other work on a shared machine only ever lowers a figure. Prints requests/s, p50 and p99
latency, server CPU per request, their ratio, and where the CPU went: client, server and
database share the machine's cores, so the default client is a minimal HTTP/1.1 one that costs
a fraction of httpx's CPU (`--client httpx` to compare). `--profile DIR` samples the server
workers with py-spy (the `bench` extra) in the first round and prints the hottest code.

`--rules` switches a realistic programme on first (`install_programme`: 10 active earning rules,
3 tiers and a tier policy, members with a history and a tier) and sends 3 items a purchase.

Exit status: 0 when the targets are met, 1 if not: full path ≥ 0.5× floor and ≥ 500 purchases/s;
with `--rules`, ≥ 0.4× floor (issue 3).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import importlib.util
import json
import multiprocessing
import os
import random
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
import httpx

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
PG_SERVER = "postgres://postgres@127.0.0.1:5432"
PG_ADMIN_DB = "test"
CASHIER = "bench.cashier"
CASHIER_PASSWORD = "bench-cashier-password"
TARGET_RATIO = 0.5
TARGET_RATE = 500
TARGET_RATIO_WITH_RULES = 0.4
# Item categories the bench's purchases use; two of them earn a multiplier with --rules.
CATEGORIES = ("coffee", "bakery", "retail", "other")
QUIET = 0.15  # machine busy share below which --wait-quiet goes ahead
SPAWN_ALLOWANCE = 2.0  # seconds for client processes to start before the warm-up begins

PURCHASE = """
mutation RecordPurchase($input: RecordPurchaseInput!) {
  recordPurchase(input: $input) {
    __typename
    ... on PurchaseRecorded { purchase { id } pointsEarned balances { points } replayed }
    ... on Error { code message }
  }
}
"""
FLOOR_EARN = """
mutation Earn($input: EarnInput!) {
  earn(input: $input) { __typename id points }
}
"""
SIGN_IN = """
mutation SignIn($input: SignInStaffInput!) {
  signInStaff(input: $input) {
    __typename
    ... on StaffSession { tokens { accessToken } }
    ... on Error { code message }
  }
}
"""


# --- what the clients send -------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    """One endpoint under load. Picklable: client processes get a copy."""

    name: str
    url: str
    kind: str  # "purchase" or "floor"
    token: str | None
    members: list[int]
    branch_id: int = 0
    items: int = 0
    tag: str = field(default_factory=lambda: secrets.token_hex(4))

    @property
    def result_field(self) -> str:
        return "recordPurchase" if self.kind == "purchase" else "earn"

    @property
    def success(self) -> str:
        return "PurchaseRecorded" if self.kind == "purchase" else "Earned"

    def body(self, rng: random.Random, key: str) -> dict[str, Any]:
        member = rng.choice(self.members)
        amount = rng.randrange(10_000, 5_000_000, 1_000)
        if self.kind == "floor":
            variables = {"accountId": str(member), "amount": amount, "idempotencyKey": key}
            return {"query": FLOOR_EARN, "variables": {"input": variables}}
        items = [
            {
                "sku": f"SKU-{rng.randrange(1000)}",
                "amount": amount // self.items,
                "name": "item",
                "category": rng.choice(CATEGORIES),
            }
            for _ in range(self.items)
        ]
        variables = {
            "branchId": str(self.branch_id),
            "memberId": str(member),
            "amount": amount,
            "receiptNumber": key,
            "idempotencyKey": key,
            "items": items,
        }
        return {"query": PURCHASE, "variables": {"input": variables}}


@dataclass
class Tally:
    """What one client process saw inside the measured window."""

    latencies: list[float] = field(default_factory=list)  # successful requests only
    outcomes: Counter[str] = field(default_factory=Counter)
    last_finish: float = 0.0
    client_cpu: float = 0.0  # CPU seconds this process used in the window

    def merge(self, other: Tally) -> None:
        self.latencies.extend(other.latencies)
        self.outcomes.update(other.outcomes)
        self.last_finish = max(self.last_finish, other.last_finish)
        self.client_cpu += other.client_cpu


def _outcome(status: int, payload: dict[str, Any], target: Target) -> str:
    if status != 200:
        return f"HTTP {status}"
    if payload.get("errors"):
        return f"GraphQL error: {payload['errors'][0].get('message', '')[:80]}"
    result = payload["data"][target.result_field]
    name = result["__typename"]
    return name if name == target.success else f"{name} {result.get('code', '')}".strip()


class RawConnection:
    """One keep-alive HTTP/1.1 connection that POSTs JSON: a client that costs little CPU.

    The CPU a client burns is taken from the server on a small machine; httpx costs several
    times more per request than this (see --client httpx).
    """

    def __init__(self, url: str, headers: dict[str, str]) -> None:
        parsed = httpx.URL(url)
        self.host, self.port = parsed.host, parsed.port or 80
        lines = [f"POST {parsed.raw_path.decode()} HTTP/1.1", f"Host: {self.host}:{self.port}",
                 "Content-Type: application/json", "Connection: keep-alive",
                 *(f"{k}: {v}" for k, v in headers.items())]  # fmt: skip
        self.head = ("\r\n".join(lines) + "\r\nContent-Length: ").encode()
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def post(self, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        assert self.reader is not None
        data = json.dumps(body).encode()
        try:
            self.writer.write(self.head + str(len(data)).encode() + b"\r\n\r\n" + data)
            status = int((await self.reader.readuntil(b"\r\n")).split(b" ", 2)[1])
            length, close = 0, False
            while (line := await self.reader.readuntil(b"\r\n")) != b"\r\n":
                name, _, value = line.partition(b":")
                name = name.strip().lower()
                if name == b"content-length":
                    length = int(value)
                elif name == b"connection" and value.strip().lower() == b"close":
                    close = True
                elif name == b"transfer-encoding":
                    raise RuntimeError("chunked responses are not supported by this client")
            payload = json.loads(await self.reader.readexactly(length)) if length else {}
        except BaseException:
            await self.aclose()
            raise
        if close:
            await self.aclose()
        return status, payload

    async def aclose(self) -> None:
        if self.writer is not None:
            self.writer.close()
            with contextlib.suppress(OSError):
                await self.writer.wait_closed()
        self.reader = self.writer = None


class HttpxConnection:
    def __init__(self, url: str, headers: dict[str, str]) -> None:
        limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
        self.url = url
        self.client = httpx.AsyncClient(headers=headers, limits=limits, timeout=60)

    async def post(self, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        response = await self.client.post(self.url, json=body)
        return response.status_code, response.json() if response.content else {}

    async def aclose(self) -> None:
        await self.client.aclose()


CLIENTS = {"raw": RawConnection, "httpx": HttpxConnection}


async def _client(
    target: Target, number: int, start: float, end: float, tally: Tally, kind: str
) -> None:
    rng = random.Random(f"{target.tag}-{number}")
    headers = {"Authorization": f"Bearer {target.token}"} if target.token else {}
    connection = CLIENTS[kind](target.url, headers)
    try:
        sent = 0
        while (began := time.monotonic()) < end:
            sent += 1
            body = target.body(rng, f"{target.tag}-{number}-{sent}")
            try:
                outcome = _outcome(*await connection.post(body), target)
            except (OSError, asyncio.IncompleteReadError, httpx.HTTPError) as exc:
                outcome = f"transport {type(exc).__name__}"
            finished = time.monotonic()
            if began < start:
                continue  # warm-up
            tally.outcomes[outcome] += 1
            tally.last_finish = max(tally.last_finish, finished)
            if outcome == target.success:
                tally.latencies.append(finished - began)
    finally:
        await connection.aclose()


async def _sleep_until(moment: float) -> None:
    await asyncio.sleep(max(0.0, moment - time.monotonic()))


async def drive(target: Target, clients: range, start: float, end: float, kind: str) -> Tally:
    """Run `clients` against `target`; count what starts between `start` and `end`."""
    tally = Tally()

    async def cpu_in_window() -> None:
        await _sleep_until(start)
        before = time.process_time()
        await _sleep_until(end)
        tally.client_cpu = time.process_time() - before

    await asyncio.gather(
        cpu_in_window(), *(_client(target, n, start, end, tally, kind) for n in clients)
    )
    return tally


def _run_loop(coroutine: Any) -> Any:
    """Run on uvloop when it is there: a cheaper client leaves more CPU to the server."""
    try:
        import uvloop
    except ImportError:
        return asyncio.run(coroutine)
    return uvloop.run(coroutine)


def _client_process(
    target: Target, clients: range, start: float, end: float, kind: str, out: Any
) -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    out.put(_run_loop(drive(target, clients, start, end, kind)))


# --- CPU accounting (read-only /proc) ----------------------------------------------------------

_TICK = os.sysconf("SC_CLK_TCK")


def _stat(pid: int) -> list[str] | None:
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return text[text.rindex(")") + 2 :].split()  # fields from "state" on


def _all_pids() -> Iterator[int]:
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            yield int(entry)


def descendants(root: int) -> list[int]:
    parents = {}
    for pid in _all_pids():
        fields_ = _stat(pid)
        if fields_:
            parents[pid] = int(fields_[1])
    found, frontier = [root], [root]
    while frontier:
        frontier = [pid for pid, parent in parents.items() if parent in frontier]
        found.extend(frontier)
    return found


def postgres_pids() -> list[int]:
    pids = []
    for pid in _all_pids():
        with contextlib.suppress(OSError):
            if Path(f"/proc/{pid}/comm").read_text().strip() == "postgres":
                pids.append(pid)
    return pids


def cpu_seconds(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        fields_ = _stat(pid)
        if fields_:
            total += int(fields_[11]) + int(fields_[12])  # utime + stime
    return total / _TICK


def machine_jiffies() -> tuple[int, int, int]:
    """(busy, total, interrupts) jiffies of all CPUs since boot."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]
    idle = values[3] + values[4]
    return sum(values) - idle, sum(values), values[5] + values[6]


@dataclass
class CpuUse:
    seconds: float
    server: float
    postgres: float
    busy: float  # share of all cores
    workers: list[float]  # cores each server worker used
    interrupts: float  # cores spent in (soft) interrupts: mostly the loopback network


async def measure_cpu(server_pid: int, start: float, end: float) -> CpuUse:
    await _sleep_until(start - 0.5)
    server, database = descendants(server_pid), postgres_pids()
    workers = [pid for pid in server if pid != server_pid and is_worker(pid)]
    await _sleep_until(start)
    before = cpu_seconds(server), cpu_seconds(database), machine_jiffies()
    each = [cpu_seconds([pid]) for pid in workers]
    await _sleep_until(end)
    after = cpu_seconds(server), cpu_seconds(database), machine_jiffies()
    each = [
        (cpu_seconds([pid]) - was) / (end - start) for pid, was in zip(workers, each, strict=True)
    ]
    span = end - start
    total = max(1, after[2][1] - before[2][1])
    busy = (after[2][0] - before[2][0]) / total
    cores = os.cpu_count() or 1
    interrupts = (after[2][2] - before[2][2]) / total * cores
    server, database = (after[0] - before[0]) / span, (after[1] - before[1]) / span
    return CpuUse(span, server, database, busy, each, interrupts)


def is_worker(pid: int) -> bool:
    """uvicorn's worker processes (spawned by multiprocessing), not its supervisor or helpers."""
    try:
        return b"spawn_main" in Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False


# --- one measured phase ------------------------------------------------------------------------


@dataclass
class Phase:
    name: str
    tally: Tally
    cpu: CpuUse
    start: float
    profiler: Profiler | None = None

    @property
    def ok(self) -> int:
        return len(self.tally.latencies)

    @property
    def rate(self) -> float:
        return self.ok / max(1e-9, self.tally.last_finish - self.start)

    def percentile(self, p: int) -> float:
        if len(self.tally.latencies) < 2:
            return float("nan")
        return statistics.quantiles(self.tally.latencies, n=100)[p - 1] * 1000


async def run_phase(
    target: Target, server_pid: int, args: argparse.Namespace, tag: str, profile: bool = False
) -> Phase:
    procs = max(1, min(args.client_procs, args.clients))
    groups = [range(i, args.clients, procs) for i in range(procs)]
    allowance = SPAWN_ALLOWANCE if procs > 1 else 0.1
    start = time.monotonic() + allowance + args.warmup
    end = start + args.seconds
    cpu = asyncio.create_task(measure_cpu(server_pid, start, end))
    profiler = None
    if args.profile and profile:
        args.profile.mkdir(parents=True, exist_ok=True)
        profiler = Profiler(args.profile, tag)
        spying = asyncio.create_task(profiler.record(server_pid, start, args.seconds))
    tally = Tally()
    if procs == 1:
        tally = await drive(target, groups[0], start, end, args.client)
    else:
        context = multiprocessing.get_context("spawn")
        out = context.Queue()
        workers = [
            context.Process(
                target=_client_process, args=(target, group, start, end, args.client, out)
            )
            for group in groups
        ]
        try:
            for worker in workers:
                worker.start()
            for _ in workers:
                tally.merge(await asyncio.to_thread(out.get, True, args.seconds + 120))
        finally:
            for worker in workers:
                if worker.is_alive():
                    worker.terminate()
                worker.join(5)
    if profiler:
        await spying
        await asyncio.to_thread(profiler.stop)
    return Phase(target.name, tally, await cpu, start, profiler)


# --- databases and servers ---------------------------------------------------------------------


async def create_database(name: str) -> None:
    conn = await asyncpg.connect(f"{PG_SERVER}/{PG_ADMIN_DB}")
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()


async def drop_database(name: str) -> None:
    conn = await asyncpg.connect(f"{PG_SERVER}/{PG_ADMIN_DB}")
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


async def seed_club(url: str, members: int, rules: bool = False) -> tuple[int, int, list[int]]:
    """Migrate, then a branch, a cashier bound to it, and `members` members with accounts;
    with `rules`, the programme of `install_programme` too."""
    from tortoise import Tortoise

    from loyalty import staff
    from loyalty.actors import SYSTEM
    from loyalty.db import tortoise_config, upgrade
    from loyalty.ledger import Purse, member_account_code
    from loyalty.models import Account, Member, Role

    await upgrade(url)
    await Tortoise.init(config=tortoise_config(url))
    try:
        branch = await staff.create_branch(SYSTEM, code="BENCH", name="Bench branch")
        cashier = await staff.create_staff(
            SYSTEM,
            username=CASHIER,
            password=CASHIER_PASSWORD,
            role=Role.CASHIER,
            branch_id=branch.id,
        )
        await Member.bulk_create(
            [Member(phone=f"+98912{n:07d}") for n in range(members)], batch_size=2_000
        )
        ids = list(await Member.all().order_by("id").values_list("id", flat=True))
        await Account.bulk_create(
            [
                Account(code=member_account_code(i, purse), unit=purse.unit, member_id=i)
                for i in ids
                for purse in Purse
            ],
            batch_size=4_000,
        )
        if rules:
            await install_programme(branch.id, ids)
        else:
            await open_standings(ids)
    finally:
        await Tortoise.close_connections()
    return branch.id, cashier.id, ids


async def open_standings(member_ids: list[int]) -> None:
    """Standings with no history, as enrolment opens them."""
    from loyalty.ledger import Purse, member_account_code
    from loyalty.models import Account, MemberStanding
    from loyalty.programme.standing import new_referral_code

    codes = dict(await Account.filter(member_id__in=member_ids).values_list("code", "id"))
    await MemberStanding.bulk_create(
        [
            MemberStanding(
                member_id=member_id,
                points_account_id=codes[member_account_code(member_id, Purse.POINTS)],
                credit_account_id=codes[member_account_code(member_id, Purse.CREDIT)],
                referral_code=new_referral_code(),
            )
            for member_id in member_ids
        ],
        batch_size=2_000,
    )


async def install_programme(branch_id: int, member_ids: list[int]) -> None:
    """A realistic programme, set up through the domain as a manager would: 10 active rules,
    3 tiers with a tier policy; and members with a history (visits, last visit, a tier), so
    the conditions are judged on real facts and some of them hold."""
    from datetime import UTC, datetime, timedelta

    from loyalty import staff
    from loyalty.actors import SYSTEM, Actor
    from loyalty.ledger import Purse, member_account_code
    from loyalty.models import Account, MemberStanding, Role, RuleKind
    from loyalty.programme import policies, rules, tiers
    from loyalty.programme.rules import RuleSpec
    from loyalty.programme.standing import new_referral_code
    from loyalty.programme.tiers import TierSpec

    manager = Actor.staff(
        await staff.create_staff(
            SYSTEM, username="bench.manager", password=CASHIER_PASSWORD, role=Role.MANAGER
        )
    )
    await policies.save(
        manager,
        "tiers",
        {"metric": "points_earned", "period": "rolling_days", "window_days": 365, "grace_days": 30},
    )
    ladder = [
        await tiers.save(manager, TierSpec("Bronze", 0, 0, name_fa="برنزی")),
        await tiers.save(manager, TierSpec("Silver", 1, 2_000, 125, name_fa="نقره‌ای")),
        await tiers.save(manager, TierSpec("Gold", 2, 10_000, 150, name_fa="طلایی")),
    ]
    now = datetime.now(UTC)
    P, C, E, D = (RuleKind.POINTS_PER_AMOUNT, RuleKind.CASHBACK,
                  RuleKind.EVENT_POINTS, RuleKind.DISCOUNT)  # fmt: skip
    specs = [
        RuleSpec("Points for spending", P, {"points": 1, "per_amount": 10_000, "multipliers": [
            {"category": "coffee", "percent": 200}, {"category": "bakery", "percent": 150}]}),
        RuleSpec("Credit back", C, {"basis_points": 1_000, "max_amount": 500_000},
                 exclusive_group="credit-back"),
        RuleSpec("Credit back from the 11th visit", C,
                 {"basis_points": 1_500, "max_amount": 750_000},
                 conditions={"min_visit_number": 11}, priority=10, exclusive_group="credit-back"),
        RuleSpec("Points for a visit", E,
                 {"event": "visit", "points": 5, "cap_count": 1, "cap_period": "day"}),
        RuleSpec("Welcome back", D, {"basis_points": 1_000, "max_amount": 1_000_000},
                 conditions={"min_days_since_last_visit": 30}, priority=5),
        RuleSpec("Regulars' bonus", P, {"points": 1, "per_amount": 50_000},
                 conditions={"min_spend_in_window": 5_000_000, "spend_window_days": 30}),
        RuleSpec("Gold members' offer", D, {"basis_points": 500, "max_amount": 500_000},
                 conditions={"tier_ids": [ladder[2].id]}),
        RuleSpec("This branch's points", P, {"points": 1, "per_amount": 100_000, "base": "gross"},
                 branch_ids=[branch_id]),
        RuleSpec("Nowruz double points", P, {"points": 1, "per_amount": 10_000},
                 starts_at=now - timedelta(days=1), ends_at=now + timedelta(days=30)),
        RuleSpec("We missed you", C, {"basis_points": 500, "max_amount": 250_000},
                 conditions={"lapse_over_usual_gap": 1.5}, exclusive_group="comeback"),
    ]  # fmt: skip
    for spec in specs:
        await rules.create(manager, spec)

    rng = random.Random(7)
    standings = []
    for member_id in member_ids:
        visits = rng.choice((0, 1, 3, 9, 10, 25))
        last = now - timedelta(days=rng.choice((1, 5, 12, 40))) if visits else None
        first = last - timedelta(days=visits * rng.randrange(3, 15)) if last else None
        tier = rng.choice(ladder) if visits else ladder[0]
        standings.append(
            MemberStanding(
                member_id=member_id,
                points_account_id=0,
                credit_account_id=0,
                referral_code=new_referral_code(),
                visit_count=visits,
                first_visit_at=first,
                last_visit_at=last,
                tier_id=tier.id,
                tier_since=first,
            )
        )
    codes = {
        code: account_id
        for code, account_id in await Account.filter(member_id__in=member_ids).values_list(
            "code", "id"
        )
    }
    for row in standings:
        row.points_account_id = codes[member_account_code(row.member_id, Purse.POINTS)]
        row.credit_account_id = codes[member_account_code(row.member_id, Purse.CREDIT)]
    await MemberStanding.bulk_create(standings, batch_size=2_000)


async def purchase_queries(url: str, branch_id: int, cashier_id: int, member_id: int) -> list[str]:
    """The SQL one `recordPurchase` sends, run in-process through the real schema.

    Statements come from tortoise's `tortoise.db_client` DEBUG log; BEGIN and COMMIT, which
    it does not log, are added by wrapping its asyncpg transaction (here only).
    """
    import logging

    from tortoise import Tortoise
    from tortoise.backends.asyncpg.client import TransactionWrapper

    from loyalty.actors import Actor, ActorKind
    from loyalty.auth.ports import OutboxSmsSender
    from loyalty.db import tortoise_config
    from loyalty.models import Role
    from loyalty.settings import Settings
    from schema import build_schema
    from schema.context import Context

    sent: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            if record.args:  # statements are logged as "%s: %s" % (sql, values)
                sent.append(str(record.args[0]))

    def traced(name: str, method: Callable) -> Callable:
        async def wrapper(self: Any) -> Any:
            sent.append(name)
            return await method(self)

        return wrapper

    settings = Settings(env="production", database_url=url, secret_key=secrets.token_hex(32))
    schema = build_schema(settings)
    actor = Actor(ActorKind.STAFF, cashier_id, Role.CASHIER, branch_id)
    logger = logging.getLogger("tortoise.db_client")
    handler, level, propagate = Collect(), logger.level, logger.propagate
    begin, commit = TransactionWrapper.begin, TransactionWrapper.commit
    await Tortoise.init(config=tortoise_config(url))
    try:
        # Twice unmeasured: the first creates the club's system account, the second caches it.
        for attempt in ("warm-1", "warm-2", "counted"):
            if attempt == "counted":
                logger.addHandler(handler)
                logger.setLevel(logging.DEBUG)
                logger.propagate = False
                TransactionWrapper.begin = traced("BEGIN", begin)  # type: ignore[method-assign]
                TransactionWrapper.commit = traced("COMMIT", commit)  # type: ignore[method-assign]
            variables = {
                "branchId": str(branch_id),
                "memberId": str(member_id),
                "amount": 1_230_000,
                "receiptNumber": f"queries-{attempt}",
                "idempotencyKey": f"queries-{attempt}",
            }
            context = Context(actor=actor, client_ip="127.0.0.1", sms_sender=OutboxSmsSender())
            result = await schema.execute(
                PURCHASE, variable_values={"input": variables}, context_value=context
            )
            typename = (result.data or {}).get("recordPurchase", {}).get("__typename")
            if typename != "PurchaseRecorded":
                raise RuntimeError(f"in-process recordPurchase failed: {result}")
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)
        logger.propagate = propagate
        TransactionWrapper.begin, TransactionWrapper.commit = begin, commit  # type: ignore[method-assign]
        await Tortoise.close_connections()
    return sent


def _short_sql(statement: str, width: int = 110) -> str:
    flat = " ".join(statement.split())
    return flat if len(flat) <= width else flat[: width - 1] + "…"


class Profiler:
    """py-spy on each server worker for the measured window; a summary by function and layer."""

    def __init__(self, directory: Path, name: str) -> None:
        self.directory = directory
        self.name = name
        self.recorders: list[tuple[subprocess.Popen, Path]] = []

    @staticmethod
    def workers(server_pid: int) -> list[int]:
        return [pid for pid in descendants(server_pid)[1:] if is_worker(pid)]

    async def record(self, server_pid: int, start: float, seconds: float) -> None:
        await _sleep_until(start)
        self.launch(server_pid, seconds)

    def launch(self, server_pid: int, seconds: float) -> None:
        spy = str(Path(sys.executable).parent / "py-spy")
        for pid in self.workers(server_pid):
            out = self.directory / f"{self.name}-{pid}.txt"
            command = [spy, "record", "--pid", str(pid), "--duration", str(int(seconds)),
                       "--rate", "250", "--nonblocking", "--format", "raw",
                       "--output", str(out)]  # fmt: skip
            quiet = subprocess.DEVNULL
            self.recorders.append((subprocess.Popen(command, stdout=quiet, stderr=quiet), out))

    def stop(self) -> None:
        for recorder, _ in self.recorders:
            if recorder.poll() is None:
                try:
                    recorder.wait(30)
                except subprocess.TimeoutExpired:
                    recorder.terminate()

    def summary(self, top: int = 20) -> list[str]:
        self.stop()
        own: Counter[str] = Counter()
        inclusive: Counter[str] = Counter()
        layers: Counter[str] = Counter()
        total = 0
        for _, out in self.recorders:
            with contextlib.suppress(OSError):
                for line in out.read_text().splitlines():
                    stack, _, count = line.rpartition(" ")
                    frames = [_frame(f) for f in stack.split(";") if f]
                    if not frames or not count.isdigit() or _IDLE_THREAD in stack:
                        continue
                    n = int(count)
                    total += n
                    own[frames[-1]] += n
                    layers[_layer(frames[-1])] += n
                    for frame in set(frames):
                        inclusive[frame] += n
        if not total:
            return [f"{self.name}: no samples (py-spy missing or not permitted?)"]
        lines = [f"{self.name}: {total} samples on {len(self.recorders)} workers; raw stacks in "
                 f"{self.directory}"]  # fmt: skip
        lines.append("  CPU by layer (own time):")
        lines += [f"    {n / total:6.1%}  {name}" for name, n in layers.most_common(12)]
        lines.append("  hottest functions (own time):")
        lines += [f"    {n / total:6.1%}  {name}" for name, n in own.most_common(top)]
        lines.append("  functions by inclusive time:")
        lines += [f"    {n / total:6.1%}  {name}" for name, n in inclusive.most_common(top + 15)]
        return lines


# uvicorn's worker answers the supervisor's pings in a thread that sleeps in recv(); py-spy
# does not always see that as idle.
_IDLE_THREAD = "always_pong"


def _frame(frame: str) -> str:
    """ "func (path/file.py:123)" -> "func (path/file.py)", shortened to the package path."""
    name, _, where = frame.partition(" (")
    path = where.rstrip(")").rsplit(":", 1)[0]
    for marker in ("site-packages/", "/lib/python3.", str(ROOT) + "/"):
        if marker in path:
            path = path.split(marker, 1)[1]
            if marker == "/lib/python3.":
                path = path.split("/", 1)[-1]
    return f"{name} ({path})"


def _layer(frame: str) -> str:
    path = frame.rpartition(" (")[2].rstrip(")")
    top = path.split("/", 1)[0]
    return top.removesuffix(".py") or "?"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Server:
    name: str
    process: subprocess.Popen
    port: int
    log: Path

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGTERM)  # its own session: uvicorn + workers
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(5)

    def log_tail(self, lines: int = 30) -> str:
        with contextlib.suppress(OSError):
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        return ""


def start_server(
    name: str, command: list[str], env: dict[str, str], port: int, logs: Path
) -> Server:
    log = logs / f"{name}.log"
    with log.open("wb") as sink:
        process = subprocess.Popen(
            command,
            cwd=ROOT,
            env={**os.environ, **env},
            stdin=subprocess.DEVNULL,
            stdout=sink,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    return Server(name, process, port, log)


async def wait_healthy(server: Server, within: float = 60) -> None:
    deadline = time.monotonic() + within
    async with httpx.AsyncClient(timeout=2) as client:
        while time.monotonic() < deadline:
            if server.process.poll() is not None:
                raise RuntimeError(f"{server.name} exited:\n{server.log_tail()}")
            with contextlib.suppress(httpx.HTTPError):
                if (await client.get(f"{server.base}/healthz")).status_code == 200:
                    return
            await asyncio.sleep(0.2)
    raise RuntimeError(f"{server.name} not healthy after {within:.0f} s:\n{server.log_tail()}")


def event_loop_of(server: Server) -> str:
    """Which loop and HTTP parser the server's workers really loaded (from /proc/<pid>/maps)."""
    found = set()
    for pid in descendants(server.process.pid):
        with contextlib.suppress(OSError):
            maps = Path(f"/proc/{pid}/maps").read_text()
            found |= {name for name in ("uvloop", "httptools") if f"/{name}/" in maps}
    loop = "uvloop" if "uvloop" in found else "asyncio"
    http = "httptools" if "httptools" in found else "h11"
    return f"{loop} + {http}"


async def sign_in(server: Server) -> str:
    body = {
        "query": SIGN_IN,
        "variables": {"input": {"username": CASHIER, "password": CASHIER_PASSWORD}},
    }
    async with httpx.AsyncClient(timeout=30) as client:
        response = await client.post(f"{server.base}/graphql", json=body)
    result = response.json()["data"]["signInStaff"]
    if result["__typename"] != "StaffSession":
        raise RuntimeError(f"signInStaff failed: {result}")
    return result["tokens"]["accessToken"]


# --- the run -----------------------------------------------------------------------------------


@dataclass
class Run:
    """What has to be undone, whatever happens."""

    databases: list[str] = field(default_factory=list)
    servers: list[Server] = field(default_factory=list)

    def stop_servers(self) -> None:
        while self.servers:
            self.servers.pop().stop()


def serve_command(args: argparse.Namespace, port: int) -> list[str]:
    return [
        str(Path(sys.executable).parent / "loyalty"),
        "serve",
        "--host", "127.0.0.1",
        "--port", str(port),
        "--workers", str(args.workers),
        "--no-access-log",
        "--log-level", "warning",
    ]  # fmt: skip


def floor_command(args: argparse.Namespace, port: int) -> list[str]:
    return [
        sys.executable, "-m", "uvicorn", "floor_app:create_app", "--factory",
        "--app-dir", str(BENCH),
        "--host", "127.0.0.1",
        "--port", str(port),
        "--workers", str(args.workers),
        "--no-access-log",
        "--log-level", "warning",
    ]  # fmt: skip


async def bench(args: argparse.Namespace, run: Run, logs: Path, say: Callable[[str], None]) -> int:
    if args.wait_quiet:
        await wait_until_quiet(args.wait_quiet, say)
    suffix = secrets.token_hex(4)
    club_db, floor_db = f"loyalty_bench_{suffix}", f"loyalty_bench_{suffix}_floor"
    for name in (club_db, floor_db):
        run.databases.append(name)
        await create_database(name)
    club_url, floor_url = f"{PG_SERVER}/{club_db}", f"{PG_SERVER}/{floor_db}"
    pool = f"?minsize=1&maxsize={args.pool}" if args.pool else ""  # servers only

    began = time.monotonic()
    branch_id, cashier_id, members = await seed_club(club_url, args.members, args.rules)
    import floor_app

    await floor_app.seed(floor_url, args.members)
    programme = "; 10 rules, 3 tiers" if args.rules else ""
    say(f"seeded {club_db}: 1 branch, 1 cashier, {len(members):,} members{programme}; "
        f"and {floor_db} "
        f"({time.monotonic() - began:.1f} s)")  # fmt: skip

    queries = await purchase_queries(club_url, branch_id, cashier_id, members[0])
    say(f"one recordPurchase (with its result) = {len(queries)} database round trips "
        "(the floor: 4)")  # fmt: skip
    for statement in queries if args.show_queries else ():
        say(f"    {_short_sql(statement)}")

    # The full path: `loyalty serve`, production settings. The floor: served the same way.
    port = free_port()
    env = {
        "LOYALTY_DATABASE_URL": club_url + pool,
        "LOYALTY_ENV": "production",
        "LOYALTY_SECRET_KEY": secrets.token_urlsafe(48),
    }
    club = start_server("loyalty-serve", serve_command(args, port), env, port, logs)
    run.servers.append(club)
    port = free_port()
    env = {"FLOOR_DATABASE_URL": floor_url + pool}
    floor = start_server("floor", floor_command(args, port), env, port, logs)
    run.servers.append(floor)
    for server in (club, floor):
        await wait_healthy(server)
        say(f"{server.name} on :{server.port}, {args.workers} workers, {event_loop_of(server)}")

    phases: list[tuple[Phase, Phase]] = []
    for number in range(1, args.rounds + 1):
        token = await sign_in(club)  # per round: access tokens live 15 minutes
        full_target = Target(FULL, f"{club.base}/graphql", "purchase", token, members,
                             branch_id=branch_id, items=args.items)  # fmt: skip
        floor_target = Target(FLOOR, f"{floor.base}/graphql", "floor", None,
                              list(range(1, args.members + 1)))  # fmt: skip
        say(f"round {number}/{args.rounds}: {args.clients} clients ({args.client}), "
            f"{args.warmup:g} s warm-up + {args.seconds:g} s, full path then floor")  # fmt: skip
        profile = number == 1
        phases.append(
            (
                await run_phase(full_target, club.process.pid, args, "full", profile),
                await run_phase(floor_target, floor.process.pid, args, "floor", profile),
            )
        )
    run.stop_servers()

    full, floor_best = report(args, phases, say)
    for phase in phases[0]:
        if phase.profiler:
            say("")
            for line in phase.profiler.summary():
                say(line)
    if args.rules:
        met = full.rate >= TARGET_RATIO_WITH_RULES * floor_best.rate
    else:
        met = full.rate >= TARGET_RATE and full.rate >= TARGET_RATIO * floor_best.rate
    return 0 if met else 1


FULL = "full path (recordPurchase)"
FLOOR = "floor (insert + F() update)"


def report(
    args: argparse.Namespace, phases: list[tuple[Phase, Phase]], say: Callable[[str], None]
) -> tuple[Phase, Phase]:
    """Print every round, then the best round of each endpoint; return those two."""
    cores = os.cpu_count() or 1
    procs = max(1, min(args.client_procs, args.clients))
    say("")
    say(f"{cores} cores shared by the client ({procs} process(es), {args.clients} connections, "
        f"{args.client}), the server ({args.workers} workers) and PostgreSQL; other processes "
        "on the machine count against all of them")  # fmt: skip
    say("")
    header = (
        f"{'round':6} {'':28} {'ok/s':>7} {'p50 ms':>8} {'p99 ms':>8} {'ok':>7} {'failed':>6}"
        f" {'srv CPU ms/ok':>13}"
    )
    say(header)
    say("-" * len(header))

    def row(label: str, phase: Phase) -> None:
        failed = sum(phase.tally.outcomes.values()) - phase.ok
        per_ok = phase.cpu.server * phase.cpu.seconds / phase.ok * 1000 if phase.ok else 0.0
        say(f"{label:6} {phase.name:28} {phase.rate:7.0f} {phase.percentile(50):8.1f} "
            f"{phase.percentile(99):8.1f} {phase.ok:7d} {failed:6d} {per_ok:13.2f}")  # fmt: skip

    for number, pair in enumerate(phases, 1):
        for phase in pair:
            row(str(number), phase)
    full = max((pair[0] for pair in phases), key=lambda p: p.rate)
    floor = max((pair[1] for pair in phases), key=lambda p: p.rate)
    say("-" * len(header))
    row("best", full)
    row("best", floor)
    ratio = full.rate / floor.rate if floor.rate else float("nan")
    per_round = ", ".join(f"{f.rate / g.rate:.2f}" if g.rate else "-" for f, g in phases)
    say(f"{'ratio':6} {'full/floor (best/best)':28} {ratio:7.2f}   per round: {per_round}")
    say("")
    say(f"CPU in each measured window, in cores (of {cores}):")
    for number, pair in enumerate(phases, 1):
        for phase in pair:
            client = phase.tally.client_cpu / phase.cpu.seconds
            cpu = phase.cpu
            other = cpu.busy * cores - cpu.server - cpu.postgres - client - cpu.interrupts
            split = " + ".join(f"{w:.2f}" for w in cpu.workers)
            say(f"  {number} {phase.name:28} server {cpu.server:4.2f} (workers {split})"
                f"  postgres {cpu.postgres:4.2f}  client {client:4.2f}"
                f"  irq {cpu.interrupts:4.2f}  other {max(0.0, other):4.2f}"
                f"  busy {cpu.busy:4.0%}")  # fmt: skip
    say("  (postgres: every database on the server; irq: interrupts, mostly loopback TCP;")
    say("   other: the rest of the machine, other people's work included)")
    say("")
    for index, name in enumerate((FULL, FLOOR)):
        outcomes: Counter[str] = Counter()
        for pair in phases:
            outcomes.update(pair[index].tally.outcomes)
        success = "PurchaseRecorded" if index == 0 else "Earned"
        listed = ", ".join(f"{k}: {v}" for k, v in sorted(outcomes.items()) if k != success)
        say(f"results, {name}: {success}: {outcomes[success]}; errors: {listed or 'none'}")
    say("")
    if args.rules:
        target = TARGET_RATIO_WITH_RULES
        say(f"target with 10 rules and 3 tiers on: full ≥ {target}× floor: "
            f"{'met' if ratio >= target else 'MISSED'} ({ratio:.2f}×)")  # fmt: skip
        return full, floor
    say(f"target: full ≥ {TARGET_RATIO}× floor: {'met' if ratio >= TARGET_RATIO else 'MISSED'} "
        f"({ratio:.2f}×); full ≥ {TARGET_RATE}/s: "
        f"{'met' if full.rate >= TARGET_RATE else 'MISSED'} ({full.rate:.0f}/s)")  # fmt: skip
    return full, floor


def cleanup(run: Run, say: Callable[[str], None]) -> None:
    run.stop_servers()

    async def drop_all() -> None:
        for name in run.databases:
            try:
                await drop_database(name)
            except Exception as exc:  # report and go on dropping the others
                say(f"could not drop {name}: {exc}")

    if run.databases:
        asyncio.run(drop_all())
        say(f"dropped {', '.join(run.databases)}")


async def wait_until_quiet(limit: float, say: Callable[[str], None]) -> None:
    """Wait (at most `limit` seconds) until other processes leave the CPUs nearly idle."""
    deadline = time.monotonic() + limit
    told = False
    while True:
        before = machine_jiffies()
        await asyncio.sleep(2)
        after = machine_jiffies()
        busy = (after[0] - before[0]) / max(1, after[1] - before[1])
        if busy < QUIET:
            return
        if time.monotonic() >= deadline:
            say(f"warning: the machine is still {busy:.0%} busy; measuring anyway")
            return
        if not told:
            say(f"the machine is {busy:.0%} busy with other work; waiting up to {limit:.0f} s")
            told = True


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=20, help="measured time per endpoint")
    parser.add_argument(
        "--rounds",
        type=int,
        default=3,
        help="alternate full path and floor this many times; the best round of each counts",
    )
    parser.add_argument("--warmup", type=float, default=3, help="unmeasured time before it")
    parser.add_argument("--clients", type=int, default=32, help="concurrent connections")
    parser.add_argument("--client-procs", type=int, default=1, help="client processes")
    parser.add_argument(
        "--client",
        choices=sorted(CLIENTS),
        default="raw",
        help="HTTP client: raw (a minimal keep-alive HTTP/1.1 client, cheap) or httpx",
    )
    parser.add_argument("--members", type=int, default=10_000)
    parser.add_argument("--workers", type=int, default=2, help="server worker processes")
    parser.add_argument(
        "--items",
        type=int,
        default=None,
        help="line items per purchase (default 0; 3 with --rules)",
    )
    parser.add_argument(
        "--rules",
        action="store_true",
        help="switch on a realistic programme first: 10 earning rules, 3 tiers, member history",
    )
    parser.add_argument(
        "--pool",
        type=int,
        default=0,
        help="database connections per server worker (default: tortoise's, 5)",
    )
    parser.add_argument(
        "--wait-quiet",
        type=float,
        default=0,
        metavar="SECONDS",
        help="first wait up to this long for other processes to leave the CPUs idle",
    )
    parser.add_argument("--show-queries", action="store_true", help="print one purchase's SQL")
    parser.add_argument(
        "--profile", type=Path, metavar="DIR", help="py-spy the server workers; stacks go in DIR"
    )
    args = parser.parse_args(argv)
    if args.items is None:
        args.items = 3 if args.rules else 0
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    for module in ("uvloop", "httptools"):
        if importlib.util.find_spec(module) is None:
            print(f"warning: {module} is not installed; uvicorn will be slow", file=sys.stderr)

    def say(line: str) -> None:
        print(line, flush=True)

    def terminate(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, terminate)
    signal.signal(signal.SIGINT, signal.default_int_handler)  # even if started with it ignored
    run = Run()
    logs = Path(tempfile.mkdtemp(prefix="loyalty-bench-"))
    code = 1
    try:
        code = _run_loop(bench(args, run, logs, say))
    except KeyboardInterrupt:
        say("interrupted")
        code = 130
    except Exception:
        for server in run.servers:
            if tail := server.log_tail():
                say(f"--- {server.name} log ---\n{tail}")
        raise
    finally:
        cleanup(run, say)
    return code


if __name__ == "__main__":
    sys.exit(main())
