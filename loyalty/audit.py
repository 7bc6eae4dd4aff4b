"""The staff audit log: every staff action that changes a member, a balance, a rule or a card.

An entry is written in the same transaction as the change it describes, so neither commits
without the other. Entries are only ever added: nothing here updates or deletes one, and on
PostgreSQL a trigger refuses UPDATE and DELETE of the table (migration `audit_log`).

`ConfigChange` (loyalty/programme/audit.py) stays beside it: it holds each configured row's
numbered versions, whole, for optimistic concurrency and the configuration's history; this log
holds who acted, from where, for every kind of staff change, configuration included.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from enum import Enum
from typing import Any, TypeVar

from tortoise.transactions import in_transaction

from loyalty import history
from loyalty.actors import Actor, ActorKind
from loyalty.history import paged
from loyalty.models import AuditEntry, Role

R = TypeVar("R")

# Request fields holding personal data or secrets: the log keeps that they were given, not what.
PERSONAL_FIELDS = frozenset(
    {
        "phone",
        "first_name",
        "last_name",
        "birthday",
        "city",
        "area",
        "password",
        "note",
        "text",
        "comment",
        "body",
        "display_name",
        "record",
    }
)
BLANKED = "•"


@dataclass(frozen=True, slots=True)
class Subject:
    """The row an action changed."""

    entity: str
    entity_id: object = ""


def jsonable(value: Any, blank: frozenset[str] = frozenset()) -> Any:
    """`value` as JSON values (times as ISO 8601, enums as their value); fields named in
    `blank` that hold something are replaced by •."""
    if isinstance(value, Mapping):
        return {
            str(k): (BLANKED if k in blank and v is not None else jsonable(v, blank))
            for k, v in value.items()
        }
    if isinstance(value, list | tuple | set | frozenset):
        return [jsonable(v, blank) for v in value]
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime | date):
        return value.isoformat()
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if hasattr(value, "__dict__"):
        return jsonable({k: v for k, v in vars(value).items() if not k.startswith("_")}, blank)
    return str(value)


def compact(value: Any) -> Any:
    """A request as the log keeps it: personal fields blanked."""
    return jsonable(value, PERSONAL_FIELDS)


async def record(actor: Actor, action: str, subject: Subject, request: Any = None) -> AuditEntry:
    """Add one entry. Call inside the transaction that makes the change."""
    return await AuditEntry.create(
        staff_id=actor.staff_id,
        role=actor.role.value if actor.role is not None else actor.kind.value,
        action=action,
        entity=subject.entity,
        entity_id=str(subject.entity_id if subject.entity_id is not None else ""),
        request=compact(request) if request is not None else {},
        client=actor.client,
        ip=actor.ip,
    )


async def audited(
    actor: Actor | None,
    action: str,
    work: Callable[[], Awaitable[R]],
    *,
    subject: Callable[[R], Subject | None],
    request: Any = None,
) -> R:
    """Do `work` and log it in one transaction when staff did it and it changed something.

    `subject` names what the result changed, or None when nothing changed (a refusal)."""
    if actor is None or actor.kind is not ActorKind.STAFF:
        return await work()
    async with in_transaction():
        result = await work()
        changed = subject(result)
        if changed is not None:
            await record(actor, action, changed, request)
    return result


async def entries(
    actor: Actor,
    *,
    staff_id: int | None = None,
    action: str | None = None,
    entity: str | None = None,
    entity_id: str | None = None,
    client: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    first: int = 50,
    before_id: int | None = None,
) -> history.Page[AuditEntry]:
    """The log, newest first, filtered (managers only)."""
    actor.require_staff(Role.MANAGER)
    query = AuditEntry.all()
    for column, value in (
        ("staff_id", staff_id),
        ("action", action),
        ("entity", entity),
        ("entity_id", entity_id),
        ("client", client),
        ("at__gte", since),
        ("at__lt", until),
    ):
        if value is not None:
            query = query.filter(**{column: value})
    return await paged(query, first, before_id)
