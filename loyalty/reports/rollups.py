"""Keeping the report roll-ups (`SalesHour`, `SalesItemDay`, `LedgerDay`, `ActiveDay`) equal to
the raw rows.

A refresh finds the club-local days touched since its last run: by purchases recorded (by
`created_at`, whatever day they say they `occurred_at`) and the days their members bought on
next (loyalty.reports.active), by refunds (their purchase's day) and by ledger transactions; it
rewrites those days whole from the raw rows. Deleting and summing
again is idempotent, and a day's rewrite costs a day's rows. Days go a week at most at a time,
each batch in one transaction (on PostgreSQL under an advisory lock, so the job and a report
refreshing together take turns). The first run, or the first after the club's zone changed,
rebuilds every day.

The watermark is the greatest purchase, refund and transaction ids the last run saw, and the
moment it began less `MARGIN`: a row whose transaction began before a run and committed after
it (with a smaller id) is still found by the next one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from tortoise.transactions import in_transaction

from loyalty import clock, sql
from loyalty.analysis import dialect
from loyalty.models import RollupState
from loyalty.reports import active
from loyalty.settings import get_settings

NAME = "reports"
MARGIN = timedelta(minutes=2)
BATCH_DAYS = 7
# pg_advisory_xact_lock's key for the roll-ups ("SALES" in ASCII).
_LOCK = 0x53414C4553

_TOUCHED = """
SELECT DISTINCT {day} AS day FROM purchase p WHERE p.id > ? OR p.created_at >= ?
UNION
SELECT DISTINCT {day} AS day FROM reversal r JOIN purchase p ON p.id = r.purchase_id
WHERE r.id > ? OR r.created_at >= ?
UNION
SELECT DISTINCT {posted} AS day FROM journal_transaction t WHERE t.id > ? OR t.created_at >= ?
"""
_LAST_IDS = """
SELECT (SELECT COALESCE(MAX(id), 0) FROM purchase) AS purchase_id,
       (SELECT COALESCE(MAX(id), 0) FROM reversal) AS reversal_id,
       (SELECT COALESCE(MAX(id), 0) FROM journal_transaction) AS transaction_id
"""
_EVERY_DAY = """
SELECT MIN(first) AS first, MAX(last) AS last FROM (
    SELECT MIN({day}) AS first, MAX({day}) AS last FROM purchase p
    UNION ALL
    SELECT MIN({posted}), MAX({posted}) FROM journal_transaction t
) spans
"""

_HOURS = """
INSERT INTO sales_hour (hour, branch_id, is_member, purchases, amount, refunded, discount)
SELECT {hour}, p.branch_id, p.member_id IS NOT NULL, COUNT(*), SUM(p.amount),
       SUM(p.refunded_amount), SUM(p.discount)
FROM purchase p
WHERE p.occurred_at >= {moment} AND p.occurred_at < {moment}
GROUP BY 1, 2, 3
"""
# Each line's share of its purchase's refund is rounded down line by line, as the raw report
# did, so summed days equal the sum over the period.
_ITEMS = """
INSERT INTO sales_item_day (day, branch_id, category, sku, name, quantity, revenue)
SELECT {day}, p.branch_id, i.category, i.sku, MAX(i.name), SUM(i.quantity),
       SUM(i.amount - (i.amount * p.refunded_amount) / p.amount)
