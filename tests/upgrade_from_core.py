"""Run by test_migrations in a process of its own: a database of the core (migrations 0001-0002)
with a member who bought and was refunded, upgraded to the latest; prints what it became."""

from __future__ import annotations

import asyncio
import json
import sys

from tortoise import Tortoise, connections
from tortoise.migrations.api.migrate import migrate

from loyalty.db import tortoise_config

CORE_DATA = [
    "INSERT INTO branch (id, code, name, city, created_at) "
    "VALUES (1, 'B1', 'Shop', '', '2026-01-01')",
    "INSERT INTO member (id, phone, first_name, last_name, city, area, interests, language, "
    "marketing_consent, profiling_consent, enrolled_at) VALUES "
    "(1, '+989120000001', 'Sara', '', '', '', '[]', 'fa', false, false, '2026-01-01')",
    "INSERT INTO account (id, code, unit, member_id, balance) VALUES "
    "(1, 'member:1:points', 'points', 1, 90), (2, 'member:1:credit', 'rial', 1, 0), "
    "(3, 'points:issued', 'points', NULL, 0)",
    "INSERT INTO purchase (id, branch_id, receipt_number, member_id, amount, refunded_amount, "
    "occurred_at, idempotency_key, request_hash, created_at) VALUES "
    "(1, 1, 'R1', 1, 1000000, 0, '2026-01-02 10:00:00+00:00', 'k1', 'h', '2026-01-02'), "
    "(2, 1, 'R2', 1, 500000, 0, '2026-01-09 10:00:00+00:00', 'k2', 'h', '2026-01-09')",
    "INSERT INTO journal_transaction (id, kind, member_id, idempotency_key, request_hash, "
    "reason_code, reason, purchase_id, created_at) VALUES "
    "(1, 'earn', 1, '#p1', 'h', 'points_per_rial', 'earned', 1, '2026-01-02'), "
    "(2, 'reversal', 1, '#r1', 'h', 'refund_points_per_rial', 'refund', 1, '2026-01-03')",
    "INSERT INTO posting (id, transaction_id, account_id, amount) VALUES "
    "(1, 1, 1, 100), (2, 1, 3, -100), (3, 2, 1, -10), (4, 2, 3, 10)",
]


async def main(url: str) -> None:
    config = tortoise_config(url)
    await migrate(config=config, target="loyalty.0002_ledger_guards")
    await Tortoise.init(config=config)
    for statement in CORE_DATA:
        await connections.get("default").execute_script(statement)
    await Tortoise.close_connections()
    await migrate(config=config)
    await Tortoise.init(config=config)
    client = connections.get("default")
    result = {
        "standings": await client.execute_query_dict(
            "SELECT member_id, points_account_id, credit_account_id, visit_count, spend_total, "
            "tier_points_total, referral_code FROM member_standing"
        ),
        "transactions": await client.execute_query_dict(
            "SELECT id, points, credit, tier_points, lines FROM journal_transaction ORDER BY id"
        ),
        "purchases": await client.execute_query_dict(
            "SELECT id, discount, paid_with_credit FROM purchase ORDER BY id"
        ),
    }
    await Tortoise.close_connections()
    print(json.dumps(result, default=str))


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1]))
