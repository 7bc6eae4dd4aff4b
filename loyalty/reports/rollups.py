"""Keeping the report roll-ups (`SalesHour`, `SalesItemDay`, `LedgerDay`, `ActiveDay`) equal to
the raw rows.

A refresh finds the club-local days touched since its last run: by purchases recorded (by
`created_at`, whatever day they say they `occurred_at`) and the days their members bought on
next (loyalty.reports.active), by refunds (their purchase's day) and by ledger transactions; it
rewrites those days whole from the raw rows. Deleting and summing
again is idempotent, and a day's rewrite costs a day's rows. Days go a week at most at a time,
each batch in one transaction (on PostgreSQL under an advisory lock, so the job and a report
refreshing together take turns).

The first run, or the first after the club's zone changed, fills every day (minutes at a
million members). Each of its batches records the fill's progress in `RollupState` in the
batch's own transaction: a fill cut short (a crash, a timeout) goes on from the next day, and
a caller finding another's fill going on leaves it alone (`ReportNotReady`) rather than
beginning one of its own or waiting minutes for it. A report fills for `REPORT_BUDGET` at most
before it answers `ReportNotReady` too: the job, or the next report, goes on.

The watermark is the greatest purchase, refund and transaction ids the last run saw, and the
moment it began less `clock.COMMIT_LAG`: a row whose transaction began before a run and
committed after it (with a smaller id) is still found by the next one. A fill's watermark is
its start's, so what is recorded while it runs is found by the refresh after it.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from tortoise.transactions import in_transaction

from loyalty import clock, sql
from loyalty.analysis import dialect
from loyalty.errors import ReportNotReady
from loyalty.models import RollupState
from loyalty.reports import active
from loyalty.settings import get_settings

NAME = "reports"
BATCH_DAYS = 7
# A fill whose progress is older than this was left (its process died): the next refresh goes on
# with it. A batch takes seconds at a million members.
STALE = timedelta(minutes=2)
# How long a report fills the roll-ups itself before it answers REPORT_NOT_READY, leaving the
# rest to the job or the next report: a small club's whole fill, a request's patience.
REPORT_BUDGET = timedelta(seconds=15)
# pg_advisory_xact_lock's key for the roll-ups ("SALES" in ASCII).
_LOCK = 0x53414C4553

# The roll-ups by club-local day (`sales_hour` is by hour).
_DAY_TABLES = ("sales_item_day", "ledger_day", "active_day")

_TOUCHED = """
SELECT DISTINCT {day} AS day FROM purchase p WHERE p.id > ? OR p.created_at >= ?
UNION
SELECT DISTINCT {day} AS day FROM reversal r JOIN purchase p ON p.id = r.purchase_id
WHERE r.id > ? OR r.created_at >= ?
UNION
SELECT DISTINCT {posted} AS day FROM journal_transaction t WHERE t.id > ? OR t.created_at >= ?
UNION
{following}
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


async def refresh(budget: timedelta | None = None) -> RollupRun:
    """Bring the roll-ups up to date with purchases, refunds and ledger transactions recorded
    until now. Raises ReportNotReady, having changed nothing, while another caller fills them,
    and, with what it did kept, when a fill is still unfinished after `budget`."""
    await dialect.prepare()
    zone = get_settings().timezone
    state = await RollupState.get_or_none(name=NAME)
    if state is not None and state.zone == zone and _going_on(state):
        raise ReportNotReady(*_progress(state))  # without waiting for its batch to end
    if state is None or state.zone != zone or state.fill_last is not None:
        full = True
        deadline = None if budget is None else time.monotonic() + budget.total_seconds()
        filled, state = await _fill(zone, deadline)
    else:
        full, filled = False, 0
    started = datetime.now(UTC)
    [seen] = await sql.fetch(_LAST_IDS, [])
    # New ids, and recent times for rows of transactions that were open at the last run (ids
    # alone would miss those; times alone, rows written under a clock set back). After a fill,
    # these are the rows recorded while it ran.
    since = state.refreshed_at - clock.COMMIT_LAG
    rows = await sql.fetch(
        _TOUCHED.format(**_days(), following=active.following_days_sql()),
        [state.purchase_id, since, state.reversal_id, since, state.transaction_id, since]
        + [state.purchase_id, since] * 2,
    )
    days = sorted(int(row["day"]) for row in rows)
    for batch in _batches(days):
        async with in_transaction():
            await _lock()
            await _rewrite(batch[0], batch[-1])
    # Unless a fill began meanwhile (in another zone, or the state was dropped): it keeps the
    # watermark of its start.
    await RollupState.filter(name=NAME, zone=zone, fill_last=None).update(
        refreshed_at=started,
        purchase_id=int(seen["purchase_id"]),
        reversal_id=int(seen["reversal_id"]),
        transaction_id=int(seen["transaction_id"]),
    )
    return RollupRun(days=filled + len(days), full=full)


