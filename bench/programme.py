"""The realistic programme the benchmarks switch on, set up through the domain as a manager
would: a tier policy, 3 tiers and 10 active earning rules (cash-back that rises for regulars,
conditional and tier-only discounts, a visit bonus, time- and branch-limited points)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from loyalty import staff
from loyalty.actors import SYSTEM, Actor
from loyalty.models import Role, RuleKind, Tier
from loyalty.programme import policies, rules, tiers
from loyalty.programme.rules import RuleSpec
from loyalty.programme.tiers import TierSpec

MANAGER = "bench.manager"
MANAGER_PASSWORD = "bench-manager-password"
# Points per Rials of the everyday rule: 1 point a 10,000 Rials.
POINTS_PER_AMOUNT = 10_000


async def create_manager() -> Actor:
    return Actor.staff(
        await staff.create_staff(
            SYSTEM, username=MANAGER, password=MANAGER_PASSWORD, role=Role.MANAGER
        )
    )


async def install_programme(manager: Actor, branch_id: int) -> list[Tier]:
    """The tier policy, tiers and rules; returns the tiers, lowest first."""
    await policies.save(
        manager,
        "tiers",
        {"metric": "points_earned", "period": "rolling_days", "window_days": 365, "grace_days": 30},
    )
    ladder = [
        await tiers.save(manager, TierSpec("Bronze", 0, 0, name_fa="برنزی")),
        await tiers.save(manager, TierSpec("Silver", 1, 2_000, 125, name_fa="نقره‌ای")),
        await tiers.save(manager, TierSpec("Gold", 2, 10_000, 150, name_fa="طلایی")),
    ]
    now = datetime.now(UTC)
    P, C, E, D = (RuleKind.POINTS_PER_AMOUNT, RuleKind.CASHBACK,
                  RuleKind.EVENT_POINTS, RuleKind.DISCOUNT)  # fmt: skip
    specs = [
        RuleSpec("Points for spending", P, {"points": 1, "per_amount": POINTS_PER_AMOUNT,
                 "multipliers": [{"category": "coffee", "percent": 200},
                                 {"category": "bakery", "percent": 150}]}),
        RuleSpec("Credit back", C, {"basis_points": 1_000, "max_amount": 500_000},
                 exclusive_group="credit-back"),
        RuleSpec("Credit back from the 11th visit", C,
                 {"basis_points": 1_500, "max_amount": 750_000},
                 conditions={"min_visit_number": 11}, priority=10, exclusive_group="credit-back"),
        RuleSpec("Points for a visit", E,
                 {"event": "visit", "points": 5, "cap_count": 1, "cap_period": "day"}),
        RuleSpec("Welcome back", D, {"basis_points": 1_000, "max_amount": 1_000_000},
                 conditions={"min_days_since_last_visit": 30}, priority=5),
        RuleSpec("Regulars' bonus", P, {"points": 1, "per_amount": 50_000},
                 conditions={"min_spend_in_window": 5_000_000, "spend_window_days": 30}),
        RuleSpec("Gold members' offer", D, {"basis_points": 500, "max_amount": 500_000},
                 conditions={"tier_ids": [ladder[2].id]}),
        RuleSpec("This branch's points", P, {"points": 1, "per_amount": 100_000, "base": "gross"},
                 branch_ids=[branch_id]),
        RuleSpec("Nowruz double points", P, {"points": 1, "per_amount": 10_000},
                 starts_at=now - timedelta(days=1), ends_at=now + timedelta(days=30)),
        RuleSpec("We missed you", C, {"basis_points": 500, "max_amount": 250_000},
                 conditions={"lapse_over_usual_gap": 1.5}, exclusive_group="comeback"),
    ]  # fmt: skip
    for spec in specs:
        await rules.create(manager, spec)
    return ladder
