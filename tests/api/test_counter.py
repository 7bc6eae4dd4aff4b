"""Staff at the counter and in the back office, through GraphQL."""

from __future__ import annotations

from loyalty.models import Role
from tests import factories as f
from tests.api.conftest import Api

ENROL = """
mutation($input: EnrolMemberInput!) {
  enrolMember(input: $input) {
    __typename
    ... on MemberEnrolled { created member { id phone firstName balances { points credit } } }
    ... on Error { code message }
    ... on InvalidInputError { field }
  }
}"""
FIND = """
query($phone: String, $card: String) {
  findMember(phone: $phone, cardNumber: $card) {
    __typename ... on Member { id firstName } ... on Error { code message }
  }
}"""
RECORD = """
mutation($input: RecordPurchaseInput!) {
  recordPurchase(input: $input) {
    __typename
    ... on PurchaseRecorded {
      purchase { id amount items { sku quantity } branch { code } }
      earned { reason points } pointsEarned balances { points credit } replayed
    }
    ... on Error { code message }
  }
}"""
POSTED = """
    __typename
    ... on TransactionPosted {
      entry { id kind reason points credit } balances { points credit } replayed
    }
    ... on InsufficientBalanceError { available requested }
    ... on Error { code message }
"""
TOP_UP = "mutation($input: TopUpCreditInput!) { topUpCredit(input: $input) {" + POSTED + "} }"
SPEND = "mutation($input: SpendInput!) { spendAtCounter(input: $input) {" + POSTED + "} }"
ADJUST = "mutation($input: AdjustBalanceInput!) { adjustBalance(input: $input) {" + POSTED + "} }"
REVERSE = (
    "mutation($input: ReverseTransactionInput!) { reverseTransaction(input: $input) {"
    + POSTED
    + "} }"
)
REFUND = """
mutation($input: RefundPurchaseInput!) {
  refundPurchase(input: $input) {
    __typename
    ... on PurchaseRefunded {
      purchase { refundedAmount } reversed { points reason } balances { points }
    }
    ... on Error { code message }
  }
}"""


async def test_the_counter_day(api: Api) -> None:
    shop = await f.branch()
    cashier = await api.staff_token(Role.CASHIER, shop.id)
    manager = await api.staff_token(Role.MANAGER)

    enrolled = (
        await api.call(ENROL, {"input": {"phone": "0912 555 1234", "firstName": "مریم"}}, cashier)
    )["enrolMember"]
    # A cashier sees the number masked (loyalty/privacy/masking.py).
    assert enrolled["created"] is True and enrolled["member"]["phone"] == "+98 912 *** **34"
    member_id = enrolled["member"]["id"]
    again = (await api.call(ENROL, {"input": {"phone": "+989125551234"}}, cashier))["enrolMember"]
    assert again["created"] is False and again["member"]["id"] == member_id
    found = (await api.call(FIND, {"phone": "00989125551234"}, cashier))["findMember"]
    assert found == {"__typename": "Member", "id": member_id, "firstName": "مریم"}

    purchase = {
        "branchId": str(shop.id),
        "memberId": member_id,
        "amount": 3_000_000_000,
        "receiptNumber": "A-1",
        "idempotencyKey": "counter-day-1",
        "items": [
            {"sku": "ESP", "amount": 1_000_000_000, "quantity": 2, "category": "coffee"},
            {"sku": "CAKE", "amount": 1_000_000_000},
        ],
    }
    recorded = (await api.call(RECORD, {"input": purchase}, cashier))["recordPurchase"]
    assert recorded["pointsEarned"] == 300_000  # above 32 bits in Rials: BigInt carries it
    assert recorded["purchase"]["branch"]["code"] == shop.code
    assert recorded["earned"] == [
        {"reason": "1 point for every 1,000 Toman of purchases", "points": 300_000}
    ]
    replay = (await api.call(RECORD, {"input": purchase}, cashier))["recordPurchase"]
    assert replay["replayed"] is True and replay["purchase"]["id"] == recorded["purchase"]["id"]
    assert replay["balances"]["points"] == 300_000

    key = {"memberId": member_id}
    top = (
        await api.call(
            TOP_UP, {"input": {**key, "amount": 500_000, "idempotencyKey": f.key()}}, cashier
        )
    )["topUpCredit"]
    assert top["balances"] == {"points": 300_000, "credit": 500_000}
    short = await api.call(
        SPEND,
        {"input": {**key, "purse": "CREDIT", "amount": 600_000, "idempotencyKey": f.key()}},
        cashier,
    )
    assert short["spendAtCounter"] == {
        "__typename": "InsufficientBalanceError",
        "available": 500_000,
        "requested": 600_000,
        "code": "INSUFFICIENT_BALANCE",
        "message": "not enough credit: 50,000 Toman available, 60,000 Toman requested",
    }
    paid = await api.call(
        SPEND,
        {"input": {**key, "purse": "POINTS", "amount": 1_000, "idempotencyKey": f.key()}},
        cashier,
    )
    assert paid["spendAtCounter"]["entry"]["points"] == -1_000

    refused = (
        await api.call(
            ADJUST,
            {
                "input": {
                    **key,
                    "purse": "POINTS",
                    "delta": 5,
                    "reason": "gift",
                    "idempotencyKey": f.key(),
                }
            },
            cashier,
        )
    )["adjustBalance"]
    assert refused["__typename"] == "PermissionDeniedError"
    gift = (
        await api.call(
            ADJUST,
            {
                "input": {
                    **key,
                    "purse": "POINTS",
                    "delta": 5,
                    "reason": "birthday gift",
                    "idempotencyKey": f.key(),
                }
            },
            manager,
        )
    )["adjustBalance"]
    assert gift["entry"]["reason"] == "Adjusted by the club: birthday gift"
    undone = (
        await api.call(
            REVERSE,
            {
                "input": {
                    "transactionId": gift["entry"]["id"],
                    "reason": "typo",
                    "idempotencyKey": f.key(),
                }
            },
            manager,
        )
    )["reverseTransaction"]
    assert undone["entry"]["kind"] == "REVERSAL" and undone["entry"]["points"] == -5

    refund = (
        await api.call(
            REFUND,
            {
                "input": {
                    "purchaseId": recorded["purchase"]["id"],
                    "amount": 1_500_000_000,
                    "idempotencyKey": f.key(),
                }
            },
            cashier,
        )
    )["refundPurchase"]
    assert refund["purchase"]["refundedAmount"] == 1_500_000_000
    assert refund["reversed"][0]["points"] == -150_000
    assert refund["balances"]["points"] == 300_000 - 1_000 - 150_000


async def test_cashier_bound_to_a_branch_cannot_record_at_another(api: Api) -> None:
    home, other = await f.branch(), await f.branch()
    cashier = await api.staff_token(Role.CASHIER, home.id)
    member = await f.member()
    result = (
        await api.call(
            RECORD,
            {
                "input": {
                    "branchId": str(other.id),
                    "memberId": str(member.id),
                    "amount": 1000,
                    "receiptNumber": "X",
                    "idempotencyKey": f.key(),
                }
            },
            cashier,
        )
    )["recordPurchase"]
    assert result["__typename"] == "PermissionDeniedError"
