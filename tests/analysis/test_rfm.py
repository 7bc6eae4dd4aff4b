"""RFM scores by quintiles with ties, the segment grid, churn risk, profiling consent, and the
segments' sizes and movement between runs."""

from __future__ import annotations

from datetime import timedelta

import pytest

from loyalty.analysis import reads, rfm, runs
from loyalty.errors import InvalidInput, PermissionDenied
from loyalty.models import MemberBehaviour, RfmSegment
from loyalty.programme import policies
from loyalty.reports import Period, scope_for
from loyalty.reports.members import members
from tests import factories
from tests.analysis.conftest import NOW, TODAY, Club, day

S = RfmSegment


def test_the_segment_grid() -> None:
    assert rfm.segment_of(5, 5, 5) is S.CHAMPIONS
    assert rfm.segment_of(5, 1, 1) is S.NEW
    assert rfm.segment_of(4, 1, 1) is S.PROMISING
    assert rfm.segment_of(4, 5, 4) is S.LOYAL  # FM 4.5 rounds half up to 5
    assert rfm.segment_of(3, 2, 3) is S.NEED_ATTENTION  # FM 2.5: 3
    assert rfm.segment_of(3, 1, 2) is S.ABOUT_TO_SLEEP
    assert rfm.segment_of(2, 4, 4) is S.AT_RISK
    assert rfm.segment_of(1, 5, 5) is S.CANT_LOSE
    assert rfm.segment_of(2, 1, 2) is S.HIBERNATING
    assert rfm.segment_of(1, 1, 1) is S.LOST
    every = {rfm.segment_of(r, f, m) for r in range(1, 6) for f in range(1, 6) for m in range(1, 6)}
    assert every == set(RfmSegment)


async def test_quintiles_give_tied_members_one_score() -> None:
    rows = []
    for n in range(10):
        member = await factories.member(f"M{n}", profiling_consent=True)
        rows.append(
            await MemberBehaviour.create(
                member_id=member.id,
                visit_count=[1, 1, 1, 1, 1, 1, 2, 3, 4, 5][n],
                last_visit_on=day(10 - n),  # M9 came last
                days_since_last_visit=10 - n,
                spend_total=(n + 1) * 100,
                computed_on=TODAY,
                computed_at=NOW,
            )
        )
    await rfm.score()
    scored = await MemberBehaviour.all().order_by("id")
    assert [b.recency_score for b in scored] == [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]
    # Six members visited once: all score 1 (rank 1), whatever NTILE would split them into.
    assert [b.frequency_score for b in scored] == [1, 1, 1, 1, 1, 1, 4, 4, 5, 5]
    assert [b.monetary_score for b in scored] == [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]
    for b in scored:
        assert b.rfm_segment is rfm.segment_of(b.recency_score, b.frequency_score, b.monetary_score)
    assert scored[-1].rfm_segment is S.CHAMPIONS and scored[0].rfm_segment is S.LOST


async def test_scores_and_churn_risk_of_the_fixture_club(club: Club) -> None:
    await runs.run_full()
    by_name = {
        name: await MemberBehaviour.get(member_id=member.id)
        for name, member in club.members.items()
    }
    sara, reza, nima, mina = (by_name[n] for n in ("Sara", "Reza", "Nima", "Mina"))
    # Two members scored (Nima has no profiling consent, Mina never came): ranks 1 and 2 of 2.
    assert (sara.recency_score, sara.frequency_score, sara.monetary_score) == (1, 1, 3)
    assert (reza.recency_score, reza.frequency_score, reza.monetary_score) == (3, 3, 1)
    assert (sara.rfm_segment, reza.rfm_segment) == (S.LOST, S.ABOUT_TO_SLEEP)
    # Churn: Reza's 9 days are more than 2 × his median 4; Sara's 20 are not more than 2 × 10.
    assert (reza.churn_risk, sara.churn_risk) == (True, False)
    # Nima keeps his figures but gets no scores, segment or flag.
    assert nima.visit_count == 2
    assert (nima.recency_score, nima.rfm_segment, nima.churn_risk) == (None, None, False)
    assert mina.rfm_segment is None

    manager = club.manager
    await policies.save(manager, "analysis", {"churn_gap_multiple": 1.5, "churn_min_visits": 5})
    await rfm.score()
    # Sara now at risk by the gap (20 > 15) but has 4 visits: fewer than 5, no usual gap yet.
    assert not (await MemberBehaviour.get(id=sara.id)).churn_risk
    await policies.save(manager, "analysis", {"churn_gap_multiple": 1.5, "churn_min_visits": 4})
    await rfm.score()
    assert (await MemberBehaviour.get(id=sara.id)).churn_risk


