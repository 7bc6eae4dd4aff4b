"""Requests the domain refuses: each with its own error and code, and nothing written."""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from loyalty import ledger, members, purchases, refunds, staff, validation, wallet
from loyalty.actors import SYSTEM, Actor
from loyalty.errors import (
    Conflict,
    DomainError,
    ErrorCode,
    InsufficientBalance,
    InvalidInput,
    NotFound,
    PermissionDenied,
)
from loyalty.ledger import Purse, SystemAccount
from loyalty.members import Profile
from loyalty.models import Account, Branch, JournalTransaction, Purchase, Role
from loyalty.purchases import LineItem
from tests import factories as f


@dataclass
class World:
    shop: Branch
    other_shop: Branch
    cashier: Actor  # bound to `shop`
    manager: Actor
    operator: Actor
    station: Actor  # bound to `shop`
    member_id: int
    purchase_id: int  # at `shop`, for `member_id`
    top_up_id: int  # a transaction of `member_id`


@pytest.fixture
async def w() -> World:
    shop, other_shop = await f.branch(), await f.branch()
    cashier = await f.staff_actor(Role.CASHIER, shop.id)
    sara = await f.member()
    await f.give(sara.id, Purse.POINTS, 100)
    top_up = await wallet.top_up(cashier, member_id=sara.id, amount=50_000, idempotency_key="t1")
    bought = await purchases.record(
        cashier,
        branch_id=shop.id,
        member_id=sara.id,
        amount=200_000,
        receipt_number="R1",
        idempotency_key=f.key(),
    )
    return World(
        shop=shop,
        other_shop=other_shop,
        cashier=cashier,
        manager=await f.staff_actor(Role.MANAGER),
        operator=await f.staff_actor(Role.OPERATOR),
        station=await f.staff_actor(Role.STATION, shop.id),
        member_id=sara.id,
        purchase_id=bought.purchase.id,
        top_up_id=top_up.transaction.id,
    )


async def _state() -> tuple[dict[str, int], list[tuple[int, int]], list[tuple[int, int]]]:
    return (
        await f.row_counts(),
        list(await Account.all().order_by("id").values_list("id", "balance")),
        list(await Purchase.all().order_by("id").values_list("id", "refunded_amount")),
    )


Call = Callable[[World], Coroutine[Any, Any, object]]


async def assert_refused(
    w: World,
    call: Call,
    error: type[DomainError],
    code: ErrorCode,
    field: str | None = None,
    case: object = "the request",
) -> DomainError:
    """`call` raises exactly `error` with `code` (about `field`), and nothing was written."""
    before = await _state()
    try:
        await call(w)
    except DomainError as caught:
        refused = caught
    else:
        pytest.fail(f"{case!r} was not refused")
    where = f"{case!r}: {refused!r}"
    assert type(refused) is error, where
    assert refused.code is code, where
    if field is not None:
        assert refused.field == field, where  # type: ignore[attr-defined]
    assert refused.message, where
    assert await _state() == before, f"{case!r} changed the database"
    return refused


async def assert_each_refused(
    w: World,
    cases: Iterable[tuple[object, Call]],
    error: type[DomainError],
    code: ErrorCode,
    field: str | None = None,
) -> None:
    """`assert_refused` for each case, one world for all; reports every case that fails."""
    failures = []
    for case, call in cases:
        try:
            await assert_refused(w, call, error, code, field, case)
        except (AssertionError, pytest.fail.Exception) as failure:
            failures.append(str(failure).splitlines()[0])
    assert failures == []


def top_up(amount: Any = 1_000, key: Any = ..., **kw: Any) -> Call:
    return lambda w: wallet.top_up(
        kw["actor"](w) if "actor" in kw else w.cashier,
        member_id=kw.get("member_id", w.member_id),
        amount=amount,
        idempotency_key=f.key() if key is ... else key,
        branch_id=kw.get("branch_id"),
    )


def spend(purse: Purse, amount: Any, key: Any = ..., **kw: Any) -> Call:
    return lambda w: wallet.spend(
        kw["actor"](w) if "actor" in kw else w.cashier,
        member_id=kw.get("member_id", w.member_id),
        purse=purse,
        amount=amount,
        idempotency_key=f.key() if key is ... else key,
        branch_id=kw.get("branch_id"),
    )


