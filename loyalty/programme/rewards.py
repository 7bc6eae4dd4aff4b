"""The rewards catalogue: what members buy with points, and redeeming it.

A discount reward ("1,000 points = 10% off this purchase") is redeemed at the counter, on the
purchase it discounts. A voucher reward is redeemed ahead of a visit, in the app or by staff:
the points are spent then and the member gets a code of their own (see `coupons`). A
free-product reward may be redeemed either way.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from tortoise.expressions import F
from tortoise.functions import Count
from tortoise.transactions import in_transaction

from loyalty import history, ledger, members, validation
from loyalty.actors import Actor, ActorKind
from loyalty.errors import (
    DomainError,
    ErrorCode,
    InsufficientBalance,
    InvalidInput,
    NotFound,
    PermissionDenied,
)
from loyalty.history import HistoryEntry, Page
from loyalty.idempotency import check_key, derived_key, request_hash, run_once
from loyalty.ledger import Balances, Purse, SystemAccount
from loyalty.models import (
    BenefitKind,
    Coupon,
    CouponCode,
    DiscountSource,
    JournalTransaction,
    MemberStanding,
    Purchase,
    Reward,
    RewardKind,
    RewardRedemption,
    Role,
    Tier,
    TransactionKind,
)
from loyalty.programme import audit, coupons, explain
from loyalty.programme import standing as standings
from loyalty.programme.coupons import Benefit, Cart, Given, Voucher
from loyalty.programme.explain import Text
from loyalty.wallet import COUNTER_ROLES, counter_branch

MAX_VOUCHER_DAYS = 3650
MAX_STOCK = 10**9
MAX_REWARDS_PER_PURCHASE = 5


@dataclass(frozen=True, slots=True)
class RewardSpec:
    """A reward as a manager writes it."""

    name: str
    kind: RewardKind
    benefit: Benefit
    cost_points: int
    description: str = ""
    voucher_days: int = 30
    stock: int | None = None
    per_member_limit: int | None = None
    tier_ids: list[int] | None = None
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    active: bool = True


async def _cleaned(spec: RewardSpec) -> dict:
    if not isinstance(spec.kind, RewardKind):
        raise InvalidInput("unknown reward kind", field="kind")
    benefit = spec.benefit.cleaned()
    if (spec.kind is RewardKind.FREE_PRODUCT) != (benefit["benefit"] is BenefitKind.FREE_PRODUCT):
        raise InvalidInput(
            "a free-product reward gives a free product; discounts and vouchers give percent "
            "or amount off",
            field="benefit",
        )
    days = spec.voucher_days
    if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= MAX_VOUCHER_DAYS:
        raise InvalidInput(f"voucherDays must be from 1 to {MAX_VOUCHER_DAYS}", field="voucherDays")
    stock = spec.stock
    if stock is not None and (
        isinstance(stock, bool) or not isinstance(stock, int) or not 0 <= stock <= MAX_STOCK
    ):
        raise InvalidInput(f"stock must be from 0 to {MAX_STOCK:,}, or none", field="stock")
    tier_ids = sorted(set(spec.tier_ids or []))
    if tier_ids and await Tier.filter(id__in=tier_ids).count() != len(tier_ids):
        raise InvalidInput("tierIds names a tier that does not exist", field="tierIds")
    return {
        "name": validation.text(spec.name, field="name", max_length=100, required=True),
        "description": validation.text(spec.description, field="description", max_length=500),
        "kind": spec.kind,
        **benefit,
        "cost_points": validation.positive_amount(
            spec.cost_points, field="costPoints", maximum=validation.MAX_POINTS
        ),
        "voucher_days": days,
        "stock": stock,
        "per_member_limit": coupons.optional_limit(spec.per_member_limit, "perMemberLimit"),
        "tier_ids": tier_ids,
        **coupons.validity(spec.starts_at, spec.ends_at),
        "active": bool(spec.active),
    }


async def _voucher_coupon(values: dict) -> int | None:
    """The coupon a voucher-giving reward's codes belong to: one use each, its benefit."""
    if values["kind"] is RewardKind.DISCOUNT:
        return None
    coupon = await Coupon.create(
        name=f"Reward: {values['name']}"[:100],
        benefit=values["benefit"],
        basis_points=values["basis_points"],
        amount=values["amount"],
        max_discount=values["max_discount"],
        sku=values["sku"],
        uses_per_code=1,
    )
    return coupon.id