async def test_withdrawn_consent_takes_a_member_out_of_rfm(club: Club) -> None:
    await runs.run_full()
    await (
        club.members["Reza"]
        .__class__.filter(id=club.members["Reza"].id)
        .update(profiling_consent=False)
    )
    await runs.run_full()
    reza = await MemberBehaviour.get(member_id=club.members["Reza"].id)
    assert (reza.rfm_segment, reza.recency_score, reza.churn_risk) == (None, None, False)
    assert reza.visit_count == 5  # the figures stay, for ordinary rewards


async def test_segment_sizes_and_movement_between_runs(club: Club) -> None:
    await runs.run_full(NOW)
    # Sara comes back today: she is now the more recent; both have five visits.
    await club.buy("Sara", NOW, 100_000)
    tomorrow = NOW + timedelta(days=1)
    await runs.run_full(tomorrow)
    manager = club.manager
    sizes = await reads.segment_sizes(manager, day(1), day(-1))
    assert [s.run_on for s in sizes] == [day(0), day(-1)]
    for run in sizes:
        assert {k: v for k, v in run.sizes.items() if v} == {S.LOST: 1, S.ABOUT_TO_SLEEP: 1}
    moved = await reads.segment_movement(manager, day(0), day(-1))
    assert {(m.source, m.target, m.members) for m in moved} == {
        (S.LOST, S.ABOUT_TO_SLEEP, 1),  # Sara
        (S.ABOUT_TO_SLEEP, S.LOST, 1),  # Reza
    }
    # Before any run nobody was scored.
    moved = await reads.segment_movement(manager, day(5), day(0))
    assert {(m.source, m.target, m.members) for m in moved} == {
        (None, S.LOST, 1),
        (None, S.ABOUT_TO_SLEEP, 1),
    }
    # A date between runs has the segments of the run before it.
    assert await reads.segment_movement(manager, day(0), day(0)) == [
        rfm.Movement(S.ABOUT_TO_SLEEP, S.ABOUT_TO_SLEEP, 1),
        rfm.Movement(S.LOST, S.LOST, 1),
    ]


async def test_bad_periods_and_strangers_are_refused(club: Club) -> None:
    with pytest.raises(InvalidInput) as error:
        await reads.segment_movement(club.manager, day(0), day(3))
    assert error.value.field == "fromDate"
    with pytest.raises(InvalidInput):
        await reads.segment_sizes(club.manager, day(0), day(2000))
    with pytest.raises(PermissionDenied):
        await reads.segment_sizes(club.cashier, day(3), day(0))
    with pytest.raises(PermissionDenied):
        await reads.behaviour(club.cashier, club.members["Sara"].id)


async def test_the_members_report_shows_segment_sizes_and_moves(club: Club) -> None:
    await runs.run_full(NOW)
    await club.buy("Sara", NOW, 100_000)
    await runs.run_full(NOW + timedelta(days=1))
    manager = club.manager
    scope = await scope_for(manager, Period(day(1), day(-1)))
    tables = {t.key: t for t in (await members(manager, scope)).tables("en")}
    sizes = {row[0]: row[1:] for row in tables["rfm_segments"].rows}
    assert sizes["Lost"] == (1, 1, 0) and sizes["About to sleep"] == (1, 1, 0)
    assert sizes["Champions"] == (0, 0, 0)
    assert set(tables["rfm_movement"].rows) == {
        ("Lost", "About to sleep", 1),
        ("About to sleep", "Lost", 1),
    }
    # Before the first run there is nothing to show.
    early = await members(manager, await scope_for(manager, Period(day(9), day(8))))
    assert not [t for t in early.tables("en") if t.key.startswith("rfm_")]
