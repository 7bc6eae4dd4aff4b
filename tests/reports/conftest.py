"""A small club with purchases around the Jalali month boundary of 1 Dey 1404 (2025-12-22),
in Tehran time (UTC+03:30), and its figures worked out by hand.

|#| branch  | buyer   | Tehran time            | UTC         | Rials   | items                    |
|-|---------|---------|------------------------|-------------|---------|--------------------------|
|1| Tehran  | Sara    | 1404-09-30 (Sun) 23:30 | 12-21 20:00 | 100,000 | coffee 60k, cake 40k     |
|2| Tehran  | Sara    | 1404-10-01 (Mon) 00:10 | 12-21 20:40 | 200,000 | coffee 200k              |
|3| Isfahan | walk-in | 1404-10-01 (Mon) 23:30 | 12-22 20:00 |  50,000 |                          |
|4| Isfahan | Reza    | 1404-10-02 (Tue) 10:00 | 12-23 06:30 |  80,000 | coffee 80k; 30k refunded |

Sara enrols at Tehran on 1404-09-30; Reza at Isfahan a month before. The clock stands at
2026-01-10 (purchases may be at most a year old).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
import time_machine

from loyalty import members, purchases, refunds
from loyalty.actors import SYSTEM, Actor
from loyalty.members import Profile
from loyalty.models import Branch, Role
from loyalty.purchases import LineItem
from loyalty.reports import Period
from tests import factories as f

NOW = datetime(2026, 1, 10, 8, 0, tzinfo=UTC)
PERIOD = Period.written("1404-09-30", "1404-10-02")


@dataclass
class Club:
    manager: Actor
    cashier: Actor
    tehran: Branch
    isfahan: Branch
    sara: int
    reza: int
    purchases: list[int]


async def _enrol(name: str, branch: Branch, at: datetime) -> int:
    with time_machine.travel(at, tick=False):
        member, _ = await members.enrol(SYSTEM, f.phone(), Profile(first_name=name), branch.id)
    return member.id


@pytest.fixture
async def club() -> Club:
    with time_machine.travel(NOW, tick=True):
        tehran, isfahan = await f.branch("TEH"), await f.branch("ISF")
        manager, cashier = await f.manager(), await f.staff_actor(Role.CASHIER)
    sara = await _enrol("Sara", tehran, datetime(2025, 12, 21, 10, 0, tzinfo=UTC))
    reza = await _enrol("Reza", isfahan, datetime(2025, 11, 21, 10, 0, tzinfo=UTC))
    plan = [
        (tehran, sara, datetime(2025, 12, 21, 20, 0), 100_000,
         [LineItem("C1", 60_000, 2, "coffee", "Latte"), LineItem("K1", 40_000, 1, "cake", "Cake")]),
        (tehran, sara, datetime(2025, 12, 21, 20, 40), 200_000,
         [LineItem("C1", 200_000, 5, "coffee", "Latte")]),
        (isfahan, None, datetime(2025, 12, 22, 20, 0), 50_000, []),
        (isfahan, reza, datetime(2025, 12, 23, 6, 30), 80_000,
         [LineItem("C2", 80_000, 1, "coffee", "Espresso")]),
    ]  # fmt: skip
    made = []
    with time_machine.travel(NOW, tick=True):
        for n, (branch, member, at, amount, items) in enumerate(plan):
            result = await purchases.record(
                cashier,
                branch_id=branch.id,
                amount=amount,
                receipt_number=f"R{n}",
                idempotency_key=f.key(),
                member_id=member,
                items=items,
                occurred_at=at.replace(tzinfo=UTC),
            )
            made.append(result.purchase.id)
        await refunds.refund(cashier, purchase_id=made[3], idempotency_key=f.key(), amount=30_000)
    return Club(manager, cashier, tehran, isfahan, sara, reza, made)
