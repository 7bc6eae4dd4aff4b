"""The programme: managers configure earning rules, tiers and policies; everyone reads the rules."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from enum import Enum
from typing import Annotated, Any, get_args

import strawberry
from strawberry.scalars import JSON
from strawberry.types import Info

from loyalty import history, ledger
from loyalty import models as m
from loyalty.errors import InvalidInput
from loyalty.programme import (
    audit,
    engine,
    events,
    policies,
    rules,
    snapshot,
    tiers,
    transparency,
)
from loyalty.programme.definitions import Cashback, Discount, EventPoints, PointsPerAmount
from loyalty.programme.rules import CompiledRule, RuleSpec
from loyalty.programme.tiers import TierSpec
from schema.context import Context
from schema.errors import (
    INPUT,
    ConflictError,
    NotFoundError,
    VersionConflictError,
    result_union,
    returns_errors,
)
from schema.profile import ProfileField
from schema.scalars import BigInt
from schema.types import (
    AfterCursor,
    Balances,
    Connection,
    Language,
    LedgerEntry,
    PageSize,
    ProgrammeLine,
    StaffUser,
    Tier,
    TierMetric,
    connection,
    decode_cursor,
    in_language,
    parse_id,
)

RuleKind = strawberry.enum(m.RuleKind, description="What an earning rule does.")


def _choices(name: str, model: type, field: str, description: str) -> Any:
    """A GraphQL enum of the values a domain setting allows (its `Literal`), named in capitals."""
    values = get_args(model.model_fields[field].annotation)
    return strawberry.enum(Enum(name, {v.upper(): v for v in values}), description=description)


EarnBase = _choices(
    "EarnBase",
    PointsPerAmount,
    "base",
    "What earning is a share of: NET (after discounts and credit) or GROSS (the whole amount).",
)
ProgrammeEvent = _choices("ProgrammeEvent", EventPoints, "event", "Something a member does.")
CapPeriod = _choices("CapPeriod", EventPoints, "cap_period", "The period an event's cap counts.")
TierPeriod = _choices(
    "TierPeriod", policies.TierPolicy, "period", "The period a tier's qualifying total covers."
)
ExpiryMode = _choices("ExpiryMode", policies.ExpiryPolicy, "mode", "When points expire.")
VERSION = "The version you read; a change made since then is a VERSION_CONFLICT."


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def _plain(value: Any) -> Any:
    """An input as the domain takes it: snake_case keys, enum values, no unset fields."""
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, list):
        return [_plain(item) for item in value]
    if dataclasses.is_dataclass(value):
        return {
            f.name: _plain(getattr(value, f.name))
            for f in dataclasses.fields(value)
            if getattr(value, f.name) is not None
        }
    return value


@contextmanager
def _input_paths(prefix: str = "", inserted: dict[str, str] | None = None) -> Iterator[None]:
    """Name the culprit of a domain refusal by its path in the GraphQL input (camelCase).

    `inserted` names the sub-input a top-level field sits in (params → pointsPerAmount).
    """
    try:
        yield
    except InvalidInput as error:
        if not error.field:
            raise
        parts = error.field.removeprefix(prefix).split(".")
        if inserted and parts[0] in inserted:
            parts.insert(1, inserted[parts[0]])
        path = ".".join(_camel(part) for part in parts)
        message = error.message.replace(error.field, path, 1)
        raise InvalidInput(message, field=path, code=error.code) from None


# --- earning rules -------------------------------------------------------------------------


@strawberry.type(description="Lines of a category or SKU earn a share of the usual points.")
class Multiplier:
    category: str = strawberry.field(description="The category it applies to (or empty).")
    sku: str = strawberry.field(description="The SKU it applies to (or empty).")
    percent: int = strawberry.field(description="Share of the usual points (200: double).")


@strawberry.type(description="Points for every so many Rials.")
class PointsPerAmountParams:
    points: BigInt = strawberry.field(description="Points given…")
    per_amount: BigInt = strawberry.field(description="…for every this many Rials.")
    base: EarnBase = strawberry.field(description="What the Rials are counted on.")
    multipliers: list[Multiplier] = strawberry.field(description="Category or SKU multipliers.")


@strawberry.type(description="A percentage of the purchase back as credit.")
class CashbackParams:
    basis_points: int = strawberry.field(description="Hundredths of a percent (1000: 10%).")
    base: EarnBase = strawberry.field(description="What the percentage is of.")
    max_amount: BigInt | None = strawberry.field(description="At most this many Rials.")


@strawberry.type(description="Points for an event, capped per member.")
class EventPointsParams:
    event: ProgrammeEvent = strawberry.field(description="The event.")
    points: BigInt = strawberry.field(description="Points each time.")
    cap_count: int = strawberry.field(description="At most this many times…")
    cap_period: CapPeriod = strawberry.field(description="…in this period.")
    field: ProfileField | None = strawberry.field(
        description="PROFILE_FIELD rules: the one detail it rewards (none: each detail, once)."
    )


@strawberry.type(description="A percentage off the purchase.")
class DiscountParams:
    basis_points: int = strawberry.field(description="Hundredths of a percent (1000: 10%).")
    max_amount: BigInt | None = strawberry.field(description="At most this many Rials.")


RuleParams = Annotated[
    PointsPerAmountParams | CashbackParams | EventPointsParams | DiscountParams,
    strawberry.union("RuleParams", description="What a rule gives, by its kind."),
]


@strawberry.type(description="When a rule applies, judged on the member's history before.")
class RuleConditions:
    min_visit_number: int | None = strawberry.field(description="From this visit on.")
    max_visit_number: int | None = strawberry.field(description="Up to this visit.")
    min_days_since_last_visit: int | None = strawberry.field(
        description="Only after more than this many days away."
    )
    lapse_over_usual_gap: float | None = strawberry.field(
        description="Only when the time away is more than this × the member's usual gap."
    )
    min_spend_in_window: BigInt | None = strawberry.field(
        description="Only once the member spent this many Rials in the window."
    )
    spend_window_days: int | None = strawberry.field(description="The spend window, days.")
    min_basket: BigInt | None = strawberry.field(description="Only on baskets of at least this.")
    tier_ids: list[strawberry.ID] = strawberry.field(
        description="Only for members of these tiers (empty: everyone)."
    )


def _params_out(params: Any) -> Any:
    match params:
        case PointsPerAmount():
            return PointsPerAmountParams(
                points=params.points,
                per_amount=params.per_amount,
                base=EarnBase(params.base),
                multipliers=[Multiplier(**x.model_dump()) for x in params.multipliers],
            )
        case Cashback():
            return CashbackParams(
                basis_points=params.basis_points,
                base=EarnBase(params.base),
                max_amount=params.max_amount,
            )
        case EventPoints():
            return EventPointsParams(
                event=ProgrammeEvent(params.event),
                points=params.points,
                cap_count=params.cap_count,
                cap_period=CapPeriod(params.cap_period),
                field=ProfileField(params.field) if params.field else None,
            )
        case Discount():
            return DiscountParams(basis_points=params.basis_points, max_amount=params.max_amount)
    raise TypeError(f"no GraphQL type for {params!r}")


@strawberry.type(description="An earning rule or offer.")
class EarningRule:
    id: strawberry.ID = strawberry.field(description="The rule's id.")
    name: str = strawberry.field(description="The manager's name for it.")
    kind: RuleKind = strawberry.field(description="What it does.")
    params: RuleParams = strawberry.field(description="What it gives.")
    conditions: RuleConditions = strawberry.field(description="When it applies.")
    branch_ids: list[strawberry.ID] = strawberry.field(
        description="The branches it applies at (empty: all)."
    )
    starts_at: datetime | None = strawberry.field(description="In force from (UTC).")
    ends_at: datetime | None = strawberry.field(description="In force until, not including.")
    priority: int = strawberry.field(description="Higher is tried first.")
    exclusive_group: str = strawberry.field(
        description="Of the rules in a group only the first that applies fires."
    )
    active: bool = strawberry.field(description="Switched on.")
    version: int = strawberry.field(description="Pass as `expectedVersion` when changing it.")
    compiled: strawberry.Private[CompiledRule]

    @strawberry.field(description="What it gives and when, in the viewer's language.")
    async def summary(self, info: Info[Context, None]) -> str:
        return await in_language(info, engine.why(self.compiled, await snapshot.current()))

    @classmethod
    def from_model(cls, row: m.EarningRule) -> EarningRule:
        compiled = CompiledRule.of(row)
        c = compiled.conditions
        return cls(
            id=strawberry.ID(str(row.id)),
            name=row.name,
            kind=row.kind,
            params=_params_out(compiled.params),
            conditions=RuleConditions(
                **c.model_dump(exclude={"tier_ids"}),
                tier_ids=[strawberry.ID(str(t)) for t in c.tier_ids],
            ),
            branch_ids=[strawberry.ID(str(b)) for b in row.branch_ids],
            starts_at=row.starts_at,
            ends_at=row.ends_at,
            priority=row.priority,
            exclusive_group=row.exclusive_group,
            active=row.active,
            version=row.version,
            compiled=compiled,
        )


@strawberry.input(description="A category or SKU multiplier: name exactly one of the two.")
class MultiplierInput:
    percent: int = strawberry.field(description="Share of the usual points (200: double).")
    category: str = strawberry.field(default="", description="The category.")
    sku: str = strawberry.field(default="", description="The SKU.")


@strawberry.input(description="Points for every so many Rials.")
class PointsPerAmountInput:
    points: BigInt = strawberry.field(description="Points given…")
    per_amount: BigInt = strawberry.field(description="…for every this many Rials.")
    base: EarnBase = strawberry.field(default=EarnBase.NET, description="Counted on.")
    multipliers: list[MultiplierInput] = strawberry.field(
        default_factory=list, description="Category or SKU multipliers."
    )


@strawberry.input(description="A percentage of the purchase back as credit.")
class CashbackInput:
    basis_points: int = strawberry.field(description="Hundredths of a percent (1000: 10%).")
    base: EarnBase = strawberry.field(default=EarnBase.NET, description="Percentage of.")
    max_amount: BigInt | None = strawberry.field(default=None, description="At most, Rials.")


@strawberry.input(description="Points for an event, capped per member.")
class EventPointsInput:
    event: ProgrammeEvent = strawberry.field(description="The event.")
    points: BigInt = strawberry.field(description="Points each time.")
    cap_count: int = strawberry.field(default=1, description="At most this many times…")
    cap_period: CapPeriod = strawberry.field(
        default=CapPeriod.LIFETIME, description="…in this period."
    )
    field: ProfileField | None = strawberry.field(
        default=None,
        description="PROFILE_FIELD rules only: the one detail it rewards (none: each detail "
        "filled in, once each; such rules take no cap).",
    )


@strawberry.input(description="A percentage off the purchase.")
class DiscountInput:
    basis_points: int = strawberry.field(description="Hundredths of a percent (1000: 10%).")
    max_amount: BigInt | None = strawberry.field(default=None, description="At most, Rials.")


PARAMS_INPUTS = {
    "points_per_amount": m.RuleKind.POINTS_PER_AMOUNT,
    "cashback": m.RuleKind.CASHBACK,
    "event_points": m.RuleKind.EVENT_POINTS,
    "discount": m.RuleKind.DISCOUNT,
}


@strawberry.input(description="What a rule gives: give exactly one; it sets the rule's kind.")
class RuleParamsInput:
    points_per_amount: PointsPerAmountInput | None = strawberry.field(
        default=None, description="Points for spending."
    )
    cashback: CashbackInput | None = strawberry.field(
        default=None, description="Cash-back as credit."
    )
    event_points: EventPointsInput | None = strawberry.field(
        default=None, description="Points for an event."
    )
    discount: DiscountInput | None = strawberry.field(
        default=None, description="A discount on the purchase."
    )


@strawberry.input(description="When a rule applies; leave out what does not matter.")
class RuleConditionsInput:
    min_visit_number: int | None = strawberry.field(default=None, description="From this visit.")
    max_visit_number: int | None = strawberry.field(default=None, description="Up to this visit.")
    min_days_since_last_visit: int | None = strawberry.field(
        default=None, description="Only after more than this many days away."
    )
    lapse_over_usual_gap: float | None = strawberry.field(
        default=None, description="Only when away more than this × the usual gap."
    )
    min_spend_in_window: BigInt | None = strawberry.field(
        default=None, description="Only once this many Rials were spent in the window."
    )
    spend_window_days: int | None = strawberry.field(
        default=None, description="The spend window, days (with minSpendInWindow)."
    )
    min_basket: BigInt | None = strawberry.field(
        default=None, description="Only on baskets of at least this many Rials."
    )
    tier_ids: list[strawberry.ID] | None = strawberry.field(
        default=None, description="Only for members of these tiers."
    )


@strawberry.input(description="An earning rule or offer.")
class EarningRuleInput:
    name: str = strawberry.field(description="A name for managers.")
    params: RuleParamsInput = strawberry.field(description="What it gives.")
    conditions: RuleConditionsInput | None = strawberry.field(
        default=None, description="When it applies (always, when left out)."
    )
    branch_ids: list[strawberry.ID] | None = strawberry.field(
        default=None, description="Only at these branches (all, when left out)."
    )
    starts_at: datetime | None = strawberry.field(default=None, description="In force from.")
    ends_at: datetime | None = strawberry.field(default=None, description="In force until.")
    priority: int = strawberry.field(default=0, description="Higher is tried first.")
    exclusive_group: str = strawberry.field(
        default="", description="Of the rules in a group only the first that applies fires."
    )
    active: bool = strawberry.field(default=True, description="Switched on.")


@strawberry.input(description="A new definition of an earning rule (its kind cannot change).")
class UpdateEarningRuleInput(EarningRuleInput):
    id: strawberry.ID = strawberry.field(description="The rule.")
    expected_version: int | None = strawberry.field(default=None, description=VERSION)


@strawberry.input(description="Switch a rule on or off.")
class SetEarningRuleActiveInput:
    id: strawberry.ID = strawberry.field(description="The rule.")
    active: bool = strawberry.field(description="On or off.")
    expected_version: int | None = strawberry.field(default=None, description=VERSION)


def _ids(values: list[strawberry.ID] | None, field: str) -> list[int] | None:
    if values is None:
        return None
    return [parse_id(v, f"{field}.{i}") for i, v in enumerate(values)]


def _rule_spec(input: EarningRuleInput) -> tuple[RuleSpec, str]:
    """The domain's rule, and the GraphQL name of its params (for error paths)."""
    given = [name for name in PARAMS_INPUTS if getattr(input.params, name) is not None]
    if len(given) != 1:
        raise InvalidInput(
            "params: give exactly one of pointsPerAmount, cashback, eventPoints, discount",
            field="params",
        )
    conditions = _plain(input.conditions) if input.conditions else {}
    if input.conditions and input.conditions.tier_ids is not None:
        conditions["tier_ids"] = _ids(input.conditions.tier_ids, "conditions.tierIds")
    spec = RuleSpec(
        name=input.name,
        kind=PARAMS_INPUTS[given[0]],
        params=_plain(getattr(input.params, given[0])),
        conditions=conditions,
        branch_ids=_ids(input.branch_ids, "branchIds"),
        starts_at=input.starts_at,
        ends_at=input.ends_at,
        priority=input.priority,
        exclusive_group=input.exclusive_group,
        active=input.active,
    )
    return spec, _camel(given[0])


