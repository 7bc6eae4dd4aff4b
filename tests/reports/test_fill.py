"""The roll-ups' full fill cut short and gone on with: from the day after the last batch that
was committed, never again from the start; with what was recorded meanwhile in it after; and a
report finding another caller's fill under way refused at once (REPORT_NOT_READY), changing
nothing, until that fill is done or left."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from jobs import tasks
from loyalty import purchases, refunds
from loyalty.errors import ReportNotReady
from loyalty.models import Role, RollupState
from loyalty.purchases import LineItem
from loyalty.reports import build, rollups
from tests import factories as f
from tests.api.conftest import Api, api  # noqa: F401 - the fixture
from tests.reports.conftest import NOW, Club
from tests.reports.test_active import _check_every_period, _more_visits
from tests.reports.test_api import REPORT
from tests.reports.test_rollups import _raw, _rolled


class Rewrites:
    """Records the days each batch rewrites; the batch `failing` (counted from 1) raises."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, failing: int | None = None) -> None:
        self.batches: list[tuple[int, int]] = []
        self.failing = failing
        self._rewrite = rollups._rewrite
        monkeypatch.setattr(rollups, "_rewrite", self)

    async def __call__(self, first: int, last: int) -> None:
        if len(self.batches) + 1 == self.failing:
            self.failing = None
            raise RuntimeError("the database went away")
        await self._rewrite(first, last)
        self.batches.append((first, last))

    def days(self) -> list[int]:
        return [day for first, last in self.batches for day in range(first, last + 1)]


async def _cut_short(monkeypatch: pytest.MonkeyPatch, after: int) -> tuple[Rewrites, RollupState]:
    """A fill whose batch after `after` fails."""
    rewrites = Rewrites(monkeypatch, failing=after + 1)
    with pytest.raises(RuntimeError):
        await rollups.refresh()
    assert len(rewrites.batches) == after
    return rewrites, await RollupState.get(name=rollups.NAME)


async def _state() -> tuple:
    state = await RollupState.get(name=rollups.NAME)
    return (state.zone, state.refreshed_at, state.purchase_id, state.reversal_id,
            state.transaction_id, state.fill_first, state.fill_last, state.filled_through,
            state.filled_at)  # fmt: skip


async def test_a_fill_cut_short_goes_on_from_the_next_day(
    club: Club, monkeypatch: pytest.MonkeyPatch
) -> None:
    await _more_visits(club)
    rewrites, state = await _cut_short(monkeypatch, after=2)
    assert state.fill_first is not None and state.fill_last is not None
    assert state.filled_through == state.fill_first + 2 * rollups.BATCH_DAYS - 1
    assert state.filled_at is None  # left off after an error: no one is at it

    run = await rollups.refresh()

    assert run.full and run.days == state.fill_last - state.filled_through
    assert rewrites.batches[2][0] == state.filled_through + 1
    assert rewrites.days() == list(range(state.fill_first, state.fill_last + 1))  # each once
    done = await RollupState.get(name=rollups.NAME)
    assert (done.fill_first, done.fill_last, done.filled_through) == (None, None, None)
    assert await _rolled() == await _raw()
    assert await _check_every_period(club) > 300


