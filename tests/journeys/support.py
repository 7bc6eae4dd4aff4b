"""What the journeys' tests share: a shop to buy at, journeys to make, days at noon in the club's
zone."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from loyalty import clock, purchases
from loyalty.actors import Actor
from loyalty.journeys import manage
from loyalty.journeys.manage import JourneySpec
from loyalty.models import Journey, JourneyKind, Member, Message, MessagePurpose, Role
from loyalty.purchases import LineItem
from loyalty.settings import get_settings
from tests import factories as f

OIL_REMINDER = "{name} عزیز، زمان تعویض روغن خودروی شما نزدیک است"


def at(day: date, hour: int = 12, minute: int = 0) -> datetime:
    """That day at that hour in the club's zone (noon: outside the quiet hours)."""
    return datetime.combine(day, time(hour, minute), get_settings().zone).astimezone(UTC)


def today() -> date:
    return clock.local_date(datetime.now(UTC))


@dataclass
class Shop:
    boss: Actor
    cashier: Actor
    branch_id: int

    async def buy(self, member: Member, on: date, category: str = "oil_change") -> int:
        result = await purchases.record(
            self.cashier,
            branch_id=self.branch_id,
            member_id=member.id,
            amount=2_500_000,
            receipt_number=f.key()[:12],
            idempotency_key=f.key(),
            occurred_at=min(at(on, 10), datetime.now(UTC)),  # today's, before 10: now
            items=[LineItem(sku="OIL-5W30", amount=2_500_000, category=category)],
        )
        return result.purchase.id

    async def journey(
        self,
        kind: JourneyKind,
        body: str = "{name} عزیز، سلام",
        *,
        title: str = "باشگاه",
        purpose: MessagePurpose = MessagePurpose.MARKETING,
        **more: Any,
    ) -> Journey:
        spec = JourneySpec(
            name=f"{kind.value} journey", kind=kind, title=title, body=body, purpose=purpose, **more
        )
        return await manage.create(self.boss, spec)


async def shop() -> Shop:
    branch = await f.branch()
    return Shop(await f.manager(), await f.staff_actor(Role.CASHIER, branch.id), branch.id)


async def messages_of(journey: Journey) -> list[Message]:
    return await Message.filter(source=manage.source(journey.id)).order_by("id")


def days_later(day: date, days: int) -> date:
    return day + timedelta(days=days)
