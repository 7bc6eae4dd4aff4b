"""An operator's own figures and the supervisors' view, against figures worked out by hand."""

from __future__ import annotations

from datetime import timedelta

import pytest

from loyalty import clock
from loyalty.errors import DomainError, ErrorCode
from loyalty.happycalls import queue, stats
from loyalty.models import HappyCallOutcome
from loyalty.surveys.answers import Given
from tests import factories as f
from tests.happycalls.conftest import BASE, Club, claim, record

DAY = clock.local_date(BASE)


def answers(nps: int, again: bool, staff: int) -> list[Given]:
    return [Given("nps", rating=nps), Given("again", yes=again), Given("staff", choice=staff)]


@pytest.fixture
async def worked(club: Club) -> Club:
    """Ali: completed (9, yes, Kind), no answer, completed (6, no, Fine) at Tehran.
    Mina: completed (3, yes, Rude) at Isfahan."""
    await club.rule("sample", sample_percent=100)
    nima, leila = await f.member("Nima"), await f.member("Leila")
    for member, branch in (
        (club.sara, club.tehran),
        (club.reza, club.tehran),
        (nima.id, club.tehran),
        (leila.id, club.isfahan),
    ):
        await club.buy(member, branch=branch)
    await queue.fill(BASE)
    plan = [
        (club.ali, HappyCallOutcome.COMPLETED, answers(9, True, 2)),
        (club.ali, HappyCallOutcome.NO_ANSWER, []),
        (club.ali, HappyCallOutcome.COMPLETED, answers(6, False, 1)),
        (club.mina, HappyCallOutcome.COMPLETED, answers(3, True, 0)),
    ]
    for n, (operator, outcome, given) in enumerate(plan):
        at = BASE + timedelta(minutes=n)
        call = await claim(operator, at)
        assert call is not None
        await record(operator, call, outcome, at=at, answers=given)
    return club


async def test_an_operators_own_day(worked: Club) -> None:
    ali = await stats.my_day(worked.ali, DAY)
    assert (ali.day, ali.figures.calls, ali.figures.completed) == (DAY, 3, 2)
    assert ali.figures.completion_rate == 0.6667
    assert ali.figures.average_satisfaction == 7.5  # (9 + 6) / 2
    mina = await stats.my_day(worked.mina, DAY)
    assert (mina.figures.calls, mina.figures.completion_rate) == (1, 1.0)
    assert mina.figures.average_satisfaction == 3.0
    quiet = await stats.my_day(worked.ali, DAY - timedelta(days=1))
    assert (quiet.figures.calls, quiet.figures.average_satisfaction) == (0, None)
    assert quiet.figures.completion_rate == 0.0
    nobody = await stats.my_day(worked.supervisor, DAY)
    assert nobody.figures.calls == 0


async def test_the_supervisors_view(worked: Club) -> None:
    seen = await stats.supervision(worked.supervisor, DAY, DAY, at=BASE + timedelta(minutes=5))
    assert (seen.queue_size, seen.claimed_now, seen.overdue, seen.expired) == (1, 0, 0, 0)
    assert [(u.id, f.calls, f.completed, f.average_satisfaction) for u, f in seen.operators] == [
        (worked.ali.id, 3, 2, 7.5),
        (worked.mina.id, 1, 1, 3.0),
    ]
    figures = [(q.branch_id, q.question.code, q.answers, q.average) for q in seen.questions]
    assert figures == [
        # Tehran: ratings 9 and 6; yes (10) and no (0); Kind (100 of 100: 10) and Fine (5).
        (worked.tehran, "nps", 2, 7.5),
        (worked.tehran, "again", 2, 5.0),
        (worked.tehran, "staff", 2, 7.5),
        (worked.isfahan, "nps", 1, 3.0),
        (worked.isfahan, "again", 1, 10.0),
        (worked.isfahan, "staff", 1, 0.0),
    ]


async def test_the_supervisors_view_of_one_branch_and_other_days(worked: Club) -> None:
    seen = await stats.supervision(worked.boss, DAY, DAY, branch_id=worked.isfahan)
    assert [u.id for u, _ in seen.operators] == [worked.mina.id]
    assert {q.branch_id for q in seen.questions} == {worked.isfahan}
    assert seen.queue_size == 0
    before = await stats.supervision(worked.boss, DAY - timedelta(days=7), DAY - timedelta(days=1))
    assert (before.operators, before.questions) == ([], [])


async def test_live_figures_count_claims_and_overdue_calls(worked: Club) -> None:
    later = BASE + timedelta(hours=3)  # the unanswered call is due for a retry
    assert await claim(worked.mina, later) is not None
    seen = await stats.supervision(worked.supervisor, DAY, DAY, at=later)
    assert (seen.queue_size, seen.claimed_now, seen.overdue) == (0, 1, 0)
    past_due = BASE + timedelta(days=3)
    seen = await stats.supervision(worked.supervisor, DAY, DAY, at=past_due)
    assert (seen.claimed_now, seen.overdue) == (0, 1)
    await queue.fill(past_due)
    seen = await stats.supervision(worked.supervisor, DAY, DAY + timedelta(days=3), at=past_due)
    assert (seen.overdue, seen.expired) == (0, 1)


async def test_only_supervisors_and_managers_supervise(worked: Club) -> None:
    for actor in (worked.ali, worked.cashier):
        with pytest.raises(DomainError) as excinfo:
            await stats.supervision(actor, DAY, DAY)
        assert excinfo.value.code is ErrorCode.PERMISSION_DENIED
    with pytest.raises(DomainError) as excinfo:
        await stats.my_day(worked.cashier, DAY)
    assert excinfo.value.code is ErrorCode.PERMISSION_DENIED
    for first, last in ((DAY, DAY - timedelta(days=1)), (DAY - timedelta(days=400), DAY)):
        with pytest.raises(DomainError) as excinfo:
            await stats.supervision(worked.boss, first, last)
        assert excinfo.value.field == "to"  # type: ignore[attr-defined]
    with pytest.raises(DomainError) as excinfo:
        await stats.supervision(worked.boss, DAY, DAY, branch_id=999)
    assert excinfo.value.code is ErrorCode.NOT_FOUND
