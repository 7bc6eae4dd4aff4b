"""Refunds take back what a purchase earned, in proportion; members see their own history."""

from __future__ import annotations

import re

import pytest

from loyalty import history, ledger, purchases, refunds, wallet
from loyalty.actors import Actor
from loyalty.errors import DomainError, ErrorCode
from loyalty.ledger import Balances, Purse
from loyalty.models import JournalTransaction, MemberStanding, Reversal, Role, TransactionKind
from loyalty.money import format_money, format_points
from loyalty.reconcile import reconcile
from tests import factories as f


async def _counter() -> tuple[int, Actor]:
    shop = await f.branch()
    return shop.id, await f.staff_actor(Role.CASHIER, shop.id)


async def _buy(cashier: Actor, shop_id: int, member_id: int, amount: int) -> int:
    result = await purchases.record(
        cashier,
        branch_id=shop_id,
        member_id=member_id,
        amount=amount,
        receipt_number=f.key()[:12],
        idempotency_key=f.key(),
    )
    return result.purchase.id


# -- refunds ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "slices"),
    [
        (1_234_567, [100_001, 333_333, 1, 9_999]),  # then the rest
        (999_999, [333_333, 333_333]),  # thirds of 99 points
        (70_000, [10_000] * 6),  # 7 points, a point a slice
        (10_000, []),  # one point, refunded whole
        (30_000, [1, 1, 1, 29_996]),  # slices too small to take a whole point
    ],
)
async def test_partial_refunds_take_back_the_floor_and_a_full_refund_all(
    amount: int, slices: list[int]
) -> None:
    shop_id, cashier = await _counter()
    sara = await f.member()
    await f.give(sara.id, Purse.CREDIT, 5_000)  # untouched by refunds
    purchase_id = await _buy(cashier, shop_id, sara.id, amount)
    earned = amount // 10_000
    assert (await ledger.balances(sara.id)).points == earned

    refunded = 0
    for part in [*slices, None]:
        result = await refunds.refund(
            cashier, purchase_id=purchase_id, amount=part, idempotency_key=f.key()
        )
        step = amount - refunded if part is None else part
        kept_before = earned - earned * refunded // amount
        refunded += step
        # What is kept is the floor of what the purchase still earns; never a fraction more.
        kept = earned - earned * refunded // amount
        assert result.balances == Balances(points=kept, credit=5_000)
        assert result.purchase.refunded_amount == refunded
        assert result.refund.amount == step
        taken = kept_before - kept
        if taken:
            [txn] = result.reversed
            assert txn.kind is TransactionKind.REVERSAL
            assert txn.reason == f"Refund of purchase: {format_points(taken)} taken back"
        else:
            assert result.reversed == []

    assert refunded == amount
    assert (await ledger.balances(sara.id)).points == 0
    assert (
        -await ledger.posted_total(
            account__member_id=sara.id, transaction__kind=TransactionKind.REVERSAL
        )
        == earned
    )
    report = await reconcile()
    assert report.ok, report


async def test_refund_after_the_points_were_spent_takes_what_is_held() -> None:
    shop_id, cashier = await _counter()
    sara = await f.member()
    purchase_id = await _buy(cashier, shop_id, sara.id, 1_000_000)  # 100 points
    await wallet.spend(
        cashier, member_id=sara.id, purse=Purse.POINTS, amount=80, idempotency_key=f.key()
    )

    result = await refunds.refund(cashier, purchase_id=purchase_id, idempotency_key=f.key())

    assert result.balances == Balances(points=0, credit=0)
    assert result.owed == Balances(points=80, credit=0)
    assert result.purchase.refunded_amount == 1_000_000
    [txn] = result.reversed
    assert txn.reason == "Refund of purchase: 20 points taken back, 80 points owed (already spent)"
    assert txn.tier_points == -100  # the earning no longer counts towards tiers
    legs = await txn.postings.all().prefetch_related("account")
    assert sorted(p.amount for p in legs) == [-20, 20]
    assert (await MemberStanding.get(member_id=sara.id)).points_debt == 80
    assert (await reconcile()).ok


