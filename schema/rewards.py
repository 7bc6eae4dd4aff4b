"""Rewards and coupons: managers set up the catalogue and coupon codes; members see what they
can have, redeem rewards and keep their vouchers; staff redeem for a member at the counter."""

from datetime import datetime
from typing import Annotated

import strawberry
from strawberry.types import Info

from loyalty import models as m
from loyalty.actors import ActorKind
from loyalty.errors import InvalidInput
from loyalty.programme import coupons, rewards
from loyalty.programme.coupons import CouponSpec
from loyalty.programme.rewards import RewardSpec
from schema.context import Context
from schema.counter import KEY_DESCRIPTION
from schema.errors import (
    INPUT,
    ErrorCode,
    InsufficientBalanceError,
    NotFoundError,
    NotUsableError,
    VersionConflictError,
    result_union,
    returns_errors,
)
from schema.scalars import BigInt
from schema.types import (
    AfterCursor,
    Balances,
    Connection,
    LedgerEntry,
    PageSize,
    connection,
    decode_cursor,
    in_language,
    parse_id,
)

BenefitKind = strawberry.enum(m.BenefitKind, description="What a coupon or reward takes off.")
RewardKind = strawberry.enum(
    m.RewardKind,
    description=(
        "How a reward is redeemed: DISCOUNT at the counter on the purchase it discounts; "
        "VOUCHER ahead of a visit, for a code; FREE_PRODUCT either way."
    ),
)
VoucherStatus = strawberry.enum(coupons.VoucherStatus, description="Whether a voucher works.")
VERSION = "The version you read; a change made since is refused with VERSION_CONFLICT."


def _require_manager(info: Info[Context, None]) -> None:
    info.context.require_actor().require_staff(m.Role.MANAGER)


def _optional_id(value: strawberry.ID | None, field: str) -> int | None:
    return parse_id(value, field) if value is not None else None


@strawberry.type(description="What a coupon or reward takes off a purchase.")
class Benefit:
    kind: BenefitKind = strawberry.field(description="Percent off, amount off or a free product.")
    basis_points: int = strawberry.field(description="Percent off in hundredths (1000: 10%).")
    amount: BigInt = strawberry.field(description="Rials off, for an amount off.")
    max_discount: BigInt | None = strawberry.field(description="Cap on a percent off, Rials.")
    sku: str = strawberry.field(description="The product given free.")
    domain: strawberry.Private[coupons.Benefit]

    @strawberry.field(description="What it gives, in the viewer's language.")
    async def summary(self, info: Info[Context, None]) -> str:
        return await in_language(info, self.domain.describe())

    @classmethod
    def of(cls, row: m.Coupon | m.Reward) -> "Benefit":
        benefit = coupons.Benefit.of(row)
        return cls(
            kind=benefit.kind,
            basis_points=benefit.basis_points,
            amount=benefit.amount,
            max_discount=benefit.max_discount,
            sku=benefit.sku,
            domain=benefit,
        )


@strawberry.input(description="What a coupon or reward takes off; give what its kind uses.")
class BenefitInput:
    kind: BenefitKind = strawberry.field(description="Percent off, amount off or a free product.")
    basis_points: int = strawberry.field(
        default=0, description="For percent off: hundredths of a percent (1000: 10%)."
    )
    amount: BigInt = strawberry.field(default=0, description="For amount off: Rials.")
    max_discount: BigInt | None = strawberry.field(
        default=None, description="For percent off: at most this many Rials."
    )
    sku: str = strawberry.field(default="", description="For a free product: its SKU.")

    def to_domain(self) -> coupons.Benefit:
        return coupons.Benefit(
            kind=self.kind,
            basis_points=self.basis_points,
            amount=self.amount,
            max_discount=self.max_discount,
            sku=self.sku,
        )


# --- coupons ---------------------------------------------------------------------------------


@strawberry.type(description="One coupon code.")
class CouponCode:
    id: strawberry.ID = strawberry.field(description="The code's id.")
    code: str = strawberry.field(description="What is typed at the counter.")
    member_id: strawberry.ID | None = strawberry.field(
        description="The only member who may use it, if bound to one."
    )
    uses: int = strawberry.field(description="Times used.")
    expires_at: datetime | None = strawberry.field(
        description="The code's own end, besides its coupon's."
    )
    created_at: datetime = strawberry.field(description="When it was issued.")

    @classmethod
    def from_model(cls, c: m.CouponCode) -> "CouponCode":
        member_id = c.member_id  # type: ignore[attr-defined]
        return cls(
            id=strawberry.ID(str(c.id)),
            code=c.code,
            member_id=strawberry.ID(str(member_id)) if member_id else None,
            uses=c.uses,
            expires_at=c.expires_at,
            created_at=c.created_at,
        )


