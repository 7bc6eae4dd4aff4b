"""The station's GraphQL operations, in-process."""

from __future__ import annotations

from loyalty.models import Role
from tests import factories as f
from tests.api.conftest import Api

UID = "02FE0102030405AA"
ISSUE = """
mutation($uid: String!) {
  issueCardRecord(input: {uid: $uid}) {
    __typename ... on CardRecordIssued { cardNumber record tagPassword } ... on Error { code }
  }
}"""
ENROL = """
mutation($input: EnrolCardInput!) {
  enrolCard(input: $input) {
    __typename ... on CardBound { replayed card { number status uid member { id } } }
    ... on Error { code message }
  }
}"""
TAP = """
query($card: CardTapInput!) {
  tapCard(input: $card) {
    __typename
    ... on CardTapped { card { number } member { id balances { points credit } } }
    ... on Error { code message }
  }
}"""
PURCHASE = """
mutation($input: PurchaseByCardInput!) {
  purchaseByCard(input: $input) {
    __typename ... on PurchaseRecorded { pointsEarned purchase { items { sku } } }
    ... on Error { code message }
  }
}"""
PAY = """
mutation($input: PayByCardInput!) {
  payByCard(input: $input) {
    __typename ... on TransactionPosted { balances { credit } }
    ... on InsufficientBalanceError { available requested } ... on Error { code }
  }
}"""
REVIEWS = """
query { offlineReviews { edges { node { id operation errorCode } } pageInfo { hasNextPage } } }"""
POLICY = """
mutation($input: OfflinePolicyInput!) {
  setOfflinePolicy(input: $input) {
    __typename ... on OfflinePolicySaved { policy { creditPerCardPerDay version } }
    ... on Error { code }
  }
}"""
CONFIG = "query { stationConfig { branch { code } offline { creditPerStation purchases } } }"


async def test_a_station_enrols_and_serves_a_card(api: Api) -> None:
    shop = await f.branch("THR-1")
    station = await api.staff_token(Role.STATION, shop.id)
    sara = await f.member()
    issued = (await api.call(ISSUE, {"uid": UID}, station))["issueCardRecord"]
    assert len(bytes.fromhex(issued["tagPassword"])) == 6
    card = {"record": issued["record"], "uid": UID}
    bound = await api.call(ENROL, {"input": {"card": card, "memberId": str(sara.id)}}, station)
    assert bound["enrolCard"]["card"]["status"] == "ACTIVE"
    again = await api.call(ISSUE, {"uid": UID}, station)
    assert again["issueCardRecord"] == {"__typename": "ConflictError", "code": "ALREADY_EXISTS"}

    tapped = (await api.call(TAP, {"card": card}, station))["tapCard"]
    assert tapped["member"]["id"] == str(sara.id)
    copied = await api.call(TAP, {"card": {**card, "uid": "02FE0102030405AB"}}, station)
    assert copied["tapCard"]["code"] == "CARD_INVALID"

    bought = await api.call(
        PURCHASE,
        {
            "input": {
                "card": card,
                "amount": 200_000,
                "receiptNumber": "R-1",
                "idempotencyKey": f.key(),
                "items": [{"sku": "latte", "amount": 200_000}],
            }
        },
        station,
    )
    assert bought["purchaseByCard"]["pointsEarned"] == 20
    pay = {"card": card, "purse": "CREDIT", "amount": 1_000, "idempotencyKey": f.key()}
    refused = (await api.call(PAY, {"input": pay}, station))["payByCard"]
    assert (refused["__typename"], refused["available"], refused["requested"]) == (
        "InsufficientBalanceError",
        0,
        1000,
    )
    config = (await api.call(CONFIG, token=station))["stationConfig"]
    assert config["branch"]["code"] == "THR-1" and config["offline"]["purchases"]


async def test_managers_set_offline_limits_and_read_the_reviews(api: Api) -> None:
    manager = await api.staff_token(Role.MANAGER)
    station = await api.staff_token(Role.STATION, (await f.branch()).id)
    limits = {"creditPerCardPerDay": 100_000, "creditPerStation": 900_000}
    saved = await api.call(POLICY, {"input": limits}, manager)
    assert saved["setOfflinePolicy"]["policy"] == {"creditPerCardPerDay": 100_000, "version": 1}
    denied = await api.call(POLICY, {"input": limits}, station)
    assert denied["setOfflinePolicy"]["code"] == "PERMISSION_DENIED"
    listed = await api.call(REVIEWS, token=manager)
    assert listed["offlineReviews"] == {"edges": [], "pageInfo": {"hasNextPage": False}}
    refused = await api.post(REVIEWS, token=station)
    assert refused["errors"][0]["extensions"]["code"] == "PERMISSION_DENIED"