async def test_refund_with_nothing_held_records_the_debt_without_legs() -> None:
    shop_id, cashier = await _counter()
    sara = await f.member()
    purchase_id = await _buy(cashier, shop_id, sara.id, 500_000)
    await wallet.spend(
        cashier, member_id=sara.id, purse=Purse.POINTS, amount=50, idempotency_key=f.key()
    )

    result = await refunds.refund(cashier, purchase_id=purchase_id, idempotency_key=f.key())

    assert result.balances == Balances(points=0, credit=0)
    assert result.purchase.refunded_amount == 500_000  # the money is refunded all the same
    [txn] = result.reversed
    assert (txn.points, txn.credit, txn.tier_points) == (0, 0, -50)
    assert txn.reason == "Refund of purchase: 50 points owed (already spent)"
    assert await txn.postings.all().count() == 0
    assert (await MemberStanding.get(member_id=sara.id)).points_debt == 50
    assert (await reconcile()).ok


async def test_a_shortfall_is_owed_and_not_taken_by_a_later_refund() -> None:
    """Each refund takes its own share; what one could not take is debt, recovered from later
    earnings only, so a later refund of the purchase takes just its share even if the member
    holds more by then. The balance never goes below zero on the way."""
    shop_id, cashier = await _counter()
    manager = await f.manager()
    sara = await f.member()
    purchase_id = await _buy(cashier, shop_id, sara.id, 1_000_000)  # 100 points
    await wallet.spend(
        cashier, member_id=sara.id, purse=Purse.POINTS, amount=70, idempotency_key=f.key()
    )

    half = await refunds.refund(
        cashier, purchase_id=purchase_id, amount=500_000, idempotency_key=f.key()
    )
    assert half.balances.points == 0
    assert half.owed.points == 20
    assert half.reversed[0].reason.endswith("30 points taken back, 20 points owed (already spent)")

    await wallet.adjust(
        manager,
        member_id=sara.id,
        purse=Purse.POINTS,
        delta=200,
        reason="birthday",
        idempotency_key=f.key(),
    )
    rest = await refunds.refund(cashier, purchase_id=purchase_id, idempotency_key=f.key())
    assert rest.reversed[0].reason == "Refund of purchase: 50 points taken back"
    assert rest.balances.points == 150 and rest.owed.points == 0
    assert (await MemberStanding.get(member_id=sara.id)).points_debt == 20
    assert (await reconcile()).ok


async def test_nothing_is_left_to_refund_after_a_full_refund() -> None:
    shop_id, cashier = await _counter()
    sara = await f.member()
    purchase_id = await _buy(cashier, shop_id, sara.id, 300_000)
    await refunds.refund(cashier, purchase_id=purchase_id, idempotency_key=f.key())
    for amount in (None, 1):
        with pytest.raises(DomainError) as excinfo:
            await refunds.refund(
                cashier, purchase_id=purchase_id, amount=amount, idempotency_key=f.key()
            )
        assert excinfo.value.code is ErrorCode.REFUND_EXCEEDS_PURCHASE
    assert await Reversal.all().count() == 1


async def test_refunding_an_anonymous_purchase_touches_no_ledger() -> None:
    shop_id, cashier = await _counter()
    bought = await purchases.record(
        cashier, branch_id=shop_id, amount=80_000, receipt_number="A1", idempotency_key=f.key()
    )
    assert bought.earned == [] and bought.balances is None
    result = await refunds.refund(cashier, purchase_id=bought.purchase.id, idempotency_key=f.key())
    assert result.reversed == [] and result.balances is None
    assert result.purchase.refunded_amount == 80_000
    assert await JournalTransaction.all().count() == 0


async def test_a_refund_replays_with_its_key() -> None:
    shop_id, cashier = await _counter()
    sara = await f.member()
    purchase_id = await _buy(cashier, shop_id, sara.id, 400_000)
    key = f.key()
    first = await refunds.refund(
        cashier, purchase_id=purchase_id, amount=100_000, idempotency_key=key
    )
    again = await refunds.refund(
        cashier, purchase_id=purchase_id, amount=100_000, idempotency_key=key
    )
    assert again.replayed and again.refund.id == first.refund.id
    assert [t.id for t in again.reversed] == [t.id for t in first.reversed]
    assert again.purchase.refunded_amount == 100_000
    assert again.balances == Balances(points=30, credit=0)


