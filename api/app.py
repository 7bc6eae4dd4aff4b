"""The application factory."""

import logging
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send
from strawberry.asgi import GraphQL
from tortoise import connections
from tortoise.contrib.starlette import RegisterTortoise

from api.firebase import firebase_verifier
from loyalty.actors import Actor
from loyalty.auth import tokens
from loyalty.auth.ports import OutboxSmsSender, SmsSender
from loyalty.db import tortoise_config
from loyalty.errors import AuthenticationFailed
from loyalty.settings import Settings, get_settings
from schema import build_schema
from schema.context import Context, PhoneVerifier

log = logging.getLogger("loyalty.api")


class LimitBodySize:
    """Refuse request bodies over a limit before anything reads them."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and int(declared) > self.max_bytes:
            await JSONResponse({"error": "request body too large"}, status_code=413)(
                scope, receive, send
            )
            return
        received = 0

        async def limited() -> dict:
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > self.max_bytes:
                raise ValueError("request body too large")
            return message

        await self.app(scope, limited, send)


class LoyaltyGraphQL(GraphQL):
    def __init__(
        self, settings: Settings, sms_sender: SmsSender, verify_firebase: PhoneVerifier | None
    ) -> None:
        super().__init__(
            build_schema(settings),
            graphql_ide=None if settings.production else "graphiql",
            allow_queries_via_get=False,
        )
        self.sms_sender = sms_sender
        self.verify_firebase = verify_firebase

    async def get_context(self, request: Request, response: Response) -> Context:  # type: ignore[override]
        actor: Actor | None = None
        problem: str | None = None
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        if token and scheme.lower() == "bearer":
            try:
                actor = tokens.decode_access(token.strip())
            except AuthenticationFailed as exc:
                problem = exc.message
        return Context(
            actor=actor,
            auth_problem=problem,
            client_ip=request.client.host if request.client else "unknown",
            sms_sender=self.sms_sender,
            verify_firebase_token=self.verify_firebase,
        )


async def healthz(request: Request) -> JSONResponse:
    try:
        await connections.get("default").execute_query("SELECT 1")
    except Exception as exc:  # any failure means "not healthy"; say which
        log.warning("health check failed: %s", exc)
        return JSONResponse({"status": "error", "database": "unreachable"}, status_code=503)
    return JSONResponse({"status": "ok", "database": "ok"})


def create_app(
    settings: Settings | None = None,
    *,
    sms_sender: SmsSender | None = None,
    manage_database: bool = True,
) -> Starlette:
    """Build the app. `manage_database=False` leaves the ORM to the caller (tests)."""
    settings = settings or get_settings()
    graphql = LoyaltyGraphQL(settings, sms_sender or OutboxSmsSender(), firebase_verifier(settings))

    @asynccontextmanager
    async def lifespan(app: Starlette):
        if not manage_database:
            yield
            return
        async with RegisterTortoise(app, config=tortoise_config(settings.database_url)):
            yield

    return Starlette(
        routes=[
            Route("/graphql", graphql, methods=["GET", "POST"]),
            Route("/healthz", healthz),
        ],
        middleware=[Middleware(LimitBodySize, max_bytes=settings.max_request_bytes)],
        lifespan=lifespan,
    )
