"""RFM scores, named segments and the churn-risk flag, and the segments' history.

Who is scored: members with profiling consent and at least one visit. Members without that
consent keep their figures (ordinary rewards may use them) but get no scores, no segment and
no churn flag, so no marketing segment built on them can hold them; they are not counted in the
quantiles either. Members who never visited get no scores.

Scores 1-5 are quintiles over the scored members: recency by the last visit (latest is 5),
frequency by visits, monetary by spend. Equal values get equal scores: a member's score is
1 + 5 × (rank − 1) ÷ scored, where rank is RANK() (the position of the first of its ties),
so ties never straddle a boundary (NTILE(5) would split them at random); with many ties a
score may be skipped (most members visiting once all score frequency 1).

Segments follow the widely used R × FM grid (FM: the average of F and M, rounded half up):

    FM:      1               2               3               4          5
    R 5   new             potential_loy.  potential_loy.  champions  champions
    R 4   promising       potential_loy.  potential_loy.  loyal      loyal
    R 3   about_to_sleep  about_to_sleep  need_attention  loyal      loyal
    R 2   hibernating     hibernating     at_risk         at_risk    cant_lose
    R 1   lost            lost            at_risk         at_risk    cant_lose

History: after each full run, a member whose segment changed since the last snapshot gets a
row (`RfmSegmentChange`), and the run's segment sizes are kept (`RfmSegmentSize`). A member's
segment on a date is their latest change on or before it, so the movement between any two run
dates is one query, and the history grows with changes, not with members × days.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from loyalty import sql
from loyalty.analysis import dialect
from loyalty.models import RfmSegment, RfmSegmentSize
from loyalty.programme import policies

S = RfmSegment
# GRID[r][fm - 1]
GRID: dict[int, tuple[RfmSegment, ...]] = {
    5: (S.NEW, S.POTENTIAL_LOYALIST, S.POTENTIAL_LOYALIST, S.CHAMPIONS, S.CHAMPIONS),
    4: (S.PROMISING, S.POTENTIAL_LOYALIST, S.POTENTIAL_LOYALIST, S.LOYAL, S.LOYAL),
    3: (S.ABOUT_TO_SLEEP, S.ABOUT_TO_SLEEP, S.NEED_ATTENTION, S.LOYAL, S.LOYAL),
    2: (S.HIBERNATING, S.HIBERNATING, S.AT_RISK, S.AT_RISK, S.CANT_LOSE),
    1: (S.LOST, S.LOST, S.AT_RISK, S.AT_RISK, S.CANT_LOSE),
}


def segment_of(recency: int, frequency: int, monetary: int) -> RfmSegment:
    return GRID[recency][(frequency + monetary + 1) // 2 - 1]


def _segment_case(r: str, f: str, m: str) -> str:
    whens = " ".join(
        f"WHEN {recency * 10 + fm} THEN '{segment.value}'"
        for recency, row in GRID.items()
        for fm, segment in enumerate(row, start=1)
    )
    return f"CASE {r} * 10 + ({f} + {m} + 1) / 2 {whens} END"


def _quintile(order: str) -> str:
    return f"1 + 5 * (RANK() OVER (ORDER BY {order}) - 1) / COUNT(*) OVER ()"


async def score() -> None:
    """Score every member from their current figures (one sort per score); only rows whose
    scores or flag change are written, so the hourly run leaves most of the table alone."""
    policy, _ = await policies.load("analysis")
    assert isinstance(policy, policies.AnalysisPolicy)
    await sql.fetch(
        "UPDATE member_behaviour SET recency_score = NULL, frequency_score = NULL, "
        "monetary_score = NULL, rfm_segment = NULL, churn_risk = FALSE "
        "WHERE (rfm_segment IS NOT NULL OR churn_risk) AND (visit_count = 0 OR EXISTS "
        # EXISTS, not IN: PostgreSQL scanned the whole member list for each row (quadratic at
        # a million members) when the refusers did not fit its hash memory.
        "(SELECT 1 FROM member m WHERE m.id = member_behaviour.member_id "
        "AND NOT m.profiling_consent))",
        [],
    )
    await sql.fetch(
        f"""
