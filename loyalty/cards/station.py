"""What a station needs to know to serve offline."""

from __future__ import annotations

from dataclasses import dataclass

from loyalty.actors import Actor
from loyalty.errors import InvalidInput
from loyalty.models import Branch
from loyalty.programme import policies
from loyalty.wallet import COUNTER_ROLES


@dataclass(frozen=True, slots=True)
class StationConfig:
    branch: Branch
    offline: policies.OfflinePolicy
    offline_version: int


async def config(actor: Actor) -> StationConfig:
    actor.require_staff(*COUNTER_ROLES)
    if actor.branch_id is None:
        raise InvalidInput("a station is bound to one branch: this staff user is not")
    policy, version = await policies.load("offline")
    return StationConfig(await Branch.get(id=actor.branch_id), policy, version)  # type: ignore[arg-type]
