"""Segments on the analysis' figures (only members with profiling consent), saved segments with
their audit trail, and a campaign sent to a saved segment."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from loyalty.analysis import runs, saved
from loyalty.analysis.saved import SegmentSpec
from loyalty.campaigns import manage, segments, sending
from loyalty.campaigns.manage import CampaignSpec
from loyalty.errors import Conflict, ErrorCode, InvalidInput, PermissionDenied
from loyalty.models import Campaign, CampaignRecipient, ConfigChange, Member
from loyalty.programme import policies
from tests.analysis.conftest import NOW, Club
from tests.campaigns.conftest import run_all


async def chosen(**segment: Any) -> set[str]:
    """The members' names, listed in batches; the preview's count agrees."""
    parsed = segments.parse(segment)
    names: set[str] = set()
    async for batch in segments.member_ids(parsed, NOW, batch=1):
        names |= set(await Member.filter(id__in=batch).values_list("first_name", flat=True))
    assert await segments.count(parsed, NOW) == len(names)
    return names


async def test_behaviour_filters_hold_only_members_with_profiling_consent(club: Club) -> None:
    await runs.run_full()
    assert await chosen(rfm_segments=["lost"]) == {"Sara"}
    assert await chosen(rfm_segments=["lost", "about_to_sleep"]) == {"Sara", "Reza"}
    assert await chosen(churn_risk=True) == {"Reza"}
    # Mina never came: not at risk. Nima is left out: no profiling consent.
    assert await chosen(churn_risk=False) == {"Sara", "Mina"}
    assert await chosen(min_recency_score=3, max_recency_score=5) == {"Reza"}
    assert await chosen(max_monetary_score=1) == {"Reza"}
    assert await chosen(min_frequency_score=2) == {"Reza"}
    assert await chosen(favourite_categories=["cake"]) == {"Sara"}
    assert await chosen(favourite_branch_ids=[club.first.id]) == {"Sara"}  # Nima's too
    assert await chosen(min_median_gap_days=5.0) == {"Sara"}
    assert await chosen(max_median_gap_days=4.5) == {"Reza"}
    # Visits are behaviour too: choosing by them needs profiling consent as well.
    assert await chosen(min_visits=2) == {"Sara", "Reza"}
    assert await chosen(cities=[], rfm_segments=["new"]) == set()


@pytest.mark.parametrize(
    ("segment", "field"),
    [
        ({"rfm_segments": ["sleepy"]}, "segment.rfmSegments.0"),
        ({"min_recency_score": 6}, "segment.minRecencyScore"),
        ({"min_monetary_score": 4, "max_monetary_score": 2}, "segment"),
        ({"churn_risk": "yes"}, "segment.churnRisk"),
        ({"favourite_categories": [""]}, "segment.favouriteCategories.0"),
    ],
)
def test_bad_behaviour_filters_are_refused(segment: dict, field: str) -> None:
    with pytest.raises(InvalidInput) as error:
        segments.parse(segment)
    assert error.value.field == field


async def test_saved_segments_are_versioned_audited_and_listed(club: Club) -> None:
    manager = club.manager
    at_risk = await saved.create(
        manager, SegmentSpec("At risk", {"churn_risk": True}, "come back offers")
    )
    assert (at_risk.version, at_risk.definition) == (1, {"churn_risk": True})
    with pytest.raises(Conflict):
        await saved.create(manager, SegmentSpec("At risk", {}))
    with pytest.raises(InvalidInput) as error:
        await saved.create(manager, SegmentSpec("Bad", {"favourite_branch_ids": [999]}))
    assert error.value.field == "segment.favouriteBranchIds"
    changed = await saved.update(
        manager,
        at_risk.id,
        SegmentSpec("At risk", {"churn_risk": True, "min_visits": 4}),
        expected_version=1,
    )
    assert changed.version == 2
    with pytest.raises(Conflict) as stale:
        await saved.update(manager, at_risk.id, SegmentSpec("At risk", {}), expected_version=1)
    assert stale.value.code is ErrorCode.VERSION_CONFLICT
    trail = await ConfigChange.filter(entity="segment").order_by("id")
    assert [(c.action, c.version) for c in trail] == [("create", 1), ("update", 2)]
    assert trail[1].snapshot["definition"] == {"churn_risk": True, "min_visits": 4}

    for n in range(3):
        await saved.create(manager, SegmentSpec(f"S{n}", {"cities": ["Tehran"]}))
    page = await saved.listed(manager, first=2)
    assert ([s.name for s in page.items], page.has_more) == (["S2", "S1"], True)
    page = await saved.listed(manager, first=2, before_id=page.items[-1].id)
    assert ([s.name for s in page.items], page.has_more) == (["S0", "At risk"], False)
    with pytest.raises(PermissionDenied):
        await saved.create(club.cashier, SegmentSpec("Mine", {}))


async def test_a_campaign_goes_to_its_saved_segment_as_it_is_when_it_starts(club: Club) -> None:
    manager = club.manager
    await policies.save(
        manager,
        "messaging",
        {"quiet_from": "00:00:00", "quiet_until": "00:00:00", "marketing_per_week": 50},
    )
    await runs.run_full()
    lapsing = await saved.create(manager, SegmentSpec("Lapsing", {"rfm_segments": ["lost"]}))
    spec = CampaignSpec(name="Back", title="{name}", body="بازگشت", saved_segment_id=lapsing.id)
    with pytest.raises(InvalidInput) as error:
        await manage.create(manager, replace(spec, segment={"cities": ["Tehran"]}))
    assert error.value.field == "savedSegmentId"
    with pytest.raises(InvalidInput):
        await manage.create(manager, replace(spec, saved_segment_id=999))
    campaign = await manage.create(manager, spec)
    await manage.schedule(manager, campaign.id)
    # Changed after the campaign was written: the campaign sends to it as it is now.
    await saved.update(manager, lapsing.id, SegmentSpec("Lapsing", {"churn_risk": True}))
    assert await sending.start_due() == 1
    await run_all()
    sent = await Campaign.get(id=campaign.id)
    assert sent.segment == {"churn_risk": True}
    recipients = await CampaignRecipient.filter(campaign_id=campaign.id).values_list(
        "member_id", flat=True
    )
    assert recipients == [club.members["Reza"].id]
    assert sent.audience == 1