@strawberry.type(description="An earning rule was saved.")
class EarningRuleSaved:
    rule: EarningRule = strawberry.field(description="The rule as it is now.")


EarningRuleResult = result_union(
    "EarningRuleResult",
    "Result of a change to an earning rule.",
    EarningRuleSaved,
    NotFoundError,
    ConflictError,
    VersionConflictError,
)
EarningRuleLookup = result_union(
    "EarningRuleLookup", "Result of looking up an earning rule.", EarningRule, NotFoundError
)


# --- tiers and policies ----------------------------------------------------------------------


@strawberry.input(description="A new tier, or a tier's new definition (give its id).")
class SaveTierInput:
    name: str = strawberry.field(description="Name in English.")
    rank: int = strawberry.field(description="0 for the entry tier, then up.")
    threshold: BigInt = strawberry.field(
        description="Points earned or Rials spent to reach it (0 for rank 0)."
    )
    points_multiplier_percent: int = strawberry.field(
        default=100, description="Points for spending are multiplied by this (150: ×1.5)."
    )
    name_fa: str = strawberry.field(default="", description="Name in Persian.")
    active: bool = strawberry.field(default=True, description="Part of the programme.")
    id: strawberry.ID | None = strawberry.field(
        default=None, description="The tier to change; none creates one."
    )
    expected_version: int | None = strawberry.field(default=None, description=VERSION)


