"""The analysis' fixture club: members with known purchases on known days in the club's zone."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

import pytest

from loyalty import clock, purchases, refunds, wallet
from loyalty.actors import Actor
from loyalty.ledger import Purse
from loyalty.models import Branch, Member, Purchase
from loyalty.programme import expiry, policies
from loyalty.purchases import LineItem
from loyalty.settings import get_settings
from tests import factories

NOW = datetime.now(UTC)
TODAY = clock.local_date(NOW)


def day(days_ago: int) -> date:
    return TODAY - timedelta(days=days_ago)


def local(days_ago: int, hour: int, minute: int = 0) -> datetime:
    """A moment on the club's clock, `days_ago` days before today."""
    return datetime.combine(day(days_ago), time(hour, minute), get_settings().zone).astimezone(UTC)


@dataclass
class Club:
    manager: Actor
    cashier: Actor
    first: Branch
    second: Branch
    members: dict[str, Member]

    async def buy(
        self,
        name: str,
        at: datetime,
        amount: int,
        *items: tuple[str, int],
        branch: Branch | None = None,
        credit: int = 0,
    ) -> Purchase:
        result = await purchases.record(
            self.cashier,
            branch_id=(branch or self.first).id,
            amount=amount,
            receipt_number=factories.key()[:12],
            idempotency_key=factories.key(),
            member_id=self.members[name].id,
            items=[LineItem(sku=c, amount=a, category=c) for c, a in items],
            occurred_at=at,
            paid_with_credit=credit,
        )
        return result.purchase

    async def spend(self, name: str, purse: Purse, amount: int) -> wallet.LedgerResult:
        return await wallet.spend(
            self.cashier,
            member_id=self.members[name].id,
            purse=purse,
            amount=amount,
            idempotency_key=factories.key(),
            branch_id=self.first.id,
        )

    async def refund(self, purchase: Purchase, amount: int | None = None) -> None:
        await refunds.refund(
            self.manager, purchase_id=purchase.id, idempotency_key=factories.key(), amount=amount
        )


@pytest.fixture
async def club() -> Club:
    """Sara: four visits (gaps 3, 10, 27 days: median 10, average 13⅓), one purchase just after
    midnight (the day before in UTC), two purchases on one day, a partial and a whole refund,
    credit used (and a spend of it undone), points spent and expired. Reza: five visits (gaps
    2, 6, 12, 1: median 4). Nima: visits, no profiling consent. Mina: never visited."""
    manager = await factories.manager()
    first, second = await factories.branch("A"), await factories.branch("B")
    cashier = await factories.staff_actor()
    # Points expire a month after they are earned.
    await policies.save(
        manager, "expiry", {"mode": "months_after_earning", "months": 1, "warn_days": 7}
    )
    members = {
        name: await factories.member(name, profiling_consent=consent, marketing_consent=True)
        for name, consent in (("Sara", True), ("Reza", True), ("Nima", False), ("Mina", True))
    }
    c = Club(manager, cashier, first, second, members)
    await factories.give(members["Sara"].id, Purse.CREDIT, 500_000)
    await c.buy("Sara", local(60, 10), 1_000_000, ("coffee", 600_000), ("cake", 400_000))
    await c.buy("Sara", local(57, 23, 30), 2_000_000, ("cake", 2_000_000), branch=second)
    await c.buy("Sara", local(57, 8), 500_000, ("coffee", 500_000), branch=second)
    late = await c.buy("Sara", local(47, 0, 15), 800_000, ("tea", 800_000))
    await c.refund(late, 300_000)
    await c.buy("Sara", local(20, 12), 1_200_000, ("coffee", 1_200_000), credit=200_000)
    undone = await c.buy("Sara", local(4, 12), 1_000_000, ("tea", 1_000_000), credit=100_000)
    await c.refund(undone)
    await c.spend("Sara", Purse.POINTS, 120)
    # Spent at the counter and undone by a manager: no credit used in the end.
    mistaken = await c.spend("Sara", Purse.CREDIT, 50_000)
    await wallet.reverse(
        manager,
        transaction_id=mistaken.transaction.id,
        reason="wrong card",
        idempotency_key=factories.key(),
    )
    await expiry.expire_member(members["Sara"].id, NOW)
    for days_ago in (30, 28, 22, 10, 9):
        await c.buy("Reza", local(days_ago, 18), 100_000, branch=second)
    for days_ago in (5, 3):
        await c.buy("Nima", local(days_ago, 11), 300_000)
    return c
