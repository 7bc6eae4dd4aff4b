"""What managers read of the analysis: a member's figures, segment sizes and movement."""

from __future__ import annotations

from datetime import date

from loyalty.actors import Actor
from loyalty.analysis import rfm
from loyalty.errors import InvalidInput, NotFound
from loyalty.models import Member, MemberBehaviour, Role

MAX_DAYS = 366 * 3  # sizes of runs asked for at once


async def behaviour(actor: Actor, member_id: int) -> MemberBehaviour:
    """A member's figures as of the last run that computed them."""
    actor.require_staff(Role.MANAGER)
    if not await Member.exists(id=member_id):
        raise NotFound("member", member_id)
    found = await MemberBehaviour.get_or_none(member_id=member_id)
    if found is None:  # enrolled since the last full run, and no purchase yet
        raise NotFound("behaviour of member", member_id)
    return found


def _ordered(since: date, until: date, first: str, second: str) -> None:
    if since > until:
        raise InvalidInput(f"{first} is after {second}", field=first)


async def segment_sizes(actor: Actor, since: date, until: date) -> list[rfm.RunSizes]:
    actor.require_staff(Role.MANAGER)
    _ordered(since, until, "since", "until")
    if (until - since).days > MAX_DAYS:
        raise InvalidInput(f"ask for at most {MAX_DAYS} days at once", field="until")
    return await rfm.sizes(since, until)


async def segment_movement(actor: Actor, source_on: date, target_on: date) -> list[rfm.Movement]:
    """From the segments of `source_on` to those of `target_on` (each: as the latest run on
    or before that day left them)."""
    actor.require_staff(Role.MANAGER)
    _ordered(source_on, target_on, "fromDate", "toDate")
    return await rfm.movement(source_on, target_on)
