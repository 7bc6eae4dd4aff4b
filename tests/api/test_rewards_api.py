"""Rewards and coupons through GraphQL: managers set them up, members see the catalogue, redeem
and keep vouchers (with the app's own operations), staff use codes and rewards at the counter."""

from __future__ import annotations

from pathlib import Path

from loyalty.ledger import Purse
from loyalty.models import Role
from tests import factories as f
from tests.api.conftest import Api

OPERATIONS = Path(__file__).resolve().parents[2] / "mobile_contract" / "operations"
REWARDS = (OPERATIONS / "Rewards.graphql").read_text(encoding="utf-8")
REDEEM = (OPERATIONS / "RedeemReward.graphql").read_text(encoding="utf-8")
MY_VOUCHERS = (OPERATIONS / "MyVouchers.graphql").read_text(encoding="utf-8")

CREATE_COUPON = """
mutation($input: CouponInput!) {
  createCoupon(input: $input) {
    __typename
    ... on CouponSaved {
      coupon { id name version usesPerCode benefit { kind basisPoints summary } }
    }
    ... on Error { code message }
    ... on InvalidInputError { field }
  }
}"""
ISSUE = """
mutation($input: IssueCouponCodesInput!) {
  issueCouponCodes(input: $input) {
    __typename
    ... on CouponCodesIssued { codes { id code memberId uses } }
    ... on Error { code message }
  }
}"""
COUPONS = """
query($first: Int, $after: String) {
  coupons(first: $first, after: $after) {
    edges { node { id name codes(first: 2) { edges { node { code } } pageInfo { hasNextPage } } } }
    pageInfo { hasNextPage endCursor }
  }
}"""
CREATE_REWARD = """
mutation($input: RewardInput!) {
  createReward(input: $input) {
    __typename
    ... on RewardSaved { reward { id name kind costPoints version benefit { summary } } }
    ... on Error { code message }
    ... on InvalidInputError { field }
  }
}"""
UPDATE_REWARD = """
mutation($input: UpdateRewardInput!) {
  updateReward(input: $input) {
    __typename
    ... on RewardSaved { reward { version costPoints } }
    ... on Error { code message }
  }
}"""
REWARD_CATALOGUE = """
query { rewardCatalogue(first: 10, includeInactive: true) { edges { node { id name active } } } }
"""
RECORD = """
mutation($input: RecordPurchaseInput!) {
  recordPurchase(input: $input) {
    __typename
    ... on PurchaseRecorded {
      purchase { id amount }
      discounts { code purse amount reason }
      earned { kind points }
      balances { points }
    }
    ... on RateLimitedError { retryAfterSeconds }
    ... on Error { code message }
  }
}"""
QUOTE = """
query($input: QuotePurchaseInput!) {
  quotePurchase(input: $input) {
    __typename
    ... on PurchaseQuote { netAmount discounts { code amount } }
    ... on Error { code message }
  }
}"""
STAFF_REDEEM = """
mutation($input: RedeemRewardInput!) {
  redeemReward(input: $input) {
    __typename
    ... on RewardRedeemed { voucher { code status } balances { points } spent { branch { id } } }
    ... on Error { code message }
    ... on InvalidInputError { field }
  }
}"""
STAFF_CATALOGUE = """
query($member: ID) { rewards(memberId: $member) { reward { name } canRedeem affordable } }
"""

TEN_PERCENT = {"kind": "PERCENT_OFF", "basisPoints": 1000}


