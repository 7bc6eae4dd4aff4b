"""Enrolling, finding and updating members."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Final, Literal

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from loyalty import clock, consents, leaderboard, ledger, profiles, validation
from loyalty.actors import Actor, ActorKind
from loyalty.calendars import CalendarDate
from loyalty.errors import DomainError, ErrorCode, InvalidInput, NotFound
from loyalty.journeys import triggers
from loyalty.models import (
    Branch,
    Calendar,
    Card,
    CardStatus,
    Gender,
    Language,
    Member,
    MessageChannel,
)
from loyalty.phones import normalise_phone
from loyalty.programme import referral, standing

MAX_INTERESTS = 20
# Profile.calendar: show the member dates in the club's calendar (forget their own choice).
CLUB_CALENDAR: Final = "club"


@dataclass(frozen=True, slots=True)
class Profile:
    """What a member tells the club about themselves. None leaves a field as it is.

    A birthday is a Gregorian date, or a CalendarDate as the member wrote it: which calendar
    it was written in is kept (a birthday is celebrated on its anniversary in that calendar).
    """

    first_name: str | None = None
    last_name: str | None = None
    birthday: date | CalendarDate | None = None
    gender: Gender | None = None
    city: str | None = None
    area: str | None = None
    interests: list[str] | None = None
    language: Language | None = None
    calendar: Calendar | Literal["club"] | None = None
    marketing_consent: bool | None = None
    profiling_consent: bool | None = None
    preferred_channel: MessageChannel | None = None  # where messages go besides the inbox

    def cleaned(self) -> dict[str, object]:
        values: dict[str, object] = {}
        for name in ("first_name", "last_name", "city", "area"):
            if (v := getattr(self, name)) is not None:
                values[name] = validation.text(v, field=name, max_length=100)
        if self.birthday is not None:
            if isinstance(self.birthday, CalendarDate):
                day = self.birthday.to_gregorian(field="birthday")
                values["birthday_calendar"] = self.birthday.calendar
            else:
                day, values["birthday_calendar"] = self.birthday, Calendar.GREGORIAN
            today = clock.local_date(datetime.now(UTC))
            values["birthday"] = validation.birthday(day, today)
        if self.calendar is not None:
            values["calendar"] = None if self.calendar == CLUB_CALENDAR else Calendar(self.calendar)
        if self.interests is not None:
            if len(self.interests) > MAX_INTERESTS:
                raise InvalidInput(f"at most {MAX_INTERESTS} interests", field="interests")
            values["interests"] = sorted(
                {
                    validation.text(i, field="interests", max_length=50, required=True)
                    for i in self.interests
                }
            )
        for name in (
            "gender",
            "language",
            "marketing_consent",
            "profiling_consent",
            "preferred_channel",
        ):
            if (v := getattr(self, name)) is not None:
                values[name] = v
        return values


async def enrol(
    actor: Actor,
    phone: str,
    profile: Profile = Profile(),
    branch_id: int | None = None,
    referral_code: str | None = None,
) -> tuple[Member, bool]:
    """Enrol a member, or return the one already enrolled with this phone (created=False).

    `referral_code` is the code of the member who brought them; an unknown code enrols nobody.
    A member already enrolled is not referred again.
    """
    if actor.kind is not ActorKind.MEMBER:
        actor.require_staff()
    e164 = normalise_phone(phone)
    values = profile.cleaned()
    branch_id = branch_id if branch_id is not None else actor.branch_id
    if branch_id is not None and not await Branch.exists(id=branch_id):
        raise NotFound("branch", branch_id)
    code = referral.clean_code(referral_code)
    if code is not None:
        await referral.referrer_for(code)
    existing = await Member.get_or_none(phone=e164)
    if existing is not None:
        return existing, False
    try:
        async with in_transaction():
            member = await Member.create(phone=e164, enrolled_branch_id=branch_id, **values)
            await standing.open_for(member.id, await ledger.open_member_accounts(member.id))
            await consents.record_enrolment(actor, member)
            if code is not None:
                await referral.register(member.id, code)
            await triggers.member_enrolled(member.id)
    except IntegrityError:
        # Another request enrolled the same phone a moment ago.
        return await Member.get(phone=e164), False
    return member, True


async def get(member_id: int) -> Member:
    member = await Member.get_or_none(id=member_id)
    if member is None:
        raise NotFound("member", member_id)
    return member


async def find(actor: Actor, *, phone: str | None = None, card_number: str | None = None) -> Member:
    """Staff look a member up by phone or by card."""
    actor.require_staff()
    if (phone is None) == (card_number is None):
        raise InvalidInput("give exactly one of phone or card number")
    if phone is not None:
        e164 = normalise_phone(phone)
        member = await Member.get_or_none(phone=e164)
        if member is None:
            raise NotFound("member with phone", e164)
        return member
    card = await Card.get_or_none(card_number=(card_number or "").strip()).prefetch_related(
        "member"
    )
    if card is None:
        raise NotFound("card", card_number)
    if card.status is not CardStatus.ACTIVE:  # blocked, or replaced by a new card
        raise DomainError(f"this card is {card.status.value}", code=ErrorCode.CARD_BLOCKED)
    return card.member


async def update_profile(actor: Actor, member_id: int, profile: Profile) -> Member:
    """The member or staff change the profile. Each field filled in that was empty earns its
    points (once per field and rule, ever); each consent that changes is recorded."""
    if actor.kind is ActorKind.MEMBER:
        if actor.id != member_id:
            raise NotFound("member", member_id)
    else:
        actor.require_staff()
    member = await get(member_id)
    values = profile.cleaned()
    if values:
        wanted_consents = consents.wanted(values)
        columns = {k: v for k, v in values.items() if k not in consents.COLUMNS.values()}
        was_empty = profiles.empty_fields(member)
        with leaderboard.collecting() as earned:
            async with in_transaction():
                member.update_from_dict(columns)
                if columns:
                    await member.save(update_fields=list(columns))
                await consents.change(actor, member, wanted_consents)
                filled = [name for name in was_empty if profiles.is_filled(getattr(member, name))]
                await profiles.reward(actor, member, filled)
        await leaderboard.record_points(earned)
    return member
