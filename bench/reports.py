"""Behaviour analysis (and the reports) on a big club: seeds PostgreSQL, times the runs.

The club is bench/big_club.py's (a million members by default), its visits multiplied by
`--visit-factor` (4: about 11 million purchases), then given what the analysis reads beyond
purchases and earnings: one to three line items per purchase, with categories, and refunds
(one purchase in 50 wholly, one in 50 half). The refunds are written on the purchases only,
for timing: their earnings are not reversed in the ledger.

Timed: the nightly full run (every member's figures, RFM scores, the snapshot), a second full
run (the snapshot now compares), and an incremental run after a thousand members bought again.
Then the report roll-ups' first fill and a refresh with nothing new (the job's work), and every
report of `loyalty.reports.REPORTS`, over the club's last 30 and 365 days.

    python bench/reports.py --members 20000                      # a quick proof that it works
    python bench/reports.py --visit-factor 4 --keep-db reports   # the real size; keep the data
    python bench/reports.py --reuse-db reports                   # time again without seeding
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

import asyncpg
import big_club
import harness
from harness import Run, Say

from loyalty.actors import SYSTEM
from loyalty.analysis import rfm, runs
from loyalty.db import tortoise_config
from loyalty.models import MemberBehaviour
from loyalty.reports import REPORTS, Period, rollups, scope_for

# How long each report is timed over, ending today: a month and (the longest allowed) a year.
REPORT_DAYS = (30, 365)
REPORT_SECONDS = 2.0

CATEGORIES = ["coffee", "tea", "cake", "breakfast", "sandwich", "juice", "beans", "merch"]

_ITEMS = """
INSERT INTO purchase_item (purchase_id, sku, category, name, quantity, amount)
SELECT p.id, 'SKU-' || c, c, initcap(c), 1,
       CASE WHEN k = n THEN p.amount - (n - 1) * (p.amount / n) ELSE p.amount / n END
FROM purchase p
CROSS JOIN LATERAL (SELECT 1 + (p.id * 7 % 3)::int AS n) counted
CROSS JOIN LATERAL generate_series(1, n) k
CROSS JOIN LATERAL (
    SELECT ($1::text[])[1 + ((p.member_id * 31 + k * 17 + p.id % 2) % cardinality($1::text[]))]
           AS c
) chosen
"""
_REFUNDS = """
UPDATE purchase SET refunded_amount = CASE WHEN id % 50 = 0 THEN amount ELSE amount / 2 END
WHERE id % 50 IN (0, 1)
"""
# A thousand members buy again, for the incremental run (again on a reused database).
_AGAIN = """
INSERT INTO purchase (receipt_number, amount, refunded_amount, occurred_at, idempotency_key,
                      request_hash, created_at, branch_id, member_id, discount, paid_with_credit)
SELECT 'again-' || txid_current() || '-' || m, 500000, 0, now(),
       'bench:again:' || txid_current() || ':' || m, md5(m::text), now(),
       (SELECT MIN(id) FROM branch), m, 0, 0
FROM generate_series(1, LEAST(1000, $1)) m
"""


async def _extras(url: str, say: Say) -> None:
    db = await asyncpg.connect(url)
    try:
        if await db.fetchval("SELECT EXISTS (SELECT 1 FROM purchase_item)"):
            return  # a reused database has them
        await db.execute("SET synchronous_commit = off; SET work_mem = '256MB'")
        for name, statement, args in (
            ("line items", _ITEMS, [CATEGORIES]),
            ("refunds", _REFUNDS, []),
        ):
            began = time.monotonic()
            status = await db.execute(statement, *args)
            say(f"  {name}: {status.rsplit(' ', 1)[-1]} rows, {time.monotonic() - began:.1f} s")
        await db.execute("VACUUM ANALYZE purchase, purchase_item")
    finally:
        await db.close()


async def _timed(say: Say, name: str, call: Callable[[], Awaitable[object]]) -> float:
    began = time.monotonic()
    await call()
    seconds = time.monotonic() - began
    say(f"{name}: {seconds:.2f} s")
    return seconds


async def bench(args: argparse.Namespace, run: Run, say: Say) -> int:
    from tortoise import Tortoise

    url, members = await big_club.club_database(
        args, run, say, prefix="loyalty_bench_reports", visit_factor=args.visit_factor
    )
    await _extras(url, say)
    db = await asyncpg.connect(url)
    try:
        purchases = await db.fetchval("SELECT COUNT(*) FROM purchase")
        items = await db.fetchval("SELECT COUNT(*) FROM purchase_item")
    finally:
        await db.close()
    say(f"club: {members:,} members, {purchases:,} purchases, {items:,} line items")

    await Tortoise.init(config=tortoise_config(url))
    try:
        full = await _timed(say, "analysis, full run", runs.run_full)
        await _timed(say, "analysis, second full run", runs.run_full)
        db = await asyncpg.connect(url)
        try:
            await db.execute(_AGAIN, members)
        finally:
            await db.close()
        await _timed(say, "analysis, incremental run (1,000 members)", runs.run_incremental)

        # The job's work: the first fill reads every purchase; later runs read what is new.
        await _timed(say, "report roll-ups, first fill", rollups.refresh)
        await _timed(say, "report roll-ups, refresh with nothing new", rollups.refresh)

        today = datetime.now(UTC).date()
        sizes = (await rfm.sizes(today, today))[-1].sizes
        say("RFM segments: " + ", ".join(f"{s.value} {n:,}" for s, n in sizes.items()))
        at_risk = await MemberBehaviour.filter(churn_risk=True).count()
        say(f"churn risk: {at_risk:,} members")

        slowest = 0.0
        for days in REPORT_DAYS:
            period = Period(today - timedelta(days=days - 1), today)
            scope = await scope_for(SYSTEM, period)
            for kind in REPORTS.values():
                build = lambda k=kind, s=scope: k.build(SYSTEM, s)  # noqa: E731
                took = await _timed(say, f"report {kind.name}, {days} days", build)
                slowest = max(slowest, took)
    finally:
        await Tortoise.close_connections()
    limit = 600
    met = full <= limit and slowest <= REPORT_SECONDS
    say(f"full run {full:.0f} s: {'within' if full <= limit else 'OVER'} the {limit} s budget")
    say(f"slowest report {slowest:.2f} s: target {REPORT_SECONDS:.0f} s")
    return 0 if met else 1


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=1_000_000)
    parser.add_argument(
        "--visit-factor", type=int, default=1, help="multiplies visits (4: ~11 per member)"
    )
    where = parser.add_mutually_exclusive_group()
    where.add_argument(
        "--keep-db", metavar="NAME", help="seed into this database and keep it for --reuse-db"
    )
    where.add_argument(
        "--reuse-db", metavar="NAME", help="measure a database kept by --keep-db; no seeding"
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    return harness.main(lambda run, say: bench(args, run, say))


if __name__ == "__main__":
    sys.exit(main())
