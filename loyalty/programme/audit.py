"""The audit trail of the programme's configuration: every change, whole, with who made it."""

from __future__ import annotations

from typing import Any

from loyalty.actors import Actor
from loyalty.errors import Conflict, ErrorCode
from loyalty.models import ConfigChange


async def record(
    actor: Actor, *, entity: str, entity_id: object, version: int, action: str, snapshot: Any
) -> None:
    """Keep one change. Call inside the transaction that makes it."""
    await ConfigChange.create(
        entity=entity,
        entity_id=str(entity_id),
        version=version,
        action=action,
        snapshot=snapshot,
        staff_id=actor.staff_id,
    )


def stale(entity: str, expected: int) -> Conflict:
    return Conflict(
        f"{entity} was changed by someone else since version {expected}; reload it and try again",
        code=ErrorCode.VERSION_CONFLICT,
    )


def check_version(entity: str, current: int, expected: int | None) -> None:
    """Optimistic concurrency: refuse a change made against an older version."""
    if expected is not None and expected != current:
        raise stale(entity, expected)


async def changes(
    *,
    entity: str | None = None,
    entity_id: object | None = None,
    first: int = 50,
    before_id: int | None = None,
) -> list[ConfigChange]:
    query = ConfigChange.all()
    if entity is not None:
        query = query.filter(entity=entity)
    if entity_id is not None:
        query = query.filter(entity_id=str(entity_id))
    if before_id is not None:
        query = query.filter(id__lt=before_id)
    return await query.order_by("-id").limit(max(1, min(first, 100)) + 1)
