"""The club's objects as the API shows them."""

import base64
from datetime import date, datetime
from enum import Enum
from typing import Annotated, Generic, TypeVar

import strawberry
from strawberry.scalars import JSON
from strawberry.types import Info

from loyalty import calendars, consents, devices, history, inbox, leaderboard, ledger, profiles
from loyalty import models as m
from loyalty.actors import Actor
from loyalty.errors import InvalidInput
from loyalty.ledger import Purse as DomainPurse
from loyalty.privacy import masking
from loyalty.programme import engine, expiry, policies, referral, tiers
from loyalty.programme import standing as standings
from loyalty.programme.explain import Text
from schema.context import Context
from schema.devices import Device
from schema.errors import named_as_input
from schema.profile import (
    Calendar,
    CalendarPreference,
    ConsentChange,
    MessageChannel,
    ProfileCompletion,
)
from schema.scalars import BigInt

Purse = strawberry.enum(DomainPurse, description="A member's two balances.")
TransactionKind = strawberry.enum(m.TransactionKind, description="What a ledger entry did.")
Gender = strawberry.enum(m.Gender, description="Gender, as the member chose to tell.")
Language = strawberry.enum(m.Language, description="The member's language.")
StaffRole = strawberry.enum(m.Role, description="What a staff user may do.")
TierChangeReason = strawberry.enum(m.TierChangeReason, description="Why a member's tier changed.")


@strawberry.enum(description="What tiers are reached by.")
class TierMetric(Enum):
    POINTS_EARNED = "points_earned"
    SPEND = "spend"


@strawberry.enum(description="What a line of a purchase's outcome gives.")
class LinePurse(Enum):
    POINTS = engine.POINTS
    CREDIT = engine.CREDIT
    DISCOUNT = engine.DISCOUNT


T = TypeVar("T")


def encode_cursor(kind: str, key: int) -> str:
    return base64.urlsafe_b64encode(f"{kind}:{key}".encode()).decode()


def decode_cursor(kind: str, cursor: str | None) -> int | None:
    if cursor is None:
        return None
    try:
        prefix, _, key = base64.urlsafe_b64decode(cursor.encode()).decode().partition(":")
        if prefix == kind:
            return int(key)
    except (ValueError, UnicodeDecodeError):
        pass
    raise InvalidInput("the cursor is not one this list gave out", field="after")


PageSize = Annotated[int, strawberry.argument(description="Page size, 1 to 100.")]
AfterCursor = Annotated[str | None, strawberry.argument(description="Cursor to go on from.")]


async def save_policy(actor: Actor, key: str, input: object) -> tuple[policies._Policy, int]:
    """Save a policy from its GraphQL input (fields named as the policy's; left out: the
    default), a bad value named as the input names it (`quietFrom`, not `messaging.quiet_from`)."""
    values = {
        name: getattr(input, name)
        for name in policies.POLICIES[key].model_fields
        if getattr(input, name) is not None
    }
    try:
        return await policies.save(
            actor, key, values, expected_version=getattr(input, "expected_version", None)
        )
    except InvalidInput as error:
        raise named_as_input(error, f"{key}.") from None


def optional_id(value: int | None) -> strawberry.ID | None:
    """A nullable foreign key as a GraphQL ID."""
    return strawberry.ID(str(value)) if value is not None else None


def parse_id(value: strawberry.ID, field: str) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        number = 0
    if number <= 0:
        raise InvalidInput(f"{field} is not a valid id", field=field)
    return number


@strawberry.type(description="Where a list page ends and whether more follow.")
class PageInfo:
    has_next_page: bool = strawberry.field(description="More items follow this page.")
    end_cursor: str | None = strawberry.field(description="Pass as `after` for the next page.")


@strawberry.type(description="One item of a list, with the cursor that points at it.")
class Edge(Generic[T]):
    cursor: str = strawberry.field(description="Opaque position of this item.")
    node: T = strawberry.field(description="The item.")


@strawberry.type(description="A page of a list, newest first.")
class Connection(Generic[T]):
    edges: list[Edge[T]] = strawberry.field(description="The items of this page.")
    page_info: PageInfo = strawberry.field(description="How to get the next page.")


