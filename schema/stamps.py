"""Stamp cards: managers define them; members follow their cards in the app."""

from datetime import datetime
from typing import Annotated

import strawberry
from strawberry.types import Info

from loyalty import models as m
from loyalty.errors import InvalidInput
from loyalty.programme import explain
from loyalty.stamps import cards, progress
from loyalty.stamps.cards import StampCardSpec
from schema.context import Context
from schema.errors import (
    INPUT,
    NotFoundError,
    VersionConflictError,
    result_union,
    returns_errors,
)
from schema.rewards import VERSION, Reward
from schema.scalars import BigInt
from schema.types import (
    AfterCursor,
    Connection,
    PageSize,
    connection,
    decode_cursor,
    in_language,
    parse_id,
)

StampUnit = strawberry.enum(
    m.StampUnit,
    description="What earns a stamp: each ITEM unit of a category or SKU, or each PURCHASE.",
)
StampReason = strawberry.enum(
    m.StampReason,
    description=(
        "Why a member's stamps changed: EARNED by a purchase; COMPLETED, a full card turned "
        "into a voucher; REFUNDED, taken back by a refund; WITHDRAWN, an unused voucher taken "
        "back by a refund, its stamps returned to the card."
    ),
)


@strawberry.type(
    description="A stamp card: so many stamps fill it, and a full card gives a reward."
)
class StampCard:
    id: strawberry.ID = strawberry.field(description="The card's id.")
    name_en: str = strawberry.field(description="Name in English.")
    name_fa: str = strawberry.field(description="Name in Persian; empty: the English name.")
    unit: StampUnit = strawberry.field(description="What earns a stamp.")
    category: str = strawberry.field(description="ITEM: the category whose items earn stamps.")
    sku: str = strawberry.field(description="ITEM: the SKU whose items earn stamps.")
    min_amount: BigInt = strawberry.field(
        description="PURCHASE: the least a purchase must come to, Rials (0: any)."
    )
    stamps_needed: int = strawberry.field(description="Stamps that fill the card.")
    reward: Reward = strawberry.field(description="What a full card gives, as a voucher.")
    branch_ids: list[strawberry.ID] = strawberry.field(
        description="The branches it stamps at (empty: all)."
    )
    starts_at: datetime | None = strawberry.field(description="Stamps from (UTC).")
    ends_at: datetime | None = strawberry.field(description="Stamps until, not including.")
    max_stamps_per_purchase: int | None = strawberry.field(
        description="Stamps one purchase may earn, at most (none: no limit of the card's own)."
    )
    active: bool = strawberry.field(description="Switched on.")
    version: int = strawberry.field(description="Pass as `expectedVersion` when changing it.")
    row: strawberry.Private[m.StampCard]

    @strawberry.field(description="Name in the viewer's language.")
    async def name(self, info: Info[Context, None]) -> str:
        return await in_language(info, explain.name_of(self.row))

    @strawberry.field(description="What earns a stamp and what a full card gives, in words.")
    async def summary(self, info: Info[Context, None]) -> str:
        return await in_language(info, cards.describe(self.row, self.row.reward))  # type: ignore[arg-type]

    @classmethod
    def from_model(cls, card: m.StampCard) -> "StampCard":
        return cls(
            id=strawberry.ID(str(card.id)),
            name_en=card.name,
            name_fa=card.name_fa,
            unit=card.unit,
            category=card.category,
            sku=card.sku,
            min_amount=card.min_amount,
            stamps_needed=card.stamps_needed,
            reward=Reward.from_model(card.reward),  # type: ignore[arg-type]
            branch_ids=[strawberry.ID(str(b)) for b in card.branch_ids],
            starts_at=card.starts_at,
            ends_at=card.ends_at,
            max_stamps_per_purchase=card.max_stamps_per_purchase,
            active=card.active,
            version=card.version,
            row=card,
        )


