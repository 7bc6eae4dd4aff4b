"""What the rules know of a member at the moment of a purchase: their history, as facts."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from tortoise.functions import Sum

from loyalty import clock
from loyalty.models import EventAward, MemberStanding, Purchase


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


async def spend_since(member_id: int, since: datetime, until: datetime) -> int:
    rows = (
        await Purchase.filter(member_id=member_id, occurred_at__gte=since, occurred_at__lt=until)
        .annotate(total=Sum("amount"), refunded=Sum("refunded_amount"))
        .values_list("total", "refunded")
    )
    return sum(int(total or 0) - int(refunded or 0) for total, refunded in rows)


async def with_spend_windows(facts: Facts, member_id: int, windows: set[int]) -> Facts:
    if not windows:
        return facts
    spend = {
        days: await spend_since(member_id, facts.at - timedelta(days=days), facts.at)
        for days in sorted(windows)
    }
    return replace(facts, spend_in_days=spend)


def visited_between(standing: MemberStanding, start: datetime | None, end: datetime | None) -> bool:
    """Whether the member's visits span reaches into [start, end) (None: unbounded)."""
    if standing.first_visit_at is None or standing.last_visit_at is None:
        return False
    if start is not None and standing.last_visit_at < start:
        return False
    return end is None or standing.first_visit_at < end


def period_end(period: clock.Period, start: datetime) -> datetime:
    """When the period that began at `start` (a local midnight) ends."""
    if period == "day":
        return clock.midnight(clock.local_date(start) + timedelta(days=1))
    if period == "week":
        return clock.midnight(clock.local_date(start) + timedelta(days=7))
    return clock.add_months(start, 1 if period == "month" else 12)


async def event_awards_in_period(
    member_id: int, rule_id: int, period: clock.Period, at: datetime
) -> int:
    """Awards of a rule in the cap period holding `at`. An award is dated when its event
    happened, so a purchase replayed by an offline station counts in its own day, not today."""
    query = EventAward.filter(member_id=member_id, rule_id=rule_id)
    start = clock.period_start(period, at)
    if start is not None:
        query = query.filter(created_at__gte=start, created_at__lt=period_end(period, start))
    return await query.count()