@strawberry.type(description="A tier was saved.")
class TierSaved:
    tier: Tier = strawberry.field(description="The tier as it is now.")


SaveTierResult = result_union(
    "SaveTierResult",
    "Result of saveTier.",
    TierSaved,
    NotFoundError,
    ConflictError,
    VersionConflictError,
)


@strawberry.type(description="How tiers are reached and kept.")
class TierPolicy:
    metric: TierMetric = strawberry.field(description="Points earned, or Rials spent.")
    period: TierPeriod = strawberry.field(description="Over which period.")
    window_days: int = strawberry.field(description="The rolling window, days.")
    review_months: int = strawberry.field(description="Months between a member's reviews.")
    grace_days: int = strawberry.field(
        description="Days a member keeps a tier they no longer qualify for, after a review."
    )
    version: int = strawberry.field(description="Pass as `expectedVersion` (0: never set).")

    @classmethod
    def from_domain(cls, p: policies.TierPolicy, version: int) -> TierPolicy:
        return cls(
            metric=TierMetric(p.metric),
            period=TierPeriod(p.period),
            window_days=p.window_days,
            review_months=p.review_months,
            grace_days=p.grace_days,
            version=version,
        )


@strawberry.type(description="When points expire.")
class ExpiryPolicy:
    mode: ExpiryMode = strawberry.field(description="The rule of expiry.")
    months: int = strawberry.field(description="Months after earning (that mode).")
    warn_days: int = strawberry.field(description="Days of notice before points expire.")
    version: int = strawberry.field(description="Pass as `expectedVersion` (0: never set).")

    @classmethod
    def from_domain(cls, p: policies.ExpiryPolicy, version: int) -> ExpiryPolicy:
        return cls(mode=ExpiryMode(p.mode), months=p.months, warn_days=p.warn_days, version=version)


