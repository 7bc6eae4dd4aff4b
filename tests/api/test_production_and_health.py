"""Production hardening, Firebase sign-in through firebase-admin, and the health check."""

from __future__ import annotations

import time

import jwt
import pytest
from pydantic import ValidationError

from loyalty.settings import Settings, get_settings
from tests.api.conftest import Api, make_api

PROD_SECRET = "a-real-production-secret-with-at-least-32-characters"


def test_production_refuses_to_start_without_a_real_secret(monkeypatch) -> None:
    monkeypatch.delenv("LOYALTY_SECRET_KEY", raising=False)
    with pytest.raises(ValidationError, match="LOYALTY_SECRET_KEY must be set"):
        Settings(env="production", _env_file=None)
    with pytest.raises(ValidationError, match="LOYALTY_SECRET_KEY must be set"):
        Settings(env="production", secret_key="short", _env_file=None)
    assert Settings(env="production", secret_key=PROD_SECRET, _env_file=None).production


async def test_production_hides_introspection_suggestions_and_graphiql() -> None:
    settings = get_settings().model_copy(update={"env": "production", "secret_key": PROD_SECRET})
    http, _ = make_api(settings)
    async with http:
        body = (
            await http.post("/graphql", json={"query": "{ __schema { types { name } } }"})
        ).json()
        assert "introspection" in body["errors"][0]["message"].lower()
        body = (await http.post("/graphql", json={"query": "{ mee { id } }"})).json()
        assert body["errors"][0]["message"] == "Cannot query field 'mee' on type 'Query'."
        page = await http.get("/graphql", headers={"accept": "text/html"})
        assert page.status_code != 200 or "graphiql" not in page.text.lower()

    http, _ = make_api()  # development: suggestions help
    async with http:
        body = (await http.post("/graphql", json={"query": "{ mee { id } }"})).json()
        assert "Did you mean 'me'?" in body["errors"][0]["message"]


async def test_healthz_reports_the_database(api: Api) -> None:
    response = await api.http.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}


def _emulator_id_token(project: str, phone: str | None) -> str:
    now = int(time.time())
    claims = {
        "iss": f"https://securetoken.google.com/{project}",
        "aud": project,
        "sub": "firebase-uid-1",
        "iat": now,
        "exp": now + 3600,
        "auth_time": now,
        "firebase": {"sign_in_provider": "phone"},
    }
    if phone:
        claims["phone_number"] = phone
    return jwt.encode(claims, key=None, algorithm="none")


SIGN_IN_FIREBASE = """
mutation($t: String!) {
  signInWithFirebase(input: {idToken: $t}) {
    __typename
    ... on MemberSession { member { phone } newMember }
    ... on Error { code message }
  }
}"""


async def test_firebase_id_token_signs_a_member_in(monkeypatch) -> None:
    # The Auth emulator mode of firebase-admin: the real verify_id_token, without Google's keys.
    monkeypatch.setenv("FIREBASE_AUTH_EMULATOR_HOST", "127.0.0.1:9099")
    settings = get_settings().model_copy(update={"firebase_project_id": "demo-loyalty"})
    http, _ = make_api(settings)
    async with http:
        api = Api(http, None)  # type: ignore[arg-type]
        good = await api.call(
            SIGN_IN_FIREBASE, {"t": _emulator_id_token("demo-loyalty", "+989121112233")}
        )
        assert good["signInWithFirebase"] == {
            "__typename": "MemberSession",
            "member": {"phone": "+989121112233"},
            "newMember": True,
        }
        other = await api.call(
            SIGN_IN_FIREBASE, {"t": _emulator_id_token("other-project", "+989121112233")}
        )
        assert other["signInWithFirebase"]["__typename"] == "AuthenticationError"
        no_phone = await api.call(SIGN_IN_FIREBASE, {"t": _emulator_id_token("demo-loyalty", None)})
        assert no_phone["signInWithFirebase"]["message"] == (
            "the Firebase account has no verified phone number"
        )


async def test_firebase_sign_in_is_refused_when_not_configured(api: Api) -> None:
    result = await api.call(SIGN_IN_FIREBASE, {"t": "whatever"})
    assert (
        result["signInWithFirebase"]["message"] == "Firebase sign-in is not set up on this server"
    )
