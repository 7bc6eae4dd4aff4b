"""Segments: each filter, evaluated in SQL on the members and their standings, and the count
a manager previews; bad definitions are refused with the culprit named."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from loyalty.campaigns import manage, segments
from loyalty.errors import InvalidInput, PermissionDenied
from loyalty.models import Gender, Member, MemberStanding, Tier
from tests import factories

NOW = datetime.now(UTC)
TODAY = segments.clock.local_date(NOW)


async def member(name: str, standing: dict[str, Any] | None = None, **profile: Any) -> Member:
    branch_id = profile.pop("enrolled_branch_id", None)
    profile.setdefault("profiling_consent", True)
    found = await factories.member(name, marketing_consent=True, **profile)
    if branch_id is not None:
        await Member.filter(id=found.id).update(enrolled_branch_id=branch_id)
    if standing:
        await MemberStanding.filter(member_id=found.id).update(**standing)
    return found


async def chosen(**segment: Any) -> set[str]:
    parsed = segments.parse(segment)
    names = set()
    async for batch in segments.member_ids(parsed, NOW, batch=2):
        names |= set(await Member.filter(id__in=batch).values_list("first_name", flat=True))
    assert len(names) == await segments.count(parsed, NOW)
    return names


def years_ago(years: int) -> date:
    """Today's date `years` ago (28 February for a 29th): a birthday making that age today."""
    try:
        return TODAY.replace(year=TODAY.year - years)
    except ValueError:
        return TODAY.replace(year=TODAY.year - years, day=28)


async def test_each_filter_picks_its_members() -> None:
    gold = await Tier.create(name="Gold", rank=1, threshold=1000)
    shop = await factories.branch()
    await member("Sara", {"tier_id": gold.id, "visit_count": 12, "spend_total": 9_000_000,
                          "last_visit_at": NOW - timedelta(days=2)},
                 gender=Gender.FEMALE, city="Tehran", birthday=years_ago(30),
                 enrolled_branch_id=shop.id)  # fmt: skip
    await member("Reza", {"visit_count": 2, "spend_total": 400_000,
                          "last_visit_at": NOW - timedelta(days=70)},
                 gender=Gender.MALE, city="Isfahan", birthday=years_ago(18))  # fmt: skip
    await member("Nima", gender=Gender.MALE, city="Tehran")  # never visited, no birthday
    await factories.member("Mina")  # no marketing consent

    assert await chosen() == {"Sara", "Reza", "Nima"}
    assert await chosen(consenting_only=False) == {"Sara", "Reza", "Nima", "Mina"}
    assert await chosen(tier_ids=[gold.id]) == {"Sara"}
    assert await chosen(branch_ids=[shop.id]) == {"Sara"}
    assert await chosen(genders=["male"]) == {"Reza", "Nima"}
    assert await chosen(cities=["Tehran"]) == {"Sara", "Nima"}
    assert await chosen(min_age=18, max_age=29) == {"Reza"}
    assert await chosen(min_age=30) == {"Sara"}
    assert await chosen(max_age=17) == set()
    assert await chosen(min_spend=1_000_000) == {"Sara"}
    assert await chosen(max_spend=400_000) == {"Reza", "Nima"}
    assert await chosen(min_visits=1, max_visits=5) == {"Reza"}
    assert await chosen(max_visits=0) == {"Nima"}
    assert await chosen(min_days_since_last_visit=60) == {"Reza"}
    assert await chosen(max_days_since_last_visit=7) == {"Sara"}
    assert await chosen(genders=["male"], cities=["Tehran"]) == {"Nima"}


async def test_filters_on_behaviour_leave_out_members_who_refused_profiling() -> None:
    await member("Sara", {"visit_count": 3}, city="Tehran")
    await member("Reza", {"visit_count": 3}, city="Tehran", profiling_consent=False)
    assert await chosen(min_visits=1) == {"Sara"}
    assert await chosen(cities=["Tehran"]) == {"Sara", "Reza"}  # not behaviour: no profiling


async def test_the_preview_counts_for_managers_only() -> None:
    manager = await factories.manager()
    await member("Sara", city="Tehran")
    await member("Reza", city="Shiraz")
    assert await manage.audience_count(manager, {"cities": ["Shiraz"]}) == 1
    assert await manage.audience_count(manager, {}) == 2
    with pytest.raises(PermissionDenied):
        await manage.audience_count(await factories.staff_actor(), {})


@pytest.mark.parametrize(
    ("segment", "field"),
    [
        ({"min_age": 40, "max_age": 30}, "segment"),
        ({"min_age": -1}, "segment.minAge"),
        ({"genders": ["robot"]}, "segment.genders.0"),
        ({"cities": [""]}, "segment.cities.0"),
        ({"min_visits": "3"}, "segment.minVisits"),
        ({"favourite_colour": "blue"}, "segment.favouriteColour"),
        ({"tier_ids": [999]}, "segment.tierIds"),
        ({"branch_ids": [999]}, "segment.branchIds"),
    ],
)
async def test_bad_segments_name_the_culprit(segment: dict, field: str) -> None:
    manager = await factories.manager()
    with pytest.raises(InvalidInput) as refused:
        await manage.audience_count(manager, segment)
    assert refused.value.field == field