@strawberry.input(description="How tiers are reached and kept; what is left out takes its default.")
class TierPolicyInput:
    metric: TierMetric | None = strawberry.field(default=None, description="Points or spend.")
    period: TierPeriod | None = strawberry.field(default=None, description="Over which period.")
    window_days: int | None = strawberry.field(default=None, description="Rolling window, days.")
    review_months: int | None = strawberry.field(
        default=None, description="Months between reviews."
    )
    grace_days: int | None = strawberry.field(default=None, description="Grace after a review.")
    expected_version: int | None = strawberry.field(default=None, description=VERSION)


@strawberry.input(description="When points expire; what is left out takes its default.")
class ExpiryPolicyInput:
    mode: ExpiryMode | None = strawberry.field(default=None, description="The rule of expiry.")
    months: int | None = strawberry.field(default=None, description="Months after earning.")
    warn_days: int | None = strawberry.field(default=None, description="Days of notice.")
    expected_version: int | None = strawberry.field(default=None, description=VERSION)


@strawberry.type(description="The tier policy was saved.")
class TierPolicySaved:
    policy: TierPolicy = strawberry.field(description="The policy as it is now.")


@strawberry.type(description="The expiry policy was saved.")
class ExpiryPolicySaved:
    policy: ExpiryPolicy = strawberry.field(description="The policy as it is now.")


