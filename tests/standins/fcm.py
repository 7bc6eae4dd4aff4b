"""A stand-in for Firebase Cloud Messaging on loopback: the HTTP v1 send endpoint and Google's
OAuth2 token endpoint, for the tests and the push benchmark.

It answers as FCM does (`{"name": "projects/{p}/messages/{id}"}`, or FCM's error bodies, which
firebase-admin parses into `UnregisteredError`, `QuotaExceededError` …), fails on purpose as
configured (dead, invalid or foreign tokens; a share of 429s with `Retry-After` and of 503s;
scripted failures per token; latency), and records every request it received with the moment
it arrived.

    standin = FcmStandin(dead_tokens={"gone"})
    with running(standin):
        write_service_account(path, standin)  # token_uri on the stand-in: OAuth stays local
        ...  # FcmSender(app, quota, fcm_url=standin.url)
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import random
import secrets
import time
import zlib
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qs

import jwt
import uvicorn
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from tests.standins.server import serving

JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"
GOOGLE_TOKEN_AUDIENCE = "https://oauth2.googleapis.com/token"  # google-auth's, whatever token_uri
FCM_ERROR = "type.googleapis.com/google.firebase.fcm.v1.FcmError"
BAD_REQUEST = "type.googleapis.com/google.rpc.BadRequest"
MAX_PAYLOAD_BYTES = 4096  # FCM's limit on a message's notification and data
FAILURES = {  # HTTP status → (gRPC status, FCM error code, message), as FCM answers them
    400: ("INVALID_ARGUMENT", "INVALID_ARGUMENT", "Request contains an invalid argument."),
    403: ("PERMISSION_DENIED", "SENDER_ID_MISMATCH", "SenderId mismatch"),
    404: ("NOT_FOUND", "UNREGISTERED", "Requested entity was not found."),
    429: ("RESOURCE_EXHAUSTED", "QUOTA_EXCEEDED", "Quota exceeded for quota metric."),
    500: ("INTERNAL", "INTERNAL", "Internal error encountered."),
    503: ("UNAVAILABLE", "UNAVAILABLE", "The service is currently unavailable."),
}


@dataclass(frozen=True, slots=True)
class Received:
    """One send request, as it arrived."""

    token: str
    message: dict
    at: float  # time.monotonic() on arrival
    status: int  # the HTTP status answered

    @property
    def delivered(self) -> bool:
        return self.status == 200


@dataclass
class FcmStandin:
    project: str = "loyalty-standin"
    dead_tokens: set[str] = field(default_factory=set)  # 404 UNREGISTERED
    dead_share: float = 0.0  # of all tokens, picked by a hash of the token (`is_dead`)
    invalid_tokens: set[str] = field(default_factory=set)  # 400: not a valid registration token
    foreign_tokens: set[str] = field(default_factory=set)  # 403 SENDER_ID_MISMATCH
    throttled_share: float = 0.0  # of requests answered 429 QUOTA_EXCEEDED with Retry-After
    unavailable_share: float = 0.0  # of requests answered 503 UNAVAILABLE
    retry_after: int = 1  # seconds, in every 429's Retry-After
    latency: float = 0.0  # seconds before each answer
    seed: int = 0
    received: list[Received] = field(default_factory=list)
    keep_messages: bool = True  # False: record no message bodies (a million-push benchmark)
    sends: Counter[str] = field(default_factory=Counter)  # deliveries per token
    tokens_issued: int = 0
    url: str = ""  # set while running
    _scripted: dict[str, list[int]] = field(default_factory=dict)
    _access_tokens: set[str] = field(default_factory=set)
    _ids: Iterator[int] = field(default_factory=itertools.count)

    def __post_init__(self) -> None:
        self._random = random.Random(self.seed)

    def fail(self, token: str, *statuses: int) -> None:
        """Answer the next requests for `token` with these statuses (429, 500, 503 …), in order."""
        unknown = set(statuses) - set(FAILURES)
        if unknown:
            raise ValueError(f"the stand-in cannot answer {sorted(unknown)}")
        self._scripted.setdefault(token, []).extend(statuses)

    def delivered(self) -> Counter[str]:
        """How many times each token was sent a message."""
        return Counter(self.sends)

    def is_dead(self, token: str) -> bool:
        """Whether FCM calls this token unregistered: listed, or among the `dead_share`."""
        share = zlib.crc32(token.encode()) % 10_000 < self.dead_share * 10_000
        return token in self.dead_tokens or share

    def stats(self) -> dict[str, object]:
        """What a benchmark asks of a stand-in in another process (`GET /stats`)."""
        moments = [r.at for r in self.received]
        return {
            "requests": len(self.received),
            "by_status": dict(Counter(str(r.status) for r in self.received)),
            "tokens_delivered": len(self.sends),
            "duplicates": sum(n - 1 for n in self.sends.values() if n > 1),
            "busiest_minute": self.busiest(60.0),
            "seconds": (max(moments) - min(moments)) if moments else 0.0,
        }

    def busiest(self, window: float) -> int:
        """The most requests that arrived within any `window` seconds."""
        moments = sorted(r.at for r in self.received)
        most, first = 0, 0
        for last, moment in enumerate(moments):
            while moment - moments[first] >= window:
                first += 1
            most = max(most, last - first + 1)
        return most

    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/token", self._token, methods=["POST"]),
                Route("/v1/projects/{project}/messages:send", self._send, methods=["POST"]),
                Route("/stats", self._stats, methods=["GET"]),
            ]
        )

    async def _stats(self, request: Request) -> JSONResponse:
        return JSONResponse(self.stats())

    async def _token(self, request: Request) -> JSONResponse:
        form = parse_qs((await request.body()).decode())
        assertion = form.get("assertion", [""])[0]
        if form.get("grant_type") != [JWT_BEARER] or not assertion:
            return JSONResponse({"error": "unsupported_grant_type"}, status_code=400)
        try:
            claims = jwt.decode(assertion, options={"verify_signature": False})
        except jwt.InvalidTokenError as exc:
            return JSONResponse(
                {"error": "invalid_grant", "error_description": str(exc)}, status_code=400
            )
        if not claims.get("iss") or claims.get("aud") != GOOGLE_TOKEN_AUDIENCE:
            return JSONResponse({"error": "invalid_grant"}, status_code=400)
        access_token = secrets.token_urlsafe(24)
        self._access_tokens.add(access_token)
        self.tokens_issued += 1
        return JSONResponse(
            {"access_token": access_token, "expires_in": 3599, "token_type": "Bearer"}
        )

    async def _send(self, request: Request) -> JSONResponse:
        arrived = time.monotonic()
        body = await request.json()
        message = body.get("message", {}) if isinstance(body, dict) else {}
        token = message.get("token", "")
        answer = self._refusal(request, token, message) or JSONResponse(
            {"name": f"projects/{self.project}/messages/{next(self._ids)}"}
        )
        kept = message if self.keep_messages else {}
        self.received.append(Received(token, kept, arrived, answer.status_code))
        if answer.status_code == 200:
            self.sends[token] += 1
        if self.latency:
            await asyncio.sleep(self.latency)
        return answer

    def _refusal(self, request: Request, token: str, message: dict) -> JSONResponse | None:
        """FCM's error answer to this request, or None to deliver it."""
        authorization = request.headers.get("authorization", "")
        if authorization.removeprefix("Bearer ") not in self._access_tokens:
            return _error(401, "UNAUTHENTICATED", "Request had invalid authentication credentials.")
        if request.path_params["project"] != self.project:
            return _error(403, "PERMISSION_DENIED", "Permission denied on the project.")
        scripted = self._scripted.get(token)
        if scripted:
            return _failure(scripted.pop(0), self.retry_after)
        if self._random.random() < self.throttled_share:
            return _failure(429, self.retry_after)
        if self._random.random() < self.unavailable_share:
            return _failure(503, self.retry_after)
        if self.is_dead(token):
            return _failure(404, self.retry_after)
        if token in self.foreign_tokens:
            return _failure(403, self.retry_after)
        if token in self.invalid_tokens or not token:
            return _error(
                400,
                "INVALID_ARGUMENT",
                "The registration token is not a valid FCM registration token",
                "INVALID_ARGUMENT",
                {
                    "@type": BAD_REQUEST,
                    "fieldViolations": [
                        {"field": "message.token", "description": "Invalid registration token"}
                    ],
                },
            )
        if _payload_bytes(message) > MAX_PAYLOAD_BYTES:
            return _error(400, "INVALID_ARGUMENT", "Message is too big", "INVALID_ARGUMENT")
        return None