FROM purchase p JOIN purchase_item i ON i.purchase_id = p.id
WHERE p.occurred_at >= {moment} AND p.occurred_at < {moment} AND p.amount > 0
GROUP BY 1, 2, 3, 4
"""
# System accounts only: members' accounts move by the same amounts, the other way. The
# period's postings are found first, through their transactions: joined the other way round,
# PostgreSQL reads every posting of a system account (it takes those for few).
_LEDGER = """
WITH moved AS MATERIALIZED (
    SELECT t.created_at, t.branch_id, po.account_id, po.amount
    FROM journal_transaction t JOIN posting po ON po.transaction_id = t.id
    WHERE t.created_at >= {moment} AND t.created_at < {moment}
)
INSERT INTO ledger_day (day, branch_id, code, unit, amount)
SELECT {posted}, t.branch_id, a.code, a.unit, SUM(t.amount)
FROM moved t JOIN account a ON a.id = t.account_id
WHERE a.member_id IS NULL
GROUP BY 1, 2, 3, 4
"""


def _days() -> dict[str, str]:
    """SQL for str.format: the club-local day of a purchase (`day`) and of a ledger
    transaction (`posted`)."""
    return {
        "day": dialect.day_number("p.occurred_at"),
        "posted": dialect.day_number("t.created_at"),
    }


@dataclass(frozen=True, slots=True)
class RollupRun:
    days: int  # club-local days rewritten
    full: bool  # every day, not only those touched since the last run


async def refresh() -> RollupRun:
    """Bring the roll-ups up to date with purchases, refunds and ledger transactions recorded
    until now."""
    await dialect.prepare()
    started = datetime.now(UTC)
    [seen] = await sql.fetch(_LAST_IDS, [])
    zone = get_settings().timezone
    state = await RollupState.get_or_none(name=NAME)
    if state is None or state.zone != zone:
        full, days = True, await _every_day()
    else:
        # New ids, and recent times for rows of transactions that were open at the last run
        # (ids alone would miss those; times alone, rows written under a clock set back).
        since = state.refreshed_at - MARGIN
        rows = await sql.fetch(
            _TOUCHED.format(**_days()),
            [state.purchase_id, since, state.reversal_id, since, state.transaction_id, since],
        )
        rows += await sql.fetch(active.following_days_sql(), [state.purchase_id, since] * 2)
        full, days = False, sorted({int(row["day"]) for row in rows})
    for number, batch in enumerate(_batches(days)):
        async with in_transaction():
            await _lock()
            if full and number == 0:  # buckets of another zone, or of an earlier full run
                await sql.fetch("DELETE FROM sales_hour", [])
                await sql.fetch("DELETE FROM sales_item_day", [])
                await sql.fetch("DELETE FROM ledger_day", [])
                await sql.fetch("DELETE FROM active_day", [])
            await _rewrite(batch[0], batch[-1])
    async with in_transaction():
        await _lock()
        await RollupState.update_or_create(
            {
                "zone": zone,
                "refreshed_at": started,
                "purchase_id": int(seen["purchase_id"]),
                "reversal_id": int(seen["reversal_id"]),
                "transaction_id": int(seen["transaction_id"]),
            },
            name=NAME,
        )
    return RollupRun(days=len(days), full=full)


async def _lock() -> None:
    if sql.postgres():
        await sql.fetch("SELECT pg_advisory_xact_lock(?)", [_LOCK])


async def _every_day() -> list[int]:
    [row] = await sql.fetch(_EVERY_DAY.format(**_days()), [])
    if row["first"] is None:
        return []
    return list(range(int(row["first"]), int(row["last"]) + 1))


def _batches(days: list[int]) -> list[list[int]]:
    """Runs of consecutive days, at most `BATCH_DAYS` long."""
    batches: list[list[int]] = []
    for day in days:
        if batches and day == batches[-1][-1] + 1 and len(batches[-1]) < BATCH_DAYS:
            batches[-1].append(day)
        else:
            batches.append([day])
    return batches


async def _rewrite(first: int, last: int) -> None:
    """Days `first` to `last` (day numbers) from the raw purchases."""
    since, until = _midnight(first), _midnight(last + 1)
    moment = dialect.moment_parameter()
    await sql.fetch(
        "DELETE FROM sales_hour WHERE hour >= ? AND hour < ?", [first * 24, (last + 1) * 24]
    )
    for table in ("sales_item_day", "ledger_day", "active_day"):
        await sql.fetch(f"DELETE FROM {table} WHERE day >= ? AND day <= ?", [first, last])
    await sql.fetch(
        _HOURS.format(hour=dialect.hour_number("p.occurred_at"), moment=moment), [since, until]
    )
    await sql.fetch(_ITEMS.format(**_days(), moment=moment), [since, until])
    await sql.fetch(_LEDGER.format(**_days(), moment=moment), [since, until])
    await sql.fetch(active.rewrite_sql(), [since, until])


def _midnight(day_number: int) -> datetime:
    return clock.midnight(dialect.date_of(day_number))


def hours_of(first: date, last: date) -> tuple[int, int]:
    """The hour numbers from the start of `first` to the end of `last`: [start, end)."""
    return dialect.day_number_of(first) * 24, (dialect.day_number_of(last) + 1) * 24
