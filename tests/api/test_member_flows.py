"""A member signs in by SMS code, sees only their own data, refreshes the session."""

from __future__ import annotations

from loyalty.models import Role
from tests import factories as f
from tests.api.conftest import REQUEST_CODE, SIGN_IN_CODE, Api

ME = """
query($after: String) {
  me {
    id phone firstName
    balances { points credit }
    tier { current { name } qualifying }
    history(first: 2, after: $after) {
      edges { cursor node { id kind reason points credit branch { name } } }
      pageInfo { hasNextPage endCursor }
    }
    purchases(first: 10) { edges { node { id amount receiptNumber items { sku } } } }
  }
}"""

RECORD = """
mutation($input: RecordPurchaseInput!) {
  recordPurchase(input: $input) {
    __typename
    ... on PurchaseRecorded { purchase { id } pointsEarned replayed balances { points } }
    ... on Error { code message }
  }
}"""


async def _buy(api: Api, token: str, branch_id: int, member_id: str, amount: int, receipt: str):
    data = await api.call(
        RECORD,
        {
            "input": {
                "branchId": str(branch_id),
                "memberId": member_id,
                "amount": amount,
                "receiptNumber": receipt,
                "idempotencyKey": f.key(),
                "items": [{"sku": "LATTE", "amount": amount, "category": "coffee"}],
            }
        },
        token,
    )
    return data["recordPurchase"]


async def test_sign_in_by_code_enrols_then_signs_in_again(api: Api) -> None:
    phone = "۰۹۱۲۳۴۵۶۷۸۹"  # Persian digits are normal input
    await api.call(REQUEST_CODE, {"phone": phone})
    sent_to, text = api.sms.sent[-1]
    assert sent_to == "+989123456789"
    code = text.rsplit(": ", 1)[1]
    first = (await api.call(SIGN_IN_CODE, {"phone": phone, "code": code}))["signInWithCode"]
    assert first["__typename"] == "MemberSession" and first["newMember"] is True
    assert first["member"]["phone"] == "+989123456789"

    await api.call(REQUEST_CODE, {"phone": "09123456789"})
    code = api.sms.sent[-1][1].rsplit(": ", 1)[1]
    again = await api.call(SIGN_IN_CODE, {"phone": "+989123456789", "code": code})
    assert again["signInWithCode"]["newMember"] is False
    assert again["signInWithCode"]["member"]["id"] == first["member"]["id"]


async def test_wrong_code_is_a_typed_error_and_issues_no_token(api: Api) -> None:
    await api.call(REQUEST_CODE, {"phone": "09120000001"})
    code = api.sms.sent[-1][1].rsplit(": ", 1)[1]
    wrong = "000000" if code != "000000" else "111111"
    result = await api.call(SIGN_IN_CODE, {"phone": "09120000001", "code": wrong})
    assert result["signInWithCode"] == {
        "__typename": "AuthenticationError",
        "code": "CODE_INVALID",
        "message": "the code is not correct",
    }


async def test_code_requests_are_rate_limited_per_phone(api: Api) -> None:
    results = [
        (await api.call(REQUEST_CODE, {"phone": "09120000002"}))["requestSignInCode"]
        for _ in range(6)
    ]
    assert [r["__typename"] for r in results] == ["SignInCodeSent"] * 5 + ["RateLimitedError"]
    assert results[-1]["code"] == "RATE_LIMITED"
    assert len(api.sms.sent) == 5


async def test_member_sees_own_history_with_reasons_and_pages(api: Api) -> None:
    shop = await f.branch()
    cashier = await api.staff_token(Role.CASHIER, shop.id)
    token, member_id = await api.member_token()
    for n in range(3):
        await _buy(api, cashier, shop.id, member_id, 100_000 * (n + 1), f"R{n}")

    page1 = (await api.call(ME, {}, token))["me"]
    assert page1["balances"] == {"points": 60, "credit": 0}
    assert page1["tier"] == {"current": None, "qualifying": 0}  # the club has no tiers yet
    edges = page1["history"]["edges"]
    assert [e["node"]["points"] for e in edges] == [30, 20]
    assert edges[0]["node"]["reason"] == "1 point for every 1,000 Toman of purchases"
    assert edges[0]["node"]["branch"]["name"] == shop.name
    assert page1["history"]["pageInfo"]["hasNextPage"] is True
    page2 = await api.call(ME, {"after": page1["history"]["pageInfo"]["endCursor"]}, token)
    assert [e["node"]["points"] for e in page2["me"]["history"]["edges"]] == [10]
    assert page2["me"]["history"]["pageInfo"]["hasNextPage"] is False
    assert len(page1["purchases"]["edges"]) == 3


async def test_refresh_rotates_and_a_reused_refresh_token_ends_the_session(api: Api) -> None:
    phone = f.phone()
    await api.call(REQUEST_CODE, {"phone": phone})
    code = api.sms.sent[-1][1].rsplit(": ", 1)[1]
    tokens = (await api.call(SIGN_IN_CODE, {"phone": phone, "code": code}))["signInWithCode"][
        "tokens"
    ]
    refresh = """mutation($t: String!) { refreshSession(input: {refreshToken: $t}) {
        __typename ... on SessionTokens { accessToken refreshToken } ... on Error { code } } }"""
    fresh = (await api.call(refresh, {"t": tokens["refreshToken"]}))["refreshSession"]
    assert fresh["__typename"] == "SessionTokens"
    me = await api.call("{ me { phone } }", {}, fresh["accessToken"])
    assert me["me"]["phone"].endswith(phone[-7:])
    stolen = (await api.call(refresh, {"t": tokens["refreshToken"]}))["refreshSession"]
    assert stolen == {"__typename": "AuthenticationError", "code": "AUTHENTICATION_FAILED"}
    # The reuse revoked the whole family, including the fresh refresh token.
    after = (await api.call(refresh, {"t": fresh["refreshToken"]}))["refreshSession"]
    assert after["__typename"] == "AuthenticationError"
