"""The floor: the least a strawberry + tortoise earn mutation can cost on this stack.

One mutation that, in one database transaction, inserts a row and adds to a balance with an
F() expression (ARCHITECTURE.md's "minimal earn mutation"). Built like the real app
(Starlette, tortoise registered in the lifespan, strawberry with the parser and validation
caches, served by uvicorn), so `bench/earn.py` can compare the real `recordPurchase` with it.

Served by `bench/earn.py` as::

    uvicorn floor_app:create_app --factory --app-dir bench --workers 2

with FLOOR_DATABASE_URL pointing at a PostgreSQL database whose tables `seed()` created.
"""

from __future__ import annotations

import os
from contextlib import asynccontextmanager
from typing import Any

import strawberry
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route
from strawberry.asgi import GraphQL
from strawberry.extensions import ParserCache, ValidationCache
from tortoise import Tortoise, connections, fields
from tortoise.contrib.starlette import RegisterTortoise
from tortoise.expressions import F
from tortoise.models import Model
from tortoise.transactions import in_transaction

MODULE = __name__


class FloorAccount(Model):
    id = fields.IntField(primary_key=True)
    balance = fields.BigIntField(default=0)

    class Meta:
        table = "floor_account"


class FloorEarn(Model):
    id = fields.BigIntField(primary_key=True)
    account: fields.ForeignKeyRelation[FloorAccount] = fields.ForeignKeyField(
        f"{MODULE}.FloorAccount", related_name="earns"
    )
    amount = fields.BigIntField()
    idempotency_key = fields.CharField(max_length=160, unique=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "floor_earn"


def tortoise_config(database_url: str) -> dict[str, Any]:
    return {
        "connections": {"default": database_url},
        "apps": {MODULE: {"models": [MODULE], "default_connection": "default"}},
        "use_tz": True,
        "timezone": "UTC",
    }


@strawberry.input
class EarnInput:
    account_id: strawberry.ID
    amount: int
    idempotency_key: str


@strawberry.type
class Earned:
    id: strawberry.ID
    points: int


@strawberry.type
class Query:
    @strawberry.field
    def ok(self) -> bool:
        return True


@strawberry.type
class Mutation:
    @strawberry.mutation
    async def earn(self, input: EarnInput) -> Earned:
        points = input.amount // 10_000
        async with in_transaction():
            row = await FloorEarn.create(
                account_id=int(input.account_id),
                amount=points,
                idempotency_key=input.idempotency_key,
            )
            await FloorAccount.filter(id=int(input.account_id)).update(
                balance=F("balance") + points
            )
        return Earned(id=strawberry.ID(str(row.id)), points=points)


async def healthz(request: Request) -> JSONResponse:
    await connections.get("default").execute_query("SELECT 1")
    return JSONResponse({"status": "ok"})


def create_app() -> Starlette:
    database_url = os.environ["FLOOR_DATABASE_URL"]
    schema = strawberry.Schema(
        query=Query,
        mutation=Mutation,
        extensions=[ParserCache(maxsize=1024), ValidationCache(maxsize=1024)],
    )
    graphql = GraphQL(schema, graphql_ide=None, allow_queries_via_get=False)

    @asynccontextmanager
    async def lifespan(app: Starlette):
        async with RegisterTortoise(app, config=tortoise_config(database_url)):
            yield

    return Starlette(
        routes=[Route("/graphql", graphql, methods=["POST"]), Route("/healthz", healthz)],
        lifespan=lifespan,
    )


async def seed(database_url: str, accounts: int) -> None:
    """Create the floor's tables and `accounts` accounts with ids 1..accounts."""
    await Tortoise.init(config=tortoise_config(database_url))
    try:
        await Tortoise.generate_schemas()
        await connections.get("default").execute_query(
            "INSERT INTO floor_account (id, balance) SELECT g, 0 FROM generate_series(1, $1) g",
            [accounts],
        )
    finally:
        await Tortoise.close_connections()