async def _fill(zone: str, deadline: float | None) -> tuple[int, RollupState]:
    """Rewrite every day, a batch at a time, going on with a fill left unfinished, until done
    or the `deadline` (time.monotonic). Returns the days this call rewrote and the state it
    left."""
    filled = 0
    ours: int | None = None  # the last day this call rewrote
    try:
        while True:
            async with in_transaction():
                # Under the lock, the state is as the last batch (anyone's) left it.
                await _lock()
                state = await RollupState.get_or_none(name=NAME)
                if state is None or state.zone != zone:
                    state = await _begin(zone)
                elif state.filled_through != ours and _going_on(state):
                    raise ReportNotReady(*_progress(state))
                if state.fill_last is None or state.filled_through is None:
                    return filled, state  # nothing (left) to fill
                first = state.filled_through + 1
                last = min(first + BATCH_DAYS - 1, state.fill_last)
                await _rewrite(first, last)
                if last == state.fill_last:
                    state.fill_first = state.fill_last = state.filled_through = None
                    state.filled_at = None
                else:
                    state.filled_through, state.filled_at = last, datetime.now(UTC)
                await state.save()
                filled, ours = filled + last - first + 1, last
                if state.fill_last is None:
                    return filled, state
            if deadline is not None and time.monotonic() >= deadline:
                raise ReportNotReady(*_progress(state))
    except Exception:
        if ours is not None:
            # Left off (an error, or out of time): the next refresh goes on with it at once
            # rather than after STALE.
            await RollupState.filter(name=NAME, filled_through=ours).update(filled_at=None)
        raise


async def _begin(zone: str) -> RollupState:
    """A new fill, from the first day of a purchase or transaction to the last. The buckets of
    another zone or of an earlier fill go; the watermark is taken now, before the raw rows are
    read."""
    started = datetime.now(UTC)
    [seen] = await sql.fetch(_LAST_IDS, [])
    [span] = await sql.fetch(_EVERY_DAY.format(**_days()), [])
    for table in ("sales_hour", *_DAY_TABLES):
        await sql.fetch(f"DELETE FROM {table}", [])
    first = None if span["first"] is None else int(span["first"])
    state, _ = await RollupState.update_or_create(
        {
            "zone": zone,
            "refreshed_at": started,
            "purchase_id": int(seen["purchase_id"]),
            "reversal_id": int(seen["reversal_id"]),
            "transaction_id": int(seen["transaction_id"]),
            "fill_first": first,
            "fill_last": None if first is None else int(span["last"]),
            "filled_through": None if first is None else first - 1,
            "filled_at": None,
        },
        name=NAME,
    )
    return state


def _progress(state: RollupState) -> tuple[int, int]:
    """The days a fill under way has rewritten, of its days."""
    first, through, last = state.fill_first or 0, state.filled_through or 0, state.fill_last or 0
    return through - first + 1, last - first + 1


def _going_on(state: RollupState) -> bool:
    """Whether the fill went on lately (so someone is at it)."""
    return state.filled_at is not None and state.filled_at > datetime.now(UTC) - STALE


async def _lock() -> None:
    """Take turns with other refreshes: on PostgreSQL an advisory lock; on SQLite, whose BEGIN
    takes no lock, a write (of nothing) takes the one writer's lock before anything is read,
    so another process's batch cannot change the state under this one."""
    if sql.postgres():
        await sql.fetch("SELECT pg_advisory_xact_lock(?)", [_LOCK])
    else:
        await sql.fetch("UPDATE rollup_state SET zone = zone WHERE 0 = 1", [])


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
    for table in _DAY_TABLES:
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
