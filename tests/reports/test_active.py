"""Members who bought in a period, from the `ActiveDay` roll-up, against the purchases counted
here in Python: for every period over two weeks, for the club and each branch, after a first
fill and after purchases recorded late (before a member's later days, which changes those)."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta

import time_machine

from loyalty import purchases
from loyalty.models import Purchase
from loyalty.reports import active, rollups
from loyalty.reports.period import Period, local
from loyalty.reports.scope import Scope
from tests import factories as f
from tests.reports.conftest import NOW, Club

FIRST = date(2025, 12, 16)  # 1404-09-25
DAYS = 14


async def _buy(club: Club, member: int | None, branch_id: int, at: datetime) -> None:
    with time_machine.travel(NOW, tick=True):
        await purchases.record(
            club.cashier,
            branch_id=branch_id,
            amount=10_000,
            receipt_number=f.key(),
            idempotency_key=f.key(),
            member_id=member,
            occurred_at=at,
        )


async def _more_visits(club: Club) -> list[int]:
    """Three more members and 40 purchases over the two weeks, some by walk-ins."""
    buyers = [club.sara, club.reza] + [(await f.member()).id for _ in range(3)]
    draw = random.Random(8)
    start = datetime.combine(FIRST, datetime.min.time(), UTC)
    for _ in range(40):
        at = start + timedelta(minutes=draw.randrange(DAYS * 24 * 60))
        branch = draw.choice([club.tehran, club.isfahan])
        await _buy(club, draw.choice([*buyers, None]), branch.id, at)
    return buyers


async def _bought(first: date, last: date, branch_id: int | None) -> int:
    return len(
        {
            p.member_id  # type: ignore[attr-defined]
            for p in await Purchase.exclude(member_id=None)
            if first <= local(p.occurred_at).date() <= last and branch_id in (None, p.branch_id)  # type: ignore[attr-defined]
        }
    )


async def _check_every_period(club: Club) -> int:
    days = [FIRST + timedelta(days=n) for n in range(DAYS)]
    checked = 0
    for branch in (None, club.tehran, club.isfahan):
        for n, first in enumerate(days):
            for last in days[n:]:
                scope = Scope(Period(first, last), branch)
                expected = await _bought(first, last, branch.id if branch else None)
                assert await active.members_who_bought(scope) == expected, (first, last, branch)
                checked += expected > 0
    return checked


async def test_every_period_counts_each_buyer_once(club: Club) -> None:
    await _more_visits(club)
    assert (await rollups.refresh()).full
    assert await _check_every_period(club) > 300  # periods with buyers, not only empty ones


async def test_purchases_recorded_late_change_the_members_later_days(club: Club) -> None:
    buyers = await _more_visits(club)
    await rollups.refresh()
    # Before every purchase of the period, at either branch: each member's next day there
    # now has a day before it inside the period.
    start = datetime.combine(FIRST, datetime.min.time(), UTC)
    for member in buyers:
        for branch in (club.tehran, club.isfahan):
            await _buy(club, member, branch.id, start + timedelta(hours=1))
    run = await rollups.refresh()
    assert not run.full
    assert await _check_every_period(club) > 300