TierPolicyResult = result_union(
    "TierPolicyResult", "Result of setTierPolicy.", TierPolicySaved, VersionConflictError
)
ExpiryPolicyResult = result_union(
    "ExpiryPolicyResult", "Result of setExpiryPolicy.", ExpiryPolicySaved, VersionConflictError
)


async def _save_policy(
    info: Info[Context, None], key: str, input: TierPolicyInput | ExpiryPolicyInput
) -> tuple[Any, int]:
    values = _plain(input)
    expected = values.pop("expected_version", None)
    with _input_paths(prefix=f"{key}."):
        return await policies.save(
            info.context.require_actor(), key, values, expected_version=expected
        )


# --- the audit trail, events, the public rules ---------------------------------------------


@strawberry.type(description="One change to the programme's configuration, kept whole.")
class ConfigChange:
    id: strawberry.ID = strawberry.field(description="The change's id.")
    entity: str = strawberry.field(description="What changed: rule, tier, or setting.")
    entity_id: str = strawberry.field(description="Which one (a setting: its key).")
    version: int = strawberry.field(description="The version it made.")
    action: str = strawberry.field(description="create or update.")
    snapshot: JSON = strawberry.field(description="The whole definition after the change.")
    changed_at: datetime = strawberry.field(description="When (UTC).")
    staff_id: strawberry.Private[int | None]

    @strawberry.field(description="Who made it (none: the system).")
    async def changed_by(self) -> StaffUser | None:
        user = await m.StaffUser.get_or_none(id=self.staff_id) if self.staff_id else None
        return StaffUser.from_model(user) if user else None

    @classmethod
    def from_model(cls, c: m.ConfigChange) -> ConfigChange:
        return cls(
            id=strawberry.ID(str(c.id)),
            entity=c.entity,
            entity_id=c.entity_id,
            version=c.version,
            action=c.action,
            snapshot=c.snapshot,
            changed_at=c.created_at,
            staff_id=c.staff_id,  # type: ignore[attr-defined]
        )


