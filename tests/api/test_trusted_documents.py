"""Trusted documents: in production the app's endpoint runs only the app's own operations, and
the staff endpoint turns member tokens away; outside production both run anything."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from api import trusted_documents as trusted
from api.app import create_app
from jobs.sms import LogSender
from loyalty.models import Role
from loyalty.settings import Settings, get_settings
from tests import factories as f
from tests.api.conftest import Api, make_api

PROD_SECRET = "a-real-production-secret-with-at-least-32-characters"
OPERATIONS = trusted.OPERATIONS


def operation(name: str) -> str:
    return (OPERATIONS / f"{name}.graphql").read_text(encoding="utf-8")


def production() -> Settings:
    return get_settings().model_copy(update={"env": "production", "secret_key": PROD_SECRET})


async def app_post(
    http: httpx.AsyncClient, body: object, token: str | None = None
) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return await http.post("/app/graphql", json=body, headers=headers)


async def sign_in_on_the_app_endpoint(http: httpx.AsyncClient, sms: LogSender) -> str:
    """A member signs in the way the app does: both steps by document id."""
    phone = f.phone()
    request_code = trusted.document_id(operation("RequestSignInCode"))
    sent = await app_post(http, {"documentId": request_code, "variables": {"phone": phone}})
    assert sent.json()["data"]["requestSignInCode"]["__typename"] == "SignInCodeSent"
    code = sms.sent[-1][1].rsplit(": ", 1)[1]
    signed_in = await app_post(
        http,
        {
            "documentId": trusted.document_id(operation("SignInWithCode")),
            "variables": {"phone": phone, "code": code},
        },
    )
    return signed_in.json()["data"]["signInWithCode"]["tokens"]["accessToken"]


@pytest.fixture
async def prod() -> AsyncIterator[Api]:
    http, sms = make_api(production())
    async with http:
        yield Api(http, sms)


def test_the_manifest_holds_exactly_the_apps_operations() -> None:
    assert trusted.DEFAULT_MANIFEST.read_text(encoding="utf-8") == trusted.manifest_json(
        trusted.manifest_from()
    ), "mobile_contract/trusted-documents.json is stale: run `loyalty contract manifest`"
    manifest = trusted.load_manifest(trusted.DEFAULT_MANIFEST)
    assert sorted(manifest.values()) == sorted(
        p.read_text(encoding="utf-8") for p in OPERATIONS.glob("*.graphql")
    )


async def test_production_runs_a_trusted_document_sent_by_id(prod: Api) -> None:
    token = await sign_in_on_the_app_endpoint(prod.http, prod.sms)
    response = await app_post(
        prod.http, {"documentId": trusted.document_id(operation("Me")), "variables": {}}, token
    )
    assert response.status_code == 200
    assert response.json()["data"]["me"]["balances"] == {"points": 0, "credit": 0}


async def test_production_runs_a_trusted_document_sent_as_text(prod: Api) -> None:
    response = await app_post(
        prod.http, {"query": operation("ProgrammeRules"), "variables": {"language": "EN"}}
    )
    assert response.status_code == 200
    assert response.json()["data"]["programmeRules"]["language"] == "EN"


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"documentId": "sha256:" + "0" * 64}, trusted.PERSISTED_QUERY_NOT_FOUND),
        ({"documentId": 12}, trusted.PERSISTED_QUERY_NOT_FOUND),
        ({"query": 'mutation { requestSignInCode(input: {phone: "09120000001"}) { __typename } }'},
         trusted.UNTRUSTED_DOCUMENT),
        # The app's own text, changed by one character, is another document.
        ({"query": operation("RequestSignInCode") + " ", "variables": {"phone": "09120000001"}},
         trusted.UNTRUSTED_DOCUMENT),
        ({"variables": {}}, trusted.UNTRUSTED_DOCUMENT),
    ],
    ids=["unknown-id", "id-not-a-string", "other-text", "changed-text", "no-document"],
)  # fmt: skip
async def test_production_refuses_any_other_document_and_runs_nothing(
    prod: Api, body: object, code: str
) -> None:
    response = await app_post(prod.http, body)
    assert response.status_code == 400
    assert [error["extensions"] for error in response.json()["errors"]] == [{"code": code}]
    assert "data" not in response.json()
    assert not prod.sms.sent


async def test_production_refuses_batches(prod: Api) -> None:
    body = {"query": operation("RequestSignInCode"), "variables": {"phone": "09120000001"}}
    assert (await app_post(prod.http, [body])).status_code == 400
    assert not prod.sms.sent


async def test_production_staff_endpoint_refuses_member_tokens(prod: Api) -> None:
    token = await sign_in_on_the_app_endpoint(prod.http, prod.sms)
    response = await prod.http.post(
        "/graphql", json={"query": "{ me { id } }"}, headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 403
    assert response.json()["errors"][0]["extensions"] == {"code": trusted.USE_APP_ENDPOINT}
    assert "/app/graphql" in response.json()["errors"][0]["message"]


async def test_production_staff_endpoint_serves_staff_as_before(prod: Api) -> None:
    branch = await f.branch("THR-1")
    token = await prod.staff_token(Role.MANAGER)  # anonymous staff sign-in on /graphql
    member = await f.member()
    data = await prod.call(
        "query($id: ID!) { member(id: $id) { ... on Member { id firstName } } branches { code } }",
        {"id": str(member.id)},
        token,
    )
    assert data["member"] == {"id": str(member.id), "firstName": "Sara"}
    assert branch.code in {b["code"] for b in data["branches"]}


async def test_outside_production_both_endpoints_run_anything(api: Api) -> None:
    token, _ = await api.member_token()  # a member token on /graphql is fine here
    assert (await api.call("{ me { balances { points } } }", token=token))["me"] == {
        "balances": {"points": 0}
    }
    response = await app_post(api.http, {"query": "{ me { id } }"}, token)
    assert response.status_code == 200 and "errors" not in response.json()
    # The app's ids work here too (the development manifest), and an unknown id is still news.
    by_id = await app_post(
        api.http, {"documentId": trusted.document_id(operation("MyTier")), "variables": {}}, token
    )
    assert "me" in by_id.json()["data"]
    unknown = await app_post(api.http, {"documentId": "sha256:" + "0" * 64})
    assert unknown.status_code == 400
    assert unknown.json()["errors"][0]["extensions"]["code"] == trusted.PERSISTED_QUERY_NOT_FOUND


def test_production_does_not_start_without_a_valid_manifest(tmp_path: Path) -> None:
    missing = production().model_copy(update={"trusted_documents": str(tmp_path / "none.json")})
    with pytest.raises(trusted.ManifestError, match=r"none\.json"):
        create_app(missing, manage_database=False)

    forged = tmp_path / "forged.json"
    forged.write_text(json.dumps({trusted.document_id("{ me { id } }"): "{ branches { id } }"}))
    with pytest.raises(trusted.ManifestError, match="not the sha256"):
        create_app(
            production().model_copy(update={"trusted_documents": str(forged)}),
            manage_database=False,
        )

    # Outside production a missing manifest only means no ids are known.
    create_app(get_settings().model_copy(update={"trusted_documents": str(tmp_path / "none.json")}),
               manage_database=False)  # fmt: skip
