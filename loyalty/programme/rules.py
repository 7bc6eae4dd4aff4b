"""Earning rules and offers: managers create, change and switch them off; each change is a
new version, kept whole in the audit trail."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from loyalty import validation
from loyalty.actors import Actor
from loyalty.errors import InvalidInput, NotFound
from loyalty.models import Branch, EarningRule, Role, RuleKind, Tier
from loyalty.programme import audit, snapshot
from loyalty.programme.definitions import Conditions, Params, parse_conditions, parse_params

MAX_ACTIVE_RULES = 200


@dataclass(frozen=True, slots=True)
class RuleSpec:
    """A rule as a manager writes it."""

    name: str
    kind: RuleKind
    params: dict
    conditions: dict | None = None
    branch_ids: list[int] | None = None
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    priority: int = 0
    exclusive_group: str = ""
    active: bool = True


@dataclass(frozen=True, slots=True)
class CompiledRule:
    """A rule ready to evaluate: parameters parsed once, when the configuration is loaded."""

    id: int
    version: int
    name: str
    kind: RuleKind
    params: Params
    conditions: Conditions
    branch_ids: frozenset[int]
    starts_at: datetime | None
    ends_at: datetime | None
    priority: int
    exclusive_group: str

    @classmethod
    def of(cls, row: EarningRule) -> CompiledRule:
        return cls(
            id=row.id,
            version=row.version,
            name=row.name,
            kind=row.kind,
            params=parse_params(row.kind, row.params),
            conditions=parse_conditions(row.conditions),
            branch_ids=frozenset(row.branch_ids),
            starts_at=row.starts_at,
            ends_at=row.ends_at,
            priority=row.priority,
            exclusive_group=row.exclusive_group,
        )

    def in_force(self, at: datetime, branch_id: int | None) -> bool:
        if self.starts_at is not None and at < self.starts_at:
            return False
        if self.ends_at is not None and at >= self.ends_at:
            return False
        return not self.branch_ids or branch_id in self.branch_ids


def _aware(value: datetime | None, field: str) -> datetime | None:
    if value is not None and value.tzinfo is None:
        raise InvalidInput(f"{field} needs a time zone", field=field)
    return value


async def _cleaned(spec: RuleSpec) -> dict:
    if not isinstance(spec.kind, RuleKind):
        raise InvalidInput("unknown rule kind", field="kind")
    params = parse_params(spec.kind, spec.params)
    conditions = parse_conditions(spec.conditions)
    tier_ids = set(conditions.tier_ids)
    if tier_ids and await Tier.filter(id__in=tier_ids).count() != len(tier_ids):
        raise InvalidInput(
            "conditions.tier_ids names a tier that does not exist", field="conditions.tier_ids"
        )
    branch_ids = sorted(set(spec.branch_ids or []))
    if branch_ids and await Branch.filter(id__in=branch_ids).count() != len(branch_ids):
        raise InvalidInput("branchIds names a branch that does not exist", field="branchIds")
    starts_at = _aware(spec.starts_at, "startsAt")
    ends_at = _aware(spec.ends_at, "endsAt")
    if starts_at and ends_at and ends_at <= starts_at:
        raise InvalidInput("endsAt must be after startsAt", field="endsAt")
    if not -1000 <= spec.priority <= 1000:
        raise InvalidInput("priority must be from -1000 to 1000", field="priority")
    return {
        "name": validation.text(spec.name, field="name", max_length=100, required=True),
        "kind": spec.kind,
        "params": params.model_dump(mode="json"),
        "conditions": conditions.model_dump(mode="json", exclude_defaults=True),
        "branch_ids": branch_ids,
        "starts_at": starts_at,
        "ends_at": ends_at,
        "priority": spec.priority,
        "exclusive_group": validation.text(
            spec.exclusive_group, field="exclusiveGroup", max_length=48
        ),
        "active": bool(spec.active),
    }


async def create(actor: Actor, spec: RuleSpec) -> EarningRule:
    actor.require_staff(Role.MANAGER)
    values = await _cleaned(spec)
    if values["active"] and await EarningRule.filter(active=True).count() >= MAX_ACTIVE_RULES:
        raise InvalidInput(f"at most {MAX_ACTIVE_RULES} rules may be active at once")
    rule = await audit.create_versioned(actor, EarningRule, "rule", values)
    snapshot.invalidate()
    return rule


async def update(
    actor: Actor, rule_id: int, spec: RuleSpec, *, expected_version: int | None = None
) -> EarningRule:
    """Replace a rule's definition; purchases from now on use the new version."""
    actor.require_staff(Role.MANAGER)
    values = await _cleaned(spec)

    async def same_kind(rule: EarningRule) -> dict:
        if values["kind"] != rule.kind:
            raise InvalidInput("a rule's kind cannot change; make a new rule", field="kind")
        return {}

    rule = await audit.update_versioned(
        actor,
        EarningRule,
        "rule",
        rule_id,
        values,
        expected_version=expected_version,
        also=same_kind,
    )
    snapshot.invalidate()
    return rule


async def set_active(
    actor: Actor, rule_id: int, active: bool, *, expected_version: int | None = None
) -> EarningRule:
    rule = await EarningRule.get_or_none(id=rule_id)
    if rule is None:
        raise NotFound("rule", rule_id)
    spec = RuleSpec(
        name=rule.name,
        kind=rule.kind,
        params=rule.params,
        conditions=rule.conditions,
        branch_ids=rule.branch_ids,
        starts_at=rule.starts_at,
        ends_at=rule.ends_at,
        priority=rule.priority,
        exclusive_group=rule.exclusive_group,
        active=active,
    )
    return await update(actor, rule_id, spec, expected_version=expected_version)


async def listed(actor: Actor, *, include_inactive: bool = False) -> list[EarningRule]:
    """The rules, highest priority first (managers)."""
    actor.require_staff(Role.MANAGER)
    query = EarningRule.all() if include_inactive else EarningRule.filter(active=True)
    return await query.order_by("-priority", "id")


async def get(actor: Actor, rule_id: int) -> EarningRule:
    actor.require_staff(Role.MANAGER)
    rule = await EarningRule.get_or_none(id=rule_id)
    if rule is None:
        raise NotFound("rule", rule_id)
    return rule