# -- history ------------------------------------------------------------------------------


async def _busy_member() -> tuple[int, list[int]]:
    """A member with one of each kind of transaction, and their ids, oldest first."""
    shop_id, cashier = await _counter()
    manager = await f.manager()
    sara = await f.member()
    ids = []
    ids.append(
        (
            await wallet.top_up(cashier, member_id=sara.id, amount=250_000, idempotency_key=f.key())
        ).transaction.id
    )
    bought = await purchases.record(
        cashier,
        branch_id=shop_id,
        member_id=sara.id,
        amount=1_250_000,
        receipt_number="R-1",
        idempotency_key=f.key(),
    )
    ids.append(bought.earned[0].id)
    ids.append(
        (
            await wallet.spend(
                cashier, member_id=sara.id, purse=Purse.POINTS, amount=25, idempotency_key=f.key()
            )
        ).transaction.id
    )
    ids.append(
        (
            await wallet.spend(
                cashier,
                member_id=sara.id,
                purse=Purse.CREDIT,
                amount=40_000,
                idempotency_key=f.key(),
            )
        ).transaction.id
    )
    refund = await refunds.refund(
        cashier, purchase_id=bought.purchase.id, amount=250_000, idempotency_key=f.key()
    )
    ids.append(refund.reversed[0].id)
    gift = await wallet.adjust(
        manager,
        member_id=sara.id,
        purse=Purse.POINTS,
        delta=1_500,
        reason="birthday gift",
        idempotency_key=f.key(),
    )
    ids.append(gift.transaction.id)
    undone = await wallet.reverse(
        manager, transaction_id=gift.transaction.id, reason="sent twice", idempotency_key=f.key()
    )
    ids.append(undone.transaction.id)
    return sara.id, ids


async def test_history_pages_newest_first_with_before_id() -> None:
    member_id, ids = await _busy_member()
    newest_first = ids[::-1]

    page = await history.transactions(member_id, first=3)
    assert [e.id for e in page.items] == newest_first[:3] and page.has_more
    page = await history.transactions(member_id, first=3, before_id=page.items[-1].id)
    assert [e.id for e in page.items] == newest_first[3:6] and page.has_more
    page = await history.transactions(member_id, first=3, before_id=page.items[-1].id)
    assert [e.id for e in page.items] == newest_first[6:] and not page.has_more

    whole = await history.transactions(member_id, first=len(ids))
    assert [e.id for e in whole.items] == newest_first and not whole.has_more
    assert (await history.transactions(member_id, before_id=min(ids))).items == []


async def test_history_pages_are_stable_while_new_transactions_arrive() -> None:
    member_id, ids = await _busy_member()
    cashier = await f.staff_actor(Role.CASHIER)
    first = await history.transactions(member_id, first=4)
    late = await wallet.top_up(cashier, member_id=member_id, amount=1_000, idempotency_key=f.key())
    second = await history.transactions(member_id, first=4, before_id=first.items[-1].id)
    assert [e.id for e in second.items] == ids[::-1][4:]
    assert (await history.transactions(member_id, first=1)).items[0].id == late.transaction.id


async def test_history_page_size_is_bounded() -> None:
    member_id, ids = await _busy_member()
    assert len((await history.transactions(member_id, first=0)).items) == 1
    assert len((await history.transactions(member_id, first=-5)).items) == 1
    cashier = await f.staff_actor(Role.CASHIER)
    for _ in range(history.MAX_PAGE + 5 - len(ids)):
        await wallet.top_up(cashier, member_id=member_id, amount=1, idempotency_key=f.key())
    page = await history.transactions(member_id, first=10_000)
    assert len(page.items) == history.MAX_PAGE and page.has_more