def connection(kind: str, page: history.Page, to_node, key=lambda item: item.id) -> Connection:
    edges = [Edge(cursor=encode_cursor(kind, key(item)), node=to_node(item)) for item in page.items]
    return Connection(
        edges=edges,
        page_info=PageInfo(
            has_next_page=page.has_more, end_cursor=edges[-1].cursor if edges else None
        ),
    )


@strawberry.type(description="A shop of the club.")
class Branch:
    id: strawberry.ID = strawberry.field(description="The branch's id.")
    code: str = strawberry.field(description="Short code, unique in the club.")
    name: str = strawberry.field(description="Name shown to people.")
    city: str = strawberry.field(description="City the branch is in.")

    @classmethod
    def from_model(cls, b: m.Branch) -> "Branch":
        return cls(id=strawberry.ID(str(b.id)), code=b.code, name=b.name, city=b.city)


async def load_branch(info: Info[Context, None], branch_id: int | None) -> Branch | None:
    if branch_id is None:
        return None
    found = await info.context.loaders.branch.load(branch_id)
    return Branch.from_model(found) if found else None


@strawberry.type(description="What a member holds.")
class Balances:
    points: BigInt = strawberry.field(description="Points to spend on rewards.")
    credit: BigInt = strawberry.field(description="Stored value in Rials («اعتبار»).")

    @classmethod
    def from_domain(cls, b: ledger.Balances) -> "Balances":
        return cls(points=b.points, credit=b.credit)


async def in_language(info: Info[Context, None], text: Text) -> str:
    return text.pick((await info.context.language()).value)


@strawberry.type(description="A tier of the programme.")
class Tier:
    id: strawberry.ID = strawberry.field(description="The tier's id.")
    name_en: str = strawberry.field(description="Name in English.")
    name_fa: str = strawberry.field(description="Name in Persian; empty: the English name.")
    rank: int = strawberry.field(description="0 for the entry tier, then up.")
    threshold: BigInt = strawberry.field(
        description="Points earned or Rials spent (see the tier policy) to reach it."
    )
    points_multiplier_percent: int = strawberry.field(
        description="Points for spending are multiplied by this (150: ×1.5)."
    )
    active: bool = strawberry.field(description="Part of the programme (inactive: retired).")
    version: int = strawberry.field(description="Pass as `expectedVersion` when changing it.")

    @strawberry.field(description="Name in the viewer's language.")
    async def name(self, info: Info[Context, None]) -> str:
        return await in_language(info, Text(self.name_en, self.name_fa or self.name_en))

    @classmethod
    def from_model(cls, t: m.Tier) -> "Tier":
        return cls(
            id=strawberry.ID(str(t.id)),
            name_en=t.name,
            name_fa=t.name_fa,
            rank=t.rank,
            threshold=t.threshold,
            points_multiplier_percent=t.points_multiplier_percent,
            active=t.active,
            version=t.version,
        )


async def load_tier(tier_id: int | None) -> Tier | None:
    found = await m.Tier.get_or_none(id=tier_id) if tier_id is not None else None
    return Tier.from_model(found) if found else None


@strawberry.type(description="Where the member stands in the tiers.")
class MemberTier:
    current: Tier | None = strawberry.field(
        description="The member's tier; none when the club has no tiers."
    )
    next_tier: Tier | None = strawberry.field(description="The next tier up; none at the top.")
    metric: TierMetric = strawberry.field(description="What tiers are reached by.")
    qualifying: BigInt = strawberry.field(
        description="The member's total towards tiers (points earned or Rials spent) so far."
    )
    needed_for_next: BigInt = strawberry.field(
        description="How much more reaches the next tier (0 at the top)."
    )
    review_at: datetime | None = strawberry.field(
        description="When the tier is next reviewed: the only time it can go down (UTC)."
    )
    grace_until: datetime | None = strawberry.field(
        description="Set while the member keeps a tier they no longer qualify for (UTC)."
    )

    @classmethod
    def from_domain(cls, p: tiers.Progress) -> "MemberTier":
        return cls(
            current=Tier.from_model(p.tier) if p.tier else None,
            next_tier=Tier.from_model(p.next_tier) if p.next_tier else None,
            metric=TierMetric(p.metric),
            qualifying=p.qualifying,
            needed_for_next=p.needed,
            review_at=p.review_at,
            grace_until=p.grace_until,
        )


