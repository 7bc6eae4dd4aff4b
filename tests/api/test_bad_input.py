"""Bad input gets a clear, specific error and changes nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import jwt
import pytest

from loyalty.models import JournalTransaction, Member, Posting, Purchase, Role
from loyalty.settings import get_settings
from tests import factories as f
from tests.api.conftest import Api, make_api
from tests.api.test_counter import ENROL, RECORD, TOP_UP


async def _counts() -> tuple[int, ...]:
    return (
        await Member.all().count(),
        await Purchase.all().count(),
        await JournalTransaction.all().count(),
        await Posting.all().count(),
    )


@pytest.fixture
async def counter(api: Api) -> dict:
    shop = await f.branch()
    member = await f.member()
    return {"shop": shop, "member": member, "token": await api.staff_token(Role.CASHIER, shop.id)}


@pytest.mark.parametrize(
    ("phone", "code"),
    [
        ("0912abc4567", "INVALID_PHONE"),
        ("123", "INVALID_PHONE"),
        ("02188776655", "INVALID_PHONE"),
        ("", "INVALID_PHONE"),
        ("9" * 100, "INVALID_PHONE"),
    ],
)
async def test_malformed_phones(api: Api, counter: dict, phone: str, code: str) -> None:
    before = await _counts()
    result = (await api.call(ENROL, {"input": {"phone": phone}}, counter["token"]))["enrolMember"]
    assert result["__typename"] == "InvalidInputError"
    assert result["code"] == code and result["field"] == "phone"
    assert await _counts() == before


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        (-5, "amount must be greater than zero"),
        (0, "amount must be greater than zero"),
        (10**13 + 1, "amount may be at most 10,000,000,000,000"),
    ],
)
async def test_amounts_out_of_range(api: Api, counter: dict, amount: int, message: str) -> None:
    before = await _counts()
    result = (
        await api.call(
            RECORD,
            {
                "input": {
                    "branchId": str(counter["shop"].id),
                    "memberId": str(counter["member"].id),
                    "amount": amount,
                    "receiptNumber": "R",
                    "idempotencyKey": f.key(),
                }
            },
            counter["token"],
        )
    )["recordPurchase"]
    assert result == {
        "__typename": "InvalidInputError",
        "code": "INVALID_AMOUNT",
        "message": message,
    }
    assert await _counts() == before


@pytest.mark.parametrize("amount", [2**53, 1.5, "12a", True])
async def test_amounts_that_are_not_whole_numbers_fail_validation(
    api: Api, counter: dict, amount: object
) -> None:
    before = await _counts()
    body = await api.post(
        TOP_UP,
        {
            "input": {
                "memberId": str(counter["member"].id),
                "amount": amount,
                "idempotencyKey": f.key(),
            }
        },
        counter["token"],
    )
    assert body["data"] is None
    assert "BigInt" in body["errors"][0]["message"]
    assert await _counts() == before


async def test_unknown_branch_and_member(api: Api, counter: dict) -> None:
    before = await _counts()
    manager = await api.staff_token(Role.MANAGER)
    unknown_branch = (
        await api.call(
            RECORD,
            {
                "input": {
                    "branchId": "999999",
                    "amount": 1000,
                    "receiptNumber": "R",
                    "idempotencyKey": f.key(),
                }
            },
            manager,
        )
    )["recordPurchase"]
    assert unknown_branch == {
        "__typename": "NotFoundError",
        "code": "NOT_FOUND",
        "message": "branch 999999 was not found",
    }
    unknown_member = (
        await api.call(
            TOP_UP,
            {"input": {"memberId": "424242", "amount": 1000, "idempotencyKey": f.key()}},
            counter["token"],
        )
    )["topUpCredit"]
    assert unknown_member["__typename"] == "NotFoundError"
    bad_id = (
        await api.call(
            TOP_UP,
            {"input": {"memberId": "abc", "amount": 1000, "idempotencyKey": f.key()}},
            counter["token"],
        )
    )["topUpCredit"]
    assert bad_id["__typename"] == "InvalidInputError"
    assert await _counts() == before


async def test_wrong_role(api: Api, counter: dict) -> None:
    before = await _counts()
    operator = await api.staff_token(Role.OPERATOR)
    result = (
        await api.call(
            RECORD,
            {
                "input": {
                    "branchId": str(counter["shop"].id),
                    "amount": 1000,
                    "receiptNumber": "R",
                    "idempotencyKey": f.key(),
                }
            },
            operator,
        )
    )["recordPurchase"]
    assert result["__typename"] == "PermissionDeniedError"
    assert await _counts() == before


async def test_expired_tampered_and_missing_tokens(api: Api, counter: dict) -> None:
    before = await _counts()
    settings = get_settings()
    past = datetime.now(UTC) - timedelta(hours=1)
    expired = jwt.encode(
        {
            "iss": "loyalty-club",
            "sub": "staff:1",
            "iat": past,
            "exp": past + timedelta(minutes=1),
            "role": "manager",
        },
        settings.derived_key("access-token"),
        algorithm="HS256",
    )
    forged = jwt.encode(
        {
            "iss": "loyalty-club",
            "sub": "staff:1",
            "iat": datetime.now(UTC),
            "exp": datetime.now(UTC) + timedelta(minutes=5),
            "role": "manager",
        },
        "guessed-key",
        algorithm="HS256",
    )
    variables = {
        "input": {"memberId": str(counter["member"].id), "amount": 100, "idempotencyKey": f.key()}
    }
    for token, message in [
        (expired, "the access token has expired; refresh it"),
        (forged, "the access token is not valid"),
        (None, "sign in first"),
    ]:
        result = (await api.call(TOP_UP, variables, token))["topUpCredit"]
        assert result == {
            "__typename": "AuthenticationError",
            "code": "AUTHENTICATION_FAILED",
            "message": message,
        }
    assert await _counts() == before


async def test_oversized_deep_and_aliased_queries_are_refused(api: Api, counter: dict) -> None:
    token = counter["token"]
    huge = "{ " + " ".join(f"a{i}: __typename" for i in range(1500)) + " }"
    body = await api.post(huge, {}, token)
    assert body["data"] is None and "token" in body["errors"][0]["message"].lower()
    aliases = "{ " + " ".join(f"b{i}: branches {{ id }}" for i in range(20)) + " }"
    body = await api.post(aliases, {}, token)
    assert "aliases" in body["errors"][0]["message"].lower()
    # Our schema has no cycles to go deep with, so check the limit with a low setting.
    http, _ = make_api(get_settings().model_copy(update={"graphql_max_depth": 3}))
    async with http:
        shallow = Api(http, api.sms)
        body = await shallow.post("{ me { history { edges { node { id } } } } }", {}, token)
    assert "exceeds maximum operation depth of 3" in body["errors"][0]["message"]
    response = await api.http.post(
        "/graphql", content=b"x" * (70 * 1024), headers={"content-type": "application/json"}
    )
    assert response.status_code == 413


async def test_unexpected_errors_are_masked(api: Api, counter: dict, monkeypatch) -> None:
    from loyalty import members

    async def broken(member_id: int):
        raise RuntimeError("database password is hunter2")

    monkeypatch.setattr(members, "get", broken)
    token, _ = await api.member_token()
    body = await api.post("{ me { id } }", {}, token)
    assert body["errors"][0]["message"] == "Unexpected error."
    assert "hunter2" not in str(body)
