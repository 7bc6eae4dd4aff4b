"""Journeys (automatic messages on each member's timeline) and the messaging policy they keep:
managers define, pause and resume them."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Annotated

import strawberry
from strawberry.types import Info

from loyalty import models as m
from loyalty.errors import InvalidInput
from loyalty.journeys import definitions, manage
from loyalty.journeys.manage import JourneySpec
from loyalty.programme import policies
from schema.context import Context
from schema.errors import (
    INPUT,
    NotFoundError,
    VersionConflictError,
    named_as_input,
    result_union,
    returns_errors,
)
from schema.types import (
    AfterCursor,
    Connection,
    Language,
    PageSize,
    connection,
    decode_cursor,
    parse_id,
)

JourneyKind = strawberry.enum(
    m.JourneyKind,
    description="When a journey speaks: AFTER_PURCHASE (days after a purchase of a category), "
    "BIRTHDAY, WIN_BACK (away longer than a threshold, once per lapse), WELCOME (after "
    "enrolment), TIER_UPGRADED, POINTS_EXPIRING (days before), NEW_PRODUCTS (days before the "
    "public).",
)
MessagePurpose = strawberry.enum(
    m.MessagePurpose,
    description="MARKETING keeps to consent, the weekly cap and quiet hours; SERVICE does not.",
)
VERSION = "The version you read; a change made since then is a VERSION_CONFLICT."


@strawberry.type(description="A journey's settings; each kind uses some (the rest are null).")
class JourneyOptions:
    category: str | None = strawberry.field(description="AFTER_PURCHASE: the item category.")
    days: int | None = strawberry.field(
        description="AFTER_PURCHASE: days after; WIN_BACK: days away; POINTS_EXPIRING and "
        "NEW_PRODUCTS: days before."
    )
    gap_multiple: float | None = strawberry.field(
        description="WIN_BACK: away longer than this × the member's usual gap between visits."
    )
    min_days: int | None = strawberry.field(description="WIN_BACK with gapMultiple: at least.")
    max_days: int | None = strawberry.field(description="WIN_BACK with gapMultiple: at most.")
    tier_ids: list[strawberry.ID] = strawberry.field(
        description="TIER_UPGRADED, NEW_PRODUCTS: only these tiers (empty: all)."
    )
    product: str | None = strawberry.field(description="NEW_PRODUCTS: the product.")
    public_date: date | None = strawberry.field(
        description="NEW_PRODUCTS: the day it goes on sale to everyone."
    )

    @classmethod
    def from_json(cls, raw: dict) -> JourneyOptions:
        return cls(
            category=raw.get("category"),
            days=raw.get("days"),
            gap_multiple=raw.get("gap_multiple"),
            min_days=raw.get("min_days"),
            max_days=raw.get("max_days"),
            tier_ids=[strawberry.ID(str(t)) for t in raw.get("tier_ids", [])],
            product=raw.get("product"),
            public_date=date.fromisoformat(raw["public_date"]) if "public_date" in raw else None,
        )


@strawberry.type(description="A timer journey's day: how far it got and what it sent.")
class JourneyRun:
    id: strawberry.ID = strawberry.field(description="The run's id.")
    day: date = strawberry.field(description="The day, in the club's time zone.")
    sent: int = strawberry.field(description="Messages sent, or waiting for the morning.")
    held: int = strawberry.field(description="Messages held back (no consent, weekly cap).")
    finished_at: datetime | None = strawberry.field(
        description="When the day was done (none: it goes on at the next run)."
    )

    @classmethod
    def from_model(cls, r: m.JourneyRun) -> JourneyRun:
        return cls(
            id=strawberry.ID(str(r.id)),
            day=r.day,
            sent=r.sent,
            held=r.held,
            finished_at=r.finished_at,
        )


@strawberry.type(description="An automatic message tied to each member's own timeline.")
class Journey:
    id: strawberry.ID = strawberry.field(description="The journey's id.")
    name: str = strawberry.field(description="The manager's name for it.")
    kind: JourneyKind = strawberry.field(description="When it speaks.")
    purpose: MessagePurpose = strawberry.field(description="Marketing or service.")
    language: Language = strawberry.field(
        description="The template's language: dates and numbers are written in it."
    )
    title: str = strawberry.field(description="The title, with {placeholders}.")
    body: str = strawberry.field(description="The text, with {placeholders}.")
    options: JourneyOptions = strawberry.field(description="The kind's settings.")
    coupon_id: strawberry.ID | None = strawberry.field(
        description="Each member gets a voucher of this coupon with the message."
    )
    voucher_days: int = strawberry.field(description="Days a voucher it gives is valid.")
    active: bool = strawberry.field(description="Running (false: paused).")
    version: int = strawberry.field(description="Pass as `expectedVersion` when changing it.")
    created_at: datetime = strawberry.field(description="When it was made (UTC).")
    updated_at: datetime = strawberry.field(description="When it last changed (UTC).")

    @strawberry.field(description="The placeholders its title and body may use.")
    def placeholders(self) -> list[str]:
        kind = m.JourneyKind(self.kind.value)
        return list(definitions.COMMON_PLACEHOLDERS + definitions.PLACEHOLDERS[kind])

    @strawberry.field(description="Its days, newest first (timer kinds).")
    async def runs(
        self, info: Info[Context, None], first: PageSize = 20, after: AfterCursor = None
    ) -> Connection[JourneyRun]:
        page = await manage.runs(
            info.context.require_actor(),
            int(self.id),
            first=first,
            before_id=decode_cursor("journey-run", after),
        )
        return connection("journey-run", page, JourneyRun.from_model)

    @classmethod
    def from_model(cls, j: m.Journey) -> Journey:
        coupon_id = j.coupon_id  # type: ignore[attr-defined]
        return cls(
            id=strawberry.ID(str(j.id)),
            name=j.name,
            kind=j.kind,
            purpose=j.purpose,
            language=j.language,
            title=j.title,
            body=j.body,
            options=JourneyOptions.from_json(j.options),
            coupon_id=strawberry.ID(str(coupon_id)) if coupon_id else None,
            voucher_days=j.voucher_days,
            active=j.active,
            version=j.version,
            created_at=j.created_at,
            updated_at=j.updated_at,
        )


@strawberry.input(description="A journey's settings: give those its kind uses, and no others.")
class JourneyOptionsInput:
    category: str | None = strawberry.field(
        default=None, description="AFTER_PURCHASE: the item category (e.g. oil_change)."
    )
    days: int | None = strawberry.field(
        default=None,
        description="AFTER_PURCHASE: days after; WIN_BACK: days away (or gapMultiple); "
        "POINTS_EXPIRING and NEW_PRODUCTS: days before.",
    )
    gap_multiple: float | None = strawberry.field(
        default=None, description="WIN_BACK: away longer than this × the usual gap (or days)."
    )
    min_days: int | None = strawberry.field(
        default=None, description="WIN_BACK with gapMultiple: at least (default 14)."
    )
    max_days: int | None = strawberry.field(
        default=None, description="WIN_BACK with gapMultiple: at most (default 365)."
    )
    tier_ids: list[strawberry.ID] | None = strawberry.field(
        default=None, description="TIER_UPGRADED, NEW_PRODUCTS: only these tiers."
    )
    product: str | None = strawberry.field(default=None, description="NEW_PRODUCTS: the product.")
    public_date: date | None = strawberry.field(
        default=None, description="NEW_PRODUCTS: the day it goes on sale to everyone."
    )

    def to_domain(self) -> dict:
        values = {
            name: getattr(self, name)
            for name in ("category", "days", "gap_multiple", "min_days", "max_days", "product")
            if getattr(self, name) is not None
        }
        if self.tier_ids is not None:
            values["tier_ids"] = [
                parse_id(t, f"options.tierIds.{i}") for i, t in enumerate(self.tier_ids)
            ]
        if self.public_date is not None:
            values["public_date"] = self.public_date.isoformat()
        return values


@strawberry.input(description="A journey. Placeholders: see `Journey.placeholders`.")
class JourneyInput:
    name: str = strawberry.field(description="A name for managers.")
    kind: JourneyKind = strawberry.field(description="When it speaks.")
    title: str = strawberry.field(description="The title, e.g. «{first_name} عزیز».")
    body: str = strawberry.field(
        description="The text, e.g. «{name} عزیز، زمان تعویض روغن خودروی شما نزدیک است»."
    )
    purpose: MessagePurpose = strawberry.field(
        default=m.MessagePurpose.MARKETING, description="Marketing (default) or service."
    )
    language: Language = strawberry.field(
        default=m.Language.FA, description="The template's language."
    )
    options: JourneyOptionsInput | None = strawberry.field(
        default=None, description="The kind's settings."
    )
    coupon_id: strawberry.ID | None = strawberry.field(
        default=None, description="Give each member a voucher of this coupon."
    )
    voucher_days: int = strawberry.field(default=30, description="Days a voucher is valid.")
    active: bool = strawberry.field(default=True, description="Running from now on.")

    def to_spec(self) -> JourneySpec:
        return JourneySpec(
            name=self.name,
            kind=m.JourneyKind(self.kind.value),
            title=self.title,
            body=self.body,
            purpose=m.MessagePurpose(self.purpose.value),
            language=m.Language(self.language.value),
            options=self.options.to_domain() if self.options else {},
            coupon_id=parse_id(self.coupon_id, "couponId") if self.coupon_id else None,
            voucher_days=self.voucher_days,
            active=self.active,
        )


@strawberry.input(description="A journey's new definition (its kind cannot change).")
class UpdateJourneyInput(JourneyInput):
    id: strawberry.ID = strawberry.field(description="The journey.")
    expected_version: int | None = strawberry.field(default=None, description=VERSION)


@strawberry.input(description="Pause or resume a journey.")
class JourneyStateInput:
    id: strawberry.ID = strawberry.field(description="The journey.")
    expected_version: int | None = strawberry.field(default=None, description=VERSION)


@strawberry.type(description="A journey was saved.")
class JourneySaved:
    journey: Journey = strawberry.field(description="The journey as it is now.")


JourneyResult = result_union(
    "JourneyResult",
    "Result of a change to a journey.",
    JourneySaved,
    NotFoundError,
    VersionConflictError,
)
JourneyLookup = result_union(
    "JourneyLookup", "Result of looking up a journey.", Journey, NotFoundError
)


@strawberry.type(description="When and how often marketing messages may reach a member.")
class MessagingPolicy:
    quiet_from: time = strawberry.field(
        description="Quiet hours begin (club's time zone): marketing waits till they end."
    )
    quiet_until: time = strawberry.field(description="Quiet hours end (equal to quietFrom: none).")
    marketing_per_week: int = strawberry.field(
        description="Marketing messages a member gets in any seven days, at most."
    )
    version: int = strawberry.field(description="Pass as `expectedVersion` (0: never set).")

    @classmethod
    def from_domain(cls, p: policies.MessagingPolicy, version: int) -> MessagingPolicy:
        return cls(
            quiet_from=p.quiet_from,
            quiet_until=p.quiet_until,
            marketing_per_week=p.marketing_per_week,
            version=version,
        )


@strawberry.input(description="The messaging policy; what is left out takes its default.")
class MessagingPolicyInput:
    quiet_from: time | None = strawberry.field(default=None, description="Quiet hours begin.")
    quiet_until: time | None = strawberry.field(default=None, description="Quiet hours end.")
    marketing_per_week: int | None = strawberry.field(
        default=None, description="Marketing messages per member per seven days, 0 to 50."
    )
    expected_version: int | None = strawberry.field(default=None, description=VERSION)


@strawberry.type(description="The messaging policy was saved.")
class MessagingPolicySaved:
    policy: MessagingPolicy = strawberry.field(description="The policy as it is now.")


MessagingPolicyResult = result_union(
    "MessagingPolicyResult",
    "Result of setMessagingPolicy.",
    MessagingPolicySaved,
    VersionConflictError,
)


@strawberry.type
class JourneyQueries:
    @strawberry.field(description="Manager: the journeys, newest first.")
    async def journeys(
        self,
        info: Info[Context, None],
        first: PageSize = 20,
        after: AfterCursor = None,
        include_paused: Annotated[
            bool, strawberry.argument(description="Also the paused ones.")
        ] = False,
        kind: Annotated[
            JourneyKind | None, strawberry.argument(description="Only this kind.")
        ] = None,
    ) -> Connection[Journey]:
        page = await manage.listed(
            info.context.require_actor(),
            first=first,
            before_id=decode_cursor("journey", after),
            include_paused=include_paused,
            kind=m.JourneyKind(kind.value) if kind else None,
        )
        return connection("journey", page, Journey.from_model)

    @strawberry.field(description="Manager: one journey.")
    @returns_errors
    async def journey(
        self,
        info: Info[Context, None],
        id: Annotated[strawberry.ID, strawberry.argument(description="The journey's id.")],
    ) -> JourneyLookup:
        found = await manage.get(info.context.require_actor(), parse_id(id, "id"))
        return Journey.from_model(found)

    @strawberry.field(description="Manager: quiet hours and the weekly cap of marketing.")
    async def messaging_policy(self, info: Info[Context, None]) -> MessagingPolicy:
        policy = await policies.read(info.context.require_actor(), "messaging")
        return MessagingPolicy.from_domain(*policy)  # type: ignore[arg-type]


@strawberry.type
class JourneyMutations:
    @strawberry.mutation(description="Manager: add a journey.")
    @returns_errors
    async def create_journey(
        self,
        info: Info[Context, None],
        input: Annotated[JourneyInput, strawberry.argument(description=INPUT)],
    ) -> JourneyResult:
        actor = info.context.require_actor()
        journey = await manage.create(actor, input.to_spec())
        return JourneySaved(journey=Journey.from_model(journey))

    @strawberry.mutation(description="Manager: change a journey (a new version).")
    @returns_errors
    async def update_journey(
        self,
        info: Info[Context, None],
        input: Annotated[UpdateJourneyInput, strawberry.argument(description=INPUT)],
    ) -> JourneyResult:
        actor = info.context.require_actor()
        journey = await manage.update(
            actor,
            parse_id(input.id, "id"),
            input.to_spec(),
            expected_version=input.expected_version,
        )
        return JourneySaved(journey=Journey.from_model(journey))

    @strawberry.mutation(
        description="Manager: pause a journey; what it held for the end of quiet hours is "
        "held back too."
    )
    @returns_errors
    async def pause_journey(
        self,
        info: Info[Context, None],
        input: Annotated[JourneyStateInput, strawberry.argument(description=INPUT)],
    ) -> JourneyResult:
        return await _set_active(info, input, False)

    @strawberry.mutation(description="Manager: resume a journey, from today on.")
    @returns_errors
    async def resume_journey(
        self,
        info: Info[Context, None],
        input: Annotated[JourneyStateInput, strawberry.argument(description=INPUT)],
    ) -> JourneyResult:
        return await _set_active(info, input, True)

    @strawberry.mutation(description="Manager: set quiet hours and the weekly cap of marketing.")
    @returns_errors
    async def set_messaging_policy(
        self,
        info: Info[Context, None],
        input: Annotated[MessagingPolicyInput, strawberry.argument(description=INPUT)],
    ) -> MessagingPolicyResult:
        values: dict[str, object] = {
            name: getattr(input, name)
            for name in ("quiet_from", "quiet_until", "marketing_per_week")
            if getattr(input, name) is not None
        }
        try:
            policy, version = await policies.save(
                info.context.require_actor(),
                "messaging",
                values,
                expected_version=input.expected_version,
            )
        except InvalidInput as error:
            raise named_as_input(error, "messaging.") from None
        return MessagingPolicySaved(policy=MessagingPolicy.from_domain(policy, version))  # type: ignore[arg-type]


async def _set_active(
    info: Info[Context, None], input: JourneyStateInput, active: bool
) -> JourneySaved:
    journey = await manage.set_active(
        info.context.require_actor(),
        parse_id(input.id, "id"),
        active,
        expected_version=input.expected_version,
    )
    return JourneySaved(journey=Journey.from_model(journey))
