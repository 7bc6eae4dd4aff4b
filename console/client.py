"""The console's only way to the API: GraphQL over HTTP with a staff session.

Answers come back as typed results (console.results); a typed error of the API becomes
`ApiError` (its message is for people), and a server that cannot be reached `Unreachable`
(the caller may try again: every write carries an idempotency key).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx

from console import operations as ops
from console.results import (
    ALL_BRANCHES,
    Branch,
    ClubSettings,
    Complaint,
    HappyCall,
    Json,
    OperatorStats,
    Staff,
    Supervision,
    Tokens,
)

AUTHENTICATION_FAILED = "AUTHENTICATION_FAILED"
# A token this close to its end is refreshed before it is used.
REFRESH_MARGIN = timedelta(seconds=30)


class ApiError(Exception):
    """The API answered with a typed error: nothing changed."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class Unreachable(Exception):
    """The API did not answer (network down, server stopped, timeout, 5xx)."""


class Client:
    def __init__(self, server: str, timeout: float = 10.0, language: str = "fa") -> None:
        self.http = httpx.AsyncClient(base_url=server.rstrip("/"), timeout=timeout)
        self.language = language.upper()  # the card's and reports' words: FA or EN
        self.tokens: Tokens | None = None
        self.staff: Staff | None = None

    async def aclose(self) -> None:
        await self.http.aclose()

    async def _post(self, document: str, variables: Json, token: str | None) -> Json:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        try:
            response = await self.http.post(
                "/graphql", json={"query": document, "variables": variables}, headers=headers
            )
        except httpx.TransportError as exc:
            raise Unreachable(f"the server did not answer ({type(exc).__name__})") from exc
        if response.status_code >= 500:
            raise Unreachable(f"the server failed (HTTP {response.status_code})")
        body = response.json()
        if body.get("errors"):
            raise ApiError("GRAPHQL", "; ".join(e["message"] for e in body["errors"]))
        return body["data"]

    @staticmethod
    def _result(data: Json, field: str) -> Json:
        """One field's result union: its value, or its typed error raised."""
        result = data[field]
        if "code" in result and "message" in result:
            raise ApiError(result["code"], result["message"])
        return result

    async def _refresh(self) -> None:
        assert self.tokens is not None
        data = await self._post(ops.REFRESH, {"refreshToken": self.tokens.refresh}, None)
        self.tokens = Tokens.from_json(self._result(data, "refreshSession"))

    async def _execute(self, document: str, field: str, variables: Json | None = None) -> Json:
        """A signed-in operation; refreshes the session when it is (nearly) out of date."""
        if self.tokens is None:
            raise ApiError(AUTHENTICATION_FAILED, "sign in first")
        if self.tokens.access_expires_at - REFRESH_MARGIN < datetime.now(UTC):
            await self._refresh()
        data = await self._post(document, variables or {}, self.tokens.access)
        try:
            return self._result(data, field)
        except ApiError as error:
            if error.code != AUTHENTICATION_FAILED:
                raise
        await self._refresh()  # the access token ran out early (clock skew, revoked): once more
        return self._result(await self._post(document, variables or {}, self.tokens.access), field)

    async def sign_in(self, username: str, password: str) -> Staff:
        data = await self._post(ops.SIGN_IN, {"username": username, "password": password}, None)
        session = self._result(data, "signInStaff")
        self.tokens = Tokens.from_json(session["tokens"])
        self.staff = Staff.from_json(session["staff"])
        return self.staff

    async def club_settings(self) -> ClubSettings:
        return ClubSettings.from_json(await self._execute(ops.CLUB_SETTINGS, "clubSettings"))

    async def claim_next(self, idempotency_key: str) -> HappyCall | None:
        result = await self._execute(
            ops.CLAIM_NEXT,
            "claimNextHappyCall",
            {"idempotencyKey": idempotency_key, "language": self.language},
        )
        return HappyCall.from_json(result["call"]) if result["call"] else None

    async def release(self, call_id: str) -> None:
        await self._execute(ops.RELEASE, "releaseHappyCall", {"callId": call_id})

    async def record_outcome(self, call_input: dict[str, Any]) -> None:
        await self._execute(ops.RECORD_OUTCOME, "recordHappyCallOutcome", {"input": call_input})

    async def raise_complaint(self, complaint_input: dict[str, Any]) -> Complaint:
        """A complaint from a call: the complaint as the server has it."""
        result = await self._execute(
            ops.RAISE_COMPLAINT, "raiseComplaint", {"input": complaint_input}
        )
        return Complaint.from_json(result["complaint"])

    async def follow_up(self, follow_up_input: dict[str, Any]) -> Complaint:
        """A follow-up to a complaint (closing it, maybe): the complaint as it is now."""
        result = await self._execute(
            ops.FOLLOW_UP, "addComplaintFollowUp", {"input": follow_up_input}
        )
        return Complaint.from_json(result["complaint"])

    async def my_stats(self) -> OperatorStats:
        return OperatorStats.from_json(await self._execute(ops.MY_STATS, "myHappyCallStats"))

    async def branches(self) -> list[Branch]:
        branches = await self._execute(ops.BRANCHES, "branches")  # a list, not a result union
        return [Branch.from_json(b) for b in branches]

    async def supervision(
        self, first_day: date, last_day: date, branch: Branch = ALL_BRANCHES
    ) -> Supervision:
        variables = {
            "from": first_day.isoformat(),
            "to": last_day.isoformat(),
            "language": self.language,
        }
        if branch.id:
            variables["branchId"] = branch.id
        data = await self._execute(ops.SUPERVISION, "happyCallSupervision", variables)
        return Supervision.from_json(data, first_day, last_day, branch)
