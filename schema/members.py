"""Members: the member's own view, and staff look-ups and enrolment."""

from datetime import date
from typing import Annotated

import strawberry
from strawberry.types import Info

from loyalty import members, staff
from loyalty.calendars import CalendarDate
from loyalty.members import Profile
from loyalty.models import Branch as BranchModel
from loyalty.models import StaffUser as StaffModel
from loyalty.money import CurrencyDisplay as CurrencyDisplayModel
from schema.context import Context
from schema.errors import INPUT, ConflictError, NotFoundError, result_union, returns_errors
from schema.profile import Calendar, CalendarPreference, MessageChannel
from schema.types import Branch, Gender, Language, Member, StaffUser, parse_id

CurrencyDisplay = strawberry.enum(
    CurrencyDisplayModel,
    description="How money is shown to people: RIAL, or TOMAN (a tenth of the Rial amounts "
    "the API always returns).",
)


@strawberry.type(description="How the club writes dates and money for people.")
class ClubSettings:
    calendar: Calendar = strawberry.field(description="The calendar dates are shown in.")
    time_zone: str = strawberry.field(
        description="The club's time zone (IANA name, e.g. Asia/Tehran): the days and hours "
        "people read are in it."
    )
    currency_display: CurrencyDisplay = strawberry.field(
        description="Whether money is shown in Rials or Toman."
    )


FindMemberResult = result_union(
    "FindMemberResult",
    "Result of a staff look-up of a member.",
    Member,
    NotFoundError,
    ConflictError,
)


@strawberry.type(description="A member was enrolled, or was already a member.")
class MemberEnrolled:
    member: Member = strawberry.field(description="The member.")
    created: bool = strawberry.field(description="False when the phone was already enrolled.")


EnrolMemberResult = result_union(
    "EnrolMemberResult", "Result of enrolMember.", MemberEnrolled, NotFoundError
)


@strawberry.input(description="A new member's details. Only the phone is required.")
class EnrolMemberInput:
    phone: str = strawberry.field(description="Mobile number in any usual form.")
    first_name: str | None = strawberry.field(default=None, description="First name.")
    last_name: str | None = strawberry.field(default=None, description="Last name.")
    birthday: date | None = strawberry.field(default=None, description="Birthday (Gregorian).")
    gender: Gender | None = strawberry.field(default=None, description="Gender.")
    city: str | None = strawberry.field(default=None, description="City.")
    area: str | None = strawberry.field(default=None, description="Area of the city.")
    interests: list[str] | None = strawberry.field(default=None, description="Interests.")
    language: Language | None = strawberry.field(default=None, description="Language.")
    marketing_consent: bool | None = strawberry.field(
        default=None, description="Consent to offers and marketing messages."
    )
    profiling_consent: bool | None = strawberry.field(
        default=None, description="Consent to behaviour analysis."
    )
    branch_id: strawberry.ID | None = strawberry.field(
        default=None, description="Branch of enrolment; defaults to the staff user's own."
    )
    referral_code: str | None = strawberry.field(
        default=None, description="The referral code of the member who brought them."
    )


@strawberry.input(description="A date as the member writes it, in the calendar they write it in.")
class BirthdayInput:
    date: str = strawberry.field(description="Year-month-day, e.g. 1370-05-12 (Jalali).")
    calendar: Calendar = strawberry.field(description="The calendar the date is written in.")


@strawberry.input(description="Changes to a profile: what is left out stays as it is.")
class UpdateProfileInput:
    first_name: str | None = strawberry.field(default=None, description="First name.")
    last_name: str | None = strawberry.field(default=None, description="Last name.")
    birthday: BirthdayInput | None = strawberry.field(
        default=None, description="Birthday, in the Jalali or the Gregorian calendar."
    )
    gender: Gender | None = strawberry.field(default=None, description="Gender.")
    city: str | None = strawberry.field(default=None, description="City.")
    area: str | None = strawberry.field(default=None, description="Area of the city.")
    interests: list[str] | None = strawberry.field(
        default=None, description="Interests (replace the ones held)."
    )
    language: Language | None = strawberry.field(default=None, description="Language.")
    calendar: CalendarPreference | None = strawberry.field(
        default=None, description="The calendar to see dates in (CLUB: the club's)."
    )
    marketing_consent: bool | None = strawberry.field(
        default=None, description="Consent to offers and marketing messages."
    )
    profiling_consent: bool | None = strawberry.field(
        default=None, description="Consent to behaviour analysis."
    )
    preferred_channel: MessageChannel | None = strawberry.field(
        default=None, description="Where messages go besides the inbox: push, or SMS."
    )

    def to_profile(self) -> Profile:
        birthday = self.birthday
        return Profile(
            first_name=self.first_name,
            last_name=self.last_name,
            birthday=CalendarDate(birthday.date, birthday.calendar) if birthday else None,
            gender=self.gender,
            city=self.city,
            area=self.area,
            interests=self.interests,
            language=self.language,
            calendar=self.calendar.value if self.calendar else None,
            marketing_consent=self.marketing_consent,
            profiling_consent=self.profiling_consent,
            preferred_channel=self.preferred_channel,
        )