async def test_managers_set_up_coupons_and_issue_codes(api: Api) -> None:
    boss = await api.staff_token(Role.MANAGER)
    cashier = await api.staff_token(Role.CASHIER)
    coupon_input = {"name": "Ten off", "benefit": TEN_PERCENT, "usesPerCode": None}
    refused = await api.call(CREATE_COUPON, {"input": coupon_input}, cashier)
    assert refused["createCoupon"]["code"] == "PERMISSION_DENIED"
    bad = {"name": "Bad", "benefit": {"kind": "PERCENT_OFF", "basisPoints": 0}}
    invalid = (await api.call(CREATE_COUPON, {"input": bad}, boss))["createCoupon"]
    assert (invalid["__typename"], invalid["field"]) == ("InvalidInputError", "basisPoints")

    ids = []
    for name in ("First", "Second", "Third"):
        saved = (await api.call(CREATE_COUPON, {"input": {**coupon_input, "name": name}}, boss))[
            "createCoupon"
        ]
        assert saved["coupon"]["usesPerCode"] is None
        assert saved["coupon"]["benefit"]["summary"] == "۱۰٪ تخفیف"
        ids.append(saved["coupon"]["id"])
    issued = await api.call(ISSUE, {"input": {"couponId": ids[0], "count": 3}}, boss)
    codes = issued["issueCouponCodes"]["codes"]
    assert len({c["code"] for c in codes}) == 3 and all(len(c["code"]) >= 10 for c in codes)

    page = (await api.call(COUPONS, {"first": 2}, boss))["coupons"]
    assert [e["node"]["name"] for e in page["edges"]] == ["Third", "Second"]
    assert page["pageInfo"]["hasNextPage"]
    rest = (await api.call(COUPONS, {"first": 2, "after": page["pageInfo"]["endCursor"]}, boss))[
        "coupons"
    ]
    (first,) = [e["node"] for e in rest["edges"]]
    assert first["name"] == "First"
    assert len(first["codes"]["edges"]) == 2 and first["codes"]["pageInfo"]["hasNextPage"]
    body = await api.post(COUPONS, {}, cashier)
    assert body["errors"][0]["extensions"]["code"] == "PERMISSION_DENIED"


async def test_a_member_redeems_a_voucher_and_uses_it_at_the_counter(api: Api) -> None:
    boss = await api.staff_token(Role.MANAGER)
    shop = await f.branch()
    cashier = await api.staff_token(Role.CASHIER, shop.id)
    reward_input = {
        "name": "Fifty off",
        "kind": "VOUCHER",
        "benefit": {"kind": "AMOUNT_OFF", "amount": 500_000},
        "costPoints": 2_000,
        "stock": 10,
    }
    saved = (await api.call(CREATE_REWARD, {"input": reward_input}, boss))["createReward"]
    reward = saved["reward"]
    assert (reward["kind"], reward["version"]) == ("VOUCHER", 1)
    stale = await api.call(
        UPDATE_REWARD,
        {"input": {**reward_input, "id": reward["id"], "expectedVersion": 0}},
        boss,
    )
    assert stale["updateReward"]["__typename"] == "VersionConflictError"
    catalogue = await api.call(REWARD_CATALOGUE, {}, boss)
    assert [e["node"]["name"] for e in catalogue["rewardCatalogue"]["edges"]] == ["Fifty off"]

    token, member_id = await api.member_token()
    (item,) = (await api.call(REWARDS, {}, token))["rewards"]
    assert (item["affordable"], item["canRedeem"], item["unavailableCode"]) == (False, False, None)
    poor = (await api.call(REDEEM, {"rewardId": reward["id"], "idempotencyKey": "k-1"}, token))[
        "redeemReward"
    ]
    assert (poor["__typename"], poor["available"], poor["requested"]) == (
        "InsufficientBalanceError",
        0,
        2_000,
    )

    await f.give(int(member_id), Purse.POINTS, 3_000)
    (item,) = (await api.call(REWARDS, {}, token))["rewards"]
    assert item["canRedeem"] and item["reward"]["benefit"]["summary"] == "۵۰٬۰۰۰ تومان تخفیف"
    redeemed = (await api.call(REDEEM, {"rewardId": reward["id"], "idempotencyKey": "k-2"}, token))[
        "redeemReward"
    ]
    assert redeemed["__typename"] == "RewardRedeemed" and not redeemed["replayed"]
    assert redeemed["balances"]["points"] == 1_000
    assert redeemed["spent"]["points"] == -2_000
    code = redeemed["voucher"]["code"]
    assert redeemed["voucher"]["status"] == "USABLE"

    vouchers = (await api.call(MY_VOUCHERS, {}, token))["myVouchers"]["edges"]
    assert [(v["node"]["code"], v["node"]["usesLeft"]) for v in vouchers] == [(code, 1)]

    purchase = {
        "branchId": str(shop.id),
        "memberId": member_id,
        "amount": 2_000_000,
        "receiptNumber": "R-1",
        "idempotencyKey": "p-1",
        "couponCodes": [code.lower()],
    }
    quote = await api.call(
        QUOTE,
        {
            "input": {
                "branchId": str(shop.id),
                "memberId": member_id,
                "amount": 2_000_000,
                "couponCodes": [code],
            }
        },
        cashier,
    )
    assert quote["quotePurchase"] == {
        "__typename": "PurchaseQuote",
        "netAmount": 1_500_000,
        "discounts": [{"code": "coupon", "amount": 500_000}],
    }
    recorded = (await api.call(RECORD, {"input": purchase}, cashier))["recordPurchase"]
    assert recorded["__typename"] == "PurchaseRecorded"
    assert [(d["code"], d["amount"]) for d in recorded["discounts"]] == [("coupon", 500_000)]
    assert recorded["discounts"][0]["reason"].startswith(f"کد {code}")
    second = {**purchase, "receiptNumber": "R-2", "idempotencyKey": "p-2"}
    again = (await api.call(RECORD, {"input": second}, cashier))["recordPurchase"]
    assert (again["__typename"], again["code"]) == ("NotUsableError", "CODE_NOT_VALID")
    assert "already been used up" in again["message"]
    vouchers = (await api.call(MY_VOUCHERS, {}, token))["myVouchers"]["edges"]
    assert vouchers[0]["node"]["status"] == "USED"


