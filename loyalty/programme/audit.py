"""The audit trail of the programme's configuration: every change, whole, with who made it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any, TypeVar

from tortoise.models import Model
from tortoise.transactions import in_transaction

from loyalty.actors import Actor
from loyalty.errors import Conflict, ErrorCode, NotFound
from loyalty.models import ConfigChange, Role

M = TypeVar("M", bound=Model)


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
    actor: Actor,
    *,
    entity: str | None = None,
    entity_id: object | None = None,
    first: int = 50,
    before_id: int | None = None,
) -> list[ConfigChange]:
    """The changes, newest first: one more than `first` when more follow (managers)."""
    actor.require_staff(Role.MANAGER)
    query = ConfigChange.all()
    if entity is not None:
        query = query.filter(entity=entity)
    if entity_id is not None:
        query = query.filter(entity_id=str(entity_id))
    if before_id is not None:
        query = query.filter(id__lt=before_id)
    return await query.order_by("-id").limit(max(1, min(first, 100)) + 1)


def snapshot_of(values: dict) -> dict:
    """Values as the audit trail keeps them (JSON: times as ISO 8601)."""
    return {k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in values.items()}


async def create_versioned(
    actor: Actor, model: type[M], entity: str, values: dict, *, snapshot: dict | None = None
) -> M:
    """Create version 1 of a configured row and record it (`snapshot`: what the trail keeps,
    when not just `values`). Joins the caller's transaction."""
    async with in_transaction():
        row = await model.create(**values)
        await record(
            actor,
            entity=entity,
            entity_id=row.pk,
            version=1,
            action="create",
            snapshot=snapshot_of(values if snapshot is None else snapshot),
        )
    return row


async def update_versioned(
    actor: Actor,
    model: type[M],
    entity: str,
    row_id: int,
    values: dict,
    *,
    expected_version: int | None,
    also: Callable[[M], Awaitable[dict]] | None = None,
    snapshot: dict | None = None,
) -> M:
    """Write the next version of a configured row, audited, refusing a stale `expected_version`.

    `also` sees the current row (locked) and may refuse the change or add columns to it.
    `snapshot`: what the trail keeps, when not just `values`.
    """
    async with in_transaction():
        row = await model.filter(pk=row_id).select_for_update().first()
        if row is None:
            raise NotFound(entity, row_id)
        check_version(entity, row.version, expected_version)
        extra = await also(row) if also is not None else {}
        version = row.version + 1
        if not await model.filter(pk=row_id, version=row.version).update(
            **values, **extra, version=version
        ):
            raise stale(entity, row.version)
        await record(
            actor,
            entity=entity,
            entity_id=row_id,
            version=version,
            action="update",
            snapshot=snapshot_of(values if snapshot is None else snapshot),
        )
    return await model.get(pk=row_id)