def adjust(delta: Any, reason: Any = "goodwill", key: Any = ..., **kw: Any) -> Call:
    def call(w: World) -> Coroutine[Any, Any, object]:
        return wallet.adjust(
            kw["actor"](w) if "actor" in kw else w.manager,
            member_id=kw.get("member_id", w.member_id),
            purse=kw.get("purse", Purse.POINTS),
            delta=delta,
            reason=reason,
            idempotency_key=f.key() if key is ... else key,
        )

    return call


def record(**kw: Any) -> Call:
    def call(w: World) -> Coroutine[Any, Any, object]:
        return purchases.record(
            kw["actor"](w) if "actor" in kw else w.cashier,
            branch_id=kw["branch"](w) if "branch" in kw else w.shop.id,
            member_id=kw.get("member_id", w.member_id),
            amount=kw.get("amount", 100_000),
            receipt_number=kw.get("receipt", "R-NEW"),
            idempotency_key=kw.get("key", f.key()),
            items=kw.get("items", ()),
            occurred_at=kw.get("occurred_at"),
        )

    return call


def refund(**kw: Any) -> Call:
    return lambda w: refunds.refund(
        kw["actor"](w) if "actor" in kw else w.cashier,
        purchase_id=kw.get("purchase_id", w.purchase_id),
        amount=kw.get("amount"),
        idempotency_key=kw.get("key", f.key()),
        reason=kw.get("reason", ""),
    )


def reverse(**kw: Any) -> Call:
    return lambda w: wallet.reverse(
        kw["actor"](w) if "actor" in kw else w.manager,
        transaction_id=kw["transaction_id"](w) if "transaction_id" in kw else w.top_up_id,
        reason=kw.get("reason", "mistake"),
        idempotency_key=kw.get("key", f.key()),
    )


def enrol(phone: Any, actor: Callable[[World], Actor] = lambda w: w.cashier, **kw: Any) -> Call:
    return lambda w: members.enrol(actor(w), phone, Profile(**kw.get("profile", {})))


# -- phones -------------------------------------------------------------------------------


BAD_PHONES = [
    "0912abc4567",
    "abc",
    "0912123",
    "02188776655",
    "",
    "   ",
    "0" * 100,
    "0912" + "5" * 96,
]


async def test_malformed_phones_enrol_nobody(w: World) -> None:
    cases = [(phone, enrol(phone)) for phone in BAD_PHONES]
    await assert_each_refused(w, cases, InvalidInput, ErrorCode.INVALID_PHONE, "phone")
    cases = [(phone, enrol(phone, actor=lambda w: SYSTEM)) for phone in BAD_PHONES]
    await assert_each_refused(w, cases, InvalidInput, ErrorCode.INVALID_PHONE, "phone")


async def test_looking_up_a_malformed_phone_is_invalid_not_missing(w: World) -> None:
    error = await assert_refused(
        w,
        lambda w: members.find(w.cashier, phone="0912-abc"),
        InvalidInput,
        ErrorCode.INVALID_PHONE,
    )
    assert "0912-abc" in error.message


# -- amounts ------------------------------------------------------------------------------

BAD_AMOUNTS = [
    -1,
    -(10**6),
    0,
    validation.MAX_RIAL + 1,
    10**30,  # beyond a BIGINT
    1.5,
    100.0,
    "100",
    Decimal(100),
    None,
    True,
    False,
]


async def test_bad_top_up_amounts(w: World) -> None:
    cases = [(amount, top_up(amount)) for amount in BAD_AMOUNTS]
    await assert_each_refused(w, cases, InvalidInput, ErrorCode.INVALID_AMOUNT, "amount")


@pytest.mark.parametrize("purse", list(Purse))
async def test_bad_spend_amounts(w: World, purse: Purse) -> None:
    cases = [(amount, spend(purse, amount)) for amount in BAD_AMOUNTS]
    await assert_each_refused(w, cases, InvalidInput, ErrorCode.INVALID_AMOUNT, "amount")


