"""The member's profile as the API shows it: calendars, consents and their history, and how
complete the profile is."""

from datetime import datetime
from enum import Enum

import strawberry

from loyalty import models as m
from loyalty import profiles
from loyalty.actors import ActorKind
from loyalty.programme.definitions import PROFILE_FIELDS
from schema.scalars import BigInt

Calendar = strawberry.enum(m.Calendar, description="A calendar dates are written in.")
Consent = strawberry.enum(m.Consent, description="What a member may agree to.")
ConsentChannel = strawberry.enum(
    m.ConsentChannel,
    description="Where a consent was given or withdrawn: the member's app, or the staff "
    "client it was recorded in (counter, NFC station, call-centre console, back office).",
)
ConsentChangedBy = strawberry.enum(
    ActorKind, name="ConsentChangedBy", description="Who changed a consent."
)
MessageChannel = strawberry.enum(
    m.MessageChannel,
    description="Where a member's messages go besides the in-app inbox, which keeps them all: "
    "PUSH (to the app) or SMS.",
)
ProfileField = strawberry.enum(
    Enum("ProfileField", {name.upper(): name for name in PROFILE_FIELDS}),
    description="A detail of the profile the club asks for (filling it in may earn points).",
)


@strawberry.enum(description="The calendar a member chooses to see dates in.")
class CalendarPreference(Enum):
    JALALI = strawberry.enum_value("jalali", description="The Jalali (Persian) calendar.")
    GREGORIAN = strawberry.enum_value("gregorian", description="The Gregorian calendar.")
    CLUB = strawberry.enum_value("club", description="Whichever calendar the club uses.")


@strawberry.type(description="A consent the member granted or withdrew.")
class ConsentChange:
    id: strawberry.ID = strawberry.field(description="The change's id.")
    consent: Consent = strawberry.field(description="Which consent.")
    granted: bool = strawberry.field(description="Granted (true) or withdrawn (false).")
    changed_by: ConsentChangedBy = strawberry.field(
        description="The member, a staff user, or the club's system."
    )
    staff_id: strawberry.ID | None = strawberry.field(
        description="The staff user who recorded it, when one did."
    )
    channel: ConsentChannel = strawberry.field(description="Where it was given or withdrawn.")
    changed_at: datetime = strawberry.field(description="When (UTC).")

    @classmethod
    def from_model(cls, row: m.ConsentChange) -> "ConsentChange":
        staff_id = row.staff_id  # type: ignore[attr-defined]
        return cls(
            id=strawberry.ID(str(row.id)),
            consent=row.consent,
            granted=row.granted,
            changed_by=ActorKind(row.changed_by),
            staff_id=strawberry.ID(str(staff_id)) if staff_id else None,
            channel=row.channel,
            changed_at=row.created_at,
        )


@strawberry.type(description="A detail of the profile not filled in yet.")
class MissingProfileField:
    field: ProfileField = strawberry.field(description="Which detail.")
    points: BigInt = strawberry.field(description="Points filling it in would earn now.")


@strawberry.type(description="How complete the member's profile is, and what completing it earns.")
class ProfileCompletion:
    percent: int = strawberry.field(description="Share of the asked-for details filled in, 0-100.")
    missing_fields: list[MissingProfileField] = strawberry.field(
        description="The details not filled in yet, with the points each would earn."
    )
    points_available: BigInt = strawberry.field(
        description="All the points still to earn: the missing details and, when there is "
        "one, the bonus for completing the profile."
    )

    @classmethod
    def from_domain(cls, c: profiles.Completion) -> "ProfileCompletion":
        return cls(
            percent=c.percent,
            missing_fields=[
                MissingProfileField(field=ProfileField(f.name), points=f.points) for f in c.missing
            ],
            points_available=c.points_available,
        )
