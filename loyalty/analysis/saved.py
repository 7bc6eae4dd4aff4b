"""Segments managers name and save, to preview and to use in campaigns; every change is
versioned and audited like the rest of the programme's configuration."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from tortoise.exceptions import IntegrityError

from loyalty import validation
from loyalty.actors import Actor
from loyalty.campaigns import segments
from loyalty.errors import Conflict, NotFound
from loyalty.history import Page
from loyalty.models import Role, SavedSegment
from loyalty.programme import audit, coupons

ENTITY = "segment"


@dataclass(frozen=True, slots=True)
class SegmentSpec:
    name: str
    definition: Mapping[str, Any] = field(default_factory=dict)
    description: str = ""


async def _cleaned(spec: SegmentSpec) -> dict:
    definition = segments.parse(spec.definition)
    await segments.check_references(definition)
    return {
        "name": validation.text(spec.name, field="name", max_length=100, required=True),
        "description": validation.text(spec.description, field="description", max_length=500),
        "definition": definition.as_json(),
    }


def _taken(name: str) -> Conflict:
    return Conflict(f"a segment named {name} exists already")


async def create(actor: Actor, spec: SegmentSpec) -> SavedSegment:
    actor.require_staff(Role.MANAGER)
    values = await _cleaned(spec)
    if await SavedSegment.exists(name=values["name"]):
        raise _taken(values["name"])
    try:
        return await audit.create_versioned(actor, SavedSegment, ENTITY, values)
    except IntegrityError:  # saved at the same moment by someone else
        raise _taken(values["name"]) from None


async def update(
    actor: Actor, segment_id: int, spec: SegmentSpec, *, expected_version: int | None = None
) -> SavedSegment:
    """A new version; campaigns not yet started use it when they start."""
    actor.require_staff(Role.MANAGER)
    values = await _cleaned(spec)
    if await SavedSegment.filter(name=values["name"]).exclude(id=segment_id).exists():
        raise _taken(values["name"])
    try:
        return await audit.update_versioned(
            actor, SavedSegment, ENTITY, segment_id, values, expected_version=expected_version
        )
    except IntegrityError:
        raise _taken(values["name"]) from None


async def get(actor: Actor, segment_id: int) -> SavedSegment:
    actor.require_staff(Role.MANAGER)
    found = await SavedSegment.get_or_none(id=segment_id)
    if found is None:
        raise NotFound(ENTITY, segment_id)
    return found


async def listed(actor: Actor, *, first: int = 20, before_id: int | None = None) -> Page:
    """Newest first."""
    actor.require_staff(Role.MANAGER)
    return await coupons.paged(SavedSegment.all(), first, before_id)
