"""Races: many requests at once against one balance, one idempotency key, one purchase, one phone.

On PostgreSQL the requests really interleave over a pool of connections; on SQLite they queue
on the single writer. Either way the outcome must be the same.
"""

from __future__ import annotations

import asyncio
from collections import Counter

import pytest

from loyalty import ledger, members, purchases, refunds, wallet
from loyalty.actors import SYSTEM
from loyalty.errors import DomainError, ErrorCode, InsufficientBalance
from loyalty.ledger import Purse
from loyalty.models import JournalTransaction, Member, Posting, Purchase, Reversal, Role
from loyalty.reconcile import reconcile
from tests import factories as f

SPENDERS = 200
COVERED = 100
SAME_KEY = 50


@pytest.mark.parametrize("purse", [Purse.CREDIT, Purse.POINTS])
async def test_concurrent_spends_never_overdraw(purse: Purse) -> None:
    cashier = await f.staff_actor(Role.CASHIER)
    sara = await f.member()
    await f.give(sara.id, purse, COVERED)

    results = await asyncio.gather(
        *(
            wallet.spend(cashier, member_id=sara.id, purse=purse, amount=1, idempotency_key=f.key())
            for _ in range(SPENDERS)
        ),
        return_exceptions=True,
    )

    kinds = Counter(type(r).__name__ for r in results)
    assert kinds == {"LedgerResult": COVERED, "InsufficientBalance": SPENDERS - COVERED}, kinds
    refused = [r for r in results if isinstance(r, InsufficientBalance)]
    assert all(r.code is ErrorCode.INSUFFICIENT_BALANCE and r.available == 0 for r in refused)
    succeeded = [r for r in results if isinstance(r, wallet.LedgerResult)]
    assert len({r.transaction.id for r in succeeded}) == COVERED
    assert not any(r.replayed for r in succeeded)
    assert all(getattr(r.balances, purse.value) >= 0 for r in succeeded)

    assert getattr(await ledger.balances(sara.id), purse.value) == 0
    # One funding transaction plus one per successful spend; the refused ones left nothing.
    assert await JournalTransaction.filter(member_id=sara.id).count() == 1 + COVERED
    assert await Posting.all().count() == 2 * (1 + COVERED)
    report = await reconcile()
    assert report.ok, report
    assert report.transactions_checked == 1 + COVERED


async def test_concurrent_spends_of_both_purses_do_not_interfere() -> None:
    cashier = await f.staff_actor(Role.CASHIER)
    sara = await f.member()
    await f.give(sara.id, Purse.CREDIT, 30)
    await f.give(sara.id, Purse.POINTS, 20)
    calls = [
        wallet.spend(cashier, member_id=sara.id, purse=purse, amount=1, idempotency_key=f.key())
        for purse in (Purse.CREDIT, Purse.POINTS)
        for _ in range(40)
    ]
    results = await asyncio.gather(*calls, return_exceptions=True)
    spent = Counter(
        r.transaction.reason_code for r in results if isinstance(r, wallet.LedgerResult)
    )
    assert spent == {"spend_credit": 30, "spend_points": 20}
    assert await ledger.balances(sara.id) == ledger.Balances(points=0, credit=0)
    assert (await reconcile()).ok


async def test_one_key_many_concurrent_top_ups_post_once() -> None:
    cashier = await f.staff_actor(Role.CASHIER)
    sara = await f.member()
    key = f.key()

    results = await asyncio.gather(
        *(
            wallet.top_up(cashier, member_id=sara.id, amount=7_000, idempotency_key=key)
            for _ in range(SAME_KEY)
        )
    )

    assert len({r.transaction.id for r in results}) == 1
    assert sorted(r.replayed for r in results) == [False] + [True] * (SAME_KEY - 1)
    assert await JournalTransaction.all().count() == 1
    assert await Posting.all().count() == 2
    assert (await ledger.balances(sara.id)).credit == 7_000
    assert (await reconcile()).ok


async def test_one_key_many_concurrent_spends_spend_once() -> None:
    cashier = await f.staff_actor(Role.CASHIER)
    sara = await f.member()
    await f.give(sara.id, Purse.POINTS, 100)
    key = f.key()

    results = await asyncio.gather(
        *(
            wallet.spend(
                cashier, member_id=sara.id, purse=Purse.POINTS, amount=30, idempotency_key=key
            )
            for _ in range(SAME_KEY)
        )
    )

    assert len({r.transaction.id for r in results}) == 1
    assert sum(not r.replayed for r in results) == 1
    assert (await ledger.balances(sara.id)).points == 70
    assert await JournalTransaction.filter(kind="spend").count() == 1


async def test_one_key_many_concurrent_purchases_record_once() -> None:
    shop = await f.branch()
    cashier = await f.staff_actor(Role.CASHIER, shop.id)
    sara = await f.member()
    key = f.key()

    results = await asyncio.gather(
        *(
            purchases.record(
                cashier,
                branch_id=shop.id,
                member_id=sara.id,
                amount=250_000,
                receipt_number="R-RACE",
                idempotency_key=key,
                items=[purchases.LineItem(sku="TEA", amount=250_000, quantity=2)],
            )
            for _ in range(SAME_KEY)
        )
    )

    assert len({r.purchase.id for r in results}) == 1
    assert sorted(r.replayed for r in results) == [False] + [True] * (SAME_KEY - 1)
    assert all([t.id for t in r.earned] == [t.id for t in results[0].earned] for r in results)
    assert await Purchase.all().count() == 1
    assert await JournalTransaction.all().count() == 1
    assert (await ledger.balances(sara.id)).points == 25
    assert (await reconcile()).ok