@strawberry.input(description="An event a member is rewarded for (e.g. a review staff approved).")
class AwardEventPointsInput:
    member_id: strawberry.ID = strawberry.field(description="The member.")
    event: ProgrammeEvent = strawberry.field(description="The event.")
    reference: str = strawberry.field(
        description="What it was (e.g. the review's id): each is rewarded once."
    )


@strawberry.type(description="Event points were given (or none: no rule, or the cap reached).")
class EventPointsAwarded:
    lines: list[ProgrammeLine] = strawberry.field(description="What was given and why.")
    entry: LedgerEntry | None = strawberry.field(description="The ledger entry, if any.")
    balances: Balances = strawberry.field(description="The member's balances after.")


AwardEventPointsResult = result_union(
    "AwardEventPointsResult",
    "Result of awardEventPoints.",
    EventPointsAwarded,
    NotFoundError,
    ConflictError,
)


@strawberry.type(description="A part of the programme rules.")
class RulesSection:
    code: str = strawberry.field(
        description="Stable code: earning, offers, events, referral, tiers, expiry."
    )
    title: str = strawberry.field(description="Heading.")
    lines: list[str] = strawberry.field(description="The rules, one a line.")


@strawberry.type(description="The programme rules, generated from the live configuration.")
class ProgrammeRules:
    language: Language = strawberry.field(description="The language they are written in.")
    sections: list[RulesSection] = strawberry.field(description="The parts, in reading order.")