def _payload_bytes(message: dict) -> int:
    parts = (message.get("notification", {}), message.get("data", {}))
    return sum(len(json.dumps(part, ensure_ascii=False).encode()) for part in parts)


def _failure(status: int, retry_after: int) -> JSONResponse:
    """FCM's usual answer with this status; a 429 says when to come back."""
    grpc_status, fcm_code, text = FAILURES[status]
    headers = {"Retry-After": str(retry_after)} if status == 429 else {}
    return _error(status, grpc_status, text, fcm_code, headers=headers)


def _error(
    status: int,
    grpc_status: str,
    text: str,
    fcm_code: str | None = None,
    *more_details: dict,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    details = [{"@type": FCM_ERROR, "errorCode": fcm_code}] if fcm_code else []
    error = {
        "code": status,
        "message": text,
        "status": grpc_status,
        "details": [*details, *more_details],
    }
    return JSONResponse({"error": error}, status_code=status, headers=headers)


@contextmanager
def running(standin: FcmStandin) -> Iterator[FcmStandin]:
    """Serve `standin` on a free loopback port, in a background thread, while in the block."""
    with serving(standin.app(), "FCM stand-in") as url:
        standin.url = url
        yield standin


def write_service_account(path: Path, standin: FcmStandin) -> Path:
    """A service-account JSON file for the stand-in's project, with a fresh RSA key and its
    `token_uri` on the stand-in, so firebase-admin's OAuth never leaves loopback."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    account = {
        "type": "service_account",
        "project_id": standin.project,
        "private_key_id": secrets.token_hex(20),
        "private_key": pem,
        "client_email": f"push@{standin.project}.iam.gserviceaccount.com",
        "client_id": "1",
        "token_uri": f"{standin.url}/token",
    }
    path.write_text(json.dumps(account), encoding="utf-8")
    return path


def main(argv: list[str] | None = None) -> None:
    """`python -m tests.standins.fcm --port P …`: the stand-in in a process of its own, for the
    push benchmark (`GET /stats` tells what it received)."""
    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--project", default=FcmStandin.project)
    parser.add_argument("--latency", type=float, default=0.0, help="seconds before each answer")
    parser.add_argument("--throttled", type=float, default=0.0, help="share answered 429")
    parser.add_argument("--unavailable", type=float, default=0.0, help="share answered 503")
    parser.add_argument("--dead", type=float, default=0.0, help="share of tokens unregistered")
    parser.add_argument("--retry-after", type=int, default=1, help="seconds, in each 429")
    args = parser.parse_args(argv)
    standin = FcmStandin(
        project=args.project,
        latency=args.latency,
        throttled_share=args.throttled,
        unavailable_share=args.unavailable,
        dead_share=args.dead,
        retry_after=args.retry_after,
        keep_messages=False,
    )
    uvicorn.run(standin.app(), host="127.0.0.1", port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
