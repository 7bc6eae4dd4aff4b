"""The sales report against the figures of the fixture, worked out by hand."""

from __future__ import annotations

import pytest

from loyalty.errors import PermissionDenied
from loyalty.models import Role
from loyalty.reports import build, scope_for
from loyalty.reports.sales import SalesReport, sales
from tests import factories as f
from tests.reports.conftest import PERIOD, Club


async def _sales(club: Club, branch: str | None = None) -> SalesReport:
    return await sales(club.manager, await scope_for(club.manager, PERIOD, branch))


async def test_members_and_non_members_net_of_refunds(club: Club) -> None:
    report = await _sales(club)
    members, others, everyone = report.buyers
    assert (members.purchases, members.revenue) == (3, 350_000)  # 100k + 200k + (80k - 30k)
    assert (others.purchases, others.revenue) == (1, 50_000)
    assert (everyone.purchases, everyone.revenue) == (4, 400_000)
    assert members.revenue_share == 0.875
    assert everyone.average_purchase == 100_000


async def test_days_are_club_local_and_months_jalali(club: Club) -> None:
    report = await _sales(club)
    days = {r.label: (r.purchases, r.revenue, r.refunded) for r in report.by_day}
    # 23:30 on 30 Azar is 30 Azar; 00:10 on 1 Dey (still 30 Azar in UTC) is 1 Dey.
    assert days == {
        "1404-09-30": (1, 100_000, 0),
        "1404-10-01": (2, 250_000, 0),
        "1404-10-02": (1, 50_000, 30_000),
    }
    assert {r.label: r.revenue for r in report.by_month} == {
        "1404-09": 100_000,
        "1404-10": 300_000,
    }


async def test_by_branch_category_and_product(club: Club) -> None:
    report = await _sales(club)
    assert [(r.label, r.revenue) for r in report.by_branch] == [
        (club.tehran.name, 300_000),
        (club.isfahan.name, 100_000),
    ]
    # Espresso's line loses its share of the refund: 80k - 80k * 30k / 80k.
    assert [(r.category, r.quantity, r.revenue) for r in report.by_category] == [
        ("coffee", 8, 310_000),
        ("cake", 1, 40_000),
    ]
    assert [(r.sku, r.revenue) for r in report.by_product] == [
        ("C1", 260_000),
        ("C2", 50_000),
        ("K1", 40_000),
    ]


async def test_weekday_by_hour_starts_on_saturday(club: Club) -> None:
    report = await _sales(club)
    cells = report.by_weekday_hour
    assert len(cells) == 7 * 24
    assert cells[0].weekday == "شنبه"
    busy = {(c.weekday, c.hour): c.purchases for c in cells if c.purchases}
    assert busy == {("یکشنبه", 23): 1, ("دوشنبه", 0): 1, ("دوشنبه", 23): 1, ("سه‌شنبه", 10): 1}


async def test_a_branchs_report_holds_only_its_purchases(club: Club) -> None:
    report = await _sales(club, "ISF")
    assert [(r.buyers, r.purchases, r.revenue) for r in report.buyers][2][1:] == (2, 100_000)
    assert [r.label for r in report.by_branch] == [club.isfahan.name]


async def test_only_managers_read_reports(club: Club) -> None:
    with pytest.raises(PermissionDenied):
        await build(club.cashier, "sales", "1404-09-30", "1404-10-02")
    bound = await f.staff_actor(Role.MANAGER, branch_id=club.tehran.id)
    with pytest.raises(PermissionDenied):
        await build(bound, "sales", "1404-09-30", "1404-10-02", "ISF")
    own = await build(bound, "sales", "1404-09-30", "1404-10-02")
    assert own.scope.branch is not None and own.scope.branch.code == "TEH"
