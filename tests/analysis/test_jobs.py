"""The scheduled analysis jobs: nightly full run after expiry, hourly incremental one, both with
an arq timeout long enough for a big club."""

from __future__ import annotations

from datetime import UTC, datetime

import time_machine

from jobs import tasks
from jobs.schedule import SCHEDULE
from jobs.worker import worker_settings
from loyalty import clock
from loyalty.models import AnalysisRun, AnalysisRunKind, MemberBehaviour
from loyalty.settings import Settings
from tests.analysis.conftest import Club


async def test_the_jobs_run_full_then_incremental(club: Club) -> None:
    assert await tasks.refresh_member_analysis({}) == {"members": 4}  # no run yet: full
    with time_machine.travel(datetime.now(UTC) + clock.COMMIT_LAG * 2, tick=True):
        # The club's purchases were recorded within the margin before the last run began:
        # those members are done again (Mina has none); after that, no one.
        assert await tasks.refresh_member_analysis({}) == {"members": 3}
        assert await tasks.refresh_member_analysis({}) == {"members": 0}
    assert await tasks.analyse_members({}) == {"members": 4}
    kinds = await AnalysisRun.all().order_by("id").values_list("kind", flat=True)
    incremental = [AnalysisRunKind.INCREMENTAL] * 2
    assert kinds == [AnalysisRunKind.FULL, *incremental, AnalysisRunKind.FULL]
    assert await MemberBehaviour.all().count() == 4


def test_the_nightly_run_follows_expiry_and_has_time_for_a_big_club() -> None:
    by_name = {s.name: s for s in SCHEDULE}
    evening = datetime(2026, 3, 20, 20, 0, tzinfo=UTC)
    assert by_name["analyse_members"].next_after(evening) > by_name["expire_points"].next_after(
        evening
    )
    crons = {
        c.name: c
        for c in worker_settings(Settings(redis_url="redis://127.0.0.1:6379/15"))["cron_jobs"]
    }
    assert crons["analyse_members"].timeout_s == 30 * 60
    assert crons["refresh_member_analysis"].timeout_s == 15 * 60
    assert crons["expire_points"].timeout_s is None  # arq's default
