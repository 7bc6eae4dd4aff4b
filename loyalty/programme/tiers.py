"""Tiers: reached at once when a purchase crosses a threshold, lost only when reviewed.

A member's qualifying total is the points they earned (never their balance) or the Rials they
spent, over the tier policy's period. At the review date a member who no longer qualifies keeps
the tier through a grace period; at the next review after it they move down.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from tortoise.functions import Sum
from tortoise.transactions import in_transaction

from loyalty import clock, validation
from loyalty.actors import Actor
from loyalty.errors import Conflict, InvalidInput
from loyalty.journeys import triggers
from loyalty.models import (
    JournalTransaction,
    MemberStanding,
    Role,
    Tier,
    TierChange,
    TierChangeReason,
)
from loyalty.programme import audit, snapshot
from loyalty.programme.facts import history_totals
from loyalty.programme.policies import TierPolicy
from loyalty.programme.snapshot import Programme


@dataclass(frozen=True, slots=True)
class TierSpec:
    name: str
    rank: int
    threshold: int
    points_multiplier_percent: int = 100
    name_fa: str = ""
    active: bool = True


def _cleaned(spec: TierSpec) -> dict:
    if isinstance(spec.rank, bool) or not isinstance(spec.rank, int) or not 0 <= spec.rank <= 50:
        raise InvalidInput("rank must be from 0 to 50", field="rank")
    if spec.rank == 0 and spec.threshold != 0:
        raise InvalidInput("the entry tier (rank 0) has a threshold of 0", field="threshold")
    if spec.rank > 0:
        validation.positive_amount(spec.threshold, field="threshold")
    if not 100 <= spec.points_multiplier_percent <= 1_000:
        raise InvalidInput(
            "pointsMultiplierPercent must be from 100 to 1000", field="pointsMultiplierPercent"
        )
    return {
        "name": validation.text(spec.name, field="name", max_length=60, required=True),
        "name_fa": validation.text(spec.name_fa, field="nameFa", max_length=60),
        "rank": spec.rank,
        "threshold": spec.threshold,
        "points_multiplier_percent": spec.points_multiplier_percent,
        "active": bool(spec.active),
    }


async def _check_ladder(values: dict, tier_id: int | None) -> None:
    """Active tiers climb: a higher rank needs a higher threshold, and ranks are unique."""
    if not values["active"]:
        return
    for other in await Tier.filter(active=True).exclude(id=tier_id or 0):
        if other.rank == values["rank"]:
            raise Conflict(f"tier {other.name} already has rank {other.rank}")
        rises = (
            other.threshold < values["threshold"]
            if other.rank < values["rank"]
            else other.threshold > values["threshold"]
        )
        if not rises:
            raise InvalidInput(
                f"thresholds must rise with rank (tier {other.name}: rank {other.rank}, "
                f"threshold {other.threshold:,})",
                field="threshold",
            )


async def save(
    actor: Actor, spec: TierSpec, *, tier_id: int | None = None, expected_version: int | None = None
) -> Tier:
    """Create a tier, or change one (a new version)."""
    actor.require_staff(Role.MANAGER)
    values = _cleaned(spec)
    async with in_transaction():
        await _check_ladder(values, tier_id)
        if tier_id is None:
            tier = await audit.create_versioned(actor, Tier, "tier", values)
        else:
            tier = await audit.update_versioned(
                actor, Tier, "tier", tier_id, values, expected_version=expected_version
            )
    snapshot.invalidate()
    return tier


async def listed(actor: Actor, *, include_inactive: bool = False) -> list[Tier]:
    """The tiers, lowest rank first (managers)."""
    actor.require_staff(Role.MANAGER)
    query = Tier.all() if include_inactive else Tier.filter(active=True)
    return await query.order_by("rank", "id")


def period_start(policy: TierPolicy, at: datetime) -> datetime | None:
    if policy.period == "lifetime":
        return None
    if policy.period == "calendar_year":
        return clock.start_of_year(at)
    return at - timedelta(days=policy.window_days)


async def qualifying(member_id: int, policy: TierPolicy, at: datetime) -> int:
    """The member's total towards tiers: points earned, or Rials spent, over the period."""
    start = period_start(policy, at)
    if policy.metric == "spend":
        spent, _ = await history_totals(member_id, {0: (start, None)}, {})
        return spent[0]
    query = JournalTransaction.filter(member_id=member_id)
    if start is not None:
        query = query.filter(created_at__gte=start)
    rows = await query.annotate(total=Sum("tier_points")).values_list("total", flat=True)
    return sum(int(row or 0) for row in rows)


def _rank(tier: Tier | None) -> int:
    return -1 if tier is None else tier.rank