@strawberry.type(description="A coupon: what its codes give and the limits on using them.")
class Coupon:
    id: strawberry.ID = strawberry.field(description="The coupon's id.")
    name: str = strawberry.field(description="A name for managers.")
    benefit: Benefit = strawberry.field(description="What a code takes off.")
    min_basket: BigInt = strawberry.field(description="Smallest purchase it applies to, Rials.")
    uses_per_code: int | None = strawberry.field(
        description="Uses of each code (1: single use; none: no limit)."
    )
    max_uses_per_member: int | None = strawberry.field(description="Uses per member, at most.")
    max_uses_total: int | None = strawberry.field(description="Uses of all its codes, at most.")
    used_total: int = strawberry.field(description="Uses of all its codes so far.")
    starts_at: datetime | None = strawberry.field(description="Valid from (UTC).")
    ends_at: datetime | None = strawberry.field(description="Valid until, not including.")
    active: bool = strawberry.field(description="Switched on.")
    version: int = strawberry.field(description="Pass as `expectedVersion` when changing it.")

    @strawberry.field(description="The coupon's codes, newest first.")
    async def codes(
        self, first: PageSize = 50, after: AfterCursor = None
    ) -> Connection[CouponCode]:
        page = await coupons.codes_of(
            int(self.id), first=first, before_id=decode_cursor("code", after)
        )
        return connection("code", page, CouponCode.from_model)

    @classmethod
    def from_model(cls, c: m.Coupon) -> "Coupon":
        return cls(
            id=strawberry.ID(str(c.id)),
            name=c.name,
            benefit=Benefit.of(c),
            min_basket=c.min_basket,
            uses_per_code=c.uses_per_code,
            max_uses_per_member=c.max_uses_per_member,
            max_uses_total=c.max_uses_total,
            used_total=c.used_total,
            starts_at=c.starts_at,
            ends_at=c.ends_at,
            active=c.active,
            version=c.version,
        )


@strawberry.input(description="A coupon as a manager writes it.")
class CouponInput:
    name: str = strawberry.field(description="A name for managers.")
    benefit: BenefitInput = strawberry.field(description="What a code takes off.")
    min_basket: BigInt = strawberry.field(
        default=0, description="Smallest purchase it applies to, Rials."
    )
    uses_per_code: int | None = strawberry.field(
        default=1, description="Uses of each code (1: single use; null: no limit)."
    )
    max_uses_per_member: int | None = strawberry.field(
        default=None, description="Uses per member, at most."
    )
    max_uses_total: int | None = strawberry.field(
        default=None, description="Uses of all its codes, at most."
    )
    starts_at: datetime | None = strawberry.field(default=None, description="Valid from.")
    ends_at: datetime | None = strawberry.field(default=None, description="Valid until.")
    active: bool = strawberry.field(default=True, description="Switched on.")

    def to_domain(self) -> CouponSpec:
        return CouponSpec(
            name=self.name,
            benefit=self.benefit.to_domain(),
            min_basket=self.min_basket,
            uses_per_code=self.uses_per_code,
            max_uses_per_member=self.max_uses_per_member,
            max_uses_total=self.max_uses_total,
            starts_at=self.starts_at,
            ends_at=self.ends_at,
            active=self.active,
        )


@strawberry.input(description="A coupon's new definition.")
class UpdateCouponInput(CouponInput):
    id: strawberry.ID = strawberry.field(description="The coupon.")
    expected_version: int | None = strawberry.field(default=None, description=VERSION)


@strawberry.input(description="A batch of new codes of a coupon.")
class IssueCouponCodesInput:
    coupon_id: strawberry.ID = strawberry.field(description="The coupon.")
    count: int = strawberry.field(description="How many codes, 1 to 1,000.")
    member_id: strawberry.ID | None = strawberry.field(
        default=None, description="Bind every code to this member."
    )
    expires_at: datetime | None = strawberry.field(
        default=None, description="The codes' own end, besides the coupon's."
    )


@strawberry.type(description="A coupon was saved.")
class CouponSaved:
    coupon: Coupon = strawberry.field(description="The coupon as it is now.")


@strawberry.type(description="Codes were issued.")
class CouponCodesIssued:
    codes: list[CouponCode] = strawberry.field(description="The new codes.")