@strawberry.input(description="Staff: changes to a member's profile.")
class UpdateMemberProfileInput(UpdateProfileInput):
    member_id: strawberry.ID = strawberry.field(description="The member.")


@strawberry.type(description="The profile was saved.")
class ProfileUpdated:
    member: Member = strawberry.field(description="The member as they are now.")


UpdateProfileResult = result_union(
    "UpdateProfileResult",
    "Result of updateMyProfile and updateMemberProfile.",
    ProfileUpdated,
    NotFoundError,
)


@strawberry.type
class MemberQueries:
    @strawberry.field(description="The signed-in member.")
    async def me(self, info: Info[Context, None]) -> Member:
        return Member.from_model(await members.get(info.context.require_member()))

    @strawberry.field(description="Staff: find a member by phone or card number (give one).")
    @returns_errors
    async def find_member(
        self,
        info: Info[Context, None],
        phone: Annotated[str | None, strawberry.argument(description="Mobile number.")] = None,
        card_number: Annotated[str | None, strawberry.argument(description="Card number.")] = None,
    ) -> FindMemberResult:
        actor = info.context.require_actor()
        found = await members.find(actor, phone=phone, card_number=card_number)
        return Member.from_model(found)

    @strawberry.field(description="Staff: a member by id.")
    @returns_errors
    async def member(
        self,
        info: Info[Context, None],
        id: Annotated[strawberry.ID, strawberry.argument(description="The member's id.")],
    ) -> FindMemberResult:
        info.context.require_actor().require_staff()
        return Member.from_model(await members.get(parse_id(id, "id")))

    @strawberry.field(description="Staff: the signed-in staff user.")
    async def staff_me(self, info: Info[Context, None]) -> StaffUser:
        actor = info.context.require_actor()
        actor.require_staff()
        return StaffUser.from_model(await StaffModel.get(id=actor.id))

    @strawberry.field(description="Staff: the club's branches.")
    async def branches(self, info: Info[Context, None]) -> list[Branch]:
        info.context.require_actor().require_staff()
        return [Branch.from_model(b) for b in await BranchModel.all().order_by("id")]

    @strawberry.field(description="Staff: the club's calendar, time zone and money display.")
    def club_settings(self, info: Info[Context, None]) -> ClubSettings:
        found = staff.club_settings(info.context.require_actor())
        return ClubSettings(
            calendar=found.calendar,  # type: ignore[arg-type]
            time_zone=found.time_zone,
            currency_display=found.currency_display,  # type: ignore[arg-type]
        )


@strawberry.type
class MemberMutations:
    @strawberry.mutation(description="Staff: enrol a member (idempotent per phone).")
    @returns_errors
    async def enrol_member(
        self,
        info: Info[Context, None],
        input: Annotated[EnrolMemberInput, strawberry.argument(description=INPUT)],
    ) -> EnrolMemberResult:
        actor = info.context.require_actor()
        profile = Profile(
            first_name=input.first_name,
            last_name=input.last_name,
            birthday=input.birthday,
            gender=input.gender,
            city=input.city,
            area=input.area,
            interests=input.interests,
            language=input.language,
            marketing_consent=input.marketing_consent,
            profiling_consent=input.profiling_consent,
        )
        branch_id = parse_id(input.branch_id, "branchId") if input.branch_id else None
        member, created = await members.enrol(
            actor, input.phone, profile, branch_id, referral_code=input.referral_code
        )
        return MemberEnrolled(member=Member.from_model(member), created=created)

    @strawberry.mutation(
        description="Member: change my profile, language, calendar and consents. Filling in a "
        "detail for the first time may earn points (see profileCompletion)."
    )
    @returns_errors
    async def update_my_profile(
        self,
        info: Info[Context, None],
        input: Annotated[UpdateProfileInput, strawberry.argument(description=INPUT)],
    ) -> UpdateProfileResult:
        actor = info.context.require_actor()
        member_id = info.context.require_member()
        member = await members.update_profile(actor, member_id, input.to_profile())
        return ProfileUpdated(member=Member.from_model(member))

    @strawberry.mutation(
        description="Staff: change a member's profile and consents (as the member asked)."
    )
    @returns_errors
    async def update_member_profile(
        self,
        info: Info[Context, None],
        input: Annotated[UpdateMemberProfileInput, strawberry.argument(description=INPUT)],
    ) -> UpdateProfileResult:
        actor = info.context.require_actor()
        member_id = parse_id(input.member_id, "memberId")
        member = await members.update_profile(actor, member_id, input.to_profile())
        return ProfileUpdated(member=Member.from_model(member))
