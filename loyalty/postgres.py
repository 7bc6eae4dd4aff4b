"""PostgreSQL through asyncpg, without the session reset asyncpg sends whenever a connection goes
back to its pool.

Tortoise takes a pooled connection for every statement outside a transaction, and asyncpg's
default reset (`SELECT pg_advisory_unlock_all(); CLOSE ALL; UNLISTEN *; RESET ALL`) made each
read two round trips. The club keeps no session state across statements (no SET, LISTEN, session
advisory locks or open cursors), so the reset undid nothing. asyncpg still rolls back a
transaction left open before its custom reset runs.
"""

from __future__ import annotations

from typing import Any

import asyncpg
from tortoise.backends.asyncpg import AsyncpgDBClient


async def _keep_session(connection: asyncpg.Connection) -> None:
    """Nothing to undo: see the module's docstring."""


class PostgresClient(AsyncpgDBClient):
    async def create_pool(self, **kwargs: Any) -> asyncpg.Pool:
        return await asyncpg.create_pool(None, reset=_keep_session, **kwargs)


# How tortoise finds a backend's client in an engine module.
client_class = PostgresClient