async def test_concurrent_purchases_with_one_receipt_and_different_keys_record_once() -> None:
    shop = await f.branch()
    cashier = await f.staff_actor(Role.CASHIER, shop.id)
    sara = await f.member()

    results = await asyncio.gather(
        *(
            purchases.record(
                cashier,
                branch_id=shop.id,
                member_id=sara.id,
                amount=100_000,
                receipt_number="R-DUP",
                idempotency_key=f.key(),
            )
            for _ in range(20)
        ),
        return_exceptions=True,
    )

    ok = [r for r in results if isinstance(r, purchases.PurchaseResult)]
    refused = [r for r in results if isinstance(r, DomainError)]
    assert len(ok) == 1 and len(refused) == 19, results
    assert {r.code for r in refused} == {ErrorCode.DUPLICATE_RECEIPT}
    assert await Purchase.all().count() == 1
    assert (await ledger.balances(sara.id)).points == 10


async def test_concurrent_full_refunds_refund_once() -> None:
    shop = await f.branch()
    cashier = await f.staff_actor(Role.CASHIER, shop.id)
    sara = await f.member()
    bought = await purchases.record(
        cashier,
        branch_id=shop.id,
        member_id=sara.id,
        amount=1_000_000,
        receipt_number="R1",
        idempotency_key=f.key(),
    )

    results = await asyncio.gather(
        *(
            refunds.refund(cashier, purchase_id=bought.purchase.id, idempotency_key=f.key())
            for _ in range(20)
        ),
        return_exceptions=True,
    )

    ok = [r for r in results if isinstance(r, refunds.RefundResult)]
    refused = [r for r in results if isinstance(r, DomainError)]
    assert len(ok) == 1 and len(refused) == 19, results
    assert {r.code for r in refused} == {ErrorCode.REFUND_EXCEEDS_PURCHASE}
    purchase = await Purchase.get(id=bought.purchase.id)
    assert purchase.refunded_amount == 1_000_000
    assert await Reversal.all().count() == 1
    assert (await ledger.balances(sara.id)).points == 0
    assert (await reconcile()).ok


async def test_concurrent_partial_refunds_never_exceed_the_purchase() -> None:
    shop = await f.branch()
    cashier = await f.staff_actor(Role.CASHIER, shop.id)
    sara = await f.member()
    bought = await purchases.record(
        cashier,
        branch_id=shop.id,
        member_id=sara.id,
        amount=1_000_000,
        receipt_number="R1",
        idempotency_key=f.key(),
    )
    assert bought.balances.points == 100

    results = await asyncio.gather(
        *(
            refunds.refund(
                cashier, purchase_id=bought.purchase.id, amount=300_000, idempotency_key=f.key()
            )
            for _ in range(12)
        ),
        return_exceptions=True,
    )

    ok = [r for r in results if isinstance(r, refunds.RefundResult)]
    refused = [r for r in results if isinstance(r, DomainError)]
    assert len(ok) == 3 and len(refused) == 9, results
    assert {r.code for r in refused} == {ErrorCode.REFUND_EXCEEDS_PURCHASE}
    purchase = await Purchase.get(id=bought.purchase.id)
    assert purchase.refunded_amount == 900_000
    assert await Reversal.all().count() == 3
    # 90% of the purchase refunded: exactly 90 of the 100 points came back out.
    assert (await ledger.balances(sara.id)).points == 10
    taken = -await ledger.posted_total(account__member_id=sara.id, transaction__kind="reversal")
    assert taken == 90

    # The last 100,000 Rials can still be refunded, and then everything earned is back.
    last = await refunds.refund(cashier, purchase_id=bought.purchase.id, idempotency_key=f.key())
    assert last.purchase.refunded_amount == 1_000_000
    assert last.balances.points == 0
    assert (await reconcile()).ok


async def test_concurrent_refunds_with_one_key_refund_once() -> None:
    shop = await f.branch()
    cashier = await f.staff_actor(Role.CASHIER, shop.id)
    sara = await f.member()
    bought = await purchases.record(
        cashier,
        branch_id=shop.id,
        member_id=sara.id,
        amount=500_000,
        receipt_number="R1",
        idempotency_key=f.key(),
    )
    key = f.key()

    results = await asyncio.gather(
        *(
            refunds.refund(
                cashier, purchase_id=bought.purchase.id, amount=100_000, idempotency_key=key
            )
            for _ in range(20)
        )
    )

    assert len({r.refund.id for r in results}) == 1
    assert sum(not r.replayed for r in results) == 1
    assert (await Purchase.get(id=bought.purchase.id)).refunded_amount == 100_000
    assert (await ledger.balances(sara.id)).points == 40


async def test_concurrent_enrolment_of_one_phone_yields_one_member() -> None:
    phone = f.phone()
    # The same number typed three ways at once.
    forms = [phone, "+98" + phone[1:], "0098 " + phone[1:]]

    results = await asyncio.gather(*(members.enrol(SYSTEM, forms[i % 3]) for i in range(30)))

    assert len({m.id for m, _ in results}) == 1
    assert sum(created for _, created in results) == 1
    assert await Member.all().count() == 1
    member = results[0][0]
    assert member.phone == "+98" + phone[1:]
    # Exactly one pair of accounts, both at zero.
    assert await ledger.balances(member.id) == ledger.Balances(points=0, credit=0)
    assert (await reconcile()).accounts_checked == 2
