"""Each member's behaviour figures, computed set-based in SQL from purchases and the ledger.

One INSERT ... SELECT writes every member's row (or the rows of the members given), so a club
of a million members and ten million purchases is a few scans and sorts in the database, not a
loop in Python. What the figures mean:

- a visit is a calendar day in the club's zone with a purchase not wholly refunded; the gaps
  are the days between consecutive visits; their average is (last - first) / (visits - 1) and
  their median the middle gap (the mean of the two middle gaps when their count is even);
- the expected next visit is the last visit plus the median gap, rounded to a day;
- spend is purchases' amounts less refunds; per visit, rounded down;
- favourite categories: the three with the most spend in line items of purchases not wholly
  refunded (ties by name); the favourite branch has the most visits (then spend, then id);
- points and credit from the ledger's transactions: earned (earn transactions less the
  reversals of earnings, as refunds take back), spent or used (spend transactions less the
  reversals giving them back), expired (expire transactions). Manual adjustments and top-ups
  are neither.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from loyalty import clock, sql
from loyalty.analysis import dialect

# Computed by the refresh; the scores, segment and churn flag belong to `rfm`.
COLUMNS = (
    "member_id",
    "visit_count",
    "first_visit_on",
    "last_visit_on",
    "days_since_last_visit",
    "average_gap_days",
    "median_gap_days",
    "expected_visit_on",
    "spend_total",
    "spend_per_visit",
    "favourite_category",
    "second_category",
    "third_category",
    "favourite_branch_id",
    "points_earned",
    "points_spent",
    "points_expired",
    "credit_earned",
    "credit_used",
    "computed_on",
    "computed_at",
)


@dataclass(frozen=True, slots=True)
class Scope:
    """Members whose purchases or ledger changed since `since` (None: every member)."""

    since: datetime | None = None

    def cte(self) -> tuple[str, list[object]]:
        if self.since is None:
            return "", []
        return (
            "scope AS (SELECT member_id FROM purchase WHERE created_at >= ? "
            "AND member_id IS NOT NULL UNION "
            "SELECT member_id FROM journal_transaction WHERE created_at >= ?), ",
            [self.since, self.since],
        )

    def only(self, column: str) -> str:
        return "" if self.since is None else f" AND {column} IN (SELECT member_id FROM scope)"


def _statement(scope: Scope, at: datetime) -> sql.Statement:
    today = dialect.day_number_of(clock.local_date(at))
    day = dialect.day_number("p.occurred_at")
    scope_cte, params = scope.cte()
    kept = "p.member_id IS NOT NULL AND p.amount > p.refunded_amount"
    update = ", ".join(f"{c} = excluded.{c}" for c in COLUMNS if c != "member_id")
    text = f"""