async def create(actor: Actor, spec: RewardSpec) -> Reward:
    actor.require_staff(Role.MANAGER)
    values = await _cleaned(spec)
    async with in_transaction():
        values["coupon_id"] = await _voucher_coupon(values)
        reward = await audit.create_versioned(actor, Reward, "reward", values)
    return reward


BENEFIT_COLUMNS = ("benefit", "basis_points", "amount", "max_discount", "sku")


async def update(
    actor: Actor, reward_id: int, spec: RewardSpec, *, expected_version: int | None = None
) -> Reward:
    """Replace a reward's definition. Vouchers already issued keep what they were bought for:
    a new benefit gets a new coupon for the vouchers from now on."""
    actor.require_staff(Role.MANAGER)
    values = await _cleaned(spec)

    async def same_kind(reward: Reward) -> dict:
        if values["kind"] != reward.kind:
            raise InvalidInput("a reward's kind cannot change; make a new reward", field="kind")
        coupon_id = reward.coupon_id  # type: ignore[attr-defined]
        if coupon_id is not None and any(values[c] != getattr(reward, c) for c in BENEFIT_COLUMNS):
            coupon_id = await _voucher_coupon(values)
        return {"coupon_id": coupon_id}

    return await audit.update_versioned(
        actor,
        Reward,
        "reward",
        reward_id,
        values,
        expected_version=expected_version,
        also=same_kind,
    )


async def get(reward_id: int) -> Reward:
    reward = await Reward.get_or_none(id=reward_id)
    if reward is None:
        raise NotFound("reward", reward_id)
    return reward


async def listed(
    *, first: int = 20, before_id: int | None = None, include_inactive: bool = False
) -> Page[Reward]:
    query = Reward.all() if include_inactive else Reward.filter(active=True)
    return await coupons.paged(query, first, before_id)


def describe(reward: Reward) -> Text:
    what = Benefit.of(reward).describe()
    cost = explain.points(reward.cost_points)
    return Text(
        f"Reward {reward.name}: {what.en} for {cost.en}",
        f"جایزه‌ی {reward.name}: {what.fa} در برابر {cost.fa}",
    )


# Who may have a reward, now.


def _refusal(reward: Reward, tier_id: int | None, used: int, at: datetime) -> DomainError | None:
    """Why this member cannot have `reward` now (their points aside), or None."""
    if (
        not reward.active
        or (reward.starts_at is not None and at < reward.starts_at)
        or (reward.ends_at is not None and at >= reward.ends_at)
    ):
        return DomainError(f"{reward.name} is not on offer now", code=ErrorCode.NOT_ELIGIBLE)
    if reward.tier_ids and tier_id not in reward.tier_ids:
        return DomainError(
            f"{reward.name} is for members of other tiers", code=ErrorCode.NOT_ELIGIBLE
        )
    if reward.per_member_limit is not None and used >= reward.per_member_limit:
        times = f"{reward.per_member_limit} time{'s' if reward.per_member_limit != 1 else ''}"
        return DomainError(
            f"you have had {reward.name} the {times} a member may", code=ErrorCode.LIMIT_REACHED
        )
    if reward.stock is not None and reward.stock <= 0:
        return DomainError(f"{reward.name} is out of stock", code=ErrorCode.OUT_OF_STOCK)
    return None


async def _used(member_id: int, reward_id: int) -> int:
    return await RewardRedemption.filter(member_id=member_id, reward_id=reward_id).count()


async def _take(reward: Reward, member_id: int, tier_id: int | None, at: datetime) -> None:
    """Check a member may have `reward` and take one from its stock, race-safe.

    Call inside a transaction that holds the member's standing lock: it keeps the per-member
    count true; the stock is decremented only while some is left, so it never goes below zero.
    """
    refusal = _refusal(reward, tier_id, await _used(member_id, reward.id), at)
    if refusal is not None:
        raise refusal
    if reward.stock is not None and not await Reward.filter(id=reward.id, stock__gt=0).update(
        stock=F("stock") - 1
    ):
        raise DomainError(f"{reward.name} is out of stock", code=ErrorCode.OUT_OF_STOCK)


@dataclass(frozen=True, slots=True)
class Offer:
    """A catalogue item as one member sees it."""

    reward: Reward
    affordable: bool
    # Why the member cannot redeem it now, their points aside (tier, limit, stock); None: can.
    refusal: DomainError | None
    redeemed: int


async def catalogue(member_id: int, *, at: datetime | None = None) -> list[Offer]:
    """The rewards on offer now, cheapest first, with what this member can have."""
    await members.get(member_id)
    standing = await standings.get(member_id)
    points = (await ledger.balances(member_id)).points
    return await catalogue_for(standing, points, at or datetime.now(UTC))


