"""A member's data, all of it, as one JSON document (the member's own right; managers on their
request).

Every table with a column naming the member is included whole, found from the models
themselves, so a table added later is exported without a change here; with the rows that hang
off those (postings of the member's accounts, items of their purchases, answers of their
surveys, follow-ups of their complaints). Left out: password and token hashes, one-time codes.
The staff's actions on the member and on those rows come from the audit log: when, by which
role, what, through which client; not which staff member nor from which address (the staff's
own data: a manager finds them in the log).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from tortoise.expressions import Q
from tortoise.models import Model
from tortoise.queryset import QuerySet

from loyalty import audit, ledger
from loyalty.actors import Actor, ActorKind
from loyalty.errors import NotFound, PermissionDenied
from loyalty.models import Account as AccountModel
from loyalty.models import (
    AuditEntry,
    Complaint,
    ComplaintFollowUp,
    Member,
    Posting,
    Purchase,
    PurchaseItem,
    Role,
    SurveyAnswer,
    SurveyResponse,
    __models__,
)

FORMAT = "loyalty-member-export/1"
# Rows that belong to the member through a row of theirs: (model, its column, the parent).
_CHILDREN: tuple[tuple[type[Model], str, type[Model]], ...] = (
    (Posting, "account_id", AccountModel),
    (PurchaseItem, "purchase_id", Purchase),
    (SurveyAnswer, "response_id", SurveyResponse),
    (ComplaintFollowUp, "complaint_id", Complaint),
)

# The audit log's kinds of row that are the member's: where the export holds them, and which
# column the log names them by.
_AUDITED_ROWS = {
    "purchase": ("purchase", "id"),
    "transaction": ("journal_transaction", "id"),
    "card": ("card", "card_number"),
    "happy_call": ("happy_call", "id"),
    "complaint": ("complaint", "id"),
}
_AUDIT_COLUMNS = ("at", "role", "action", "entity", "entity_id", "request", "client")


def member_columns(model: type[Model]) -> list[str]:
    """The model's columns that name a member (`member_id`, `referrer_id`…)."""
    meta = model._meta
    return [
        meta.fields_map[name].source_field or f"{name}_id"  # type: ignore[attr-defined]
        for name in sorted(meta.fk_fields)
        if meta.fields_map[name].related_model is Member  # type: ignore[attr-defined]
    ]


async def _in_order(query: QuerySet) -> list[dict]:
    return await query.order_by(query.model._meta.pk_attr).values()


async def _audit_trail(member_id: int, tables: dict[str, list[dict]]) -> list[dict]:
    about = Q(entity="member", entity_id=str(member_id))
    for entity, (table, column) in _AUDITED_ROWS.items():
        ids = [str(row[column]) for row in tables.get(table, [])]
        if ids:
            about |= Q(entity=entity, entity_id__in=ids)
    return await AuditEntry.filter(about).order_by("id").values(*_AUDIT_COLUMNS)


def require_subject_or_manager(actor: Actor, member_id: int) -> None:
    """The member themself, or a manager acting on their request."""
    if actor.kind is ActorKind.MEMBER and actor.id == member_id:
        return
    if actor.kind is ActorKind.MEMBER:
        raise PermissionDenied("a member may only ask for their own data")
    actor.require_staff(Role.MANAGER)


async def export(actor: Actor, member_id: int) -> dict[str, Any]:
    """Everything held about the member. A manager's export is logged."""
    require_subject_or_manager(actor, member_id)
    profile = await Member.filter(id=member_id).values()
    if not profile:
        raise NotFound("member", member_id)
    tables: dict[str, list[dict]] = {}
    owned: dict[type[Model], list[int]] = {}
    for model in __models__:
        columns = member_columns(model)
        if not columns or model is Member:
            continue
        rows: list[dict] = []
        for column in columns:
            rows += await _in_order(model.filter(**{column: member_id}))
        if rows:
            tables[model._meta.db_table] = rows
            owned[model] = [row[model._meta.pk_attr] for row in rows]
    for child, column, parent in _CHILDREN:
        ids = owned.get(parent)
        if ids:
            rows = await _in_order(child.filter(**{f"{column}__in": ids}))
            tables[child._meta.db_table] = rows
    balances = await ledger.balances(member_id)
    if actor.kind is ActorKind.STAFF:
        await audit.record(actor, "exportMemberData", audit.Subject("member", member_id))
    return audit.jsonable(
        {
            "format": FORMAT,
            "exported_at": datetime.now(UTC),
            "member": profile[0],
            "balances": {"points": balances.points, "credit": balances.credit},
            "tables": tables,
            "audit_trail": await _audit_trail(member_id, tables),
        }
    )
