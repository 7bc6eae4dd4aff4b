"""The members and the points-and-credit reports against the fixture's figures, and the
liability against the ledger's own balances."""

from __future__ import annotations

import time_machine

from loyalty import wallet
from loyalty.actors import SYSTEM
from loyalty.ledger import Purse
from loyalty.models import Account, Unit
from loyalty.programme import policies
from loyalty.reports import Period, scope_for
from loyalty.reports.members import members
from loyalty.reports.points import points_and_credit
from tests import factories as f
from tests.reports.conftest import NOW, PERIOD, Club


async def test_enrolments_active_members_and_tiers(club: Club) -> None:
    report = await members(club.manager, await scope_for(club.manager, PERIOD))
    # Sara enrolled in the period; Sara and Reza bought in it; both were members at its end.
    assert report.summary.new_members == 1
    assert report.summary.active_members == 2
    assert report.summary.members_at_end == 2
    assert {r.label: r.new_members for r in report.enrolments_by_day} == {
        "1404-09-30": 1, "1404-10-01": 0, "1404-10-02": 0,
    }  # fmt: skip
    assert sum(r.members for r in report.tiers_now) == 2
    isfahan = await members(club.manager, await scope_for(club.manager, PERIOD, "ISF"))
    assert (isfahan.summary.new_members, isfahan.summary.active_members) == (0, 1)


async def _member_balances(unit: Unit) -> int:
    return sum(a.balance for a in await Account.filter(member_id__isnull=False, unit=unit))


async def test_movements_and_liability_equal_the_ledger(club: Club) -> None:
    await policies.save(club.manager, "liability", {"point_value": 500})
    with time_machine.travel(NOW, tick=True):
        await f.give(club.sara, Purse.CREDIT, 70_000)
        await wallet.adjust(SYSTEM, member_id=club.reza, purse=Purse.POINTS, delta=7,
                            reason="goodwill", idempotency_key=f.key())  # fmt: skip
    # The fixture's purchases were recorded at NOW: the ledger's period holds them.
    today = Period.written("1404-10-20", "1404-10-20")
    report = await points_and_credit(club.manager, await scope_for(club.manager, today))
    moved = {m.movement.split(" / ")[0]: m.amount for m in report.movements}
    points, credit = await _member_balances(Unit.POINTS), await _member_balances(Unit.RIAL)
    # Earned 10 + 20 + 8 points (1 a 10,000 Rials); the refund of 30k of 80k took 3 back.
    assert moved["points issued"] == 35
    assert moved["points adjusted"] == 7
    assert moved["credit topped up"] == 70_000
    liability = report.liability
    assert (liability.points_outstanding, liability.credit_outstanding) == (points, credit)
    assert points == 42
    assert liability.point_value == 500
    assert liability.liability == 42 * 500 + 70_000
    # At the end of an earlier period nothing was held yet.
    before = await points_and_credit(club.manager, await scope_for(club.manager, PERIOD))
    assert (before.liability.points_outstanding, before.liability.credit_outstanding) == (0, 0)
    assert all(m.amount == 0 for m in before.movements)