WITH {scope_cte}
days AS (
  SELECT member_id, day, SUM(spent) AS spent FROM (
    SELECT p.member_id, {day} AS day, p.amount - p.refunded_amount AS spent
    FROM purchase p WHERE {kept}{scope.only("p.member_id")}
  ) d GROUP BY member_id, day
),
visits AS (
  SELECT member_id, COUNT(*) AS visit_count, MIN(day) AS first_day, MAX(day) AS last_day,
         SUM(spent) AS spend_total
  FROM days GROUP BY member_id
),
gaps AS (
  SELECT member_id, gap,
         ROW_NUMBER() OVER (PARTITION BY member_id ORDER BY gap) AS n,
         COUNT(*) OVER (PARTITION BY member_id) AS total
  FROM (
    SELECT member_id, day - LAG(day) OVER (PARTITION BY member_id ORDER BY day) AS gap
    FROM days
  ) g WHERE gap IS NOT NULL
),
medians AS (
  SELECT member_id, AVG(gap * 1.0) AS median_gap FROM gaps
  WHERE n IN ((total + 1) / 2, (total + 2) / 2) GROUP BY member_id
),
branches AS (
  SELECT member_id, branch_id,
         ROW_NUMBER() OVER (PARTITION BY member_id ORDER BY n DESC, spent DESC, branch_id) AS rank
  FROM (
    SELECT member_id, branch_id, COUNT(*) AS n, SUM(spent) AS spent FROM (
      SELECT p.member_id, p.branch_id, {day} AS day, SUM(p.amount - p.refunded_amount) AS spent
      FROM purchase p WHERE {kept}{scope.only("p.member_id")}
      GROUP BY p.member_id, p.branch_id, {day}
    ) per_day GROUP BY member_id, branch_id
  ) per_branch
),
categories AS (
  SELECT member_id,
         MAX(CASE WHEN rank = 1 THEN category END) AS first_category,
         MAX(CASE WHEN rank = 2 THEN category END) AS second_category,
         MAX(CASE WHEN rank = 3 THEN category END) AS third_category
  FROM (
    SELECT member_id, category,
           ROW_NUMBER() OVER (PARTITION BY member_id ORDER BY spent DESC, category) AS rank
    FROM (
      SELECT p.member_id, i.category, SUM(i.amount) AS spent
      FROM purchase_item i JOIN purchase p ON p.id = i.purchase_id
      WHERE {kept} AND i.category <> ''{scope.only("p.member_id")}
      GROUP BY p.member_id, i.category
    ) cs
  ) ranked WHERE rank <= 3 GROUP BY member_id
),
ledger AS (
  SELECT member_id,
         SUM(CASE WHEN kind = 'earn' THEN points ELSE 0 END) AS points_earned,
         -SUM(CASE WHEN kind = 'spend' THEN points ELSE 0 END) AS points_spent,
         -SUM(CASE WHEN kind = 'expire' THEN points ELSE 0 END) AS points_expired,
         SUM(CASE WHEN kind = 'earn' THEN credit ELSE 0 END) AS credit_earned,
         -SUM(CASE WHEN kind = 'spend' THEN credit ELSE 0 END) AS credit_used
  FROM (
    SELECT t.member_id, t.kind, t.points, t.credit FROM journal_transaction t
    WHERE t.kind <> 'reversal'{scope.only("t.member_id")}
    UNION ALL
    -- A reversal counts against what it reverses: a refund takes back an earning.
    SELECT t.member_id, o.kind, t.points, t.credit FROM journal_transaction t
    JOIN journal_transaction o ON o.id = t.reverses_id
    WHERE t.kind = 'reversal'{scope.only("t.member_id")}
  ) l GROUP BY member_id
)
INSERT INTO member_behaviour ({", ".join(COLUMNS)}, churn_risk)
SELECT m.id,
       COALESCE(v.visit_count, 0),
       {dialect.as_date("v.first_day")},
       {dialect.as_date("v.last_day")},
       {today} - v.last_day,
       CASE WHEN v.visit_count > 1
            THEN (v.last_day - v.first_day) * 1.0 / (v.visit_count - 1) END,
       md.median_gap,
       {dialect.as_date("v.last_day + CAST(ROUND(md.median_gap) AS INTEGER)")},
       COALESCE(v.spend_total, 0),
       COALESCE(v.spend_total / v.visit_count, 0),
       c.first_category, c.second_category, c.third_category,
       b.branch_id,
       COALESCE(l.points_earned, 0), COALESCE(l.points_spent, 0),
       COALESCE(l.points_expired, 0), COALESCE(l.credit_earned, 0),
       COALESCE(l.credit_used, 0),
       {dialect.as_date(str(today))},
       {dialect.moment_parameter()},
       FALSE
FROM member m
LEFT JOIN visits v ON v.member_id = m.id
LEFT JOIN medians md ON md.member_id = m.id
LEFT JOIN branches b ON b.member_id = m.id AND b.rank = 1
LEFT JOIN categories c ON c.member_id = m.id
LEFT JOIN ledger l ON l.member_id = m.id
WHERE TRUE{scope.only("m.id")}
ON CONFLICT (member_id) DO UPDATE SET {update}
"""
    return text, [*params, at]


async def refresh(at: datetime, scope: Scope = Scope()) -> int:
    """Write the figures of the members in `scope` as of `at`; how many rows were written."""
    await dialect.prepare()
    await sql.fetch(*_statement(scope, at))
    scope_cte, params = scope.cte()
    [row] = await sql.fetch(
        f"WITH {scope_cte}counted AS (SELECT 1 AS one) "
        f"SELECT COUNT(*) AS n FROM member m WHERE TRUE{scope.only('m.id')}",
        params,
    )
    return int(row["n"])
