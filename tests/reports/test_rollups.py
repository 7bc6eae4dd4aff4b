"""The sales roll-ups against the purchases they sum, worked out here in Python from the raw
rows (and the ledger roll-up against the postings): after a first fill, after purchases and
refunds that land in other days than the day
they were recorded (backdated, across the club's midnight, refunds of old purchases), and
after a refresh that had nothing new."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime

import time_machine

from jobs import tasks
from loyalty import purchases, refunds
from loyalty.analysis.dialect import EPOCH
from loyalty.models import LedgerDay, Posting, Purchase, PurchaseItem, SalesHour, SalesItemDay
from loyalty.purchases import LineItem
from loyalty.reports import rollups
from loyalty.reports.period import local
from loyalty.reports.sales import sales
from loyalty.reports.scope import scope_for
from tests import factories as f
from tests.reports.conftest import NOW, PERIOD, Club


def _hour(moment: datetime) -> int:
    at = local(moment)
    return (at.date().toordinal() - EPOCH) * 24 + at.hour


async def _raw() -> tuple[dict, dict, dict]:
    hours: dict = defaultdict(lambda: [0, 0, 0, 0])
    for p in await Purchase.all():
        sums = hours[(_hour(p.occurred_at), p.branch_id, p.member_id is not None)]  # type: ignore[attr-defined]
        for n, value in enumerate((1, p.amount, p.refunded_amount, p.discount)):
            sums[n] += value
    items: dict = {}
    for i in await PurchaseItem.all().select_related("purchase"):
        p = i.purchase
        key = (_hour(p.occurred_at) // 24, p.branch_id, i.category, i.sku)
        name, quantity, revenue = items.get(key, ("", 0, 0))
        share = i.amount * p.refunded_amount // p.amount
        items[key] = (max(name, i.name), quantity + i.quantity, revenue + i.amount - share)
    postings: dict = defaultdict(int)
    for po in await Posting.filter(account__member_id=None).select_related(
        "account", "transaction"
    ):
        t = po.transaction
        postings[(_hour(t.created_at) // 24, t.branch_id, po.account.code)] += po.amount
    return dict(hours), items, {k: v for k, v in postings.items() if v}


async def _rolled() -> tuple[dict, dict, dict]:
    hours = {
        (h.hour, h.branch_id, bool(h.is_member)): [h.purchases, h.amount, h.refunded, h.discount]
        for h in await SalesHour.all()
    }
    items = {
        (i.day, i.branch_id, i.category, i.sku): (i.name, i.quantity, i.revenue)
        for i in await SalesItemDay.all()
    }
    postings: dict = defaultdict(int)
    for d in await LedgerDay.all():
        postings[(d.day, d.branch_id, d.code)] += d.amount
    return hours, items, {k: v for k, v in postings.items() if v}


async def test_a_first_refresh_sums_every_purchase(club: Club) -> None:
    run = await rollups.refresh()
    # 1404-09-30 to 1404-10-20 (2026-01-10): the purchases' days to the refund's transaction.
    assert run.full and run.days == 21
    assert await _rolled() == await _raw()


async def test_late_purchases_and_refunds_rewrite_the_days_they_fall_in(club: Club) -> None:
    await rollups.refresh()
    before = await _rolled()
    with time_machine.travel(NOW, tick=True):  # recorded under a clock behind the last run's
        late = [
            # 23:59:59 and 00:00 in Tehran: either side of the club's midnight.
            (datetime(2025, 12, 22, 20, 29, 59, tzinfo=UTC), 70_000, "C2"),
            (datetime(2025, 12, 22, 20, 30, tzinfo=UTC), 30_000, "K1"),
        ]
        for at, amount, sku in late:
            await purchases.record(
                club.cashier,
                branch_id=club.tehran.id,
                amount=amount,
                receipt_number=f"late-{sku}",
                idempotency_key=f.key(),
                items=[LineItem(sku, amount, 1, "coffee", sku)],
                occurred_at=at,
            )
        # A refund now of a purchase made weeks before, on another day than any new purchase.
        await refunds.refund(
            club.cashier, purchase_id=club.purchases[0], idempotency_key=f.key(), amount=25_000
        )
    await purchases.record(  # today, by the real clock
        club.cashier,
        branch_id=club.isfahan.id,
        amount=90_000,
        receipt_number="today",
        idempotency_key=f.key(),
        member_id=club.sara,
        items=[LineItem("C1", 90_000, 3, "coffee", "Latte")],
    )

    run = await rollups.refresh()

    # Purchases' 1404-09-30, 10-01 and 10-02; the refund's transaction on 10-20; today.
    assert not run.full and run.days == 5
    assert await _rolled() == await _raw()
    assert await _rolled() != before


async def test_a_refresh_run_twice_changes_nothing(club: Club) -> None:
    await purchases.record(
        club.cashier,
        branch_id=club.tehran.id,
        amount=10_000,
        receipt_number="now",
        idempotency_key=f.key(),
        items=[LineItem("K1", 10_000, 1, "cake", "Cake")],
    )
    assert (await rollups.refresh()).full
    filled = await _rolled()
    # Today's purchase is within clock.COMMIT_LAG of the last run: its day is summed again,
    # the same.
    assert await tasks.refresh_report_rollups({}) == {"days": 1, "full": False}
    assert await _rolled() == filled == await _raw()


async def test_the_report_reads_a_refund_made_just_before(club: Club) -> None:
    scope = await scope_for(club.manager, PERIOD)
    assert (await sales(club.manager, scope)).buyers[2].revenue == 400_000
    await refunds.refund(club.cashier, purchase_id=club.purchases[1], idempotency_key=f.key())
    assert (await sales(club.manager, scope)).buyers[2].revenue == 200_000