WITH scored AS (
  SELECT b.member_id,
         {_quintile("b.last_visit_on")} AS r,
         {_quintile("b.visit_count")} AS f,
         {_quintile("b.spend_total")} AS m,
         CASE WHEN b.visit_count >= ? AND b.days_since_last_visit > ? * b.median_gap_days
              THEN TRUE ELSE FALSE END AS churn
  FROM member_behaviour b JOIN member mb ON mb.id = b.member_id
  WHERE b.visit_count > 0 AND mb.profiling_consent
)
UPDATE member_behaviour SET recency_score = scored.r, frequency_score = scored.f,
  monetary_score = scored.m, rfm_segment = {_segment_case("scored.r", "scored.f", "scored.m")},
  churn_risk = scored.churn
FROM scored WHERE member_behaviour.member_id = scored.member_id
  AND (COALESCE(member_behaviour.recency_score, 0) <> scored.r
       OR COALESCE(member_behaviour.frequency_score, 0) <> scored.f
       OR COALESCE(member_behaviour.monetary_score, 0) <> scored.m
       OR member_behaviour.churn_risk <> scored.churn)
""",
        [policy.churn_min_visits, policy.churn_gap_multiple],
    )


async def snapshot(run_on: date) -> None:
    """Record the segment changes since the last snapshot and the sizes as of `run_on` (a
    second run on one day replaces that day's sizes and adds its changes after the first's)."""
    on = dialect.as_date(str(dialect.day_number_of(run_on)))
    changed = "COALESCE(rfm_segment, '') <> COALESCE(recorded_segment, '')"
    await sql.fetch(
        f"INSERT INTO rfm_segment_change (member_id, run_on, segment) "
        f"SELECT member_id, {on}, rfm_segment FROM member_behaviour WHERE {changed}",
        [],
    )
    await sql.fetch(
        f"UPDATE member_behaviour SET recorded_segment = rfm_segment WHERE {changed}", []
    )
    await RfmSegmentSize.filter(run_on=run_on).delete()
    await sql.fetch(
        f"INSERT INTO rfm_segment_size (run_on, segment, members) "
        f"SELECT {on}, rfm_segment, COUNT(*) FROM member_behaviour "
        f"WHERE rfm_segment IS NOT NULL GROUP BY rfm_segment",
        [],
    )


@dataclass(frozen=True, slots=True)
class RunSizes:
    run_on: date
    sizes: dict[RfmSegment, int]  # every segment, 0 when empty


async def sizes(since: date, until: date) -> list[RunSizes]:
    """The segment sizes of each full run from `since` to `until`, oldest first."""
    rows = await RfmSegmentSize.filter(run_on__gte=since, run_on__lte=until).order_by("run_on")
    runs: dict[date, dict[RfmSegment, int]] = {}
    for row in rows:
        runs.setdefault(row.run_on, dict.fromkeys(RfmSegment, 0))[row.segment] = row.members
    return [RunSizes(day, counts) for day, counts in runs.items()]


@dataclass(frozen=True, slots=True)
class Movement:
    """Members in `source` on the first date and in `target` on the second (None: unscored,
    including members not yet scored by then)."""

    source: RfmSegment | None
    target: RfmSegment | None
    members: int


def _as_of(name: str) -> str:
    return (
        f"{name} AS (SELECT member_id, segment FROM (SELECT member_id, segment, ROW_NUMBER() "
        f"OVER (PARTITION BY member_id ORDER BY run_on DESC, id DESC) AS n "
        f"FROM rfm_segment_change WHERE run_on <= ?) c WHERE n = 1)"
    )


async def movement(source_on: date, target_on: date) -> list[Movement]:
    """How many members moved from each segment to each other between two dates (those who
    stayed included); pairs of unscored on both dates are left out. Largest first."""
    # Every member with a change by the first date has one by the second: a LEFT JOIN suffices.
    rows = await sql.fetch(
        f"WITH {_as_of('before')}, {_as_of('after')} "
        "SELECT b.segment AS source, a.segment AS target, COUNT(*) AS members "
        "FROM after a LEFT JOIN before b ON b.member_id = a.member_id "
        "WHERE a.segment IS NOT NULL OR b.segment IS NOT NULL "
        "GROUP BY b.segment, a.segment",
        [source_on, target_on],
    )
    found = [
        Movement(
            RfmSegment(row["source"]) if row["source"] else None,
            RfmSegment(row["target"]) if row["target"] else None,
            int(row["members"]),
        )
        for row in rows
    ]
    return sorted(found, key=lambda m: (-m.members, m.source or "", m.target or ""))
