"""A small club with purchases worth a happy call, built through the domain services."""

from __future__ import annotations

from dataclasses import dataclass

from loyalty import members, purchases, staff
from loyalty.actors import SYSTEM, Actor
from loyalty.happycalls import queue, rules
from loyalty.members import Profile
from loyalty.models import Role
from loyalty.surveys import manage
from tests import factories as f

PHONE = "09121234567"


def call_survey(persian: bool) -> dict:
    def fa(text: str) -> str:
        return text if persian else ""

    return {
        "name": "Happy call",
        "name_fa": fa("تماس رضایت"),
        "channel": "call",
        "questions": [
            {
                "code": "nps",
                "kind": "rating",
                "text": "Would you recommend us (0-10)?",
                "text_fa": fa("ما را به دوستانتان پیشنهاد می‌کنید؟"),
            },
            {
                "code": "again",
                "kind": "yes_no",
                "text": "Will you come again?",
                "text_fa": fa("دوباره می‌آیید؟"),
            },
            {
                "code": "staff",
                "kind": "choice",
                "text": "The staff were",
                "text_fa": fa("برخورد کارکنان"),
                "choices": [
                    {"text": "Poor", "text_fa": fa("ضعیف"), "score": 0},
                    {"text": "Fair", "text_fa": fa("متوسط"), "score": 4},
                    {"text": "Good", "text_fa": fa("خوب"), "score": 7},
                    {"text": "Excellent", "text_fa": fa("عالی"), "score": 10},
                ],
            },
            {
                "code": "note",
                "kind": "text",
                "text": "Anything else?",
                "text_fa": fa("نکته‌ی دیگری هست؟"),
                "required": False,
            },
        ],
    }


@dataclass
class Club:
    manager: Actor
    cashier: Actor
    branch_id: int
    survey_id: int


async def open_club(persian: bool = False) -> Club:
    """A branch, a CALL survey, and a rule that calls every first purchase."""
    manager = await f.manager()
    branch = await staff.create_branch(SYSTEM, code="TJR", name="تجریش" if persian else "Tajrish")
    survey = await manage.create(manager, call_survey(persian))
    await rules.create(
        manager,
        {
            "name": "First purchases",
            "trigger": "first_purchase",
            "survey_id": survey.id,
            "deadline_hours": 48,
            "priority": 5,
        },
    )
    cashier = await f.staff_actor(Role.CASHIER)
    return Club(manager, cashier, branch.id, survey.id)


async def buyer(club: Club, persian: bool = False, phone: str | None = None) -> int:
    """A member's first purchase, with items, and the calls it queues."""
    first, last = ("سارا", "احمدی") if persian else ("Sara", "Ahmadi")
    member, _ = await members.enrol(SYSTEM, phone or f.phone(), Profile(first, last))
    await purchases.record(
        club.cashier,
        branch_id=club.branch_id,
        amount=1_250_000,
        receipt_number=f"R-{member.id}",
        idempotency_key=f.key(),
        member_id=member.id,
        items=[
            purchases.LineItem(sku="LAT", amount=900_000, name="لاته" if persian else "Latte"),
            purchases.LineItem(sku="CAK", amount=350_000, name="کیک" if persian else "Cake"),
        ],
    )
    await queue.fill()
    return member.id
