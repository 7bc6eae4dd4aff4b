"""The offers one member is shown: promotions in force they can get, and rewards they can have.

A promotion is a rule that is more than the club's everyday earning: a discount, cash-back, a
bonus for some products, or any rule limited in time, to branches, tiers or a point in the
member's history. Rules the member can no longer get (a first-visit offer after the first
visit, another tier's offer) are left out; rules the member will get later ("from your 11th
visit") are shown as not ready yet, so the app can say what is coming.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from loyalty.models import MemberStanding
from loyalty.programme import engine, rewards
from loyalty.programme.definitions import (
    Cashback,
    Conditions,
    Discount,
    EventPoints,
    PointsPerAmount,
)
from loyalty.programme.explain import Text
from loyalty.programme.facts import Facts, gather
from loyalty.programme.rules import CompiledRule
from loyalty.programme.snapshot import Programme


class OfferKind(StrEnum):
    PROMOTION = "promotion"
    REWARD = "reward"


@dataclass(frozen=True, slots=True)
class MemberOffer:
    kind: OfferKind
    id: int
    title: Text
    details: Text
    # The member gets it now (a promotion on their next purchase, a reward their points buy).
    ready: bool
    ends_at: datetime | None
    branch_ids: frozenset[int]


def is_promotion(rule: CompiledRule) -> bool:
    params = rule.params
    if isinstance(params, EventPoints):
        return False
    if isinstance(params, Discount | Cashback):
        return True
    limited = rule.ends_at is not None or bool(rule.branch_ids)
    conditional = rule.conditions != Conditions()
    return (
        limited or conditional or (isinstance(params, PointsPerAmount) and bool(params.multipliers))
    )


def _out_of_reach(rule: CompiledRule, facts: Facts) -> bool:
    """Whether the member can never get it as things stand: past the visits it is for, or
    for tiers they are not in."""
    c = rule.conditions
    return (c.max_visit_number is not None and facts.visit_number > c.max_visit_number) or (
        bool(c.tier_ids) and facts.tier_id not in c.tier_ids
    )


def promotions(programme: Programme, facts: Facts) -> list[MemberOffer]:
    found = []
    for rule in programme.rules:
        # In force at some branch: a branch-limited rule is checked at one of its own.
        if not rule.in_force(facts.at, next(iter(rule.branch_ids), None)):
            continue
        if not is_promotion(rule) or _out_of_reach(rule, facts):
            continue
        found.append(
            MemberOffer(
                kind=OfferKind.PROMOTION,
                id=rule.id,
                title=Text(rule.name, rule.name),
                details=engine.why(rule, programme),
                ready=engine.conditions_met(rule.conditions, facts, None),
                ends_at=rule.ends_at,
                branch_ids=rule.branch_ids,
            )
        )
    return found


async def for_member(
    programme: Programme, standing: MemberStanding, points: int, facts: Facts
) -> list[MemberOffer]:
    """Promotions and rewards for this member: ready ones first, then those ending soonest."""
    found = promotions(programme, facts)
    for offer in await rewards.catalogue_for(standing, points, facts.at):
        if offer.refusal is not None:
            continue
        reward = offer.reward
        found.append(
            MemberOffer(
                kind=OfferKind.REWARD,
                id=reward.id,
                title=Text(reward.name, reward.name),
                details=rewards.describe(reward),
                ready=offer.affordable,
                ends_at=reward.ends_at,
                branch_ids=frozenset(),
            )
        )
    far = datetime.max.replace(tzinfo=facts.at.tzinfo)
    return sorted(found, key=lambda o: (not o.ready, o.ends_at or far))


async def for_member_now(
    programme: Programme, standing: MemberStanding, points: int, at: datetime
) -> list[MemberOffer]:
    """`for_member` with the member's facts at `at`, over every rule (branch-limited ones too:
    the member's next visit may be at any branch)."""
    facts = await gather(programme, standing, at, programme.rules)
    return await for_member(programme, standing, points, facts)
