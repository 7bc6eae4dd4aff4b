"""Managers open branches and create staff accounts through GraphQL."""

from __future__ import annotations

from loyalty.models import Branch, Role, StaffUser
from tests.api.conftest import SIGN_IN_STAFF, Api

CREATE_BRANCH = """
mutation($input: CreateBranchInput!) {
  createBranch(input: $input) {
    __typename ... on BranchCreated { branch { id code name } } ... on Error { code message }
  }
}"""
CREATE_STAFF = """
mutation($input: CreateStaffUserInput!) {
  createStaffUser(input: $input) {
    __typename
    ... on StaffUserCreated { staff { username role branch { code } } }
    ... on Error { code message }
  }
}"""


async def test_manager_opens_a_branch_and_hires_a_station(api: Api) -> None:
    manager = await api.staff_token(Role.MANAGER)
    opened = await api.call(
        CREATE_BRANCH, {"input": {"code": "TEH-1", "name": "کافه ونک", "city": "Tehran"}}, manager
    )
    branch = opened["createBranch"]["branch"]
    assert branch["code"] == "TEH-1" and branch["name"] == "کافه ونک"
    again = await api.call(CREATE_BRANCH, {"input": {"code": "TEH-1", "name": "x"}}, manager)
    assert again["createBranch"]["__typename"] == "ConflictError"

    unbound = await api.call(
        CREATE_STAFF,
        {"input": {"username": "till-1", "password": "long-enough-pw", "role": "STATION"}},
        manager,
    )
    assert unbound["createStaffUser"]["code"] == "INVALID_INPUT"
    hired = await api.call(
        CREATE_STAFF,
        {
            "input": {
                "username": "Till-1",
                "password": "long-enough-pw",
                "role": "STATION",
                "branchId": branch["id"],
            }
        },
        manager,
    )
    assert hired["createStaffUser"]["staff"] == {
        "username": "till-1",
        "role": "STATION",
        "branch": {"code": "TEH-1"},
    }
    session = await api.call(SIGN_IN_STAFF, {"u": "till-1", "p": "long-enough-pw"})
    assert session["signInStaff"]["__typename"] == "StaffSession"


async def test_only_managers_set_up_the_club(api: Api) -> None:
    cashier = await api.staff_token(Role.CASHIER)
    before = (await Branch.all().count(), await StaffUser.all().count())
    denied = await api.call(CREATE_BRANCH, {"input": {"code": "X", "name": "X"}}, cashier)
    assert denied["createBranch"]["__typename"] == "PermissionDeniedError"
    denied = await api.call(
        CREATE_STAFF,
        {"input": {"username": "boss2", "password": "long-enough-pw", "role": "MANAGER"}},
        cashier,
    )
    assert denied["createStaffUser"]["__typename"] == "PermissionDeniedError"
    assert (await Branch.all().count(), await StaffUser.all().count()) == before


CLUB_SETTINGS = "{ clubSettings { calendar timeZone currencyDisplay } }"


async def test_any_staff_reads_how_the_club_writes_dates_and_money(api: Api) -> None:
    for role in (Role.OPERATOR, Role.CASHIER):
        settings = await api.call(CLUB_SETTINGS, token=await api.staff_token(role))
        assert settings["clubSettings"] == {
            "calendar": "JALALI",
            "timeZone": "Asia/Tehran",
            "currencyDisplay": "TOMAN",
        }
    member, _ = await api.member_token()
    for token, code in ((member, "PERMISSION_DENIED"), (None, "AUTHENTICATION_FAILED")):
        refused = await api.post(CLUB_SETTINGS, token=token)
        assert refused["data"] is None
        assert refused["errors"][0]["extensions"]["code"] == code
