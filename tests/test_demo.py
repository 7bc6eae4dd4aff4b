"""The demo club (`loyalty demo`) loads through the services and leaves a whole ledger."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from loyalty import demo
from loyalty.models import (
    Branch,
    HappyCall,
    HappyCallStatus,
    JournalTransaction,
    LotteryEntry,
    Member,
    MemberBehaviour,
    Purchase,
    PurchaseItem,
    Reversal,
    Reward,
    StaffUser,
    StampProgress,
    TransactionKind,
)
from loyalty.reconcile import reconcile

PERSIAN = re.compile(r"[\u0600-\u06FF]")
ENGLISH = re.compile(r"[A-Za-z]+")


def test_the_plan_is_decided_by_the_seed() -> None:
    now = datetime(2025, 3, 1, 12, tzinfo=UTC)
    first = demo.plan(20, 7, now=now)
    assert first == demo.plan(20, 7, now=now)
    assert first != demo.plan(20, 8, now=now)
    assert all(now - timedelta(days=365) < v.occurred_at <= now for v in first.visits)
    receipts = [(v.branch_code, v.receipt_number) for v in first.visits]
    assert len(set(receipts)) == len(receipts)


def test_the_plan_does_not_depend_on_the_hour_it_is_made() -> None:
    night, evening = (datetime(2025, 3, 1, hour, tzinfo=UTC) for hour in (0, 20))
    baskets = [[v.items for v in demo.plan(20, 7, now=now).visits] for now in (night, evening)]
    assert baskets[0] == baskets[1]


async def test_a_small_demo_club_loads_and_reconciles() -> None:
    report = await demo.load(20, seed=3)

    assert not report.already_loaded
    assert report.branches == await Branch.all().count() == 2
    assert {b.code for b in await Branch.all()} == {b.code for b in demo.BRANCHES}
    assert len(report.staff) == await StaffUser.all().count() == len(demo.STAFF)
    assert all(login.created for login in report.staff)
    assert report.members == await Member.all().count() == 20
    assert report.purchases == await Purchase.all().count()
    assert report.purchases > 100
    assert report.member_purchases == await Purchase.filter(member_id__not_isnull=True).count()
    assert report.line_items == await PurchaseItem.all().count()
    assert report.refunds == await Reversal.filter(purchase_id__not_isnull=True).count() >= 1
    assert report.top_ups == await JournalTransaction.filter(kind=TransactionKind.TOP_UP).count()
    assert report.top_ups >= 1
    spends = await JournalTransaction.filter(kind=TransactionKind.SPEND).count()
    assert spends == report.credit_spends + report.point_redemptions >= 1

    names = await Member.all().values_list("first_name", "last_name", "phone")
    assert any(PERSIAN.search(first) and PERSIAN.search(last) for first, last, _ in names)
    assert any(ENGLISH.fullmatch(first) and ENGLISH.fullmatch(last) for first, last, _ in names)
    assert all(re.fullmatch(r"\+989\d{9}", phone) for _, _, phone in names)

    now = datetime.now(UTC)
    times = await Purchase.all().values_list("occurred_at", flat=True)
    assert all(now - timedelta(days=365) < t <= now for t in times)
    assert await PurchaseItem.filter(category="coffee", name="لاته").exists()

    # The app has something to show: a catalogue, a stamp card filled by coffees, a raffle.
    assert await Reward.all().count() == len(demo.DEMO_REWARDS)
    assert await StampProgress.filter(completed__gt=0).exists()
    assert await LotteryEntry.all().exists()
    # The call centre has work: calls queued by the happy-call rules, read out from a script.
    assert report.happy_calls == await HappyCall.filter(status=HappyCallStatus.QUEUED).count() >= 1
    # The managers' analysis has figures for everyone and segments for some.
    assert await MemberBehaviour.all().count() == 20
    assert await MemberBehaviour.filter(rfm_segment__not_isnull=True).exists()

    check = await reconcile()
    assert check.ok, (check.mismatches, check.unbalanced)

    again = await demo.load(20, seed=3)
    assert again.already_loaded
    assert await Purchase.all().count() == report.purchases
