"""The members who bought in a period, from a roll-up rather than a year of purchases.

`ActiveDay` counts the members who bought on a club-local day (anywhere, or at a branch) by the
day they last bought before it (there). The members who bought in a period are the rows of its
days whose day before falls before the period: a member's first day in the period is the one
row that counts them, so a year's count sums at most days × days rows, not a DISTINCT over
millions of purchases.

A day's rows depend on the days before it, so a purchase recorded late also changes the row of
the member's next day after it (`following_days_sql`); `loyalty.reports.rollups` rewrites both.
"""

from __future__ import annotations

from loyalty import sql
from loyalty.analysis import dialect
from loyalty.reports.scope import Scope

# Rows of `ActiveDay` for the whole club, not one branch.
CLUB = 0
# The day before a member's first purchase.
NEVER = -1


def _visits(moment: str, day: str) -> str:
    # A member's first purchase of each day at each branch: a purchase before it there, or
    # before the earliest of these anywhere, was made on an earlier day.
    return f"""
    SELECT p.member_id, p.branch_id, {day} AS day, MIN(p.occurred_at) AS first_at
    FROM purchase p
    WHERE p.occurred_at >= {moment} AND p.occurred_at < {moment} AND p.member_id IS NOT NULL
    GROUP BY p.member_id, p.branch_id, {day}
    """


def _day_before(at_branch: bool) -> str:
    branch = " AND q.branch_id = v.branch_id" if at_branch else ""
    before = f"""(SELECT MAX(q.occurred_at) FROM purchase q
        WHERE q.member_id = v.member_id AND q.occurred_at < v.first_at{branch})"""
    return f"COALESCE({dialect.day_number(before)}, {NEVER})"


def rewrite_sql() -> str:
    """INSERT the rows of the days from one moment (a parameter) to another."""
    visits = _visits(dialect.moment_parameter(), dialect.day_number("p.occurred_at"))
    return f"""
    WITH visits AS ({visits}),
    anywhere AS (
        SELECT member_id, day, MIN(first_at) AS first_at
        FROM visits GROUP BY member_id, day
    )
    INSERT INTO active_day (day, branch_id, previous_day, members)
    SELECT day, {CLUB}, before, COUNT(*) FROM (
        SELECT v.day, {_day_before(False)} AS before FROM anywhere v
    ) club GROUP BY day, before
    UNION ALL
    SELECT day, branch_id, before, COUNT(*) FROM (
        SELECT v.day, v.branch_id, {_day_before(True)} AS before FROM visits v
    ) branches GROUP BY day, branch_id, before
    """


def _day_after(column: str, at_branch: bool) -> str:
    branch = " AND q.branch_id = p.branch_id" if at_branch else ""
    after = f"""(SELECT MIN(q.occurred_at) FROM purchase q
        WHERE q.member_id = p.member_id AND q.occurred_at > p.occurred_at{branch}
        AND {dialect.day_number("q.occurred_at")} > {column})"""
    return dialect.day_number(after)


def following_days_sql() -> str:
    """SELECT the days a member bought on next (anywhere, and at the branch) after purchases
    recorded since a watermark (two pairs of parameters: purchase id, recorded time)."""
    day = dialect.day_number("p.occurred_at")
    return f"""
    SELECT day FROM (
        SELECT {_day_after(day, False)} AS day FROM purchase p
        WHERE (p.id > ? OR p.created_at >= ?) AND p.member_id IS NOT NULL
        UNION
        SELECT {_day_after(day, True)} AS day FROM purchase p
        WHERE (p.id > ? OR p.created_at >= ?) AND p.member_id IS NOT NULL
    ) next_days WHERE day IS NOT NULL
    """


_COUNT = """
SELECT COALESCE(SUM(members), 0) AS n FROM active_day
WHERE branch_id = ? AND day >= ? AND day <= ? AND previous_day < ?
"""


async def members_who_bought(scope: Scope) -> int:
    """Members with a purchase in the period (at the scope's branch, when it has one), from
    the roll-up: refresh it first."""
    first, last = scope.period.day_numbers
    [row] = await sql.fetch(_COUNT, [scope.branch_id or CLUB, first, last, first])
    return int(row["n"])