async def test_history_entries_say_what_happened_in_words_and_numbers() -> None:
    member_id, _ = await _busy_member()
    entries = (await history.transactions(member_id, first=20)).items[::-1]
    seen = [(e.kind, e.points, e.credit, e.reason) for e in entries]
    assert seen == [
        (TransactionKind.TOP_UP, 0, 250_000, f"Credit topped up: {format_money(250_000)}"),
        (TransactionKind.EARN, 125, 0, f"1 point for every {format_money(10_000)} of purchases"),
        (TransactionKind.SPEND, -25, 0, "Spent 25 points"),
        (TransactionKind.SPEND, 0, -40_000, f"Spent {format_money(40_000)} of credit"),
        (TransactionKind.REVERSAL, -25, 0, "Refund of purchase: 25 points taken back"),
        (TransactionKind.ADJUST, 1_500, 0, "Adjusted by the club: birthday gift"),
        (
            TransactionKind.REVERSAL,
            -1_500,
            0,
            "Reversed: Adjusted by the club: birthday gift (sent twice)",
        ),
    ]
    for entry in entries:
        # Words a person reads: no codes, no placeholders, no bare big numbers.
        assert entry.reason and not entry.reason[0].islower()
        assert entry.reason_code not in entry.reason
        assert not re.search(r"[_{}<>]|None|\d{4,}", entry.reason), entry.reason
    assert entries[1].purchase_id is not None and entries[0].purchase_id is None
    assert all(e.created_at.tzinfo is not None for e in entries)
    total = Balances(points=sum(e.points for e in entries), credit=sum(e.credit for e in entries))
    assert total == await ledger.balances(member_id)


async def test_history_of_one_member_never_shows_another() -> None:
    shop_id, cashier = await _counter()
    sara, ali = await f.member("Sara"), await f.member("Ali")
    mine: dict[int, set[int]] = {sara.id: set(), ali.id: set()}
    bought: dict[int, set[int]] = {sara.id: set(), ali.id: set()}
    for n in range(6):  # interleaved, so ids of one member fall between the other's
        for member in (sara, ali):
            top_up = await wallet.top_up(
                cashier, member_id=member.id, amount=1_000 + n, idempotency_key=f.key()
            )
            mine[member.id].add(top_up.transaction.id)
            purchase_id = await _buy(cashier, shop_id, member.id, 20_000 * (n + 1))
            bought[member.id].add(purchase_id)
            mine[member.id].update(
                t.id for t in await JournalTransaction.filter(purchase_id=purchase_id)
            )

    for member_id, other in ((sara.id, ali.id), (ali.id, sara.id)):
        seen: list[int] = []
        before = None
        while True:
            page = await history.transactions(member_id, first=4, before_id=before)
            seen += [e.id for e in page.items]
            if not page.has_more:
                break
            before = page.items[-1].id
        assert set(seen) == mine[member_id] and len(seen) == len(mine[member_id])
        assert not set(seen) & mine[other]
        # Paging from the other member's newest id still shows only one's own.
        page = await history.transactions(member_id, first=100, before_id=max(mine[other]))
        assert {e.id for e in page.items} <= mine[member_id]

        purchases_page = await history.purchases(member_id, first=100)
        assert {p.id for p in purchases_page.items} == bought[member_id]
        assert all(p.member_id == member_id for p in purchases_page.items)  # type: ignore[attr-defined]


async def test_purchase_history_pages_with_items_and_branch() -> None:
    shop_id, cashier = await _counter()
    sara = await f.member()
    ids = []
    for n in range(5):
        result = await purchases.record(
            cashier,
            branch_id=shop_id,
            member_id=sara.id,
            amount=10_000 * (n + 1),
            receipt_number=f"R{n}",
            idempotency_key=f.key(),
            items=[purchases.LineItem(sku="TEA", amount=10_000 * (n + 1), name="Tea")],
        )
        ids.append(result.purchase.id)
    page = await history.purchases(sara.id, first=2)
    assert [p.id for p in page.items] == ids[::-1][:2] and page.has_more
    assert [i.sku for i in page.items[0].items] == ["TEA"]
    assert page.items[0].branch.id == shop_id
    page = await history.purchases(sara.id, first=2, before_id=ids[1])
    assert [p.id for p in page.items] == [ids[0]] and not page.has_more
