"""What the club asks of a member's profile: how complete it is, and the points filling it in
earns (each field once per rule, however often it is cleared and filled again)."""

from __future__ import annotations

from dataclasses import dataclass

from loyalty.actors import Actor
from loyalty.models import Member
from loyalty.programme import events
from loyalty.programme.definitions import PROFILE_FIELDS
from loyalty.programme.events import AlreadyRewarded

COMPLETED = "profile_completed"
FIELD = "profile_field"


def is_filled(value: object) -> bool:
    return value not in (None, "", [])


def is_complete(member: Member) -> bool:
    """Whether the member has told the club all it asks of them (the profile event)."""
    return all(is_filled(getattr(member, name)) for name in PROFILE_FIELDS)


def empty_fields(member: Member) -> list[str]:
    return [name for name in PROFILE_FIELDS if not is_filled(getattr(member, name))]


async def reward(actor: Actor, member: Member, filled: list[str]) -> None:
    """Points for the fields just filled in, and for the profile when it is now complete.

    Call inside the update's database transaction.
    """
    for name in filled:
        try:
            await events.award(actor, member_id=member.id, event=FIELD, reference=name)
        except AlreadyRewarded:
            pass  # Filled before, cleared and filled again: it earned already.
    if is_complete(member):
        await events.award_once(actor, member_id=member.id, event=COMPLETED)


@dataclass(frozen=True, slots=True)
class MissingField:
    name: str
    points: int  # what filling it in would earn now


@dataclass(frozen=True, slots=True)
class Completion:
    percent: int
    missing: list[MissingField]
    # Everything still to earn: the missing fields, and completing the profile.
    points_available: int


async def completion(member: Member) -> Completion:
    """How complete the member's profile is, and what filling in the rest would earn."""
    missing = [
        MissingField(name, await events.points_due(member.id, FIELD, name))
        for name in empty_fields(member)
    ]
    bonus = await events.points_due(member.id, COMPLETED, COMPLETED) if missing else 0
    filled = len(PROFILE_FIELDS) - len(missing)
    return Completion(
        percent=filled * 100 // len(PROFILE_FIELDS),
        missing=missing,
        points_available=sum(m.points for m in missing) + bonus,
    )
