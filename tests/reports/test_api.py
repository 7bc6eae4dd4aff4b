"""Reports over GraphQL: managers only; tables as the domain builds them; a file to download."""

from __future__ import annotations

import base64

from loyalty.models import Role
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
