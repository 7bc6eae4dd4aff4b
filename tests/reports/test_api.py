"""Reports over GraphQL: managers only; tables as the domain builds them; a file to download;
the liability policy that values the points members hold."""

from __future__ import annotations

import base64

from loyalty.models import AuditEntry, Role
from tests.api.conftest import Api, api  # noqa: F401 - the fixture
from tests.reports.conftest import Club

REPORT = """
query Report($name: String!, $from: String!, $to: String!, $branch: String) {
  report(name: $name, from: $from, to: $to, branchCode: $branch, language: EN) {
    name title period branch { code }
    tables { key title columns { key title kind } rows }
    file(format: XLSX) { fileName mediaType base64 }
  }
}
"""
DAYS = {"from": "1404-09-30", "to": "1404-10-02"}


async def test_a_manager_reads_a_report_and_downloads_it(api: Api, club: Club) -> None:  # noqa: F811
    token = await api.staff_token(Role.MANAGER)
    found = (await api.call(REPORT, {"name": "sales", **DAYS, "branch": "ISF"}, token))["report"]
    assert (found["name"], found["title"], found["branch"]) == ("sales", "Sales", {"code": "ISF"})
    assert found["period"] == "1404-09-30 – 1404-10-02"
    buyers = next(t for t in found["tables"] if t["key"] == "buyers")
    assert [c["key"] for c in buyers["columns"]][:3] == ["buyers", "purchases", "revenue"]
    assert buyers["rows"][2][1:3] == ["2", "100000"]
    assert found["file"]["fileName"] == "sales-1404-09-30-1404-10-02.xlsx"
    assert base64.b64decode(found["file"]["base64"])[:2] == b"PK"  # a zip: the workbook


async def test_only_managers_may(api: Api, club: Club) -> None:  # noqa: F811
    for role in (Role.CASHIER, Role.OPERATOR, Role.SUPERVISOR):
        token = await api.staff_token(role)
        denied = await api.post(REPORT, {"name": "members", **DAYS}, token)
        assert denied["errors"][0]["extensions"]["code"] == "PERMISSION_DENIED"
    member, _ = await api.member_token()
    denied = await api.post(REPORT, {"name": "members", **DAYS}, member)
    assert denied["errors"][0]["extensions"]["code"] == "PERMISSION_DENIED"


async def test_bad_input_gets_a_clear_error(api: Api, club: Club) -> None:  # noqa: F811
    token = await api.staff_token(Role.MANAGER)
    unknown = await api.post(REPORT, {"name": "nope", **DAYS}, token)
    assert unknown["errors"][0]["extensions"]["code"] == "INVALID_INPUT"
    assert "unknown report" in unknown["errors"][0]["message"]
    backwards = await api.post(REPORT, {"name": "sales", "from": "1404-10-02", "to": "1404-09-30"},
                               token)  # fmt: skip
    assert backwards["errors"][0]["extensions"]["code"] == "INVALID_INPUT"


LIABILITY = "{ liabilityPolicy { pointValue version } }"
SET_LIABILITY = """
mutation($input: LiabilityPolicyInput!) {
  setLiabilityPolicy(input: $input) {
    __typename
    ... on LiabilityPolicySaved { policy { pointValue version } }
    ... on InvalidInputError { field }
    ... on Error { code message }
  }
}"""


async def _set_liability(api: Api, token: str, **values: int | None) -> dict:  # noqa: F811
    return (await api.call(SET_LIABILITY, {"input": values}, token))["setLiabilityPolicy"]


async def test_a_manager_sets_what_a_point_is_worth(api: Api) -> None:  # noqa: F811
    token = await api.staff_token(Role.MANAGER)
    read = await api.call(LIABILITY, {}, token)
    assert read["liabilityPolicy"] == {"pointValue": 0, "version": 0}
    saved = await _set_liability(api, token, pointValue=500, expectedVersion=0)
    assert saved == {"__typename": "LiabilityPolicySaved",
                     "policy": {"pointValue": 500, "version": 1}}  # fmt: skip
    again = await _set_liability(api, token, pointValue=700, expectedVersion=1)
    assert again["policy"] == {"pointValue": 700, "version": 2}
    stale = await _set_liability(api, token, pointValue=900, expectedVersion=1)
    assert (stale["__typename"], stale["code"]) == ("VersionConflictError", "VERSION_CONFLICT")
    read = await api.call(LIABILITY, {}, token)
    assert read["liabilityPolicy"] == {"pointValue": 700, "version": 2}
    # Each change is in the staff audit log; the stale one is not.
    entries = await AuditEntry.filter(action="setLiabilityPolicy").order_by("id")
    assert [(e.entity, e.entity_id) for e in entries] == [("setting", "liability_policy")] * 2


async def test_a_bad_point_value_is_refused_and_changes_nothing(api: Api) -> None:  # noqa: F811
    token = await api.staff_token(Role.MANAGER)
    await _set_liability(api, token, pointValue=500)
    for bad, says in ((-1, "greater than or equal to 0"), (10**9 + 1, "less than or equal to")):
        refused = await _set_liability(api, token, pointValue=bad, expectedVersion=1)
        assert refused["__typename"] == "InvalidInputError"
        assert (refused["code"], refused["field"]) == ("INVALID_INPUT", "pointValue")
        assert refused["message"].startswith("pointValue: ") and says in refused["message"]
    read = await api.call(LIABILITY, {}, token)
    assert read["liabilityPolicy"] == {"pointValue": 500, "version": 1}
    assert await AuditEntry.filter(action="setLiabilityPolicy").count() == 1


async def test_only_managers_read_or_set_what_a_point_is_worth(api: Api) -> None:  # noqa: F811
    tokens = [await api.staff_token(r) for r in (Role.CASHIER, Role.OPERATOR, Role.SUPERVISOR)]
    tokens.append((await api.member_token())[0])
    for token in tokens:
        refused = await _set_liability(api, token, pointValue=500)
        assert (refused["__typename"], refused["code"]) == (
            "PermissionDeniedError",
            "PERMISSION_DENIED",
        )
        denied = await api.post(LIABILITY, {}, token)
        assert denied["errors"][0]["extensions"]["code"] == "PERMISSION_DENIED"
    manager = await api.staff_token(Role.MANAGER)
    read = await api.call(LIABILITY, {}, manager)
    assert read["liabilityPolicy"] == {"pointValue": 0, "version": 0}
    assert await AuditEntry.filter(action="setLiabilityPolicy").count() == 0


async def test_the_points_report_values_the_liability_at_the_set_value(
    api: Api,  # noqa: F811
    club: Club,
) -> None:
    token = await api.staff_token(Role.MANAGER)
    # The fixture's purchases were recorded at NOW (1404-10-20): 35 points held at its end.
    today = {"name": "points", "from": "1404-10-20", "to": "1404-10-20"}

    async def liability() -> dict[str, str]:
        found = (await api.call(REPORT, today, token))["report"]
        table = next(t for t in found["tables"] if t["key"] == "liability")
        return dict(zip([c["key"] for c in table["columns"]], table["rows"][0], strict=True))

    # No rewards in the catalogue and no value set: points are worth nothing.
    assert (await liability())["point_value"] == "0"
    await _set_liability(api, token, pointValue=500, expectedVersion=0)
    assert await liability() == {
        "points_outstanding": "35",
        "point_value": "500",
        "points_liability": str(35 * 500),
        "credit_outstanding": "0",
        "liability": str(35 * 500),
    }