async def test_points_have_their_own_ceiling(w: World) -> None:
    too_many = validation.MAX_POINTS + 1
    assert too_many < validation.MAX_RIAL  # so this is the points ceiling, not the Rial one
    await assert_refused(
        w, spend(Purse.POINTS, too_many), InvalidInput, ErrorCode.INVALID_AMOUNT, "amount"
    )
    # The same figure in Rials of credit passes validation and fails only on the balance.
    await assert_refused(
        w, spend(Purse.CREDIT, too_many), InsufficientBalance, ErrorCode.INSUFFICIENT_BALANCE
    )


async def test_bad_purchase_amounts(w: World) -> None:
    cases = [(amount, record(amount=amount)) for amount in BAD_AMOUNTS]
    await assert_each_refused(w, cases, InvalidInput, ErrorCode.INVALID_AMOUNT, "amount")


@pytest.mark.parametrize("purse", list(Purse))
async def test_bad_adjustments(w: World, purse: Purse) -> None:
    ceiling = validation.MAX_POINTS if purse is Purse.POINTS else validation.MAX_RIAL
    deltas = [0, ceiling + 1, -(ceiling + 1), 10**30, 2.5, -2.0, "5", Decimal(5), True, None]
    cases = [(delta, adjust(delta, purse=purse)) for delta in deltas]
    await assert_each_refused(w, cases, InvalidInput, ErrorCode.INVALID_AMOUNT, "delta")


async def test_bad_refund_amounts(w: World) -> None:
    cases = [(amount, refund(amount=amount)) for amount in [0, -5, 10**30, 1.5, "9", True]]
    await assert_each_refused(w, cases, InvalidInput, ErrorCode.INVALID_AMOUNT, "amount")
    # More than the purchase's 200,000 Rials is a refund too far, not a malformed amount.
    await assert_refused(w, refund(amount=200_001), DomainError, ErrorCode.REFUND_EXCEEDS_PURCHASE)


async def test_an_adjustment_needs_a_reason_of_sensible_length(w: World) -> None:
    cases = [(reason, adjust(5, reason=reason)) for reason in ["", "   ", None, "x" * 301]]
    await assert_each_refused(w, cases, InvalidInput, ErrorCode.INVALID_INPUT, "reason")


async def test_spending_more_than_is_held_names_the_unit_and_amounts(w: World) -> None:
    # 100 points given and 20 earned by the fixture's purchase of 200,000 Rials.
    error = await assert_refused(
        w, spend(Purse.POINTS, 121), InsufficientBalance, ErrorCode.INSUFFICIENT_BALANCE
    )
    assert (error.unit, error.available, error.requested) == ("points", 120, 121)  # type: ignore[attr-defined]
    error = await assert_refused(
        w, spend(Purse.CREDIT, 50_001), InsufficientBalance, ErrorCode.INSUFFICIENT_BALANCE
    )
    assert (error.unit, error.available, error.requested) == ("rial", 50_000, 50_001)  # type: ignore[attr-defined]


# -- idempotency keys ---------------------------------------------------------------------

BAD_KEYS = [
    "",
    " ",
    "has space",
    "ключ",  # not ASCII
    "a/b",
    "#purchase:1:points",  # the form of the keys the domain derives for itself
    "k" * 129,
    None,
    12345,
]
KEYED_CALLS = {
    "top_up": lambda key: top_up(key=key),
    "spend": lambda key: spend(Purse.CREDIT, 10, key=key),
    "adjust": lambda key: adjust(5, key=key),
    "reverse": lambda key: reverse(key=key),
    "record": lambda key: record(key=key),
    "refund": lambda key: refund(key=key),
}


@pytest.mark.parametrize("operation", list(KEYED_CALLS))
async def test_bad_idempotency_keys(w: World, operation: str) -> None:
    cases = [(key, KEYED_CALLS[operation](key)) for key in BAD_KEYS]
    await assert_each_refused(w, cases, InvalidInput, ErrorCode.INVALID_INPUT, "idempotencyKey")


async def test_the_longest_key_allowed_is_accepted() -> None:
    cashier = await f.staff_actor(Role.CASHIER)
    sara = await f.member()
    result = await wallet.top_up(cashier, member_id=sara.id, amount=1, idempotency_key="k" * 128)
    assert result.transaction.idempotency_key == "k" * 128