async def test_what_is_recorded_during_a_fill_is_in_after_it(
    club: Club, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, state = await _cut_short(monkeypatch, after=1)
    assert state.filled_through is not None and state.fill_last is not None
    with time_machine.travel(NOW, tick=True):
        # On a day the fill has done, and on one it has not yet come to.
        for n, at in enumerate([datetime(2025, 12, 21, 21, 0), datetime(2026, 1, 5, 9, 0)]):
            await purchases.record(
                club.cashier,
                branch_id=club.tehran.id,
                amount=40_000,
                receipt_number=f"meanwhile-{n}",
                idempotency_key=f.key(),
                member_id=club.reza,
                items=[LineItem("K1", 40_000, 1, "cake", "Cake")],
                occurred_at=at.replace(tzinfo=UTC),
            )
        await refunds.refund(
            club.cashier, purchase_id=club.purchases[0], idempotency_key=f.key(), amount=10_000
        )
    await purchases.record(  # today, after the fill's last day
        club.cashier,
        branch_id=club.isfahan.id,
        amount=20_000,
        receipt_number="today",
        idempotency_key=f.key(),
        member_id=club.sara,
    )

    run = await rollups.refresh()

    assert run.full
    assert await _rolled() == await _raw()
    assert not (await rollups.refresh()).full


async def test_a_report_during_anothers_fill_is_not_ready_and_changes_nothing(
    club: Club, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, state = await _cut_short(monkeypatch, after=2)
    # Someone else goes on with it: their last batch just now.
    await RollupState.filter(name=rollups.NAME).update(filled_at=datetime.now(UTC))
    before = (await _rolled(), await _state())
    days = state.fill_last - state.fill_first + 1  # type: ignore[operator]
    for name in ("sales", "members", "points"):
        with pytest.raises(ReportNotReady) as refused:
            await build(club.manager, name, "1404-09-30", "1404-10-02")
        assert refused.value.code == "REPORT_NOT_READY"
        assert refused.value.message.startswith(
            f"reports are being prepared: {2 * rollups.BATCH_DAYS} of {days} days"
        )
    assert await tasks.refresh_report_rollups({}) == {"days": 0, "full": True, "busy": True}
    assert (await _rolled(), await _state()) == before

    # Their process died: once its progress is old, the next report goes on with the fill.
    await RollupState.filter(name=rollups.NAME).update(
        filled_at=datetime.now(UTC) - rollups.STALE - timedelta(seconds=1)
    )
    built = await build(club.manager, "sales", "1404-09-30", "1404-10-02")
    assert built.result.buyers[2].revenue == 400_000  # type: ignore[attr-defined]
    assert await _rolled() == await _raw()


async def test_a_report_fills_for_its_budget_and_the_next_goes_on(
    club: Club, monkeypatch: pytest.MonkeyPatch
) -> None:
    await _more_visits(club)
    rewrites = Rewrites(monkeypatch)
    monkeypatch.setattr(rollups, "REPORT_BUDGET", timedelta(0))  # one batch a request
    refusals = []
    while True:
        try:
            built = await build(club.manager, "members", "1404-09-25", "1404-10-08")
        except ReportNotReady as error:
            refusals.append(error.message)
            state = await RollupState.get(name=rollups.NAME)
            assert state.filled_at is None  # left for whoever comes next, at once
            continue
        break
    done = await RollupState.get(name=rollups.NAME)
    span = len(rewrites.days())
    assert refusals[0].startswith(f"reports are being prepared: {rollups.BATCH_DAYS} of {span}")
    assert len(refusals) == -(-span // rollups.BATCH_DAYS) - 1  # each batch once, the last served
    assert rewrites.days() == sorted(set(rewrites.days()))
    assert done.fill_last is None
    assert built.result.summary.active_members == 5  # type: ignore[attr-defined]
    assert await _rolled() == await _raw()
    assert await _check_every_period(club) > 300


async def test_two_callers_at_once_fill_each_day_once(
    club: Club, monkeypatch: pytest.MonkeyPatch
) -> None:
    await _more_visits(club)
    rewrites = Rewrites(monkeypatch)
    report, job = await asyncio.gather(
        rollups.refresh(), tasks.refresh_report_rollups({}), return_exceptions=True
    )
    # One fills; the other finds it under way: the report is refused, the job leaves it.
    if isinstance(report, ReportNotReady):
        assert isinstance(job, dict) and job["full"] and "busy" not in job
    else:
        assert isinstance(report, rollups.RollupRun) and report.full
        assert job == {"days": 0, "full": True, "busy": True}
    assert len(rewrites.days()) == len(set(rewrites.days()))
    assert await _rolled() == await _raw()


async def test_over_graphql_the_report_is_not_ready(
    api: Api,  # noqa: F811
    club: Club,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    await _cut_short(monkeypatch, after=1)
    await RollupState.filter(name=rollups.NAME).update(filled_at=datetime.now(UTC))
    token = await api.staff_token(Role.MANAGER)
    variables = {"name": "sales", "from": "1404-09-30", "to": "1404-10-02"}
    refused = await api.post(REPORT, variables, token)
    [error] = refused["errors"]
    assert error["extensions"]["code"] == "REPORT_NOT_READY"
    assert error["message"].startswith(f"reports are being prepared: {rollups.BATCH_DAYS} of ")

    await RollupState.filter(name=rollups.NAME).update(filled_at=None)  # left off
    found = (await api.call(REPORT, variables, token))["report"]
    buyers = next(t for t in found["tables"] if t["key"] == "buyers")
    assert buyers["rows"][2][1:3] == ["4", "400000"]