@strawberry.type(description="Stamps added to or taken off a member's card, and why.")
class StampEvent:
    id: strawberry.ID = strawberry.field(description="The event's id.")
    delta: int = strawberry.field(description="Stamps added (negative: taken off the card).")
    reason: StampReason = strawberry.field(description="Why.")
    purchase_id: strawberry.ID | None = strawberry.field(
        description="The purchase (or refunded purchase) it came from."
    )
    created_at: datetime = strawberry.field(description="When (UTC).")

    @classmethod
    def from_model(cls, e: m.StampEvent) -> "StampEvent":
        purchase_id = e.purchase_id  # type: ignore[attr-defined]
        return cls(
            id=strawberry.ID(str(e.id)),
            delta=e.delta,
            reason=e.reason,
            purchase_id=strawberry.ID(str(purchase_id)) if purchase_id else None,
            created_at=e.created_at,
        )


@strawberry.type(description="One of the member's stamp cards, and how far along it is.")
class MemberStampCard:
    card: StampCard = strawberry.field(description="The card.")
    stamps: int = strawberry.field(description="Stamps on the card now.")
    needed: int = strawberry.field(description="Stamps that fill it.")
    owed: int = strawberry.field(
        description="Stamps a refund took back after they filled a card whose voucher was "
        "used: the next stamps repay them first."
    )
    completed: int = strawberry.field(description="Times the member filled it.")
    member_id: strawberry.Private[int]

    @strawberry.field(description="The card's stamp events, newest first.")
    async def events(
        self, first: PageSize = 20, after: AfterCursor = None
    ) -> Connection[StampEvent]:
        page = await progress.events(
            self.member_id,
            int(self.card.id),
            first=first,
            before_id=decode_cursor("stamp", after),
        )
        return connection("stamp", page, StampEvent.from_model)

    @classmethod
    def from_domain(cls, p: progress.CardProgress, member_id: int) -> "MemberStampCard":
        return cls(
            card=StampCard.from_model(p.card),
            stamps=p.on_card,
            needed=p.card.stamps_needed,
            owed=p.owed,
            completed=p.completed,
            member_id=member_id,
        )


@strawberry.input(description="A stamp for each unit of the items of a category or of a SKU.")
class StampPerItemInput:
    category: str = strawberry.field(default="", description="The category (or the SKU).")
    sku: str = strawberry.field(default="", description="The SKU (or the category).")


@strawberry.input(description="A stamp for each purchase of at least an amount.")
class StampPerPurchaseInput:
    min_amount: BigInt = strawberry.field(
        default=0, description="The least the member pays, Rials (0: any purchase)."
    )


@strawberry.input(description="What earns a stamp: give exactly one.")
class StampEarnInput:
    per_item: StampPerItemInput | None = strawberry.field(
        default=None, description="Each unit of a category or SKU bought (quantity counts)."
    )
    per_purchase: StampPerPurchaseInput | None = strawberry.field(
        default=None, description="Each purchase of at least an amount."
    )


@strawberry.input(description="A stamp card as a manager writes it.")
class StampCardInput:
    name: str = strawberry.field(description="Name in English.")
    earn: StampEarnInput = strawberry.field(description="What earns a stamp.")
    stamps_needed: int = strawberry.field(description="Stamps that fill the card, 2 to 1,000.")
    reward_id: strawberry.ID = strawberry.field(
        description="A free-product or voucher reward: a full card issues one of its vouchers."
    )
    name_fa: str = strawberry.field(default="", description="Name in Persian.")
    branch_ids: list[strawberry.ID] | None = strawberry.field(
        default=None, description="Only at these branches (all, when left out)."
    )
    starts_at: datetime | None = strawberry.field(default=None, description="Stamps from.")
    ends_at: datetime | None = strawberry.field(default=None, description="Stamps until.")
    max_stamps_per_purchase: int | None = strawberry.field(
        default=None, description="Stamps one purchase may earn, at most (1 to 1,000)."
    )
    active: bool = strawberry.field(default=True, description="Switched on.")

    def to_domain(self) -> StampCardSpec:
        earn = self.earn
        if (earn.per_item is None) == (earn.per_purchase is None):
            raise InvalidInput("earn: give exactly one of perItem or perPurchase", field="earn")
        if earn.per_item is not None:
            what: dict = {
                "unit": m.StampUnit.ITEM,
                "category": earn.per_item.category,
                "sku": earn.per_item.sku,
            }
        else:
            what = {"unit": m.StampUnit.PURCHASE, "min_amount": earn.per_purchase.min_amount}  # type: ignore[union-attr]
        return StampCardSpec(
            name=self.name,
            name_fa=self.name_fa,
            stamps_needed=self.stamps_needed,
            reward_id=parse_id(self.reward_id, "rewardId"),
            branch_ids=[parse_id(b, f"branchIds.{i}") for i, b in enumerate(self.branch_ids or [])],
            starts_at=self.starts_at,
            ends_at=self.ends_at,
            max_stamps_per_purchase=self.max_stamps_per_purchase,
            active=self.active,
            **what,
        )


