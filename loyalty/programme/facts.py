"""What the rules know of a member at the moment of a purchase: their history, as facts."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from loyalty import clock, sql
from loyalty.models import MemberStanding
from loyalty.programme.definitions import EventPoints

if TYPE_CHECKING:
    from loyalty.programme.rules import CompiledRule
    from loyalty.programme.snapshot import Programme


@dataclass(frozen=True, slots=True)
class Facts:
    """A member's history before the purchase being evaluated."""

    at: datetime
    visit_count: int = 0
    days_since_last_visit: int | None = None
    usual_gap_days: float | None = None
    tier_id: int | None = None
    tier_rank: int | None = None
    # Rials spent in the last N days, for each N a rule asks about.
    spend_in_days: dict[int, int] = field(default_factory=dict)
    # Awards already given in the current cap period, for each (rule id) of event rules.
    event_awards: dict[int, int] = field(default_factory=dict)

    @property
    def visit_number(self) -> int:
        """The number this visit will have: 1 for the first."""
        return self.visit_count + 1

    def after_visit(self, amount: int) -> Facts:
        """The facts the member's next visit would see, after this one."""
        gap = None
        if self.visit_count >= 1 and self.days_since_last_visit is not None:
            previous_span = (self.usual_gap_days or 0) * (self.visit_count - 1)
            gap = (previous_span + self.days_since_last_visit) / self.visit_count
        return replace(
            self,
            visit_count=self.visit_count + 1,
            days_since_last_visit=0,
            usual_gap_days=gap,
            spend_in_days={days: total + amount for days, total in self.spend_in_days.items()},
        )


def from_standing(standing: MemberStanding | None, at: datetime, tier_rank: int | None) -> Facts:
    if standing is None or standing.visit_count == 0:
        return Facts(at=at, tier_id=getattr(standing, "tier_id", None), tier_rank=tier_rank)
    gap = None
    if standing.visit_count >= 2:
        span = clock.days_between(standing.first_visit_at, standing.last_visit_at)
        gap = span / (standing.visit_count - 1)
    return Facts(
        at=at,
        visit_count=standing.visit_count,
        days_since_last_visit=max(0, clock.days_between(standing.last_visit_at, at)),
        usual_gap_days=gap,
        tier_id=standing.tier_id,  # type: ignore[attr-defined]
        tier_rank=tier_rank,
    )


Window = tuple[datetime | None, datetime | None]


async def history_totals(
    member_id: int, spend: dict[int, Window], awards: dict[int, Window]
) -> tuple[dict[int, int], dict[int, int]]:
    """In one query: Rials spent (less refunds) in each window, and each rule's event awards
    in its window. Keys are the caller's (days of a spend window, rule ids)."""
    columns: list[str] = []
    params: list[object] = []

    def bounded(column: str, window: Window) -> str:
        where = ""
        for bound, op in zip(window, (">=", "<"), strict=True):
            if bound is not None:
                where += f" AND {column} {op} ?"
                params.append(bound)
        return where

    for days, window in spend.items():
        params.append(member_id)
        where = bounded("occurred_at", window)
        columns.append(
            "(SELECT COALESCE(SUM(amount - refunded_amount), 0) FROM purchase "
            f"WHERE member_id = ?{where}) AS spend_{days}"
        )
    for rule_id, window in awards.items():
        params += [member_id, rule_id]
        where = bounded("created_at", window)
        columns.append(
            "(SELECT COUNT(*) FROM event_award "
            f"WHERE member_id = ? AND rule_id = ?{where}) AS awards_{rule_id}"
        )
    if not columns:
        return {}, {}
    [row] = await sql.fetch(f"SELECT {', '.join(columns)}", params)
    return (
        {days: int(row[f"spend_{days}"]) for days in spend},
        {rule_id: int(row[f"awards_{rule_id}"]) for rule_id in awards},
    )


def visited_between(standing: MemberStanding, start: datetime | None, end: datetime | None) -> bool:
    """Whether the member's visits span reaches into [start, end) (None: unbounded)."""
    if standing.first_visit_at is None or standing.last_visit_at is None:
        return False
    if start is not None and standing.last_visit_at < start:
        return False
    return end is None or standing.first_visit_at < end


def cap_window(period: clock.Period, at: datetime) -> Window:
    """The cap period holding `at`, [start, end); unbounded for a lifetime. An award is dated
    when its event happened, so a purchase replayed by an offline station counts in its own
    day, not today."""
    start = clock.period_start(period, at)
    if start is None:
        return None, None
    if period == "day":
        end = clock.midnight(clock.local_date(start) + timedelta(days=1))
    elif period == "week":
        end = clock.midnight(clock.local_date(start) + timedelta(days=7))
    else:
        end = clock.add_months(start, 1 if period == "month" else 12)
    return start, end


async def event_awards_in_period(
    member_id: int, rule_id: int, period: clock.Period, at: datetime
) -> int:
    """Awards of a rule in the cap period holding `at`."""
    _, counts = await history_totals(member_id, {}, {rule_id: cap_window(period, at)})
    return counts[rule_id]


def spend_windows(rules: Sequence[CompiledRule]) -> set[int]:
    return {
        r.conditions.spend_window_days for r in rules if r.conditions.spend_window_days is not None
    }


async def gather(
    programme: Programme, standing: MemberStanding, at: datetime, rules: Sequence[CompiledRule]
) -> Facts:
    """The member's history facts at `at`, with what `rules` need beyond the standing."""
    tier = programme.tier(standing.tier_id)  # type: ignore[attr-defined]
    facts = from_standing(standing, at, tier.rank if tier else None)
    member_id = standing.member_id  # type: ignore[attr-defined]
    # Purchases, and so visit awards, all lie between the first and last visit: a period outside
    # that span holds none, and needs no query.
    windows = spend_windows(rules)
    spend: dict[int, Window] = {}
    for days in windows:
        window = (at - timedelta(days=days), at)
        if visited_between(standing, *window):
            spend[days] = window
    awards: dict[int, Window] = {}
    for rule in rules:
        if isinstance(rule.params, EventPoints) and rule.params.event == "visit":
            window = cap_window(rule.params.cap_period, at)
            if visited_between(standing, *window):
                awards[rule.id] = window
    spent, counts = await history_totals(member_id, spend, awards)
    return replace(
        facts,
        spend_in_days={days: spent.get(days, 0) for days in windows},
        event_awards=counts,
    )