CouponResult = result_union(
    "CouponResult",
    "Result of a change to a coupon.",
    CouponSaved,
    NotFoundError,
    VersionConflictError,
)
IssueCouponCodesResult = result_union(
    "IssueCouponCodesResult", "Result of issueCouponCodes.", CouponCodesIssued, NotFoundError
)


# --- rewards ---------------------------------------------------------------------------------


@strawberry.type(description="An item of the rewards catalogue, priced in points.")
class Reward:
    id: strawberry.ID = strawberry.field(description="The reward's id.")
    name: str = strawberry.field(description="Name shown to members.")
    description: str = strawberry.field(description="More about it, for members.")
    kind: RewardKind = strawberry.field(description="How it is redeemed.")
    benefit: Benefit = strawberry.field(description="What it gives.")
    cost_points: BigInt = strawberry.field(description="Its price in points.")
    voucher_days: int = strawberry.field(description="Days a voucher of it stays valid.")
    stock: int | None = strawberry.field(description="Left to give; none: unlimited.")
    per_member_limit: int | None = strawberry.field(description="Times a member may have it.")
    tier_ids: list[strawberry.ID] = strawberry.field(description="Only these tiers; empty: all.")
    starts_at: datetime | None = strawberry.field(description="On offer from (UTC).")
    ends_at: datetime | None = strawberry.field(description="On offer until, not including.")
    active: bool = strawberry.field(description="Switched on.")
    version: int = strawberry.field(description="Pass as `expectedVersion` when changing it.")

    @classmethod
    def from_model(cls, r: m.Reward) -> "Reward":
        return cls(
            id=strawberry.ID(str(r.id)),
            name=r.name,
            description=r.description,
            kind=r.kind,
            benefit=Benefit.of(r),
            cost_points=r.cost_points,
            voucher_days=r.voucher_days,
            stock=r.stock,
            per_member_limit=r.per_member_limit,
            tier_ids=[strawberry.ID(str(t)) for t in r.tier_ids],
            starts_at=r.starts_at,
            ends_at=r.ends_at,
            active=r.active,
            version=r.version,
        )


@strawberry.input(description="A reward as a manager writes it.")
class RewardInput:
    name: str = strawberry.field(description="Name shown to members.")
    kind: RewardKind = strawberry.field(description="How it is redeemed.")
    benefit: BenefitInput = strawberry.field(
        description="What it gives (a free product for FREE_PRODUCT, else percent or amount off)."
    )
    cost_points: BigInt = strawberry.field(description="Its price in points.")
    description: str = strawberry.field(default="", description="More about it, for members.")
    voucher_days: int = strawberry.field(
        default=30, description="Days a voucher of it stays valid."
    )
    stock: int | None = strawberry.field(default=None, description="Left to give; null: no limit.")
    per_member_limit: int | None = strawberry.field(
        default=None, description="Times a member may have it."
    )
    tier_ids: list[strawberry.ID] | None = strawberry.field(
        default=None, description="Only for members of these tiers."
    )
    starts_at: datetime | None = strawberry.field(default=None, description="On offer from.")
    ends_at: datetime | None = strawberry.field(default=None, description="On offer until.")
    active: bool = strawberry.field(default=True, description="Switched on.")

    def to_domain(self) -> RewardSpec:
        return RewardSpec(
            name=self.name,
            kind=self.kind,
            benefit=self.benefit.to_domain(),
            cost_points=self.cost_points,
            description=self.description,
            voucher_days=self.voucher_days,
            stock=self.stock,
            per_member_limit=self.per_member_limit,
            tier_ids=[parse_id(t, f"tierIds.{i}") for i, t in enumerate(self.tier_ids or [])],
            starts_at=self.starts_at,
            ends_at=self.ends_at,
            active=self.active,
        )


@strawberry.input(description="A reward's new definition (its kind cannot change).")
class UpdateRewardInput(RewardInput):
    id: strawberry.ID = strawberry.field(description="The reward.")
    expected_version: int | None = strawberry.field(default=None, description=VERSION)


@strawberry.type(description="A reward was saved.")
class RewardSaved:
    reward: Reward = strawberry.field(description="The reward as it is now.")


RewardResult = result_union(
    "RewardResult",
    "Result of a change to a reward.",
    RewardSaved,
    NotFoundError,
    VersionConflictError,
)


