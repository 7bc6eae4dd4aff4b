"""Every figure against values worked out by hand from the fixture club."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine

from loyalty.analysis import runs
from loyalty.models import MemberBehaviour
from tests.analysis.conftest import NOW, Club, day


async def figures_of(club: Club, name: str) -> MemberBehaviour:
    return await MemberBehaviour.get(member_id=club.members[name].id)


async def test_each_figure_of_a_member(club: Club) -> None:
    run = await runs.run_full(NOW)
    assert run.members == 4
    sara = await figures_of(club, "Sara")
    # Days 60, 57 (two purchases), 47 (00:15 local: day 48 in UTC), 20; day 4 was refunded.
    assert sara.visit_count == 4
    assert (sara.first_visit_on, sara.last_visit_on) == (day(60), day(20))
    assert sara.days_since_last_visit == 20
    assert sara.median_gap_days == 10  # gaps 3, 10, 27: the middle one
    assert sara.average_gap_days == pytest.approx(40 / 3)
    assert sara.expected_visit_on == day(10)
    # 1,000,000 + 2,000,000 + 500,000 + (800,000 − 300,000 refunded) + 1,200,000
    assert sara.spend_total == 5_200_000
    assert sara.spend_per_visit == 1_300_000
    # cake 2,400,000; coffee 2,300,000; tea 800,000 (the refunded purchase's tea is not)
    assert (sara.favourite_category, sara.second_category, sara.third_category) == (
        "cake",
        "coffee",
        "tea",
    )
    assert sara.favourite_branch_id == club.first.id  # three visit days against one
    # 1 point per 10,000 Rials: 100 + 200 + 50 + 80 − 30 (refund) + 120 + 100 − 100 (refund)
    assert sara.points_earned == 520
    assert sara.points_spent == 120
    # Lots of days 60, 57 and 47 (100 + 250 + 50) are past their month, less the 120 spent.
    assert sara.points_expired == 280
    # 200,000 and 100,000 paid with credit (a refund gives Rials back, not credit); a 50,000
    # spend reversed counts nothing. Top-ups are not credit earned.
    assert (sara.credit_used, sara.credit_earned) == (300_000, 0)
    assert sara.computed_on == day(0)


async def test_median_of_an_even_number_of_gaps(club: Club) -> None:
    await runs.run_full(NOW)
    reza = await figures_of(club, "Reza")
    assert reza.visit_count == 5
    assert reza.median_gap_days == 4  # gaps 2, 6, 12, 1: (2 + 6) / 2
    assert reza.average_gap_days == pytest.approx(21 / 4)
    assert reza.expected_visit_on == day(5)
    assert reza.favourite_branch_id == club.second.id
    assert reza.favourite_category is None  # no line items


async def test_a_member_who_never_visited_has_empty_figures(club: Club) -> None:
    await runs.run_full(NOW)
    mina = await figures_of(club, "Mina")
    assert mina.visit_count == 0
    assert mina.last_visit_on is None and mina.median_gap_days is None
    assert mina.spend_total == 0 and mina.spend_per_visit == 0
    assert mina.rfm_segment is None


def _minutes_on(minutes: int) -> time_machine.travel:
    """The clock `minutes` after the fixture's purchases were recorded: beyond the runs'
    margin, so an incremental run recomputes only what the test records."""
    return time_machine.travel(NOW + timedelta(minutes=minutes), tick=False)


async def test_the_incremental_run_recomputes_members_who_bought_since(club: Club) -> None:
    with _minutes_on(10):
        await runs.run_full(NOW)
    with _minutes_on(11):
        await club.buy("Reza", NOW, 400_000, ("tea", 400_000))
    with _minutes_on(12):
        run = await runs.run_incremental(NOW)
    assert run.members == 1
    reza = await figures_of(club, "Reza")
    assert (reza.visit_count, reza.spend_total, reza.favourite_category) == (6, 900_000, "tea")
    assert reza.last_visit_on == day(0)
    # Others are left as they were.
    assert (await figures_of(club, "Sara")).visit_count == 4


async def test_a_purchase_open_when_the_last_run_began_is_in_the_next(club: Club) -> None:
    with _minutes_on(10):
        await runs.run_full(NOW)
    # Recorded a minute before that run began, committed after it read the purchases.
    with _minutes_on(9):
        await club.buy("Reza", NOW, 400_000, ("tea", 400_000))
    with _minutes_on(12):
        assert (await runs.run_incremental(NOW)).members == 1
    assert (await figures_of(club, "Reza")).visit_count == 6


async def test_a_second_full_run_gives_the_same_figures(club: Club) -> None:
    await runs.run_full(NOW)
    first = await MemberBehaviour.all().order_by("member_id").values()
    await runs.run_full(NOW)
    second = await MemberBehaviour.all().order_by("member_id").values()
    strip = {"computed_at", "id"}
    assert [{k: v for k, v in r.items() if k not in strip} for r in first] == [
        {k: v for k, v in r.items() if k not in strip} for r in second
    ]