async def test_codes_and_rewards_at_the_counter(api: Api) -> None:
    boss = await api.staff_token(Role.MANAGER)
    shop = await f.branch()
    cashier = await api.staff_token(Role.CASHIER, shop.id)
    sara = await f.member()
    await f.give(sara.id, Purse.POINTS, 1_500)
    discount = {
        "name": "Ten percent",
        "kind": "DISCOUNT",
        "benefit": TEN_PERCENT,
        "costPoints": 1_000,
    }
    reward = (await api.call(CREATE_REWARD, {"input": discount}, boss))["createReward"]["reward"]

    def purchase(n: int, **more: object) -> dict:
        return {
            "input": {
                "branchId": str(shop.id),
                "memberId": str(sara.id),
                "amount": 1_000_000,
                "receiptNumber": f"R-{n}",
                "idempotencyKey": f"p-{n}",
                **more,
            }
        }

    recorded = (await api.call(RECORD, purchase(1, rewardIds=[reward["id"]]), cashier))[
        "recordPurchase"
    ]
    assert [(d["code"], d["amount"]) for d in recorded["discounts"]] == [("reward", 100_000)]
    assert [e["kind"] for e in recorded["earned"]] == ["SPEND", "EARN"]
    poorer = (await api.call(RECORD, purchase(2, rewardIds=[reward["id"]]), cashier))[
        "recordPurchase"
    ]
    assert poorer["code"] == "INSUFFICIENT_BALANCE"
    wrong = (await api.call(RECORD, purchase(3, couponCodes=["NOPE-NOPE"]), cashier))[
        "recordPurchase"
    ]
    assert (wrong["__typename"], wrong["code"]) == ("NotUsableError", "CODE_NOT_VALID")
    assert wrong["message"] == "code NOPENOPE does not exist; check it and type it again"
    bad_id = (await api.call(RECORD, purchase(4, rewardIds=["x"]), cashier))["recordPurchase"]
    assert bad_id["code"] == "INVALID_INPUT"

    # Staff redeem a voucher reward for a member; a member only for themselves.
    gift = {
        "name": "Free latte",
        "kind": "FREE_PRODUCT",
        "benefit": {"kind": "FREE_PRODUCT", "sku": "LATTE"},
        "costPoints": 100,
    }
    latte = (await api.call(CREATE_REWARD, {"input": gift}, boss))["createReward"]["reward"]
    unnamed = await api.call(
        STAFF_REDEEM, {"input": {"rewardId": latte["id"], "idempotencyKey": "r-1"}}, cashier
    )
    assert unnamed["redeemReward"]["field"] == "memberId"
    at_counter = await api.call(
        STAFF_REDEEM,
        {"input": {"rewardId": latte["id"], "idempotencyKey": "r-2", "memberId": str(sara.id)}},
        cashier,
    )
    redeemed = at_counter["redeemReward"]
    assert redeemed["voucher"]["status"] == "USABLE"
    assert redeemed["spent"]["branch"]["id"] == str(shop.id)
    token, _ = await api.member_token()
    other = await api.call(
        STAFF_REDEEM,
        {"input": {"rewardId": latte["id"], "idempotencyKey": "r-3", "memberId": str(sara.id)}},
        token,
    )
    assert other["redeemReward"]["field"] == "memberId"
    listed = await api.call(STAFF_CATALOGUE, {"member": str(sara.id)}, cashier)
    assert {i["reward"]["name"]: i["canRedeem"] for i in listed["rewards"]} == {
        "Free latte": True,
        "Ten percent": False,
    }
    body = await api.post(STAFF_CATALOGUE, {}, cashier)
    assert body["errors"][0]["extensions"]["code"] == "INVALID_INPUT"
