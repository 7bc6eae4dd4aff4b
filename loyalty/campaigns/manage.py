"""Managers write campaigns, schedule them and may cancel them; every change is versioned and
audited. A campaign can change until it starts sending; a cancelled one sends no more chunks.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from loyalty import validation
from loyalty.actors import Actor
from loyalty.campaigns import segments, templates
from loyalty.errors import Conflict, InvalidInput, NotFound
from loyalty.history import Page
from loyalty.models import (
    Campaign,
    CampaignStatus,
    Coupon,
    EarningRule,
    Role,
    RuleKind,
    SavedSegment,
)
from loyalty.programme import audit, coupons

MAX_HOLDOUT_PERCENT = 50
MAX_VOUCHER_DAYS = 365
# A moment a little in the past is "now": the manager's clock, or the form's, lags.
PAST_TOLERANCE = timedelta(minutes=5)
EDITABLE = (CampaignStatus.DRAFT, CampaignStatus.SCHEDULED)


@dataclass(frozen=True, slots=True)
class CampaignSpec:
    """A campaign as a manager writes it. `coupon_id`: each member messaged gets a voucher of
    that coupon, valid `voucher_days`; `offer_id`: a discount rule the message is about, whose
    uses the report counts."""

    name: str
    title: str
    body: str
    segment: Mapping[str, Any] = field(default_factory=dict)
    holdout_percent: int = 0
    coupon_id: int | None = None
    voucher_days: int = 14
    offer_id: int | None = None
    # A saved segment instead of `segment`: its definition when the campaign starts.
    saved_segment_id: int | None = None


def _whole(value: object, field: str, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise InvalidInput(f"{field} must be a whole number from {low} to {high}", field=field)
    return value


async def _cleaned(spec: CampaignSpec) -> dict:
    title = validation.text(spec.title, field="title", max_length=200, required=True)
    body = validation.text(spec.body, field="body", max_length=1000, required=True)
    segment = segments.parse(spec.segment)
    await segments.check_references(segment)
    if spec.saved_segment_id is not None:
        if segment.as_json():
            raise InvalidInput(
                "give a segment or a saved segment, not both", field="savedSegmentId"
            )
        if not await SavedSegment.exists(id=spec.saved_segment_id):
            raise InvalidInput(
                f"saved segment {spec.saved_segment_id} does not exist", field="savedSegmentId"
            )
    if spec.coupon_id is not None:
        coupon = await Coupon.get_or_none(id=spec.coupon_id)
        if coupon is None or not coupon.active:
            raise InvalidInput(f"coupon {spec.coupon_id} is not an active coupon", field="couponId")
    if spec.offer_id is not None:
        offer = await EarningRule.get_or_none(id=spec.offer_id)
        if offer is None or offer.kind is not RuleKind.DISCOUNT:
            raise InvalidInput(
                f"offer {spec.offer_id} is not a discount rule: an offer's uses are the "
                "discounts it gave",
                field="offerId",
            )
    return {
        "name": validation.text(spec.name, field="name", max_length=100, required=True),
        "title": templates.check(title, "title"),
        "body": templates.check(body, "body"),
        "segment": segment.as_json(),
        "holdout_percent": _whole(spec.holdout_percent, "holdoutPercent", 0, MAX_HOLDOUT_PERCENT),
        "coupon_id": spec.coupon_id,
        "voucher_days": _whole(spec.voucher_days, "voucherDays", 1, MAX_VOUCHER_DAYS),
        "offer_id": spec.offer_id,
        "saved_segment_id": spec.saved_segment_id,
    }


async def create(actor: Actor, spec: CampaignSpec) -> Campaign:
    """A new campaign, as a draft."""
    actor.require_staff(Role.MANAGER)
    return await audit.create_versioned(actor, Campaign, "campaign", await _cleaned(spec))


def _editable(campaign: Campaign) -> None:
    if campaign.status not in EDITABLE:
        raise Conflict(f"campaign {campaign.name} is {campaign.status.value}: it cannot change")


async def update(
    actor: Actor, campaign_id: int, spec: CampaignSpec, *, expected_version: int | None = None
) -> Campaign:
    """A new version of a campaign that has not started; a scheduled one stays scheduled."""
    actor.require_staff(Role.MANAGER)
    values = await _cleaned(spec)

    async def editable(campaign: Campaign) -> dict:
        _editable(campaign)
        return {}

    return await audit.update_versioned(
        actor,
        Campaign,
        "campaign",
        campaign_id,
        values,
        expected_version=expected_version,
        also=editable,
    )


async def schedule(
    actor: Actor,
    campaign_id: int,
    at: datetime | None = None,
    *,
    expected_version: int | None = None,
) -> Campaign:
    """Send it at `at` (none: now); a scheduled campaign may be moved. The scheduled job
    starts it within a minute of its moment."""
    actor.require_staff(Role.MANAGER)
    now = datetime.now(UTC)
    if at is not None and at.tzinfo is None:
        raise InvalidInput("scheduledAt needs a time zone", field="scheduledAt")
    if at is not None and at < now - PAST_TOLERANCE:
        raise InvalidInput("scheduledAt is in the past", field="scheduledAt")
    moment = max(at, now) if at is not None else now

    async def editable(campaign: Campaign) -> dict:
        _editable(campaign)
        return {}

    return await audit.update_versioned(
        actor,
        Campaign,
        "campaign",
        campaign_id,
        {"status": CampaignStatus.SCHEDULED, "scheduled_at": moment.astimezone(UTC)},
        expected_version=expected_version,
        also=editable,
    )


async def cancel(
    actor: Actor, campaign_id: int, *, expected_version: int | None = None
) -> Campaign:
    """Stop a campaign: a draft or scheduled one never sends; a sending one sends no chunk
    after this (a chunk being sent as it is cancelled is rolled back)."""
    actor.require_staff(Role.MANAGER)

    async def stoppable(campaign: Campaign) -> dict:
        if campaign.status in (CampaignStatus.SENT, CampaignStatus.CANCELLED):
            raise Conflict(f"campaign {campaign.name} is {campaign.status.value} already")
        return {}

    return await audit.update_versioned(
        actor,
        Campaign,
        "campaign",
        campaign_id,
        {"status": CampaignStatus.CANCELLED, "finished_at": datetime.now(UTC)},
        expected_version=expected_version,
        also=stoppable,
    )


async def get(actor: Actor, campaign_id: int) -> Campaign:
    actor.require_staff(Role.MANAGER)
    campaign = await Campaign.get_or_none(id=campaign_id)
    if campaign is None:
        raise NotFound("campaign", campaign_id)
    return campaign


async def listed(
    actor: Actor,
    *,
    first: int = 20,
    before_id: int | None = None,
    status: CampaignStatus | None = None,
) -> Page[Campaign]:
    """Campaigns newest first, perhaps only those of one status."""
    actor.require_staff(Role.MANAGER)
    query = Campaign.all() if status is None else Campaign.filter(status=status)
    return await coupons.paged(query, first, before_id)


async def audience_count(actor: Actor, segment: Mapping[str, Any]) -> int:
    """How many members a segment holds now: the preview while a campaign is written."""
    actor.require_staff(Role.MANAGER)
    parsed = segments.parse(segment)
    await segments.check_references(parsed)
    return await segments.count(parsed, datetime.now(UTC))
