"""Managers create, change, pause and resume journeys; each change is a new version, kept whole
in the audit trail."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, datetime

from tortoise.transactions import in_transaction

from loyalty import validation
from loyalty.actors import Actor
from loyalty.errors import InvalidInput, NotFound
from loyalty.history import Page, paged
from loyalty.journeys import definitions
from loyalty.models import (
    Coupon,
    CouponCode,
    Journey,
    JourneyKind,
    JourneyRun,
    Language,
    Message,
    MessagePurpose,
    MessageStatus,
    Role,
    Tier,
)
from loyalty.programme import audit

ENTITY = "journey"
MAX_VOUCHER_DAYS = 365
MAX_ACTIVE = 100


@dataclass(frozen=True, slots=True)
class JourneySpec:
    """A journey as a manager writes it. `title` and `body` may hold {placeholders} (see
    `definitions.PLACEHOLDERS`); `coupon_id` gives each member a voucher of that coupon, valid
    `voucher_days`."""

    name: str
    kind: JourneyKind
    title: str
    body: str
    purpose: MessagePurpose = MessagePurpose.MARKETING
    language: Language = Language.FA
    options: dict = field(default_factory=dict)
    coupon_id: int | None = None
    voucher_days: int = 30
    active: bool = True


async def _cleaned(spec: JourneySpec) -> dict:
    if not isinstance(spec.kind, JourneyKind):
        raise InvalidInput("unknown journey kind", field="kind")
    if not isinstance(spec.purpose, MessagePurpose):
        raise InvalidInput("purpose must be marketing or service", field="purpose")
    if not isinstance(spec.language, Language):
        raise InvalidInput("unknown language", field="language")
    options = definitions.parse_options(spec.kind, spec.options)
    tier_ids = getattr(options, "tier_ids", [])
    if tier_ids and await Tier.filter(id__in=set(tier_ids)).count() != len(set(tier_ids)):
        raise InvalidInput(
            "options.tierIds names a tier that does not exist", field="options.tierIds"
        )
    if spec.coupon_id is not None and not await Coupon.exists(id=spec.coupon_id):
        raise InvalidInput(f"there is no coupon {spec.coupon_id}", field="couponId")
    days = spec.voucher_days
    if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= MAX_VOUCHER_DAYS:
        raise InvalidInput(f"voucherDays must be from 1 to {MAX_VOUCHER_DAYS}", field="voucherDays")
    title = validation.text(spec.title, field="title", max_length=120, required=True)
    body = validation.text(spec.body, field="body", max_length=1000, required=True)
    return {
        "name": validation.text(spec.name, field="name", max_length=100, required=True),
        "kind": spec.kind,
        "purpose": spec.purpose,
        "language": spec.language,
        "title": definitions.check_template(title, spec.kind, field="title"),
        "body": definitions.check_template(body, spec.kind, field="body"),
        "options": options.model_dump(mode="json"),
        "coupon_id": spec.coupon_id,
        "voucher_days": days,
        "active": bool(spec.active),
    }


async def _room_for_one_more() -> None:
    if await Journey.filter(active=True).count() >= MAX_ACTIVE:
        raise InvalidInput(f"at most {MAX_ACTIVE} journeys may be active at once", field="active")


async def create(actor: Actor, spec: JourneySpec) -> Journey:
    actor.require_staff(Role.MANAGER)
    values = await _cleaned(spec)
    if values["active"]:
        await _room_for_one_more()
    return await audit.create_versioned(
        actor,
        Journey,
        ENTITY,
        {**values, "active_since": datetime.now(UTC) if values["active"] else None},
        snapshot=values,
    )


async def update(
    actor: Actor, journey_id: int, spec: JourneySpec, *, expected_version: int | None = None
) -> Journey:
    """Replace a journey's definition; its next sends use the new one."""
    actor.require_staff(Role.MANAGER)
    values = await _cleaned(spec)

    async def checked(journey: Journey) -> dict:
        if values["kind"] != journey.kind:
            raise InvalidInput("a journey's kind cannot change; make a new journey", field="kind")
        if values["active"] and not journey.active:
            # Resumed: the days it was paused are not caught up.
            await _room_for_one_more()
            return {"active_since": datetime.now(UTC)}
        return {}

    return await audit.update_versioned(
        actor,
        Journey,
        ENTITY,
        journey_id,
        values,
        expected_version=expected_version,
        also=checked,
    )


def spec_of(journey: Journey) -> JourneySpec:
    return JourneySpec(
        name=journey.name,
        kind=journey.kind,
        title=journey.title,
        body=journey.body,
        purpose=journey.purpose,
        language=journey.language,
        options=journey.options,
        coupon_id=journey.coupon_id,  # type: ignore[attr-defined]
        voucher_days=journey.voucher_days,
        active=journey.active,
    )


async def set_active(
    actor: Actor, journey_id: int, active: bool, *, expected_version: int | None = None
) -> Journey:
    """Pause a journey: it sends nothing more, and what it was holding for the end of the
    quiet hours is held back. Or resume it: from today on, the days paused are not caught up."""
    actor.require_staff(Role.MANAGER)
    journey = await Journey.get_or_none(id=journey_id)
    if journey is None:
        raise NotFound(ENTITY, journey_id)
    async with in_transaction():
        journey = await update(
            actor,
            journey_id,
            replace(spec_of(journey), active=active),
            expected_version=expected_version,
        )
        if not active:
            await _hold_back_waiting(journey_id)
    return journey


async def _hold_back_waiting(journey_id: int) -> None:
    """The journey's messages waiting for the end of the quiet hours go no more, and the unused
    vouchers they carried are taken back."""
    waiting = Message.filter(source=source(journey_id), status=MessageStatus.SCHEDULED)
    data = await waiting.values_list("data", flat=True)
    codes = [code for raw in data if (code := raw.get("couponCode"))]
    await waiting.update(status=MessageStatus.SUPPRESSED, reason="journey paused")
    if codes:
        await CouponCode.filter(code__in=codes, uses=0).delete()


def source(journey_id: int) -> str:
    """What a journey's messages are marked as sent by."""
    return f"{ENTITY}:{journey_id}"


async def get(actor: Actor, journey_id: int) -> Journey:
    actor.require_staff(Role.MANAGER)
    journey = await Journey.get_or_none(id=journey_id)
    if journey is None:
        raise NotFound(ENTITY, journey_id)
    return journey


async def listed(
    actor: Actor,
    *,
    first: int = 20,
    before_id: int | None = None,
    include_paused: bool = False,
    kind: JourneyKind | None = None,
) -> Page[Journey]:
    """The journeys, newest first (managers)."""
    actor.require_staff(Role.MANAGER)
    query = Journey.all() if include_paused else Journey.filter(active=True)
    if kind is not None:
        query = query.filter(kind=kind)
    return await paged(query, first, before_id)


async def runs(
    actor: Actor, journey_id: int, *, first: int = 20, before_id: int | None = None
) -> Page[JourneyRun]:
    """A timer journey's days, newest first: how far each got and what it sent."""
    actor.require_staff(Role.MANAGER)
    return await paged(JourneyRun.filter(journey_id=journey_id), first, before_id)