@strawberry.type(description="A member moved between tiers (or kept theirs at a review).")
class TierChange:
    reason: TierChangeReason = strawberry.field(description="Why.")
    qualifying: BigInt = strawberry.field(description="The member's qualifying total then.")
    changed_at: datetime = strawberry.field(description="When (UTC).")
    from_tier_id: strawberry.Private[int | None]
    to_tier_id: strawberry.Private[int | None]

    @strawberry.field(description="The tier before.")
    async def from_tier(self) -> Tier | None:
        return await load_tier(self.from_tier_id)

    @strawberry.field(description="The tier after.")
    async def to_tier(self) -> Tier | None:
        return await load_tier(self.to_tier_id)

    @classmethod
    def from_model(cls, c: m.TierChange) -> "TierChange":
        return cls(
            reason=c.reason,
            qualifying=c.qualifying,
            changed_at=c.created_at,
            from_tier_id=c.from_tier_id,  # type: ignore[attr-defined]
            to_tier_id=c.to_tier_id,  # type: ignore[attr-defined]
        )


@strawberry.type(description="One line of what a purchase or event gave, and why.")
class ProgrammeLine:
    code: str = strawberry.field(
        description="What gave it, for programs: a rule kind, tier_bonus or debt_recovery."
    )
    purse: LinePurse = strawberry.field(description="Points, credit, or a discount.")
    amount: BigInt = strawberry.field(
        description="Points, or Rials of credit or discount (negative: kept back)."
    )
    rule_id: strawberry.ID | None = strawberry.field(description="The rule that fired, if one.")
    text: strawberry.Private[Text]

    @strawberry.field(description="Why, in the viewer's language.")
    async def reason(self, info: Info[Context, None]) -> str:
        return await in_language(info, self.text)

    @classmethod
    def from_domain(cls, line: engine.Line) -> "ProgrammeLine":
        return cls(
            code=line.code,
            purse=LinePurse(line.purse),
            amount=line.amount,
            rule_id=strawberry.ID(str(line.rule_id)) if line.rule_id else None,
            text=line.text,
        )


@strawberry.type(description="One change to a member's points or credit, with its reason.")
class LedgerEntry:
    id: strawberry.ID = strawberry.field(description="The journal transaction's id.")
    kind: TransactionKind = strawberry.field(description="What kind of change it was.")
    reason: str = strawberry.field(description="Why, in words a member understands.")
    reason_code: str = strawberry.field(description="Why, for programs (e.g. the rule).")
    points: BigInt = strawberry.field(description="Change in points (negative: taken out).")
    credit: BigInt = strawberry.field(description="Change in credit, Rials.")
    created_at: datetime = strawberry.field(description="When it was recorded (UTC).")
    purchase_id: strawberry.ID | None = strawberry.field(description="The purchase it came from.")
    lines: list[ProgrammeLine] = strawberry.field(
        description="For earnings: one line per rule behind it, with why."
    )
    points_expire_at: datetime | None = strawberry.field(
        description="When the points it earned expire (UTC); none: they do not."
    )
    branch_id: strawberry.Private[int | None]

    @strawberry.field(description="Where it happened, when at a branch.")
    async def branch(self, info: Info[Context, None]) -> Branch | None:
        return await load_branch(info, self.branch_id)

    @classmethod
    def from_domain(cls, e: history.HistoryEntry) -> "LedgerEntry":
        return cls(
            id=strawberry.ID(str(e.id)),
            kind=e.kind,
            reason=e.reason,
            reason_code=e.reason_code,
            points=e.points,
            credit=e.credit,
            created_at=e.created_at,
            purchase_id=strawberry.ID(str(e.purchase_id)) if e.purchase_id else None,
            lines=[ProgrammeLine.from_domain(line) for line in e.lines],
            points_expire_at=e.points_expire_at,
            branch_id=e.branch_id,
        )