async def _move(
    standing: MemberStanding,
    programme: Programme,
    to: Tier | None,
    reason: TierChangeReason,
    total: int,
    at: datetime,
    purchase_id: int | None = None,
) -> TierChange:
    policy: TierPolicy = programme.tier_policy  # type: ignore[assignment]
    if reason is TierChangeReason.GRACE:
        grace_end = at + timedelta(days=policy.grace_days)
        values: dict = {"tier_review_at": grace_end, "tier_grace_until": grace_end}
    else:
        values = {
            "tier_review_at": clock.add_months(at, policy.review_months),
            "tier_grace_until": None,
        }
    to_id = to.id if to is not None else None
    if to_id != standing.tier_id:  # type: ignore[attr-defined]
        values |= {"tier_id": to_id, "tier_since": at}
    await MemberStanding.filter(id=standing.id).update(**values)
    member_id: int = standing.member_id  # type: ignore[attr-defined]
    from_id: int | None = standing.tier_id  # type: ignore[attr-defined]
    change = await TierChange.create(
        member_id=member_id,
        from_tier_id=from_id,
        to_tier_id=to_id,
        reason=reason,
        qualifying=total,
        purchase_id=purchase_id,
    )
    # Reaching the entry tier (rank 0) is joining, not moving up.
    if reason is TierChangeReason.UPGRADE and to is not None and to.rank > 0 and to_id != from_id:
        await triggers.tier_upgraded(member_id, to.id, change.id)
    return change


async def upgrade_if_reached(
    standing: MemberStanding, programme: Programme, at: datetime, purchase_id: int | None = None
) -> TierChange | None:
    """Move the member up at once if their total now reaches a higher tier.

    Call with the member's standing locked, after the purchase's earnings are written.
    """
    current = programme.tier(standing.tier_id)  # type: ignore[attr-defined]
    upcoming = programme.next_tier(current)
    if upcoming is None:
        return None
    policy: TierPolicy = programme.tier_policy  # type: ignore[assignment]
    # Lifetime totals (kept on the standing) bound every period's: below the next threshold,
    # no query is needed.
    bound = standing.spend_total if policy.metric == "spend" else standing.tier_points_total
    if bound < upcoming.threshold:
        return None
    total = await qualifying(standing.member_id, policy, at)  # type: ignore[attr-defined]
    target = programme.tier_for(total)
    if target is None or _rank(target) <= _rank(current):
        return None
    return await _move(
        standing, programme, target, TierChangeReason.UPGRADE, total, at, purchase_id
    )


async def review(member_id: int, at: datetime | None = None) -> TierChange | None:
    """Review one member whose review date has come: keep, grace, or move down."""
    at = at or datetime.now(UTC)
    programme = await snapshot.current()
    policy: TierPolicy = programme.tier_policy  # type: ignore[assignment]
    async with in_transaction():
        standing = await MemberStanding.filter(member_id=member_id).select_for_update().first()
        if standing is None or standing.tier_review_at is None or standing.tier_review_at > at:
            return None
        total = await qualifying(member_id, policy, at)
        target = programme.tier_for(total)
        current = programme.tier(standing.tier_id)  # type: ignore[attr-defined]
        if _rank(target) >= _rank(current):
            reason = (
                TierChangeReason.UPGRADE
                if _rank(target) > _rank(current)
                else TierChangeReason.RENEWED
            )
            return await _move(standing, programme, target, reason, total, at)
        if standing.tier_grace_until is None and policy.grace_days > 0:
            return await _move(standing, programme, current, TierChangeReason.GRACE, total, at)
        return await _move(standing, programme, target, TierChangeReason.DOWNGRADE, total, at)


async def review_due(at: datetime | None = None, batch: int = 500) -> int:
    """Review every member whose review date has come (the scheduled job). Returns how many."""
    at = at or datetime.now(UTC)
    reviewed = 0
    while True:
        due = (
            await MemberStanding.filter(tier_review_at__lte=at)
            .order_by("tier_review_at")
            .limit(batch)
            .values_list("member_id", flat=True)
        )
        if not due:
            return reviewed
        for member_id in due:
            await review(member_id, at)
            reviewed += 1


@dataclass(frozen=True, slots=True)
class Progress:
    tier: Tier | None
    next_tier: Tier | None
    qualifying: int
    needed: int  # more to reach the next tier (0 at the top)
    review_at: datetime | None
    grace_until: datetime | None
    metric: str


async def progress(member_id: int, at: datetime | None = None) -> Progress:
    from loyalty.programme import standing as standings

    return await progress_of(
        await standings.get(member_id), await snapshot.current(), at or datetime.now(UTC)
    )


async def progress_of(standing: MemberStanding, programme: Programme, at: datetime) -> Progress:
    """`progress` of a member whose standing was read already."""
    member_id: int = standing.member_id  # type: ignore[attr-defined]
    policy: TierPolicy = programme.tier_policy  # type: ignore[assignment]
    tier = programme.tier(standing.tier_id) or programme.tier_for(0)  # type: ignore[attr-defined]
    total = await qualifying(member_id, policy, at) if programme.tiers else 0
    upcoming = programme.next_tier(tier)
    return Progress(
        tier=tier,
        next_tier=upcoming,
        qualifying=total,
        needed=max(0, upcoming.threshold - total) if upcoming else 0,
        review_at=standing.tier_review_at,
        grace_until=standing.tier_grace_until,
        metric=policy.metric,
    )


async def changes(member_id: int) -> list[TierChange]:
    return (
        await TierChange.filter(member_id=member_id)
        .order_by("-id")
        .prefetch_related("from_tier", "to_tier")
    )
