"""API tests: the real Starlette app in-process over httpx, on the test database."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from api.app import create_app
from jobs.sms import LogSender
from loyalty.models import Role
from loyalty.settings import Settings, get_settings
from tests import factories as f


@dataclass
class Api:
    http: httpx.AsyncClient
    sms: LogSender

    async def post(
        self,
        query: str,
        variables: dict | None = None,
        token: str | None = None,
        ip: str | None = None,
    ) -> dict[str, Any]:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        response = await self.http.post(
            "/graphql", json={"query": query, "variables": variables or {}}, headers=headers
        )
        return response.json()

    async def call(
        self, query: str, variables: dict | None = None, token: str | None = None
    ) -> dict[str, Any]:
        """The data of a request that must not produce GraphQL errors."""
        body = await self.post(query, variables, token)
        assert "errors" not in body, body
        return body["data"]

    async def staff_token(self, role: Role = Role.CASHIER, branch_id: int | None = None) -> str:
        actor = await f.staff_actor(role, branch_id)
        from loyalty.models import StaffUser

        user = await StaffUser.get(id=actor.id)
        data = await self.call(SIGN_IN_STAFF, {"u": user.username, "p": f.PASSWORD})
        return data["signInStaff"]["tokens"]["accessToken"]

    async def member_token(self, phone: str | None = None) -> tuple[str, str]:
        """Sign a member in by SMS code; returns (access token, member id)."""
        phone = phone or f.phone()
        await self.call(REQUEST_CODE, {"phone": phone})
        code = self.sms.sent[-1][1].rsplit(": ", 1)[1]
        data = await self.call(SIGN_IN_CODE, {"phone": phone, "code": code})
        session = data["signInWithCode"]
        return session["tokens"]["accessToken"], session["member"]["id"]


SIGN_IN_STAFF = """
mutation($u: String!, $p: String!) {
  signInStaff(input: {username: $u, password: $p}) {
    __typename
    ... on StaffSession { tokens { accessToken refreshToken } staff { id role } }
    ... on Error { code message }
  }
}"""
REQUEST_CODE = """
mutation($phone: String!) {
  requestSignInCode(input: {phone: $phone}) {
    __typename
    ... on SignInCodeSent { phone expiresInSeconds }
    ... on Error { code message }
  }
}"""
SIGN_IN_CODE = """
mutation($phone: String!, $code: String!) {
  signInWithCode(input: {phone: $phone, code: $code}) {
    __typename
    ... on MemberSession { tokens { accessToken refreshToken } member { id phone } newMember }
    ... on Error { code message }
  }
}"""


def make_api(settings: Settings | None = None) -> tuple[httpx.AsyncClient, LogSender]:
    sms = LogSender()
    app = create_app(settings or get_settings(), sms_sender=sms, manage_database=False)
    transport = httpx.ASGITransport(app=app, client=("203.0.113.7", 5000))
    return httpx.AsyncClient(transport=transport, base_url="http://club.test"), sms


@pytest.fixture
async def api() -> AsyncIterator[Api]:
    http, sms = make_api()
    async with http:
        yield Api(http, sms)