async def test_a_key_reused_for_another_operation_conflicts(w: World) -> None:
    # "t1" topped up 50,000 in the fixture; a spend may not borrow it.
    await assert_refused(
        w, spend(Purse.CREDIT, 50_000, key="t1"), Conflict, ErrorCode.IDEMPOTENCY_CONFLICT
    )
    await assert_refused(w, top_up(49_999, key="t1"), Conflict, ErrorCode.IDEMPOTENCY_CONFLICT)


# -- unknown things -----------------------------------------------------------------------

MISSING = 987_654


UNKNOWN = {
    "top-up-member": top_up(member_id=MISSING),
    "spend-member": spend(Purse.POINTS, 1, member_id=MISSING),
    "adjust-member": adjust(5, member_id=MISSING),
    "purchase-member": record(member_id=MISSING),
    "top-up-branch": top_up(branch_id=MISSING, actor=lambda w: w.manager),
    "purchase-branch": record(branch=lambda w: MISSING, actor=lambda w: w.manager),
    "refund-purchase": refund(purchase_id=MISSING),
    "reverse-transaction": reverse(transaction_id=lambda w: MISSING),
    "enrol-branch": lambda w: members.enrol(w.manager, f.phone(), branch_id=MISSING),
    "profile-member": lambda w: members.update_profile(w.manager, MISSING, Profile(city="X")),
    "find-phone": lambda w: members.find(w.cashier, phone="09350000000"),
    "find-card": lambda w: members.find(w.cashier, card_number="NO-SUCH-CARD"),
}


async def test_unknown_things_are_not_found(w: World) -> None:
    await assert_each_refused(w, UNKNOWN.items(), NotFound, ErrorCode.NOT_FOUND)


async def test_unknown_branch_for_an_unbound_cashier(w: World) -> None:
    roaming = await f.staff_actor(Role.CASHIER)
    await assert_refused(
        w,
        lambda w: wallet.top_up(
            roaming, member_id=w.member_id, amount=10, idempotency_key=f.key(), branch_id=MISSING
        ),
        NotFound,
        ErrorCode.NOT_FOUND,
    )


# -- who may do what ----------------------------------------------------------------------


DENIED = {
    "cashier-adjusts": adjust(5, actor=lambda w: w.cashier),
    "station-adjusts": adjust(-5, actor=lambda w: w.station),
    "operator-adjusts": adjust(5, actor=lambda w: w.operator),
    "operator-records-purchase": record(actor=lambda w: w.operator),
    "member-records-purchase": record(actor=lambda w: Actor.member(w.member_id)),
    "cashier-at-another-branch": record(branch=lambda w: w.other_shop.id),
    "station-at-another-branch": record(
        actor=lambda w: w.station, branch=lambda w: w.other_shop.id
    ),
    "cashier-tops-up-at-another-branch": lambda w: wallet.top_up(
        w.cashier,
        member_id=w.member_id,
        amount=10,
        idempotency_key=f.key(),
        branch_id=w.other_shop.id,
    ),
    "cashier-spends-at-another-branch": lambda w: wallet.spend(
        w.cashier,
        member_id=w.member_id,
        purse=Purse.POINTS,
        amount=1,
        idempotency_key=f.key(),
        branch_id=w.other_shop.id,
    ),
    "operator-tops-up": top_up(actor=lambda w: w.operator),
    "member-tops-up": top_up(actor=lambda w: Actor.member(w.member_id)),
    "member-spends": spend(Purse.POINTS, 1, actor=lambda w: Actor.member(w.member_id)),
    "station-refunds": refund(actor=lambda w: w.station),
    "operator-refunds": refund(actor=lambda w: w.operator),
    "cashier-reverses": reverse(actor=lambda w: w.cashier),
    "member-looks-up-by-phone": lambda w: members.find(
        Actor.member(w.member_id), phone="09121234567"
    ),
    "cashier-opens-a-branch": lambda w: staff.create_branch(w.cashier, code="NEW", name="New"),
    "cashier-hires": lambda w: staff.create_staff(
        w.cashier, username="newbie", password=f.PASSWORD, role=Role.CASHIER
    ),
}


async def test_wrong_role_or_place_is_denied(w: World) -> None:
    await assert_each_refused(w, DENIED.items(), PermissionDenied, ErrorCode.PERMISSION_DENIED)


