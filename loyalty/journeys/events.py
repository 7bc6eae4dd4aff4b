"""The outbox tasks of event journeys (`triggers`): each active journey of the kind sends its
message, once per member and event."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from loyalty.journeys import definitions, sending
from loyalty.journeys.definitions import TierUpgraded
from loyalty.journeys.occasions import Occasion
from loyalty.models import Journey, JourneyKind, Tier
from loyalty.programme.explain import name_of


async def welcome(payload: Mapping[str, Any]) -> int:
    """A member enrolled: how many welcome messages went (or wait for the morning)."""
    member_id = int(payload["member_id"])
    total = sending.Sent()
    for journey in await _active(JourneyKind.WELCOME):
        occasion = Occasion(member_id, f"welcome:{member_id}")
        total += await sending.send_all(journey, [occasion], datetime.now(UTC))
    return total.sent


async def tier_upgraded(payload: Mapping[str, Any]) -> int:
    """A member moved up a tier: the journeys for that tier (or any) congratulate them."""
    member_id, tier_id = int(payload["member_id"]), int(payload["tier_id"])
    tier = await Tier.get_or_none(id=tier_id)
    if tier is None:
        return 0
    total = sending.Sent()
    for journey in await _active(JourneyKind.TIER_UPGRADED):
        options = definitions.parse_options(journey.kind, journey.options)
        assert isinstance(options, TierUpgraded)
        if options.tier_ids and tier_id not in options.tier_ids:
            continue
        occasion = Occasion(member_id, f"tier:{payload['change_id']}", {"tier": name_of(tier)})
        total += await sending.send_all(journey, [occasion], datetime.now(UTC))
    return total.sent


async def _active(kind: JourneyKind) -> list[Journey]:
    return await Journey.filter(kind=kind, active=True).order_by("id")
