"""The club's GraphQL API over HTTP, as a station uses it (one branch, a station credential)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx

MEMBER = "id firstName lastName phone balances { points credit } tier { current { name } }"
CARD = f"number status uid member {{ {MEMBER} }}"
POSTED = """
    __typename
    ... on TransactionPosted { entry { id reason } balances { points credit } replayed }
    ... on Error { code message }
"""
SIGN_IN = """
mutation($u: String!, $p: String!) {
  signInStaff(input: {username: $u, password: $p}) {
    __typename
    ... on StaffSession { tokens { accessToken } staff { id role } }
    ... on Error { code message }
  }
}"""
CONFIG = """
query { stationConfig { branch { id code name } timeZone
  offline { creditPerCardPerDay creditPerStation purchases } } }"""
TAP = f"""
query($card: CardTapInput!) {{
  tapCard(input: $card) {{
    __typename
    ... on CardTapped {{ card {{ number status }} member {{ {MEMBER} }} }}
    ... on Error {{ code message }}
  }}
}}"""
ENROL_MEMBER = f"""
mutation($input: EnrolMemberInput!) {{
  enrolMember(input: $input) {{
    __typename
    ... on MemberEnrolled {{ created member {{ {MEMBER} }} }}
    ... on Error {{ code message }}
  }}
}}"""
ISSUE_RECORD = """
mutation($uid: String!) {
  issueCardRecord(input: {uid: $uid}) {
    __typename
    ... on CardRecordIssued { cardNumber record tagPassword }
    ... on Error { code message }
  }
}"""
BOUND = f"""
    __typename
    ... on CardBound {{ replayed card {{ {CARD} }} }}
    ... on Error {{ code message }}
"""
ENROL_CARD = "mutation($input: EnrolCardInput!) { enrolCard(input: $input) {" + BOUND + "} }"
REPLACE_CARD = "mutation($input: ReplaceCardInput!) { replaceCard(input: $input) {" + BOUND + "} }"
CHANGED = f"""
    __typename ... on CardChanged {{ card {{ {CARD} }} }} ... on Error {{ code message }}
"""
BLOCK_CARD = "mutation($input: BlockCardInput!) { blockCard(input: $input) {" + CHANGED + "} }"
BLOCK_TAPPED_CARD = (
    "mutation($input: BlockTappedCardInput!) { blockTappedCard(input: $input) {" + CHANGED + "} }"
)
PURCHASE = """
mutation($input: PurchaseByCardInput!) {
  purchaseByCard(input: $input) {
    __typename
    ... on PurchaseRecorded {
      purchase { id } pointsEarned balances { points credit } replayed unlocked
      lines { purse amount reason }
    }
    ... on Error { code message }
  }
}"""
TOP_UP = "mutation($input: TopUpByCardInput!) { topUpByCard(input: $input) {" + POSTED + "} }"
PAY = "mutation($input: PayByCardInput!) { payByCard(input: $input) {" + POSTED + "} }"
# Error types whose `code` says the credential must be renewed.
AUTHENTICATION = "AUTHENTICATION_FAILED"


class Offline(Exception):
    """The server could not be reached or did not answer properly: try again later."""


@dataclass
class Refused(Exception):
    """The server refused the request; nothing was changed (or it was kept for review)."""

    code: str
    message: str

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"


class Api:
    """Synchronous on purpose: it runs on the reader's thread, one tap at a time."""

    def __init__(self, url: str, username: str, password: str, timeout: float = 5.0) -> None:
        self._http = httpx.Client(
            base_url=url.rstrip("/"), timeout=timeout, headers={"X-Loyalty-Client": "station"}
        )
        self._username, self._password = username, password
        self._token: str | None = None

    def close(self) -> None:
        self._http.close()

    def _post(self, query: str, variables: dict[str, Any]) -> dict[str, Any]:
        headers = {"Authorization": f"Bearer {self._token}"} if self._token else {}
        try:
            response = self._http.post(
                "/graphql", json={"query": query, "variables": variables}, headers=headers
            )
        except httpx.TransportError as error:
            raise Offline(str(error) or type(error).__name__) from error
        if response.status_code >= 500:
            raise Offline(f"the server answered {response.status_code}")
        try:
            return response.json()
        except ValueError as error:
            raise Offline("the server's answer is not JSON") from error

    def _sign_in(self) -> None:
        self._token = None
        body = self._post(SIGN_IN, {"u": self._username, "p": self._password})
        result = (body.get("data") or {}).get("signInStaff") or {}
        if result.get("__typename") != "StaffSession":
            raise Refused(result.get("code", AUTHENTICATION), result.get("message", str(body)))
        self._token = result["tokens"]["accessToken"]

    def call(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        """The single field the operation asks for; a refusal raises Refused."""
        for attempt in range(2):
            if self._token is None:
                self._sign_in()
            body = self._post(query, variables or {})
            errors = body.get("errors") or []
            codes = {(e.get("extensions") or {}).get("code") for e in errors}
            data = body.get("data") or {}
            result = next(iter(data.values()), None) if data else None
            if isinstance(result, dict) and result.get("code") == AUTHENTICATION:
                codes.add(AUTHENTICATION)
            if AUTHENTICATION in codes and attempt == 0:
                self._token = None  # expired: sign in again, once
                continue
            if errors:
                first = errors[0]
                code = (first.get("extensions") or {}).get("code") or "ERROR"
                raise Refused(code, first.get("message", "error"))
            if isinstance(result, dict) and "code" in result and "message" in result:
                raise Refused(result["code"], result["message"])
            return result  # type: ignore[return-value]
        raise Refused(AUTHENTICATION, "the station's credential is not accepted")
