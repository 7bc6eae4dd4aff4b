"""A small club for the happy-call tests: two branches, a manager, two operators, a
supervisor, members, a CALL survey (the script) and an APP survey.

Time is pinned: purchases are made five days ago at 09:00 club time and the queue is worked from
10:00 (`BASE`), so calling hours and times of day are the same on every run.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from loyalty import clock, purchases
from loyalty.actors import Actor
from loyalty.happycalls import outcomes, queue, rules
from loyalty.models import HappyCall, HappyCallOutcome, Role
from loyalty.programme import policies
from loyalty.surveys import manage
from loyalty.surveys.answers import Given
from tests import factories as f

BASE = clock.midnight(clock.local_date(datetime.now(UTC)) - timedelta(days=5)) + timedelta(hours=10)
BOUGHT = BASE - timedelta(hours=1)

SCRIPT = {
    "name": "Happy call",
    "name_fa": "تماس رضایت",
    "channel": "call",
    "questions": [
        {
            "code": "nps",
            "kind": "rating",
            "text": "Would you recommend us?",
            "text_fa": "ما را پیشنهاد می‌کنید؟",
        },
        {"code": "again", "kind": "yes_no", "text": "Will you come again?"},
        {
            "code": "staff",
            "kind": "choice",
            "text": "The staff were",
            "text_fa": "کارکنان",
            "choices": [
                {"text": "Rude", "text_fa": "بی‌ادب", "score": 0},
                {"text": "Fine", "score": 50},
                {"text": "Kind", "text_fa": "مهربان", "score": 100},
            ],
        },
        {"code": "note", "kind": "text", "text": "Anything else?", "required": False},
    ],
}
FOUR = [{"text": t, "score": s} for t, s in (("Poor", 1), ("Fair", 2), ("Good", 3), ("Great", 4))]
APP_SURVEY = {
    "name": "After your visit",
    "channel": "app",
    "questions": [{"code": "service", "kind": "choice", "text": "Service?", "choices": FOUR}],
}
ANSWERS = [Given("nps", rating=9), Given("again", yes=True), Given("staff", choice=2)]


@dataclass
class Club:
    boss: Actor
    cashier: Actor
    ali: Actor  # operators
    mina: Actor
    supervisor: Actor
    tehran: int
    isfahan: int
    sara: int
    reza: int
    script: int
    app_survey: int

    async def buy(
        self, member: int, *, branch: int | None = None, amount: int = 1_000_000, at=BOUGHT
    ) -> int:
        key = f.key()
        done = await purchases.record(
            self.cashier,
            branch_id=branch or self.tehran,
            member_id=member,
            amount=amount,
            receipt_number=key,
            idempotency_key=key,
            occurred_at=at,
            items=[purchases.LineItem(sku="latte", name="لاته", amount=amount)],
        )
        return done.purchase.id

    async def rule(self, trigger: str, **more: object) -> int:
        definition = {
            "name": f"{trigger} rule",
            "trigger": trigger,
            "survey_id": self.script,
            "deadline_hours": 48,
            **more,
        }
        return (await rules.create(self.boss, definition)).id

    async def policy(self, **values: object) -> None:
        await policies.save(self.boss, "happy_calls", values)


@pytest.fixture
async def club() -> Club:
    boss = await f.manager()
    tehran, isfahan = await f.branch("THR"), await f.branch("ISF")
    sara, reza = await f.member("Sara"), await f.member("Reza")
    return Club(
        boss=boss,
        cashier=await f.staff_actor(Role.CASHIER),
        ali=await f.staff_actor(Role.OPERATOR),
        mina=await f.staff_actor(Role.OPERATOR),
        supervisor=await f.staff_actor(Role.SUPERVISOR),
        tehran=tehran.id,
        isfahan=isfahan.id,
        sara=sara.id,
        reza=reza.id,
        script=(await manage.create(boss, SCRIPT)).id,
        app_survey=(await manage.create(boss, APP_SURVEY)).id,
    )


async def claim(actor: Actor, at: datetime = BASE) -> HappyCall | None:
    return await queue.claim_next(actor, idempotency_key=f.key(), at=at)


async def record(
    actor: Actor, call: HappyCall, outcome: HappyCallOutcome, at: datetime = BASE, **more: object
) -> outcomes.Recorded:
    return await outcomes.record(
        actor,
        call_id=call.id,
        outcome=outcome,
        idempotency_key=more.pop("key", f.key()),  # type: ignore[arg-type]
        at=at,
        **more,  # type: ignore[arg-type]
    )
