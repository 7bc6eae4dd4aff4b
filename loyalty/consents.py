"""Members' consents (marketing, profiling): every change is kept, with who made it and where."""

from __future__ import annotations

from loyalty.actors import Actor, ActorKind
from loyalty.history import Page, page_size
from loyalty.models import Consent, ConsentChange, ConsentChannel, Member, Role

# The member's column that holds each consent asked for on joining and in the profile.
COLUMNS = {Consent.MARKETING: "marketing_consent", Consent.PROFILING: "profiling_consent"}
# And every consent's: happy calls are allowed until the member asks an operator to stop.
_ALL_COLUMNS = {**COLUMNS, Consent.CALLS: "calls_consent"}

# Each staff role works through one client of the club.
_ROLE_CHANNELS = {
    Role.CASHIER: ConsentChannel.COUNTER,
    Role.STATION: ConsentChannel.STATION,
    Role.OPERATOR: ConsentChannel.CONSOLE,
    Role.SUPERVISOR: ConsentChannel.CONSOLE,
    Role.MANAGER: ConsentChannel.BACK_OFFICE,
}


def channel_of(actor: Actor) -> ConsentChannel:
    """Where the actor acts from: members in the app, staff at their role's client."""
    if actor.kind is ActorKind.MEMBER:
        return ConsentChannel.APP
    if actor.kind is ActorKind.STAFF and actor.role is not None:
        return _ROLE_CHANNELS[actor.role]
    return ConsentChannel.SYSTEM


def wanted(values: dict[str, object]) -> dict[Consent, bool]:
    """The consents a profile's cleaned values set."""
    return {c: bool(values[column]) for c, column in COLUMNS.items() if column in values}


async def _record(actor: Actor, member_id: int, consent: Consent, granted: bool) -> None:
    await ConsentChange.create(
        member_id=member_id,
        consent=consent,
        granted=granted,
        changed_by=actor.kind.value,
        staff_id=actor.staff_id,
        channel=channel_of(actor),
    )


async def record_enrolment(actor: Actor, member: Member) -> None:
    """A new member's history starts with the consents they gave when joining."""
    for consent, column in COLUMNS.items():
        if getattr(member, column):
            await _record(actor, member.id, consent, True)


async def change(actor: Actor, member: Member, consents: dict[Consent, bool]) -> None:
    """Set the member's consents, keeping a record of each that really changes.

    Each column is flipped only from its other value: of two requests making the same change
    at once, one changes it and is recorded, the other changes and records nothing.
    Call inside the database transaction of the profile's update.
    """
    for consent, granted in consents.items():
        column = _ALL_COLUMNS[consent]
        flipped = await Member.filter(id=member.id, **{column: not granted}).update(
            **{column: granted}
        )
        if flipped:
            await _record(actor, member.id, consent, granted)
        setattr(member, column, granted)


async def history(
    member_id: int, *, first: int = 20, before_id: int | None = None
) -> Page[ConsentChange]:
    """The member's consent changes, newest first, a page at a time (keyset on id)."""
    size = page_size(first)
    query = ConsentChange.filter(member_id=member_id)
    if before_id is not None:
        query = query.filter(id__lt=before_id)
    rows = await query.order_by("-id").limit(size + 1)
    return Page(rows[:size], len(rows) > size)
