"""The application factory."""

import logging
from contextlib import asynccontextmanager
from pathlib import Path

from cross_web import AsyncHTTPRequestAdapter
from starlette.applications import Starlette
from starlette.datastructures import Headers
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send
from strawberry import Schema
from strawberry.asgi import GraphQL
from strawberry.http import GraphQLRequestData
from tortoise import connections
from tortoise.contrib.starlette import RegisterTortoise

from api import trusted_documents
from api.firebase import firebase_verifier
from api.trusted_documents import Refused, TrustedDocuments
from jobs.fcm import push_sender
from jobs.local import InProcessRunner
from jobs.schedule import jobs_for
from jobs.sms import sms_sender as configured_sms_sender
from jobs.tasks import outbox_handlers
from loyalty import leaderboard
from loyalty.actors import Actor, ActorKind
from loyalty.auth import tokens
from loyalty.db import tortoise_config
from loyalty.errors import AuthenticationFailed
from loyalty.messaging.channels import SmsSender
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
    """One GraphQL endpoint. The app's (`trusted` set) resolves document ids and, in
    production, runs nothing else; the staff endpoint (`members_refused`) turns members away."""

    def __init__(
        self,
        schema: Schema,
        settings: Settings,
        sms_sender: SmsSender,
        verify_firebase: PhoneVerifier | None,
        *,
        trusted: TrustedDocuments | None = None,
        members_refused: bool = False,
    ) -> None:
        super().__init__(
            schema,
            graphql_ide=None if settings.production else "graphiql",
            allow_queries_via_get=False,
        )
        self.sms_sender = sms_sender
        self.verify_firebase = verify_firebase
        self.trusted = trusted
        self.members_refused = members_refused

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        except Refused as refused:  # raised before anything is sent
            await refused.response()(scope, receive, send)

    async def parse_http_body(
        self, request: AsyncHTTPRequestAdapter
    ) -> GraphQLRequestData | list[GraphQLRequestData]:
        parsed = await super().parse_http_body(request)
        if self.trusted is None:
            return parsed
        if isinstance(parsed, GraphQLRequestData) and request.method == "POST":
            # The body is read and kept already: the document id is the one field strawberry drops.
            payload = self.parse_json(await request.get_body())
            parsed.query = self.trusted.resolve(payload.get("documentId"), parsed.query)
        elif self.trusted.enforced:  # a batch, or a query string
            raise Refused(
                trusted_documents.UNTRUSTED_DOCUMENT, "send one operation by POST, by its id"
            )
        return parsed

    async def get_context(self, request: Request, response: Response) -> Context:  # type: ignore[override]
        actor: Actor | None = None
        problem: str | None = None
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        if token and scheme.lower() == "bearer":
            try:
                actor = tokens.decode_access(token.strip())
            except AuthenticationFailed as exc:
                problem = exc.message
        if self.members_refused and actor is not None and actor.kind is ActorKind.MEMBER:
            raise Refused(
                trusted_documents.USE_APP_ENDPOINT,
                "members use the app's endpoint, /app/graphql",
                status_code=403,
            )
        client_ip = request.client.host if request.client else "unknown"
        if actor is not None:
            actor = actor.from_client(client_name(request.headers), client_ip)
        return Context(
            actor=actor,
            auth_problem=problem,
            client_ip=client_ip,
            sms_sender=self.sms_sender,
            verify_firebase_token=self.verify_firebase,
        )


def client_name(headers: Headers) -> str:
    """The client a request came through, for the audit log: the name our own clients send in
    X-Loyalty-Client (console, station, app), else the User-Agent (GraphiQL: the browser)."""
    return (headers.get("x-loyalty-client") or headers.get("user-agent") or "unknown").strip()


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
    schema = build_schema(settings)
    texts = sms_sender or configured_sms_sender(settings)
    verify_firebase = firebase_verifier(settings)
    manifest = Path(settings.trusted_documents) if settings.trusted_documents else None
    app_graphql = LoyaltyGraphQL(
        schema,
        settings,
        texts,
        verify_firebase,
        trusted=trusted_documents.for_app_endpoint(manifest, enforced=settings.production),
    )
    graphql = LoyaltyGraphQL(
        schema, settings, texts, verify_firebase, members_refused=settings.production
    )

    @asynccontextmanager
    async def lifespan(app: Starlette):
        if not manage_database:
            yield
            return
        async with RegisterTortoise(app, config=tortoise_config(settings.database_url)):
            # Without Redis there is no worker: this process runs the jobs itself.
            runner = None
            if not settings.redis_url:
                ctx = {"handlers": outbox_handlers(push_sender(settings), texts)}
                runner = InProcessRunner(jobs_for(False), settings.zone, ctx)
                runner.start()
            try:
                yield
            finally:
                if runner:
                    await runner.stop()
                await texts.aclose()
        await leaderboard.close()

    return Starlette(
        routes=[
            Route("/app/graphql", app_graphql, methods=["GET", "POST"]),
            Route("/graphql", graphql, methods=["GET", "POST"]),
            Route("/healthz", healthz),
        ],
        middleware=[Middleware(LimitBodySize, max_bytes=settings.max_request_bytes)],
        lifespan=lifespan,
    )