@strawberry.type
class ProgrammeQueries:
    @strawberry.field(description="Anyone, signed in or not: how the programme works.")
    async def programme_rules(
        self,
        info: Info[Context, None],
        language: Annotated[
            Language | None,
            strawberry.argument(description="Persian or English; default: the viewer's."),
        ] = None,
    ) -> ProgrammeRules:
        chosen = language or await info.context.language()
        sections = await transparency.describe(chosen.value)
        return ProgrammeRules(
            language=chosen,
            sections=[
                RulesSection(code=s.code, title=s.title, lines=list(s.lines)) for s in sections
            ],
        )

    @strawberry.field(description="Manager: the earning rules, highest priority first.")
    async def earning_rules(
        self,
        info: Info[Context, None],
        include_inactive: Annotated[
            bool, strawberry.argument(description="Also the rules switched off.")
        ] = False,
    ) -> list[EarningRule]:
        actor = info.context.require_actor()
        listed = await rules.listed(actor, include_inactive=include_inactive)
        return [EarningRule.from_model(r) for r in listed]

    @strawberry.field(description="Manager: one earning rule.")
    @returns_errors
    async def earning_rule(
        self,
        info: Info[Context, None],
        id: Annotated[strawberry.ID, strawberry.argument(description="The rule's id.")],
    ) -> EarningRuleLookup:
        rule = await rules.get(info.context.require_actor(), parse_id(id, "id"))
        return EarningRule.from_model(rule)

    @strawberry.field(description="Manager: the tiers, lowest rank first.")
    async def tiers(
        self,
        info: Info[Context, None],
        include_inactive: Annotated[
            bool, strawberry.argument(description="Also retired tiers.")
        ] = False,
    ) -> list[Tier]:
        listed = await tiers.listed(info.context.require_actor(), include_inactive=include_inactive)
        return [Tier.from_model(t) for t in listed]

    @strawberry.field(description="Manager: how tiers are reached and kept.")
    async def tier_policy(self, info: Info[Context, None]) -> TierPolicy:
        policy = await policies.read(info.context.require_actor(), "tiers")
        return TierPolicy.from_domain(*policy)  # type: ignore[arg-type]

    @strawberry.field(description="Manager: when points expire.")
    async def expiry_policy(self, info: Info[Context, None]) -> ExpiryPolicy:
        policy = await policies.read(info.context.require_actor(), "expiry")
        return ExpiryPolicy.from_domain(*policy)  # type: ignore[arg-type]

    @strawberry.field(description="Manager: who changed the configuration and how, newest first.")
    async def config_changes(
        self,
        info: Info[Context, None],
        entity: Annotated[
            str | None, strawberry.argument(description="Only rule, tier or setting.")
        ] = None,
        entity_id: Annotated[
            str | None, strawberry.argument(description="Only this one (with entity).")
        ] = None,
        first: PageSize = 20,
        after: AfterCursor = None,
    ) -> Connection[ConfigChange]:
        size = history.page_size(first)
        rows = await audit.changes(
            info.context.require_actor(),
            entity=entity,
            entity_id=entity_id,
            first=size,
            before_id=decode_cursor("config", after),
        )
        page = history.Page(rows[:size], len(rows) > size)
        return connection("config", page, ConfigChange.from_model)


