"""Writes that start an event journey record it in the outbox, in their own transaction: an
enrolment (welcome) and a move up a tier. Only while such a journey is active, so the write
costs a look-up at a small table and nothing more when there is none; a journey started later
does not reach members who enrolled or moved up before."""

from __future__ import annotations

from loyalty import outbox
from loyalty.models import Journey, JourneyKind

WELCOME_TASK = "journey_welcome"
TIER_UPGRADED_TASK = "journey_tier_upgraded"


async def member_enrolled(member_id: int) -> None:
    if await Journey.exists(kind=JourneyKind.WELCOME, active=True):
        await outbox.record(WELCOME_TASK, {"member_id": member_id})


async def tier_upgraded(member_id: int, tier_id: int, change_id: int) -> None:
    if await Journey.exists(kind=JourneyKind.TIER_UPGRADED, active=True):
        await outbox.record(
            TIER_UPGRADED_TASK,
            {"member_id": member_id, "tier_id": tier_id, "change_id": change_id},
        )
