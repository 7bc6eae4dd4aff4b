"""PostgreSQL connections go back to the pool without asyncpg's session reset (one round trip
saved per statement) and still without a transaction left open."""

from __future__ import annotations

import pytest
from tortoise import connections

from tests.conftest import is_postgres

pytestmark = pytest.mark.skipif(not is_postgres(), reason="PostgreSQL's connection pool")


async def _a_pooled_connection():
    pool = connections.get("default")._pool
    # asyncpg's pool hands out the connection released last: acquiring again gives it back.
    return pool, await pool.acquire()


async def test_a_released_connection_keeps_its_session_and_sends_no_reset() -> None:
    pool, connection = await _a_pooled_connection()
    await connection.execute("SET application_name = 'kept'")
    server = connection.get_server_pid()
    await pool.release(connection)
    again = await pool.acquire()
    try:
        assert again.get_server_pid() == server
        # The default reset would have sent RESET ALL and cleared it.
        assert await again.fetchval("SHOW application_name") == "kept"
    finally:
        await again.execute("RESET application_name")
        await pool.release(again)


async def test_a_transaction_left_open_is_still_rolled_back_on_release() -> None:
    pool, connection = await _a_pooled_connection()
    await connection.execute("BEGIN")
    await connection.execute("CREATE TEMPORARY TABLE stray (id int) ON COMMIT DROP")
    server = connection.get_server_pid()
    await pool.release(connection)
    again = await pool.acquire()
    try:
        assert again.get_server_pid() == server
        assert not again.is_in_transaction()
        assert await again.fetchval("SELECT to_regclass('pg_temp.stray')") is None
    finally:
        await pool.release(again)