@strawberry.input(description="A stamp card's new definition.")
class UpdateStampCardInput(StampCardInput):
    id: strawberry.ID = strawberry.field(description="The card.")
    expected_version: int | None = strawberry.field(default=None, description=VERSION)


@strawberry.input(description="Switch a stamp card on or off.")
class SetStampCardActiveInput:
    id: strawberry.ID = strawberry.field(description="The card.")
    active: bool = strawberry.field(description="On or off.")
    expected_version: int | None = strawberry.field(default=None, description=VERSION)


@strawberry.type(description="A stamp card was saved.")
class StampCardSaved:
    card: StampCard = strawberry.field(description="The card as it is now.")


StampCardResult = result_union(
    "StampCardResult",
    "Result of a change to a stamp card.",
    StampCardSaved,
    NotFoundError,
    VersionConflictError,
)


@strawberry.type
class StampQueries:
    @strawberry.field(description="Manager: the stamp cards, newest first.")
    async def stamp_cards(
        self,
        info: Info[Context, None],
        first: PageSize = 20,
        after: AfterCursor = None,
        include_inactive: Annotated[
            bool, strawberry.argument(description="Also the cards switched off.")
        ] = False,
    ) -> Connection[StampCard]:
        page = await cards.listed(
            info.context.require_actor(),
            first=first,
            before_id=decode_cursor("stamp_card", after),
            include_inactive=include_inactive,
        )
        return connection("stamp_card", page, StampCard.from_model)

    @strawberry.field(
        description="The signed-in member's stamp cards: those on offer now and those they "
        "have stamps or rewards on."
    )
    async def my_stamp_cards(self, info: Info[Context, None]) -> list[MemberStampCard]:
        member_id = info.context.require_member()
        return [
            MemberStampCard.from_domain(p, member_id) for p in await progress.of_member(member_id)
        ]


@strawberry.type
class StampMutations:
    @strawberry.mutation(description="Manager: add a stamp card.")
    @returns_errors
    async def create_stamp_card(
        self,
        info: Info[Context, None],
        input: Annotated[StampCardInput, strawberry.argument(description=INPUT)],
    ) -> StampCardResult:
        card = await cards.create(info.context.require_actor(), input.to_domain())
        return StampCardSaved(card=StampCard.from_model(card))

    @strawberry.mutation(description="Manager: change a stamp card (a new version).")
    @returns_errors
    async def update_stamp_card(
        self,
        info: Info[Context, None],
        input: Annotated[UpdateStampCardInput, strawberry.argument(description=INPUT)],
    ) -> StampCardResult:
        card = await cards.update(
            info.context.require_actor(),
            parse_id(input.id, "id"),
            input.to_domain(),
            expected_version=input.expected_version,
        )
        return StampCardSaved(card=StampCard.from_model(card))

    @strawberry.mutation(description="Manager: switch a stamp card on or off.")
    @returns_errors
    async def set_stamp_card_active(
        self,
        info: Info[Context, None],
        input: Annotated[SetStampCardActiveInput, strawberry.argument(description=INPUT)],
    ) -> StampCardResult:
        card = await cards.set_active(
            info.context.require_actor(),
            parse_id(input.id, "id"),
            input.active,
            expected_version=input.expected_version,
        )
        return StampCardSaved(card=StampCard.from_model(card))