@strawberry.type(description="A reward as one member sees it: can they have it now?")
class CatalogueItem:
    reward: Reward = strawberry.field(description="The reward.")
    affordable: bool = strawberry.field(description="The member has the points for it.")
    redeemed: int = strawberry.field(description="Times the member has had it.")
    unavailable_code: ErrorCode | None = strawberry.field(
        description="Why the member cannot have it now, points aside (none: they can)."
    )
    unavailable_reason: str | None = strawberry.field(description="The same, for people (English).")

    @strawberry.field(description="The member can have it now: eligible and affordable.")
    def can_redeem(self) -> bool:
        return self.affordable and self.unavailable_code is None


@strawberry.type(description="A code of a member's own: a reward redeemed ahead, or a gift.")
class Voucher:
    code: str = strawberry.field(description="What to show at the counter.")
    status: VoucherStatus = strawberry.field(description="Whether it can still be used.")
    uses_left: int | None = strawberry.field(description="Uses left; none: no limit.")
    expires_at: datetime | None = strawberry.field(description="Valid until (UTC).")
    benefit: Benefit = strawberry.field(description="What it takes off.")
    min_basket: BigInt = strawberry.field(description="Smallest purchase it applies to, Rials.")
    id: strawberry.Private[int]

    @classmethod
    def from_domain(cls, v: coupons.Voucher) -> "Voucher":
        return cls(
            code=v.code.code,
            status=v.status,
            uses_left=v.uses_left,
            expires_at=v.expires_at,
            benefit=Benefit.of(v.coupon),
            min_basket=v.coupon.min_basket,
            id=v.code.id,
        )


@strawberry.input(description="Redeem a reward ahead of a visit, for a voucher code.")
class RedeemRewardInput:
    reward_id: strawberry.ID = strawberry.field(description="The reward.")
    idempotency_key: str = strawberry.field(description=KEY_DESCRIPTION)
    member_id: strawberry.ID | None = strawberry.field(
        default=None, description="Staff: the member (members redeem for themselves)."
    )
    branch_id: strawberry.ID | None = strawberry.field(
        default=None, description="Staff: where; defaults to the staff user's branch."
    )


@strawberry.type(description="A reward was redeemed: the points are spent.")
class RewardRedeemed:
    reward: Reward = strawberry.field(description="The reward.")
    voucher: Voucher | None = strawberry.field(description="The member's new voucher.")
    spent: LedgerEntry = strawberry.field(description="The points spent.")
    balances: Balances = strawberry.field(description="The member's balances after.")
    replayed: bool = strawberry.field(description="True when this repeats an earlier request.")


RedeemRewardResult = result_union(
    "RedeemRewardResult",
    "Result of redeemReward.",
    RewardRedeemed,
    NotFoundError,
    NotUsableError,
    InsufficientBalanceError,
)


def _member_for(info: Info[Context, None], member_id: strawberry.ID | None) -> int:
    """The member a request is about: a member's own self; staff name the member."""
    actor = info.context.require_actor()
    if actor.kind is ActorKind.MEMBER:
        own = info.context.require_member()
        if member_id is not None and parse_id(member_id, "memberId") != own:
            raise InvalidInput("members act for themselves only", field="memberId")
        return own
    actor.require_staff()
    if member_id is None:
        raise InvalidInput("staff name the member", field="memberId")
    return parse_id(member_id, "memberId")


@strawberry.type
class RewardQueries:
    @strawberry.field(
        description="The rewards on offer now, cheapest first, with what the member can have. "
        "Members see their own; staff name the member."
    )
    async def rewards(
        self,
        info: Info[Context, None],
        member_id: Annotated[
            strawberry.ID | None, strawberry.argument(description="Staff: the member.")
        ] = None,
    ) -> list[CatalogueItem]:
        offers = await rewards.catalogue(_member_for(info, member_id))
        return [
            CatalogueItem(
                reward=Reward.from_model(o.reward),
                affordable=o.affordable,
                redeemed=o.redeemed,
                unavailable_code=o.refusal.code if o.refusal else None,
                unavailable_reason=o.refusal.message if o.refusal else None,
            )
            for o in offers
        ]

    @strawberry.field(description="The signed-in member's vouchers, newest first.")
    async def my_vouchers(
        self, info: Info[Context, None], first: PageSize = 20, after: AfterCursor = None
    ) -> Connection[Voucher]:
        page = await coupons.vouchers(
            info.context.require_member(), first=first, before_id=decode_cursor("voucher", after)
        )
        return connection("voucher", page, Voucher.from_domain, key=lambda v: v.code.id)

    @strawberry.field(description="Manager: every reward, newest first.")
    async def reward_catalogue(
        self,
        info: Info[Context, None],
        first: PageSize = 20,
        after: AfterCursor = None,
        include_inactive: Annotated[
            bool, strawberry.argument(description="Also rewards switched off.")
        ] = False,
    ) -> Connection[Reward]:
        _require_manager(info)
        page = await rewards.listed(
            first=first,
            before_id=decode_cursor("reward", after),
            include_inactive=include_inactive,
        )
        return connection("reward", page, Reward.from_model)

    @strawberry.field(description="Manager: the coupons, newest first.")
    async def coupons(
        self,
        info: Info[Context, None],
        first: PageSize = 20,
        after: AfterCursor = None,
        include_inactive: Annotated[
            bool, strawberry.argument(description="Also coupons switched off.")
        ] = False,
    ) -> Connection[Coupon]:
        _require_manager(info)
        page = await coupons.listed(
            first=first,
            before_id=decode_cursor("coupon", after),
            include_inactive=include_inactive,
        )
        return connection("coupon", page, Coupon.from_model)