@strawberry.type
class ProgrammeMutations:
    @strawberry.mutation(description="Manager: add an earning rule or offer.")
    @returns_errors
    async def create_earning_rule(
        self,
        info: Info[Context, None],
        input: Annotated[EarningRuleInput, strawberry.argument(description=INPUT)],
    ) -> EarningRuleResult:
        actor = info.context.require_actor()
        spec, params_name = _rule_spec(input)
        with _input_paths(inserted={"params": params_name}):
            rule = await rules.create(actor, spec)
        return EarningRuleSaved(rule=EarningRule.from_model(rule))

    @strawberry.mutation(description="Manager: change an earning rule (a new version).")
    @returns_errors
    async def update_earning_rule(
        self,
        info: Info[Context, None],
        input: Annotated[UpdateEarningRuleInput, strawberry.argument(description=INPUT)],
    ) -> EarningRuleResult:
        actor = info.context.require_actor()
        spec, params_name = _rule_spec(input)
        with _input_paths(inserted={"params": params_name}):
            rule = await rules.update(
                actor, parse_id(input.id, "id"), spec, expected_version=input.expected_version
            )
        return EarningRuleSaved(rule=EarningRule.from_model(rule))

    @strawberry.mutation(description="Manager: switch an earning rule on or off.")
    @returns_errors
    async def set_earning_rule_active(
        self,
        info: Info[Context, None],
        input: Annotated[SetEarningRuleActiveInput, strawberry.argument(description=INPUT)],
    ) -> EarningRuleResult:
        rule = await rules.set_active(
            info.context.require_actor(),
            parse_id(input.id, "id"),
            input.active,
            expected_version=input.expected_version,
        )
        return EarningRuleSaved(rule=EarningRule.from_model(rule))

    @strawberry.mutation(description="Manager: add a tier, or change one.")
    @returns_errors
    async def save_tier(
        self,
        info: Info[Context, None],
        input: Annotated[SaveTierInput, strawberry.argument(description=INPUT)],
    ) -> SaveTierResult:
        tier = await tiers.save(
            info.context.require_actor(),
            TierSpec(
                name=input.name,
                rank=input.rank,
                threshold=input.threshold,
                points_multiplier_percent=input.points_multiplier_percent,
                name_fa=input.name_fa,
                active=input.active,
            ),
            tier_id=parse_id(input.id, "id") if input.id is not None else None,
            expected_version=input.expected_version,
        )
        return TierSaved(tier=Tier.from_model(tier))

    @strawberry.mutation(description="Manager: set how tiers are reached and kept.")
    @returns_errors
    async def set_tier_policy(
        self,
        info: Info[Context, None],
        input: Annotated[TierPolicyInput, strawberry.argument(description=INPUT)],
    ) -> TierPolicyResult:
        policy, version = await _save_policy(info, "tiers", input)
        return TierPolicySaved(policy=TierPolicy.from_domain(policy, version))  # type: ignore[arg-type]

    @strawberry.mutation(description="Manager: set when points expire.")
    @returns_errors
    async def set_expiry_policy(
        self,
        info: Info[Context, None],
        input: Annotated[ExpiryPolicyInput, strawberry.argument(description=INPUT)],
    ) -> ExpiryPolicyResult:
        policy, version = await _save_policy(info, "expiry", input)
        return ExpiryPolicySaved(policy=ExpiryPolicy.from_domain(policy, version))  # type: ignore[arg-type]

    @strawberry.mutation(description="Staff: reward a member for an event, within its caps.")
    @returns_errors
    async def award_event_points(
        self,
        info: Info[Context, None],
        input: Annotated[AwardEventPointsInput, strawberry.argument(description=INPUT)],
    ) -> AwardEventPointsResult:
        member_id = parse_id(input.member_id, "memberId")
        result = await events.record(
            info.context.require_actor(),
            member_id=member_id,
            event=input.event.value,
            reference=input.reference,
        )
        return EventPointsAwarded(
            lines=[ProgrammeLine.from_domain(line) for line in result.awarded],
            entry=LedgerEntry.from_domain(history.entry_of(result.transaction))
            if result.transaction
            else None,
            balances=Balances.from_domain(await ledger.balances(member_id)),
        )
