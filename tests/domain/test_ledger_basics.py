from __future__ import annotations

import pytest

from loyalty import ledger, purchases, refunds, wallet
from loyalty.errors import Conflict, ErrorCode, InsufficientBalance, InvalidInput, PermissionDenied
from loyalty.ledger import Purse
from loyalty.models import JournalTransaction, Posting, Role
from loyalty.reconcile import reconcile
from tests import factories as f


async def test_purchase_earns_points_and_refund_takes_them_back() -> None:
    shop = await f.branch()
    cashier = await f.staff_actor(Role.CASHIER, shop.id)
    manager = await f.staff_actor(Role.MANAGER)
    sara = await f.member()

    result = await purchases.record(
        cashier,
        branch_id=shop.id,
        member_id=sara.id,
        amount=1_250_000,
        receipt_number="R1",
        idempotency_key=f.key(),
    )
    assert [t.reason_code for t in result.earned] == ["earn"]
    assert [line.code for line in result.lines] == ["points_per_amount"]
    assert result.balances == ledger.Balances(points=125, credit=0)

    refund = await refunds.refund(
        manager, purchase_id=result.purchase.id, amount=500_000, idempotency_key=f.key()
    )
    assert refund.balances.points == 75  # 125 * 500k / 1.25M = 50 back
    refund = await refunds.refund(manager, purchase_id=result.purchase.id, idempotency_key=f.key())
    assert refund.balances.points == 0
    with pytest.raises(Exception) as excinfo:
        await refunds.refund(
            manager, purchase_id=result.purchase.id, amount=1, idempotency_key=f.key()
        )
    assert excinfo.value.code is ErrorCode.REFUND_EXCEEDS_PURCHASE
    assert (await reconcile()).ok


async def test_spend_never_goes_below_zero_and_changes_nothing() -> None:
    cashier = await f.staff_actor(Role.CASHIER)
    sara = await f.member()
    await wallet.top_up(cashier, member_id=sara.id, amount=1000, idempotency_key=f.key())
    before = await Posting.all().count()
    with pytest.raises(InsufficientBalance):
        await wallet.spend(
            cashier, member_id=sara.id, purse=Purse.CREDIT, amount=1001, idempotency_key=f.key()
        )
    assert await Posting.all().count() == before
    assert (await ledger.balances(sara.id)).credit == 1000


async def test_same_key_same_request_replays_and_different_request_conflicts() -> None:
    cashier = await f.staff_actor(Role.CASHIER)
    sara = await f.member()
    k = f.key()
    first = await wallet.top_up(cashier, member_id=sara.id, amount=500, idempotency_key=k)
    again = await wallet.top_up(cashier, member_id=sara.id, amount=500, idempotency_key=k)
    assert again.replayed and again.transaction.id == first.transaction.id
    assert again.balances.credit == 500
    with pytest.raises(Conflict) as excinfo:
        await wallet.top_up(cashier, member_id=sara.id, amount=501, idempotency_key=k)
    assert excinfo.value.code is ErrorCode.IDEMPOTENCY_CONFLICT
    assert await JournalTransaction.all().count() == 1


async def test_adjust_is_for_managers_with_a_reason_and_reverse_mirrors() -> None:
    cashier = await f.staff_actor(Role.CASHIER)
    manager = await f.staff_actor(Role.MANAGER)
    sara = await f.member()
    with pytest.raises(PermissionDenied):
        await wallet.adjust(
            cashier,
            member_id=sara.id,
            purse=Purse.POINTS,
            delta=10,
            reason="gift",
            idempotency_key=f.key(),
        )
    with pytest.raises(InvalidInput):
        await wallet.adjust(
            manager,
            member_id=sara.id,
            purse=Purse.POINTS,
            delta=10,
            reason="  ",
            idempotency_key=f.key(),
        )
    adjusted = await wallet.adjust(
        manager,
        member_id=sara.id,
        purse=Purse.POINTS,
        delta=10,
        reason="gift",
        idempotency_key=f.key(),
    )
    reversed_ = await wallet.reverse(
        manager, transaction_id=adjusted.transaction.id, reason="mistake", idempotency_key=f.key()
    )
    assert reversed_.balances.points == 0
    with pytest.raises(Conflict):
        await wallet.reverse(
            manager, transaction_id=adjusted.transaction.id, reason="again", idempotency_key=f.key()
        )
    assert (await reconcile()).ok


async def test_duplicate_receipt_is_rejected() -> None:
    shop = await f.branch()
    cashier = await f.staff_actor(Role.CASHIER, shop.id)
    sara = await f.member()
    await purchases.record(
        cashier,
        branch_id=shop.id,
        member_id=sara.id,
        amount=10_000,
        receipt_number="R-7",
        idempotency_key=f.key(),
    )
    with pytest.raises(Conflict) as excinfo:
        await purchases.record(
            cashier,
            branch_id=shop.id,
            member_id=sara.id,
            amount=10_000,
            receipt_number="R-7",
            idempotency_key=f.key(),
        )
    assert excinfo.value.code is ErrorCode.DUPLICATE_RECEIPT