@strawberry.type
class RewardMutations:
    @strawberry.mutation(description="Manager: add a coupon.")
    @returns_errors
    async def create_coupon(
        self,
        info: Info[Context, None],
        input: Annotated[CouponInput, strawberry.argument(description=INPUT)],
    ) -> CouponResult:
        coupon = await coupons.create(info.context.require_actor(), input.to_domain())
        return CouponSaved(coupon=Coupon.from_model(coupon))

    @strawberry.mutation(description="Manager: change a coupon (a new version).")
    @returns_errors
    async def update_coupon(
        self,
        info: Info[Context, None],
        input: Annotated[UpdateCouponInput, strawberry.argument(description=INPUT)],
    ) -> CouponResult:
        coupon = await coupons.update(
            info.context.require_actor(),
            parse_id(input.id, "id"),
            input.to_domain(),
            expected_version=input.expected_version,
        )
        return CouponSaved(coupon=Coupon.from_model(coupon))

    @strawberry.mutation(description="Manager: issue a batch of unguessable codes of a coupon.")
    @returns_errors
    async def issue_coupon_codes(
        self,
        info: Info[Context, None],
        input: Annotated[IssueCouponCodesInput, strawberry.argument(description=INPUT)],
    ) -> IssueCouponCodesResult:
        codes = await coupons.issue_codes(
            info.context.require_actor(),
            parse_id(input.coupon_id, "couponId"),
            count=input.count,
            member_id=_optional_id(input.member_id, "memberId"),
            expires_at=input.expires_at,
        )
        return CouponCodesIssued(codes=[CouponCode.from_model(c) for c in codes])

    @strawberry.mutation(description="Manager: add a reward to the catalogue.")
    @returns_errors
    async def create_reward(
        self,
        info: Info[Context, None],
        input: Annotated[RewardInput, strawberry.argument(description=INPUT)],
    ) -> RewardResult:
        reward = await rewards.create(info.context.require_actor(), input.to_domain())
        return RewardSaved(reward=Reward.from_model(reward))

    @strawberry.mutation(description="Manager: change a reward (a new version).")
    @returns_errors
    async def update_reward(
        self,
        info: Info[Context, None],
        input: Annotated[UpdateRewardInput, strawberry.argument(description=INPUT)],
    ) -> RewardResult:
        reward = await rewards.update(
            info.context.require_actor(),
            parse_id(input.id, "id"),
            input.to_domain(),
            expected_version=input.expected_version,
        )
        return RewardSaved(reward=Reward.from_model(reward))

    @strawberry.mutation(
        description="Redeem a reward ahead of a visit: the points are spent and the member "
        "gets a voucher code. Members redeem for themselves; staff for the member they name."
    )
    @returns_errors
    async def redeem_reward(
        self,
        info: Info[Context, None],
        input: Annotated[RedeemRewardInput, strawberry.argument(description=INPUT)],
    ) -> RedeemRewardResult:
        result = await rewards.redeem(
            info.context.require_actor(),
            member_id=_member_for(info, input.member_id),
            reward_id=parse_id(input.reward_id, "rewardId"),
            idempotency_key=input.idempotency_key,
            branch_id=_optional_id(input.branch_id, "branchId"),
        )
        return RewardRedeemed(
            reward=Reward.from_model(result.reward),
            voucher=Voucher.from_domain(result.voucher) if result.voucher else None,
            spent=LedgerEntry.from_domain(result.spent),
            balances=Balances.from_domain(result.balances),
            replayed=result.replayed,
        )
