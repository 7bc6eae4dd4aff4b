"""The NFC station's operations: taps, enrolment of cards, blocking and replacing them,
purchases, top-ups and payments by card, offline limits and the offline review list."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry
from strawberry.types import Info

from loyalty import models as m
from loyalty import wallet
from loyalty.cards import cards, counter, reviews, station
from loyalty.cards.cards import Tap
from loyalty.programme import policies
from schema.context import Context
from schema.counter import (
    KEY_DESCRIPTION,
    LedgerResult,
    LineItemInput,
    RecordPurchaseResult,
    line_items,
    posted,
    purchase_recorded,
)
from schema.errors import (
    INPUT,
    ConflictError,
    NotFoundError,
    VersionConflictError,
    result_union,
    returns_errors,
)
from schema.scalars import BigInt
from schema.types import (
    AfterCursor,
    Branch,
    Connection,
    Member,
    PageSize,
    Purse,
    connection,
    decode_cursor,
    parse_id,
)

CardStatus = strawberry.enum(m.CardStatus, description="Whether a card may be used.")
CardOperation = strawberry.enum(m.CardOperation, description="What a station did with a card.")
CounterPayment = strawberry.enum(
    wallet.CounterPayment, description="How a member paid at the counter."
)
OFFLINE_AT = (
    "When the station accepted this while it could not reach the server; unset for a request "
    "made online. If the server now refuses it, it is kept for a manager's review."
)


@strawberry.input(description="What the station read from a card: its record and the tag's UID.")
class CardTapInput:
    record: str = strawberry.field(description="The text of the card's NDEF record.")
    uid: str = strawberry.field(description="The tag's UID, hex.")

    def to_domain(self) -> Tap:
        return Tap(record=self.record, uid=self.uid)


@strawberry.type(description="A contactless card of a member.")
class Card:
    number: str = strawberry.field(description="The card's number (printed, and in its record).")
    status: CardStatus = strawberry.field(description="Whether it may be used.")
    uid: str | None = strawberry.field(description="The tag's UID; none for a card without one.")
    key_version: int | None = strawberry.field(description="The card key its record is under.")
    status_reason: str = strawberry.field(description="Why it was blocked or replaced.")
    status_changed_at: datetime | None = strawberry.field(description="When it was.")
    enrolled_at: datetime = strawberry.field(description="When it was bound to the member.")
    record: strawberry.Private[m.Card]

    @classmethod
    def from_model(cls, card: m.Card) -> Card:
        return cls(
            number=card.card_number,
            status=card.status,
            uid=card.uid,
            key_version=card.key_version,
            status_reason=card.status_reason,
            status_changed_at=card.status_changed_at,
            enrolled_at=card.created_at,
            record=card,
        )

    @strawberry.field(description="The member the card belongs to.")
    async def member(self) -> Member:
        return Member.from_model(await m.Member.get(id=self.record.member_id))  # type: ignore[attr-defined]

    @strawberry.field(description="The card that took this one's place, if it was replaced.")
    async def replaced_by(self) -> Card | None:
        new_id = self.record.replaced_by_id  # type: ignore[attr-defined]
        return Card.from_model(await m.Card.get(id=new_id)) if new_id else None


@strawberry.type(description="A card was tapped: whose it is, to serve them.")
class CardTapped:
    card: Card = strawberry.field(description="The card.")
    member: Member = strawberry.field(description="Its member, with balances and tier.")


@strawberry.type(description="The record to write on a blank card, then bind with enrolCard.")
class CardRecordIssued:
    card_number: str = strawberry.field(description="The new card's number.")
    record: str = strawberry.field(description="Write this as the card's one NDEF record.")
    tag_password: str = strawberry.field(
        description="Hex: on NTAG21x tags, protect writing with this password (4 bytes, then "
        "the 2-byte acknowledgement). It is the tag's own, derived from its UID."
    )


@strawberry.type(description="A card is bound to a member.")
class CardBound:
    card: Card = strawberry.field(description="The card.")
    replayed: bool = strawberry.field(description="True when this repeats an earlier request.")


@strawberry.type(description="A card's status changed.")
class CardChanged:
    card: Card = strawberry.field(description="The card as it is now.")


@strawberry.type(description="What a station may accept while it cannot reach the server.")
class OfflinePolicy:
    credit_per_card_per_day: BigInt = strawberry.field(
        description="Rials of credit one card may pay offline in a club day."
    )
    credit_per_station: BigInt = strawberry.field(
        description="Rials of credit a station may accept offline before it syncs."
    )
    purchases: bool = strawberry.field(
        description="Purchases are accepted offline (points are earned when they sync)."
    )
    version: int = strawberry.field(description="Pass as `expectedVersion` when changing it.")

    @classmethod
    def from_domain(cls, policy: policies.OfflinePolicy, version: int) -> OfflinePolicy:
        return cls(
            credit_per_card_per_day=policy.credit_per_card_per_day,
            credit_per_station=policy.credit_per_station,
            purchases=policy.purchases,
            version=version,
        )


@strawberry.type(description="What a station needs to serve: its branch and offline limits.")
class StationConfig:
    branch: Branch = strawberry.field(description="The branch the station serves.")
    offline: OfflinePolicy = strawberry.field(description="Its offline limits.")
    time_zone: str = strawberry.field(
        description="The club's time zone (IANA name, e.g. Asia/Tehran): a day's offline "
        "limit per card counts the club's days in it."
    )


@strawberry.type(
    description="An operation a station accepted offline that the server refused when it "
    "synced: for a manager to settle with the member."
)
class OfflineReview:
    id: strawberry.ID = strawberry.field(description="The review's id.")
    operation: CardOperation = strawberry.field(description="What the station did.")
    card_number: str = strawberry.field(description="The card tapped.")
    member_id: strawberry.ID | None = strawberry.field(description="Its member, if known.")
    amount: BigInt = strawberry.field(description="Rials (points when paid with points).")
    error_code: str = strawberry.field(description="Why the server refused it (a code).")
    error_message: str = strawberry.field(description="Why, for people.")
    idempotency_key: str = strawberry.field(description="The station's key for it.")
    occurred_at: datetime = strawberry.field(description="When the station accepted it.")
    created_at: datetime = strawberry.field(description="When it synced and was refused.")
    resolved_at: datetime | None = strawberry.field(description="When a manager settled it.")
    resolution: str = strawberry.field(description="How it was settled.")

    @classmethod
    def from_model(cls, r: m.OfflineReview) -> OfflineReview:
        member_id = r.member_id  # type: ignore[attr-defined]
        return cls(
            id=strawberry.ID(str(r.id)),
            operation=r.operation,
            card_number=r.card_number,
            member_id=strawberry.ID(str(member_id)) if member_id else None,
            amount=r.amount,
            error_code=r.error_code,
            error_message=r.error_message,
            idempotency_key=r.idempotency_key,
            occurred_at=r.occurred_at,
            created_at=r.created_at,
            resolved_at=r.resolved_at,
            resolution=r.resolution,
        )


@strawberry.type(description="An offline review was settled.")
class OfflineReviewResolved:
    review: OfflineReview = strawberry.field(description="The review as it is now.")


@strawberry.type(description="The offline limits were saved.")
class OfflinePolicySaved:
    policy: OfflinePolicy = strawberry.field(description="The policy as it is now.")


TapCardResult = result_union(
    "TapCardResult", "Result of tapCard.", CardTapped, NotFoundError, ConflictError
)
IssueCardRecordResult = result_union(
    "IssueCardRecordResult", "Result of issueCardRecord.", CardRecordIssued, ConflictError
)
BindCardResult = result_union(
    "BindCardResult",
    "Result of enrolCard and replaceCard.",
    CardBound,
    NotFoundError,
    ConflictError,
)
ChangeCardResult = result_union(
    "ChangeCardResult",
    "Result of blockCard and blockTappedCard.",
    CardChanged,
    NotFoundError,
    ConflictError,
)
ResolveOfflineReviewResult = result_union(
    "ResolveOfflineReviewResult",
    "Result of resolveOfflineReview.",
    OfflineReviewResolved,
    NotFoundError,
    ConflictError,
)
OfflinePolicyResult = result_union(
    "OfflinePolicyResult", "Result of setOfflinePolicy.", OfflinePolicySaved, VersionConflictError
)


@strawberry.input(description="Issue the record for a blank card.")
class IssueCardRecordInput:
    uid: str = strawberry.field(description="The blank tag's UID, hex.")


@strawberry.input(description="Bind a card, written and read back, to a member.")
class EnrolCardInput:
    card: CardTapInput = strawberry.field(description="The card as read back after writing.")
    member_id: strawberry.ID = strawberry.field(description="The member.")


@strawberry.input(description="Block a lost or stolen card.")
class BlockCardInput:
    card_number: str = strawberry.field(description="The card's number.")
    reason: str = strawberry.field(description="Why.")


@strawberry.input(description="Block the card on the station's reader.")
class BlockTappedCardInput:
    card: CardTapInput = strawberry.field(description="The card tapped.")
    reason: str = strawberry.field(description="Why.")


@strawberry.input(description="A new card takes over a card's member.")
class ReplaceCardInput:
    card_number: str = strawberry.field(description="The old card's number.")
    new_card: CardTapInput = strawberry.field(description="The new card, written and read back.")
    reason: str = strawberry.field(description="Why.")


@strawberry.input(description="A purchase by the member whose card was tapped.")
class PurchaseByCardInput:
    card: CardTapInput = strawberry.field(description="The card tapped.")
    amount: BigInt = strawberry.field(description="Total in Rials.")
    receipt_number: str = strawberry.field(description="The branch's receipt number.")
    idempotency_key: str = strawberry.field(description=KEY_DESCRIPTION)
    items: list[LineItemInput] = strawberry.field(default_factory=list, description="Lines.")
    paid_with_credit: BigInt = strawberry.field(
        default=0, description="Rials of the amount paid from the member's credit."
    )
    occurred_at: datetime | None = strawberry.field(
        default=None, description="When it happened, if not now (a station sends the tap's time)."
    )
    accepted_offline_at: datetime | None = strawberry.field(default=None, description=OFFLINE_AT)


@strawberry.input(description="Credit the member of the tapped card paid for at the counter.")
class TopUpByCardInput:
    card: CardTapInput = strawberry.field(description="The card tapped.")
    amount: BigInt = strawberry.field(description="Rials.")
    paid_by: CounterPayment = strawberry.field(description="Paid in cash or by card.")
    idempotency_key: str = strawberry.field(description=KEY_DESCRIPTION)
    accepted_offline_at: datetime | None = strawberry.field(default=None, description=OFFLINE_AT)


@strawberry.input(description="Pay with the credit or points of the tapped card's member.")
class PayByCardInput:
    card: CardTapInput = strawberry.field(description="The card tapped.")
    purse: Purse = strawberry.field(description="Pay with points or credit.")
    amount: BigInt = strawberry.field(description="Points, or Rials of credit.")
    idempotency_key: str = strawberry.field(description=KEY_DESCRIPTION)
    accepted_offline_at: datetime | None = strawberry.field(default=None, description=OFFLINE_AT)


@strawberry.input(description="Settle an offline review.")
class ResolveOfflineReviewInput:
    id: strawberry.ID = strawberry.field(description="The review.")
    resolution: str = strawberry.field(description="How it was settled with the member.")


@strawberry.input(description="What stations may accept offline.")
class OfflinePolicyInput:
    credit_per_card_per_day: BigInt = strawberry.field(
        description="Rials of credit one card may pay offline in a club day."
    )
    credit_per_station: BigInt = strawberry.field(
        description="Rials of credit a station may accept offline before it syncs."
    )
    purchases: bool = strawberry.field(default=True, description="Accept purchases offline.")
    expected_version: int | None = strawberry.field(
        default=None, description="The version you read; a stale one is refused."
    )


@strawberry.type
class CardQueries:
    @strawberry.field(description="Staff: the card tapped and its member; refused if blocked.")
    @returns_errors
    async def tap_card(
        self,
        info: Info[Context, None],
        input: Annotated[CardTapInput, strawberry.argument(description=INPUT)],
    ) -> TapCardResult:
        card = await cards.resolve(info.context.require_actor(), input.to_domain())
        return CardTapped(card=Card.from_model(card), member=Member.from_model(card.member))

    @strawberry.field(description="Staff: a card by its number, whatever its status.")
    async def card(
        self,
        info: Info[Context, None],
        number: Annotated[str, strawberry.argument(description="The card's number.")],
    ) -> Card:
        return Card.from_model(await cards.get(info.context.require_actor(), number))

    @strawberry.field(description="Station: its branch and offline limits.")
    async def station_config(self, info: Info[Context, None]) -> StationConfig:
        config = await station.config(info.context.require_actor())
        return StationConfig(
            branch=Branch.from_model(config.branch),
            offline=OfflinePolicy.from_domain(config.offline, config.offline_version),
            time_zone=config.time_zone,
        )

    @strawberry.field(
        description="Manager: offline operations the server refused on sync, newest first."
    )
    async def offline_reviews(
        self,
        info: Info[Context, None],
        open_only: Annotated[
            bool, strawberry.argument(description="Only those not settled yet.")
        ] = True,
        first: PageSize = 20,
        after: AfterCursor = None,
    ) -> Connection[OfflineReview]:
        page = await reviews.listed(
            info.context.require_actor(),
            open_only=open_only,
            first=first,
            before_id=decode_cursor("offline_review", after),
        )
        return connection("offline_review", page, OfflineReview.from_model)


@strawberry.type
class CardMutations:
    @strawberry.mutation(description="Staff: the record to write on a blank card.")
    @returns_errors
    async def issue_card_record(
        self,
        info: Info[Context, None],
        input: Annotated[IssueCardRecordInput, strawberry.argument(description=INPUT)],
    ) -> IssueCardRecordResult:
        issued = await cards.issue_record(info.context.require_actor(), input.uid)
        return CardRecordIssued(
            card_number=issued.record.card_number,
            record=issued.record.text,
            tag_password=issued.tag_password.hex(),
        )

    @strawberry.mutation(description="Staff: bind a written card to a member.")
    @returns_errors
    async def enrol_card(
        self,
        info: Info[Context, None],
        input: Annotated[EnrolCardInput, strawberry.argument(description=INPUT)],
    ) -> BindCardResult:
        bound = await cards.enrol(
            info.context.require_actor(),
            input.card.to_domain(),
            parse_id(input.member_id, "memberId"),
        )
        return CardBound(card=Card.from_model(bound.card), replayed=bound.replayed)

    @strawberry.mutation(description="Manager or cashier: block a lost or stolen card.")
    @returns_errors
    async def block_card(
        self,
        info: Info[Context, None],
        input: Annotated[BlockCardInput, strawberry.argument(description=INPUT)],
    ) -> ChangeCardResult:
        card = await cards.block(info.context.require_actor(), input.card_number, input.reason)
        return CardChanged(card=Card.from_model(card))

    @strawberry.mutation(description="Manager or cashier: block the card tapped on a station.")
    @returns_errors
    async def block_tapped_card(
        self,
        info: Info[Context, None],
        input: Annotated[BlockTappedCardInput, strawberry.argument(description=INPUT)],
    ) -> ChangeCardResult:
        card = await cards.block_tapped(
            info.context.require_actor(), input.card.to_domain(), input.reason
        )
        return CardChanged(card=Card.from_model(card))

    @strawberry.mutation(
        description="Manager or cashier: a new card takes over a card's member and balances."
    )
    @returns_errors
    async def replace_card(
        self,
        info: Info[Context, None],
        input: Annotated[ReplaceCardInput, strawberry.argument(description=INPUT)],
    ) -> BindCardResult:
        bound = await cards.replace(
            info.context.require_actor(),
            input.card_number,
            input.new_card.to_domain(),
            input.reason,
        )
        return CardBound(card=Card.from_model(bound.card), replayed=bound.replayed)

    @strawberry.mutation(description="Staff: record a purchase by the tapped card's member.")
    @returns_errors
    async def purchase_by_card(
        self,
        info: Info[Context, None],
        input: Annotated[PurchaseByCardInput, strawberry.argument(description=INPUT)],
    ) -> RecordPurchaseResult:
        result = await counter.purchase(
            info.context.require_actor(),
            input.card.to_domain(),
            amount=input.amount,
            receipt_number=input.receipt_number,
            idempotency_key=input.idempotency_key,
            items=line_items(input.items),
            paid_with_credit=input.paid_with_credit,
            occurred_at=input.occurred_at,
            accepted_offline_at=input.accepted_offline_at,
        )
        return purchase_recorded(result)

    @strawberry.mutation(description="Staff: add credit to the tapped card's member.")
    @returns_errors
    async def top_up_by_card(
        self,
        info: Info[Context, None],
        input: Annotated[TopUpByCardInput, strawberry.argument(description=INPUT)],
    ) -> LedgerResult:
        result = await counter.top_up(
            info.context.require_actor(),
            input.card.to_domain(),
            amount=input.amount,
            paid_by=input.paid_by,
            idempotency_key=input.idempotency_key,
            accepted_offline_at=input.accepted_offline_at,
        )
        return await posted(result)

    @strawberry.mutation(description="Staff: pay with the tapped card member's credit or points.")
    @returns_errors
    async def pay_by_card(
        self,
        info: Info[Context, None],
        input: Annotated[PayByCardInput, strawberry.argument(description=INPUT)],
    ) -> LedgerResult:
        result = await counter.pay(
            info.context.require_actor(),
            input.card.to_domain(),
            purse=input.purse,
            amount=input.amount,
            idempotency_key=input.idempotency_key,
            accepted_offline_at=input.accepted_offline_at,
        )
        return await posted(result)

    @strawberry.mutation(description="Manager: settle an offline review with the member.")
    @returns_errors
    async def resolve_offline_review(
        self,
        info: Info[Context, None],
        input: Annotated[ResolveOfflineReviewInput, strawberry.argument(description=INPUT)],
    ) -> ResolveOfflineReviewResult:
        review = await reviews.resolve(
            info.context.require_actor(), parse_id(input.id, "id"), input.resolution
        )
        return OfflineReviewResolved(review=OfflineReview.from_model(review))

    @strawberry.mutation(description="Manager: set what stations may accept offline.")
    @returns_errors
    async def set_offline_policy(
        self,
        info: Info[Context, None],
        input: Annotated[OfflinePolicyInput, strawberry.argument(description=INPUT)],
    ) -> OfflinePolicyResult:
        policy, version = await policies.save(
            info.context.require_actor(),
            "offline",
            {
                "credit_per_card_per_day": input.credit_per_card_per_day,
                "credit_per_station": input.credit_per_station,
                "purchases": input.purchases,
            },
            expected_version=input.expected_version,
        )
        return OfflinePolicySaved(policy=OfflinePolicy.from_domain(policy, version))  # type: ignore[arg-type]