async def catalogue_for(standing: MemberStanding, points: int, now: datetime) -> list[Offer]:
    """`catalogue` for a member whose standing and points balance were read already."""
    member_id: int = standing.member_id  # type: ignore[attr-defined]
    rewards = await Reward.filter(active=True).order_by("cost_points", "id")
    rewards = [
        r
        for r in rewards
        if (r.starts_at is None or r.starts_at <= now) and (r.ends_at is None or now < r.ends_at)
    ]
    used = dict(
        await RewardRedemption.filter(member_id=member_id)
        .annotate(n=Count("id"))
        .group_by("reward_id")
        .values_list("reward_id", "n")
    )
    return [
        Offer(
            reward=r,
            affordable=points >= r.cost_points,
            refusal=_refusal(r, standing.tier_id, used.get(r.id, 0), now),  # type: ignore[attr-defined]
            redeemed=used.get(r.id, 0),
        )
        for r in rewards
    ]


# Redeeming ahead of a visit: a voucher.


@dataclass(frozen=True, slots=True)
class Redemption:
    redemption: RewardRedemption
    reward: Reward
    voucher: Voucher | None
    spent: HistoryEntry
    balances: Balances
    replayed: bool


def _may_redeem_for(actor: Actor, member_id: int) -> None:
    if actor.kind is ActorKind.MEMBER:
        if actor.id != member_id:
            raise PermissionDenied("a member redeems rewards for themselves only")
        return
    actor.require_staff(*COUNTER_ROLES)


async def redeem(
    actor: Actor,
    *,
    member_id: int,
    reward_id: int,
    idempotency_key: str,
    branch_id: int | None = None,
) -> Redemption:
    """Spend points on a free-product or voucher reward now; the member gets a voucher code."""
    _may_redeem_for(actor, member_id)
    key = check_key(idempotency_key)
    if actor.kind is ActorKind.STAFF:
        branch_id = await counter_branch(actor, branch_id)
    elif branch_id is not None:
        raise InvalidInput("members redeem in the app, not at a branch", field="branchId")
    await members.get(member_id)
    digest = request_hash(
        {"op": "redeem_reward", "member": member_id, "reward": reward_id, "branch": branch_id}
    )

    async def write() -> RewardRedemption:
        now = datetime.now(UTC)
        standing = await standings.lock(member_id)
        reward = await get(reward_id)
        if reward.kind is RewardKind.DISCOUNT:
            raise DomainError(
                f"{reward.name} is redeemed at the counter, on the purchase it discounts",
                code=ErrorCode.NOT_ELIGIBLE,
            )
        await _take(reward, member_id, standing.tier_id, now)  # type: ignore[attr-defined]
        spent = await _spend(
            reward,
            standing,
            idempotency_key=derived_key("reward", key),
            request_hash=digest,
            staff_id=actor.staff_id,
            branch_id=branch_id,
        )
        voucher = await coupons.issue_voucher(
            reward.coupon_id,  # type: ignore[attr-defined]
            member_id,
            now + timedelta(days=reward.voucher_days),
        )
        return await RewardRedemption.create(
            reward_id=reward.id,
            member_id=member_id,
            points=reward.cost_points,
            transaction_id=spent.id,
            voucher_id=voucher.id,
            idempotency_key=key,
            request_hash=digest,
        )

    redemption, replayed = await run_once(
        digest, lambda: RewardRedemption.get_or_none(idempotency_key=key), write
    )
    return await _result(redemption, replayed)


async def _result(redemption: RewardRedemption, replayed: bool) -> Redemption:
    await redemption.fetch_related("reward", "transaction", "voucher__coupon")
    code: CouponCode | None = redemption.voucher  # type: ignore[assignment]
    return Redemption(
        redemption=redemption,
        reward=redemption.reward,  # type: ignore[arg-type]
        voucher=coupons.voucher_of(code, datetime.now(UTC)) if code is not None else None,
        spent=history.entry_of(redemption.transaction),  # type: ignore[arg-type]
        balances=await ledger.balances(redemption.member_id),  # type: ignore[attr-defined]
        replayed=replayed,
    )


