"""Managers write, schedule and cancel campaigns: bad input is refused with the field named and
nothing changed; a campaign changes only until it starts."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from loyalty.campaigns import holdout, manage, sending
from loyalty.campaigns.manage import CampaignSpec
from loyalty.errors import Conflict, ErrorCode, InvalidInput, PermissionDenied
from loyalty.models import BenefitKind, Campaign, CampaignStatus, ConfigChange, RuleKind
from loyalty.programme import coupons, rules
from loyalty.programme.coupons import Benefit, CouponSpec
from loyalty.programme.rules import RuleSpec
from tests import factories
from tests.campaigns.conftest import seed_members

SPEC = CampaignSpec(name="Oil change", title="{name} عزیز", body="زمان تعویض روغن است")


async def test_a_campaign_goes_from_draft_to_scheduled_to_cancelled(manager) -> None:
    campaign = await manage.create(manager, replace(SPEC, segment={"cities": ["Tehran"]}))
    assert (campaign.status, campaign.version) == (CampaignStatus.DRAFT, 1)
    assert campaign.segment == {"cities": ["Tehran"]}
    at = datetime.now(UTC) + timedelta(days=1)
    campaign = await manage.schedule(manager, campaign.id, at, expected_version=1)
    assert (campaign.status, campaign.scheduled_at) == (CampaignStatus.SCHEDULED, at)
    campaign = await manage.update(manager, campaign.id, replace(SPEC, holdout_percent=20))
    assert (campaign.status, campaign.holdout_percent) == (CampaignStatus.SCHEDULED, 20)
    assert await sending.start_due() == 0  # not due yet
    campaign = await manage.cancel(manager, campaign.id)
    assert campaign.status is CampaignStatus.CANCELLED
    with pytest.raises(Conflict):
        await manage.cancel(manager, campaign.id)
    with pytest.raises(Conflict):
        await manage.schedule(manager, campaign.id)
    actions = await ConfigChange.filter(entity="campaign").values_list("action", flat=True)
    assert actions == ["create", "update", "update", "update"]


async def test_a_started_campaign_cannot_change(manager) -> None:
    await seed_members(3)
    campaign = await manage.create(manager, SPEC)
    campaign = await manage.schedule(manager, campaign.id)
    assert await sending.start_due() == 1
    with pytest.raises(Conflict):
        await manage.update(manager, campaign.id, SPEC)
    with pytest.raises(Conflict) as stale:
        await manage.cancel(manager, campaign.id, expected_version=campaign.version)
    assert stale.value.code is ErrorCode.VERSION_CONFLICT  # starting it made a new version


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"name": " "}, "name"),
        ({"title": ""}, "title"),
        ({"body": "x" * 1001}, "body"),
        ({"body": "Hello {phone}"}, "body"),
        ({"title": "Hello {name!r}"}, "title"),
        ({"title": "Hello {"}, "title"),
        ({"holdout_percent": 51}, "holdoutPercent"),
        ({"holdout_percent": -1}, "holdoutPercent"),
        ({"voucher_days": 0}, "voucherDays"),
        ({"coupon_id": 999}, "couponId"),
        ({"offer_id": 999}, "offerId"),
        ({"segment": {"max_visits": -2}}, "segment.maxVisits"),
    ],
)
async def test_bad_campaigns_are_refused_and_change_nothing(manager, change, field) -> None:
    draft = await manage.create(manager, SPEC)
    for attempt in (
        manage.create(manager, replace(SPEC, **change)),
        manage.update(manager, draft.id, replace(SPEC, **change)),
    ):
        with pytest.raises(InvalidInput) as refused:
            await attempt
        assert refused.value.field == field
    assert await Campaign.all().count() == 1
    assert (await Campaign.get(id=draft.id)).version == 1


async def test_an_offer_is_a_discount_rule_and_a_coupon_an_active_one(manager) -> None:
    points = await rules.create(
        manager,
        RuleSpec(
            name="Double points",
            kind=RuleKind.POINTS_PER_AMOUNT,
            params={"points": 2, "per_amount": 10_000},
        ),
    )
    with pytest.raises(InvalidInput) as refused:
        await manage.create(manager, replace(SPEC, offer_id=points.id))
    assert refused.value.field == "offerId"
    withdrawn = await coupons.create(
        manager, CouponSpec("Old", Benefit(BenefitKind.AMOUNT_OFF, amount=10_000), active=False)
    )
    with pytest.raises(InvalidInput):
        await manage.create(manager, replace(SPEC, coupon_id=withdrawn.id))


async def test_schedule_needs_a_moment_to_come(manager) -> None:
    campaign = await manage.create(manager, SPEC)
    with pytest.raises(InvalidInput) as refused:
        await manage.schedule(manager, campaign.id, datetime.now(UTC) - timedelta(hours=1))
    assert refused.value.field == "scheduledAt"
    with pytest.raises(InvalidInput):
        await manage.schedule(manager, campaign.id, datetime(2030, 1, 1))


async def test_only_managers_write_campaigns(manager) -> None:
    cashier = await factories.staff_actor()
    with pytest.raises(PermissionDenied):
        await manage.create(cashier, SPEC)
    campaign = await manage.create(manager, SPEC)
    for attempt in (
        manage.schedule(cashier, campaign.id),
        manage.cancel(cashier, campaign.id),
        manage.get(cashier, campaign.id),
    ):
        with pytest.raises(PermissionDenied):
            await attempt


@pytest.mark.parametrize("audience", [0, 1, 7, 99, 1_001, 10_000])
@pytest.mark.parametrize("percent", [0, 1, 10, 33, 50])
def test_the_holdout_is_the_share_asked_for(audience: int, percent: int) -> None:
    members = range(5, 5 + audience)
    held = holdout.draw(members, percent, "seed")
    assert abs(len(held) - audience * percent / 100) <= 0.5
    assert held <= set(members)


def test_the_same_seed_draws_the_same_holdout() -> None:
    members = list(range(1, 2_001))
    first = holdout.draw(members, 10, "a1b2")
    assert holdout.draw(members[::-1], 10, "a1b2") == first
    assert holdout.draw(members, 10, "c3d4") != first
