"""What the leaderboard counts, defined once: the points a member EARNED, as the ledger says.

That is the journal's `tier_points` (what counts towards tiers): purchase earnings and event
awards, less what refunds took back of them. Spending, expiry and adjustments leave it alone.
A transaction counts in the calendar month (club zone and calendar) of its `created_at`, and on
a branch's board when it was written at that branch (event awards belong to no branch).

Boards kept elsewhere (Redis) follow the ledger as it is written: the ledger notes each such
transaction for whoever is `collecting`, and the service records them once its database
transaction has committed.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime

from loyalty import clock, sql
from loyalty.programme.facts import cap_window

# Members read per query when a whole board is built: memory stays flat at any club size.
CHUNK = 20_000


@dataclass(frozen=True, slots=True)
class Earning:
    """Points earned (negative: taken back) by a member, at a branch or none, at a moment."""

    member_id: int
    branch_id: int | None
    points: int
    at: datetime


@dataclass(frozen=True, slots=True)
class Month:
    """A calendar month of the club: its label (1404-07) and bounds, [start, end) in UTC."""

    label: str
    start: datetime
    end: datetime


def month_of(at: datetime) -> Month:
    start, end = cap_window("month", at)
    assert start is not None and end is not None
    return Month(clock.format_date(start)[:7], start, end)


_collected: ContextVar[list[Earning] | None] = ContextVar("leaderboard_earnings", default=None)


@contextmanager
def collecting() -> Iterator[list[Earning]]:
    """Collect the earnings the ledger writes inside the block (to record after commit)."""
    earnings: list[Earning] = []
    token = _collected.set(earnings)
    try:
        yield earnings
    finally:
        _collected.reset(token)


def note(earning: Earning) -> None:
    """The ledger wrote `earning`: keep it for the caller collecting, if any."""
    collected = _collected.get()
    if collected is not None and earning.points:
        collected.append(earning)


@dataclass(frozen=True, slots=True)
class Earned:
    """A member's points earned at one branch (None: no branch): all-time, and in a month."""

    member_id: int
    branch_id: int | None
    all_time: int
    month: int


def _earned_sql(month: Month, after_id: int, up_to_id: int, with_opted_out: bool) -> sql.Statement:
    keep_off = "" if with_opted_out else " AND NOT m.leaderboard_opt_out"
    return (
        "SELECT t.member_id, t.branch_id, CAST(SUM(t.tier_points) AS BIGINT) AS all_time, "
        "CAST(SUM(CASE WHEN t.created_at >= ? AND t.created_at < ? THEN t.tier_points "
        "ELSE 0 END) AS BIGINT) AS month "
        f"FROM journal_transaction t JOIN member m ON m.id = t.member_id{keep_off} "
        "WHERE t.member_id > ? AND t.member_id <= ? AND t.tier_points <> 0 "
        "GROUP BY t.member_id, t.branch_id",
        [month.start, month.end, after_id, up_to_id],
    )


async def earned_by(member_id: int, month: Month) -> list[Earned]:
    """One member's points earned, per branch (whether or not they keep off the boards)."""
    rows = await sql.fetch(*_earned_sql(month, member_id - 1, member_id, with_opted_out=True))
    return [_earned(row) for row in rows]


async def earned_by_all(month: Month) -> AsyncIterator[list[Earned]]:
    """Every member's points earned, per branch, a chunk of members at a time; members who
    keep off the boards are left out."""
    [row] = await sql.fetch("SELECT MAX(id) AS last FROM member", [])
    last = int(row["last"] or 0)
    for after_id in range(0, last, CHUNK):
        rows = await sql.fetch(
            *_earned_sql(month, after_id, after_id + CHUNK, with_opted_out=False)
        )
        yield [_earned(row) for row in rows]


def _earned(row: dict) -> Earned:
    branch_id = row["branch_id"]
    return Earned(
        member_id=int(row["member_id"]),
        branch_id=None if branch_id is None else int(branch_id),
        all_time=int(row["all_time"]),
        month=int(row["month"]),
    )
