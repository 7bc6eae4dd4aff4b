"""The analysis runs the scheduled jobs call.

The full run (nightly) recomputes every member, scores them and takes the RFM snapshot of the
club's day. The incremental run (often) recomputes only members with purchases or ledger
entries since the last run began (less `clock.COMMIT_LAG`), then rescores everyone (one sort per
score); it takes no snapshot. Each run is one database transaction: readers see the last run's
figures until the new ones are all written.
"""

from __future__ import annotations

from datetime import UTC, datetime

from tortoise.transactions import in_transaction

from loyalty import clock
from loyalty.analysis import figures, rfm
from loyalty.models import AnalysisRun, AnalysisRunKind


async def run_full(at: datetime | None = None) -> AnalysisRun:
    started = datetime.now(UTC)  # what the next incremental run looks back to
    at = (at or started).astimezone(UTC)
    async with in_transaction():
        members = await figures.refresh(at)
        await rfm.score()
        await rfm.snapshot(clock.local_date(at))
        return await AnalysisRun.create(
            kind=AnalysisRunKind.FULL,
            started_at=started,
            finished_at=datetime.now(UTC),
            members=members,
        )


async def run_incremental(at: datetime | None = None) -> AnalysisRun:
    """Members changed since the last run began; a full run when there was none. `at`: the
    moment the figures are as of (days since the last visit), now by default."""
    started = datetime.now(UTC)
    at = (at or started).astimezone(UTC)
    last = await AnalysisRun.all().order_by("-started_at").first()
    if last is None:
        return await run_full(at)
    async with in_transaction():
        since = last.started_at - clock.COMMIT_LAG
        members = await figures.refresh(at, figures.Scope(since=since))
        await rfm.score()
        return await AnalysisRun.create(
            kind=AnalysisRunKind.INCREMENTAL,
            started_at=started,
            finished_at=datetime.now(UTC),
            members=members,
        )