async def test_a_member_cannot_see_that_another_member_exists(w: World) -> None:
    other = await f.member("Ali")
    await assert_refused(
        w,
        lambda w: members.update_profile(Actor.member(w.member_id), other.id, Profile(city="X")),
        NotFound,
        ErrorCode.NOT_FOUND,
    )


async def test_a_cashier_may_not_refund_a_purchase_of_another_branch(w: World) -> None:
    elsewhere = await f.staff_actor(Role.CASHIER, w.other_shop.id)
    await assert_refused(
        w, refund(actor=lambda w: elsewhere), PermissionDenied, ErrorCode.PERMISSION_DENIED
    )


async def test_a_manager_acts_at_any_branch(w: World) -> None:
    result = await purchases.record(
        w.manager,
        branch_id=w.other_shop.id,
        member_id=w.member_id,
        amount=10_000,
        receipt_number="R-M",
        idempotency_key=f.key(),
    )
    assert result.purchase.branch_id == w.other_shop.id  # type: ignore[attr-defined]


# -- purchases ----------------------------------------------------------------------------


async def test_bad_occurred_at(w: World) -> None:
    now = datetime.now(UTC)
    cases = {
        "ten minutes ahead": record(occurred_at=now + timedelta(minutes=10)),
        "next year": record(occurred_at=now + timedelta(days=400)),
        "over a year ago": record(occurred_at=now - timedelta(days=366)),
        "naive now": record(occurred_at=now.replace(tzinfo=None)),
        "naive past": record(occurred_at=datetime(2025, 1, 1, 12, 0)),
    }.items()
    await assert_each_refused(w, cases, InvalidInput, ErrorCode.INVALID_INPUT, "occurredAt")


async def test_a_little_clock_skew_and_the_past_are_allowed(w: World) -> None:
    soon = datetime.now(UTC) + timedelta(minutes=2)
    offline = datetime.now(UTC) - timedelta(days=30)
    first = await record(receipt="R-SKEW", occurred_at=soon)(w)
    second = await record(receipt="R-OFFLINE", occurred_at=offline)(w)
    assert first.purchase.occurred_at == soon  # type: ignore[attr-defined]
    assert second.purchase.occurred_at == offline  # type: ignore[attr-defined]


async def test_too_many_items(w: World) -> None:
    items = [LineItem(sku=f"S{i}", amount=500) for i in range(purchases.MAX_ITEMS + 1)]
    await assert_refused(w, record(items=items), InvalidInput, ErrorCode.INVALID_INPUT, "items")


async def test_the_most_items_allowed_are_recorded(w: World) -> None:
    items = [LineItem(sku=f"S{i}", amount=500) for i in range(purchases.MAX_ITEMS)]
    result = await record(items=items)(w)
    assert await result.purchase.items.all().count() == purchases.MAX_ITEMS  # type: ignore[attr-defined]


async def test_bad_item_quantity(w: World) -> None:
    cases = [
        (
            quantity,
            record(
                items=[
                    LineItem(sku="TEA", amount=1_000),
                    LineItem(sku="CAKE", amount=1_000, quantity=quantity),
                ]
            ),
        )
        for quantity in [0, -1, 100_001, 1.5, "2", True, False, None]
    ]
    await assert_each_refused(w, cases, InvalidInput, ErrorCode.INVALID_INPUT, "items.quantity")


@pytest.mark.parametrize(
    ("item", "code", "field"),
    [
        (LineItem(sku="TEA", amount=-1), ErrorCode.INVALID_AMOUNT, "items.amount"),
        (LineItem(sku="TEA", amount=1.5), ErrorCode.INVALID_AMOUNT, "items.amount"),  # type: ignore[arg-type]
        (LineItem(sku="  ", amount=1), ErrorCode.INVALID_INPUT, "items.sku"),
        (LineItem(sku="S" * 65, amount=1), ErrorCode.INVALID_INPUT, "items.sku"),
        (LineItem(sku="TEA", amount=1, name="n" * 201), ErrorCode.INVALID_INPUT, "items.name"),
    ],
)
async def test_bad_items(w: World, item: LineItem, code: ErrorCode, field: str) -> None:
    await assert_refused(w, record(items=[item]), InvalidInput, code, field)