async def _spend(reward: Reward, standing: MemberStanding, **details: object) -> JournalTransaction:
    member_id: int = standing.member_id  # type: ignore[attr-defined]
    points = ledger.member_accounts_of(
        member_id, standing.points_account_id, standing.credit_account_id
    )[Purse.POINTS]
    return await ledger.transfer_from(
        points,
        -reward.cost_points,
        SystemAccount.POINTS_REDEEMED,
        kind=TransactionKind.SPEND,
        member_id=member_id,
        reason_code="redeem_reward",
        reason=describe(reward).en,
        **details,
    )


# Codes and rewards used on a purchase.


@dataclass(frozen=True, slots=True)
class Checkout:
    """The codes (looked up by `coupons.look_up`) and rewards a member uses on a purchase."""

    cart: Cart
    codes: Sequence[CouponCode] = ()
    reward_ids: Sequence[int] = ()


async def at_checkout(standing: MemberStanding, checkout: Checkout, at: datetime) -> list[Given]:
    """What the codes, then the rewards, take off this purchase, in the order given; refused
    as a whole if one cannot be used. The total never exceeds the amount. Reads only."""
    cart, reward_ids = checkout.cart, checkout.reward_ids
    if len(reward_ids) > MAX_REWARDS_PER_PURCHASE:
        raise InvalidInput(
            f"at most {MAX_REWARDS_PER_PURCHASE} rewards on one purchase", field="rewardIds"
        )
    if len(set(reward_ids)) < len(reward_ids):
        raise InvalidInput("the same reward is given twice", field="rewardIds")
    member_id: int = standing.member_id  # type: ignore[attr-defined]
    given: list[Given] = []
    room = cart.amount
    for code in checkout.codes:
        given.append(await coupons.check(code, member_id, cart, room, at))
        room -= given[-1].amount
    if not reward_ids:
        return given
    found = {r.id: r for r in await Reward.filter(id__in=list(reward_ids))}
    missing = [i for i in reward_ids if i not in found]
    if missing:
        raise NotFound("reward", missing[0])
    cost = sum(r.cost_points for r in found.values())
    points = (await ledger.balances(member_id)).points
    if points < cost:
        raise InsufficientBalance("points", points, cost)
    for reward in (found[i] for i in reward_ids):
        if reward.kind is RewardKind.VOUCHER:
            raise DomainError(
                f"{reward.name} is a voucher: redeem it ahead, then give its code",
                code=ErrorCode.NOT_ELIGIBLE,
            )
        refusal = _refusal(reward, standing.tier_id, await _used(member_id, reward.id), at)  # type: ignore[attr-defined]
        if refusal is not None:
            raise refusal
        benefit = Benefit.of(reward)
        amount = benefit.discount(cart, room)
        if amount <= 0:
            raise DomainError(
                f"{reward.name} gives a free {benefit.sku}, which is not in this purchase"
                if benefit.kind is BenefitKind.FREE_PRODUCT
                else f"{reward.name}: nothing is left of this purchase to take off",
                code=ErrorCode.NOT_ELIGIBLE,
            )
        room -= amount
        given.append(
            Given(
                source=DiscountSource.REWARD,
                source_id=reward.id,
                amount=amount,
                text=describe(reward),
                sku=benefit.sku,
                reward=reward,
            )
        )
    return given


async def redeem_at_checkout(
    purchase: Purchase,
    standing: MemberStanding,
    given: Sequence[Given],
    *,
    request_hash: str,
    staff_id: int | None,
) -> list[JournalTransaction]:
    """Use the codes and take the rewards (stock, points) given on a purchase.

    Call inside the purchase's transaction, holding the member's standing lock, after
    `at_checkout`; the caller records the discounts with the purchase's others, in one write.
    Returns the points spent, one transaction a reward.
    """
    member_id: int = standing.member_id  # type: ignore[attr-defined]
    spent = []
    for item in given:
        if item.code is not None:
            await coupons.consume(item)
        reward = item.reward
        if reward is None:
            continue
        await _take(reward, member_id, standing.tier_id, purchase.occurred_at)  # type: ignore[attr-defined]
        key = derived_key("purchase", purchase.id, "reward", reward.id)
        transaction = await _spend(
            reward,
            standing,
            idempotency_key=key,
            request_hash=request_hash,
            purchase_id=purchase.id,
            staff_id=staff_id,
            branch_id=purchase.branch_id,  # type: ignore[attr-defined]
        )
        await RewardRedemption.create(
            reward_id=reward.id,
            member_id=member_id,
            points=reward.cost_points,
            transaction_id=transaction.id,
            purchase_id=purchase.id,
            idempotency_key=key,
            request_hash=request_hash,
        )
        spent.append(transaction)
    return spent
