"""The member app's home screen in one request."""

from datetime import datetime
from enum import Enum

import strawberry
from strawberry.types import Info

from loyalty import home
from loyalty.programme.offers import MemberOffer
from schema.context import Context
from schema.scalars import BigInt
from schema.types import Balances, ExpiringPoints, Member, MemberTier


@strawberry.enum(description="What an offer is.")
class OfferKind(Enum):
    PROMOTION = strawberry.enum_value(
        "promotion", description="A promotion in force: a discount, bonus or cash-back."
    )
    REWARD = strawberry.enum_value("reward", description="A reward of the catalogue.")


@strawberry.type(description="An offer as this member sees it.")
class Offer:
    kind: OfferKind = strawberry.field(description="A promotion or a reward.")
    id: strawberry.ID = strawberry.field(
        description="The earning rule's id (promotion) or the reward's id (reward)."
    )
    title: str = strawberry.field(description="Its name.")
    details: str = strawberry.field(description="What it gives and when, in the member's language.")
    ready: bool = strawberry.field(
        description="True: the member gets it now (a promotion on their next purchase, a "
        "reward their points buy). False: not yet (the details say what it takes)."
    )
    ends_at: datetime | None = strawberry.field(description="When it ends (UTC); none: open.")
    branch_ids: list[strawberry.ID] = strawberry.field(
        description="The branches it is limited to; empty: every branch."
    )

    @classmethod
    def from_domain(cls, offer: MemberOffer, language: str) -> "Offer":
        return cls(
            kind=OfferKind(offer.kind.value),
            id=strawberry.ID(str(offer.id)),
            title=offer.title.pick(language),
            details=offer.details.pick(language),
            ready=offer.ready,
            ends_at=offer.ends_at,
            branch_ids=[strawberry.ID(str(b)) for b in sorted(offer.branch_ids)],
        )


@strawberry.type(description="Everything the app's home screen shows.")
class Home:
    member: Member = strawberry.field(description="The signed-in member.")
    balances: Balances = strawberry.field(description="Points and credit, as of now.")
    tier: MemberTier = strawberry.field(description="Tier and progress to the next one.")
    rank: int | None = strawberry.field(
        description="The member's all-time rank on the club's leaderboard; null when not on it "
        "(no points earned yet, or opted out)."
    )
    unread_count: int = strawberry.field(description="Inbox messages not read yet.")
    offers: list[Offer] = strawberry.field(
        description="Promotions and rewards for this member: ready ones first, then those "
        "ending soonest."
    )
    expiring_soon: list[ExpiringPoints] = strawberry.field(
        description="Points expiring within the club's warning period (the expiry policy's "
        "warnDays), soonest first."
    )
    expiring_soon_total: BigInt = strawberry.field(description="All the points of expiringSoon.")

    @classmethod
    def from_domain(cls, h: home.Home) -> "Home":
        language = h.member.language.value
        return cls(
            member=Member.from_model(h.member),
            balances=Balances.from_domain(h.balances),
            tier=MemberTier.from_domain(h.tier),
            rank=h.rank,
            unread_count=h.unread,
            offers=[Offer.from_domain(o, language) for o in h.offers],
            expiring_soon=[
                ExpiringPoints(expires_at=lot.expires_at, points=lot.points)
                for lot in h.expiring_soon
            ],
            expiring_soon_total=sum(lot.points for lot in h.expiring_soon),
        )


@strawberry.type
class HomeQueries:
    @strawberry.field(description="Member: the home screen, in one request.")
    async def home(self, info: Info[Context, None]) -> Home:
        return Home.from_domain(await home.of(info.context.require_member()))