@strawberry.type(description="One line of a receipt.")
class PurchaseItem:
    sku: str = strawberry.field(description="The product's code.")
    name: str = strawberry.field(description="The product's name.")
    category: str = strawberry.field(description="The product's category.")
    quantity: int = strawberry.field(description="How many.")
    amount: BigInt = strawberry.field(description="Rials for the whole line.")


@strawberry.type(description="A purchase recorded at a branch.")
class Purchase:
    id: strawberry.ID = strawberry.field(description="The purchase's id.")
    receipt_number: str = strawberry.field(description="The branch's receipt number.")
    amount: BigInt = strawberry.field(description="Total in Rials.")
    refunded_amount: BigInt = strawberry.field(description="Rials refunded so far.")
    occurred_at: datetime = strawberry.field(description="When the purchase happened (UTC).")
    items: list[PurchaseItem] = strawberry.field(description="The receipt's lines.")
    branch_id: strawberry.Private[int]

    @strawberry.field(description="Where the purchase happened.")
    async def branch(self, info: Info[Context, None]) -> Branch:
        found = await load_branch(info, self.branch_id)
        assert found is not None
        return found

    @classmethod
    def from_model(cls, p: m.Purchase, items: list[m.PurchaseItem] | None = None) -> "Purchase":
        lines = items if items is not None else list(p.items)
        return cls(
            id=strawberry.ID(str(p.id)),
            receipt_number=p.receipt_number,
            amount=p.amount,
            refunded_amount=p.refunded_amount,
            occurred_at=p.occurred_at,
            items=[
                PurchaseItem(
                    sku=i.sku,
                    name=i.name,
                    category=i.category,
                    quantity=i.quantity,
                    amount=i.amount,
                )
                for i in lines
            ],
            branch_id=p.branch_id,  # type: ignore[attr-defined]
        )


@strawberry.type(description="Points of one earning that will expire.")
class ExpiringPoints:
    expires_at: datetime = strawberry.field(description="When they expire (UTC).")
    points: BigInt = strawberry.field(description="How many of them are still held.")


@strawberry.enum(description="Where a referral stands.")
class ReferralStatus(Enum):
    PENDING = strawberry.enum_value(
        "pending", description="The friend joined; their second purchase will reward the member."
    )
    REWARDED = strawberry.enum_value("rewarded", description="The member was rewarded.")
    REJECTED = strawberry.enum_value(
        "rejected", description="It earned nothing (no referral offer then, or a limit reached)."
    )
    REVERSED = strawberry.enum_value(
        "reversed", description="The reward was taken back: the qualifying purchase was refunded."
    )


@strawberry.type(description="A friend the member brought to the club.")
class InvitedFriend:
    id: strawberry.ID = strawberry.field(description="The referral's id.")
    friend: str = strawberry.field(description="The friend's first name and masked phone.")
    status: ReferralStatus = strawberry.field(description="Where the referral stands.")
    joined_at: datetime = strawberry.field(description="When the friend joined (UTC).")
    decided_at: datetime | None = strawberry.field(
        description="When it was rewarded or rejected (UTC)."
    )
    points: BigInt = strawberry.field(description="Points the member was given for it.")

    @classmethod
    def from_domain(cls, i: referral.Invited) -> "InvitedFriend":
        return cls(
            id=strawberry.ID(str(i.id)),
            friend=i.friend,
            status=ReferralStatus(i.status.value),
            joined_at=i.joined_at,
            decided_at=i.decided_at,
            points=i.points,
        )


@strawberry.type(description="What a member's referrals came to.")
class ReferralResults:
    invited: int = strawberry.field(description="Friends who joined with the member's code.")
    rewarded: int = strawberry.field(description="Referrals the member was rewarded for.")
    pending: int = strawberry.field(description="Friends yet to make their second purchase.")
    points: BigInt = strawberry.field(
        description="Points the referrals earned the member (less any taken back)."
    )