async def test_bad_receipt_numbers(w: World) -> None:
    cases = [(receipt, record(receipt=receipt)) for receipt in ["", "   ", None, "R" * 65]]
    await assert_each_refused(w, cases, InvalidInput, ErrorCode.INVALID_INPUT, "receiptNumber")


async def test_a_receipt_number_is_unique_per_branch_only(w: World) -> None:
    await assert_refused(w, record(receipt="R1"), Conflict, ErrorCode.DUPLICATE_RECEIPT)
    elsewhere = await f.staff_actor(Role.CASHIER, w.other_shop.id)
    result = await record(
        receipt="R1", actor=lambda w: elsewhere, branch=lambda w: w.other_shop.id
    )(w)
    assert result.purchase.receipt_number == "R1"  # type: ignore[attr-defined]


# -- reversals ----------------------------------------------------------------------------


async def test_purchase_earnings_are_refunded_not_reversed(w: World) -> None:
    earned = await JournalTransaction.get(purchase_id=w.purchase_id)
    await assert_refused(
        w, reverse(transaction_id=lambda w: earned.id), InvalidInput, ErrorCode.INVALID_INPUT
    )


async def test_a_reversal_is_not_reversed(w: World) -> None:
    undone = await reverse()(w)
    await assert_refused(
        w,
        reverse(transaction_id=lambda w: undone.transaction.id),  # type: ignore[attr-defined]
        InvalidInput,
        ErrorCode.INVALID_INPUT,
    )
    await assert_refused(w, reverse(), Conflict, ErrorCode.ALREADY_EXISTS)


async def test_a_reversal_needs_a_reason(w: World) -> None:
    cases = [(reason, reverse(reason=reason)) for reason in ["", "  ", None, "r" * 301]]
    await assert_each_refused(w, cases, InvalidInput, ErrorCode.INVALID_INPUT, "reason")


# -- profiles -----------------------------------------------------------------------------


BAD_PROFILES = [
    ({"first_name": "n" * 101}, "first_name"),
    ({"city": "c" * 101}, "city"),
    ({"birthday": date(1899, 12, 31)}, "birthday"),
    ({"birthday": datetime.now(UTC).date() + timedelta(days=2)}, "birthday"),
    ({"interests": [f"i{n}" for n in range(members.MAX_INTERESTS + 1)]}, "interests"),
    ({"interests": ["ok", "  "]}, "interests"),
]


@pytest.mark.parametrize(("profile", "field"), BAD_PROFILES, ids=[f for _, f in BAD_PROFILES])
async def test_bad_profiles_enrol_nobody(w: World, profile: dict[str, Any], field: str) -> None:
    await assert_refused(
        w, enrol(f.phone(), profile=profile), InvalidInput, ErrorCode.INVALID_INPUT, field
    )


async def test_a_refused_first_write_leaves_the_ledger_usable() -> None:
    """The club's own accounts are made on first use, inside the transaction that needs them;
    when that transaction is refused and rolled back, the next one must not trip over them."""
    cashier = await f.staff_actor(Role.CASHIER)
    sara = await f.member()
    for purse in Purse:
        with pytest.raises(InsufficientBalance):
            await wallet.spend(
                cashier, member_id=sara.id, purse=purse, amount=1, idempotency_key=f.key()
            )
    await f.give(sara.id, Purse.POINTS, 5)
    await f.give(sara.id, Purse.CREDIT, 5)
    for purse in Purse:
        result = await wallet.spend(
            cashier, member_id=sara.id, purse=purse, amount=2, idempotency_key=f.key()
        )
        assert getattr(result.balances, purse.value) == 3
    # And each leg landed on the club account it names (a stale cached row, its id reused by
    # the next account made, would send it to another one).
    club = await Account.filter(member_id=None).values_list("code", flat=True)
    assert sorted(club) == sorted(
        a.value
        for a in (
            SystemAccount.POINTS_ADJUSTMENT,
            SystemAccount.CREDIT_TOPPED_UP,
            SystemAccount.POINTS_REDEEMED,
            SystemAccount.CREDIT_SPENT,
        )
    )
    for code, total in (
        ("points:adjustment", -5),
        ("credit:topped_up", -5),
        ("points:redeemed", 2),
        ("credit:spent", 2),
    ):
        assert await ledger.posted_total(account__code=code) == total, code
