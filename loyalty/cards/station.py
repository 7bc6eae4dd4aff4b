"""What a station needs to know to serve offline."""

from __future__ import annotations

from dataclasses import dataclass

from loyalty.actors import Actor
from loyalty.errors import InvalidInput
from loyalty.models import Branch
from loyalty.programme import policies
from loyalty.settings import get_settings
from loyalty.wallet import COUNTER_ROLES


@dataclass(frozen=True, slots=True)
class StationConfig:
    branch: Branch
    offline: policies.OfflinePolicy
    offline_version: int
    # Offline limits per card count the club's days, wherever the station's clock is set.
    time_zone: str


async def config(actor: Actor) -> StationConfig:
    actor.require_staff(*COUNTER_ROLES)
    if actor.branch_id is None:
        raise InvalidInput("a station is bound to one branch: this staff user is not")
    policy, version = await policies.load("offline")
    branch = await Branch.get(id=actor.branch_id)
    return StationConfig(branch, policy, version, get_settings().timezone)  # type: ignore[arg-type]