@strawberry.type(description="A notification the member was sent, kept in their inbox.")
class InboxMessage:
    id: strawberry.ID = strawberry.field(description="The message's id.")
    kind: str = strawberry.field(description="What it is about (e.g. tier_upgraded), for the app.")
    title: str = strawberry.field(description="Its title, in the member's language.")
    body: str = strawberry.field(description="Its text, in the member's language.")
    link: str = strawberry.field(description="Where in the app it leads (empty: nowhere).")
    data: JSON = strawberry.field(description="What the app needs to show it (by kind).")
    sent_at: datetime = strawberry.field(description="When it was sent (UTC).")
    read_at: datetime | None = strawberry.field(description="When the member read it.")

    @classmethod
    def from_model(cls, row: m.InboxMessage) -> "InboxMessage":
        return cls(
            id=strawberry.ID(str(row.id)),
            kind=row.kind,
            title=row.title,
            body=row.body,
            link=row.link,
            data=row.data,
            sent_at=row.created_at,
            read_at=row.read_at,
        )


@strawberry.type(description="A member of the club.")
class Member:
    id: strawberry.ID = strawberry.field(description="The member's id.")
    e164: strawberry.Private[str]
    # The member signing in sees their own number before the request knows who they are.
    whole_phone: strawberry.Private[bool] = False
    first_name: str = strawberry.field(description="First name.")
    last_name: str = strawberry.field(description="Last name.")
    birthday: date | None = strawberry.field(description="Birthday (Gregorian).")
    birthday_calendar: Calendar | None = strawberry.field(
        description="The calendar the birthday was entered in: its anniversary in that calendar "
        "is the member's birthday."
    )
    birthday_local: str | None = strawberry.field(
        description="The birthday written in the member's calendar (e.g. 1370-05-12)."
    )
    gender: Gender | None = strawberry.field(description="Gender, if told.")
    city: str = strawberry.field(description="City.")
    area: str = strawberry.field(description="Area of the city.")
    interests: list[str] = strawberry.field(description="What the member likes.")
    language: Language = strawberry.field(description="Language for messages and the app.")
    calendar: Calendar = strawberry.field(
        description="The calendar the member sees dates in: their own choice, else the club's."
    )
    calendar_preference: CalendarPreference = strawberry.field(
        description="The member's own choice of calendar (CLUB: the club's)."
    )
    marketing_consent: bool = strawberry.field(description="May the club send offers?")
    profiling_consent: bool = strawberry.field(description="May the club analyse behaviour?")
    preferred_channel: MessageChannel = strawberry.field(
        description="Where messages go besides the inbox: push, or SMS."
    )
    enrolled_at: datetime = strawberry.field(description="When the member joined.")
    record: strawberry.Private[m.Member]

    @strawberry.field(
        description="Mobile number, E.164 (e.g. +989121234567); masked (+98 912 *** **67) "
        "for staff whose role does not phone members."
    )
    def phone(self, info: strawberry.Info) -> str:
        if self.whole_phone:
            return self.e164
        return masking.phone_for(info.context.actor, int(self.id), self.e164)

    @strawberry.field(
        description="How complete the profile is, and the points filling in the rest would earn."
    )
    async def profile_completion(self) -> ProfileCompletion:
        return ProfileCompletion.from_domain(await profiles.completion(self.record))

    @strawberry.field(description="Consents the member granted and withdrew, newest first.")
    async def consent_history(
        self, first: PageSize = 20, after: AfterCursor = None
    ) -> Connection[ConsentChange]:
        page = await consents.history(
            int(self.id), first=first, before_id=decode_cursor("consent", after)
        )
        return connection("consent", page, ConsentChange.from_model)

    @strawberry.field(description="Points and credit, as of now.")
    async def balances(self, info: Info[Context, None]) -> Balances:
        return Balances.from_domain(await info.context.loaders.balances.load(int(self.id)))

    @strawberry.field(description="The member's tier, progress to the next and review date.")
    async def tier(self) -> MemberTier:
        return MemberTier.from_domain(await tiers.progress(int(self.id)))

    @strawberry.field(
        description="Points that will expire, soonest first: how many, and when (lots of "
        "points with no expiry are not listed)."
    )
    async def expiring_points(self) -> list[ExpiringPoints]:
        return [
            ExpiringPoints(expires_at=lot.expires_at, points=lot.points)
            for lot in await expiry.schedule(int(self.id))
        ]

    @strawberry.field(description="The devices the member's notifications go to.")
    async def devices(self) -> list[Device]:
        return [Device.from_model(d) for d in await devices.active_of(int(self.id))]

    @strawberry.field(
        description="The member's all-time rank on the club's leaderboard; null when unranked "
        "(no points earned yet) or opted out."
    )
    async def rank(self) -> int | None:
        return await leaderboard.rank_of(int(self.id))

    @strawberry.field(description="The code friends give when they join, to reward the member.")
    async def referral_code(self) -> str:
        return (await standings.get(int(self.id))).referral_code

    @strawberry.field(description="The friends the member brought, newest first.")
    async def referrals(
        self, first: PageSize = 20, after: AfterCursor = None
    ) -> Connection[InvitedFriend]:
        page = await referral.invited(
            int(self.id), first=first, before_id=decode_cursor("referral", after)
        )
        return connection("referral", page, InvitedFriend.from_domain)

    @strawberry.field(description="What the member's referrals came to.")
    async def referral_results(self) -> ReferralResults:
        r = await referral.results(int(self.id))
        return ReferralResults(
            invited=r.invited, rewarded=r.rewarded, pending=r.pending, points=r.points
        )

    @strawberry.field(description="Notifications the member was sent, newest first.")
    async def inbox(
        self,
        first: PageSize = 20,
        after: AfterCursor = None,
        unread_only: Annotated[
            bool, strawberry.argument(description="Only the messages not read yet.")
        ] = False,
    ) -> Connection[InboxMessage]:
        page = await inbox.page(
            int(self.id),
            first=first,
            before_id=decode_cursor("inbox", after),
            unread_only=unread_only,
        )
        return connection("inbox", page, InboxMessage.from_model)

    @strawberry.field(description="How many messages of the inbox are unread.")
    async def unread_count(self) -> int:
        return await inbox.unread_count(int(self.id))

    @strawberry.field(description="Changes to points and credit, newest first.")
    async def history(
        self,
        first: PageSize = 20,
        after: AfterCursor = None,
    ) -> Connection[LedgerEntry]:
        page = await history.transactions(
            int(self.id), first=first, before_id=decode_cursor("ledger", after)
        )
        return connection("ledger", page, LedgerEntry.from_domain)

    @strawberry.field(description="The member's purchases, newest first.")
    async def purchases(
        self,
        first: PageSize = 20,
        after: AfterCursor = None,
    ) -> Connection[Purchase]:
        page = await history.purchases(
            int(self.id), first=first, before_id=decode_cursor("purchase", after)
        )
        return connection("purchase", page, Purchase.from_model)

    @classmethod
    def from_model(cls, x: m.Member, *, whole_phone: bool = False) -> "Member":
        calendar = calendars.chosen_or_club(x.calendar)
        return cls(
            id=strawberry.ID(str(x.id)),
            e164=x.phone,
            whole_phone=whole_phone,
            first_name=x.first_name,
            last_name=x.last_name,
            birthday=x.birthday,
            birthday_calendar=x.birthday_calendar,
            birthday_local=calendars.written(x.birthday, calendar) if x.birthday else None,
            gender=x.gender,
            city=x.city,
            area=x.area,
            interests=list(x.interests or []),
            language=x.language,
            calendar=calendar,
            calendar_preference=CalendarPreference(x.calendar or "club"),
            marketing_consent=x.marketing_consent,
            profiling_consent=x.profiling_consent,
            preferred_channel=x.preferred_channel,
            enrolled_at=x.enrolled_at,
            record=x,
        )


@strawberry.type(description="A staff user of the club.")
class StaffUser:
    id: strawberry.ID = strawberry.field(description="The staff user's id.")
    username: str = strawberry.field(description="Sign-in name.")
    display_name: str = strawberry.field(description="Name shown to people.")
    role: StaffRole = strawberry.field(description="What the user may do.")
    branch_id: strawberry.Private[int | None]

    @strawberry.field(description="The branch the user is bound to, if any.")
    async def branch(self, info: Info[Context, None]) -> Branch | None:
        return await load_branch(info, self.branch_id)

    @classmethod
    def from_model(cls, u: m.StaffUser) -> "StaffUser":
        return cls(
            id=strawberry.ID(str(u.id)),
            username=u.username,
            display_name=u.display_name,
            role=u.role,
            branch_id=u.branch_id,  # type: ignore[attr-defined]
        )
