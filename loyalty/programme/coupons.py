"""Coupons and their codes: what a code takes off a purchase, the limits on using it, and
the rate limit on guessing codes.

A coupon says what its codes give (percent or amount off, or a free product) and when;
managers issue its codes in batches. Vouchers are codes too: one bound to a member, of the
coupon a reward keeps (see `rewards`).
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Protocol

from tortoise.exceptions import IntegrityError
from tortoise.expressions import F
from tortoise.transactions import in_transaction

from loyalty import validation
from loyalty.actors import Actor
from loyalty.errors import DomainError, ErrorCode, InvalidInput, NotFound, RateLimited
from loyalty.history import Page, page_size, paged
from loyalty.models import (
    BenefitKind,
    CodeGuess,
    Coupon,
    CouponCode,
    DiscountSource,
    Member,
    PurchaseDiscount,
    Reward,
    RewardRedemption,
    Role,
)
from loyalty.programme import audit, explain
from loyalty.programme.engine import DISCOUNT, Line
from loyalty.programme.explain import Text
from loyalty.programme.standing import REFERRAL_ALPHABET

# No 0/O or 1/I: codes are read aloud and typed. 32^12 = 2^60 codes: guessing one is hopeless
# at the rate guessing is allowed.
CODE_ALPHABET = REFERRAL_ALPHABET
CODE_LENGTH = 12
MAX_BATCH = 1000
MAX_CODES_PER_PURCHASE = 5
# Failed look-ups a subject (a staff user, a member) may make in an hour.
GUESSES_PER_HOUR = 10
GUESS_WINDOW = timedelta(hours=1)
MAX_USES = 1_000_000


def not_valid(message: str) -> DomainError:
    return DomainError(message, code=ErrorCode.CODE_NOT_VALID)


@dataclass(frozen=True, slots=True)
class Benefit:
    """What a coupon or reward takes off a purchase."""

    kind: BenefitKind
    basis_points: int = 0
    amount: int = 0
    max_discount: int | None = None
    sku: str = ""

    @classmethod
    def of(cls, row: Coupon | object) -> Benefit:
        return cls(
            kind=row.benefit,  # type: ignore[attr-defined]
            basis_points=row.basis_points,  # type: ignore[attr-defined]
            amount=row.amount,  # type: ignore[attr-defined]
            max_discount=row.max_discount,  # type: ignore[attr-defined]
            sku=row.sku,  # type: ignore[attr-defined]
        )

    def cleaned(self) -> dict:
        """The benefit's columns, checked; the fields its kind does not use are zeroed."""
        if not isinstance(self.kind, BenefitKind):
            raise InvalidInput("unknown benefit", field="benefit")
        values = {
            "benefit": self.kind,
            "basis_points": 0,
            "amount": 0,
            "max_discount": None,
            "sku": "",
        }
        if self.kind is BenefitKind.PERCENT_OFF:
            if (
                isinstance(self.basis_points, bool)
                or not isinstance(self.basis_points, int)
                or not 1 <= self.basis_points <= 10_000
            ):
                raise InvalidInput(
                    "basisPoints must be from 1 to 10,000 (100 is 1%)", field="basisPoints"
                )
            values["basis_points"] = self.basis_points
            if self.max_discount is not None:
                values["max_discount"] = validation.positive_amount(
                    self.max_discount, field="maxDiscount"
                )
        elif self.kind is BenefitKind.AMOUNT_OFF:
            values["amount"] = validation.positive_amount(self.amount, field="amount")
        else:
            values["sku"] = validation.text(self.sku, field="sku", max_length=64, required=True)
        return values

    def describe(self) -> Text:
        if self.kind is BenefitKind.PERCENT_OFF:
            cap = self.max_discount
            share = explain.percent(self.basis_points)
            return Text(
                f"{share.en} off" + (f" (up to {explain.money(cap).en})" if cap else ""),
                f"{share.fa} تخفیف" + (f" (تا {explain.money(cap).fa})" if cap else ""),
            )
        if self.kind is BenefitKind.AMOUNT_OFF:
            off = explain.money(self.amount)
            return Text(f"{off.en} off", f"{off.fa} تخفیف")
        return Text(f"a free {self.sku}", f"یک {self.sku} رایگان")

    def discount(self, cart: Cart, room: int) -> int:
        """Rials off `cart` when `room` Rials are left to take off (0 for a free product
        the cart does not hold)."""
        if self.kind is BenefitKind.PERCENT_OFF:
            off = cart.amount * self.basis_points // 10_000
            if self.max_discount is not None:
                off = min(off, self.max_discount)
        elif self.kind is BenefitKind.AMOUNT_OFF:
            off = self.amount
        else:
            off = cart.unit_prices.get(self.sku, 0)
        return min(off, room)


class _Line(Protocol):
    sku: str
    amount: int
    quantity: int


@dataclass(frozen=True, slots=True)
class Cart:
    """What codes and rewards need to know of a purchase."""

    amount: int
    unit_prices: Mapping[str, int]  # by sku: the price of one

    @classmethod
    def of(cls, amount: int, lines: Sequence[_Line]) -> Cart:
        prices: dict[str, int] = {}
        for line in lines:
            prices.setdefault(line.sku, line.amount // line.quantity)
        return cls(amount, prices)


@dataclass(frozen=True, slots=True)
class CouponSpec:
    """A coupon as a manager writes it."""

    name: str
    benefit: Benefit
    min_basket: int = 0
    uses_per_code: int | None = 1
    max_uses_per_member: int | None = None
    max_uses_total: int | None = None
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    active: bool = True


def optional_limit(value: int | None, field: str, maximum: int = MAX_USES) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= maximum:
        raise InvalidInput(f"{field} must be from 1 to {maximum:,}, or none", field=field)
    return value


def validity(starts_at: datetime | None, ends_at: datetime | None) -> dict:
    for name, value in (("startsAt", starts_at), ("endsAt", ends_at)):
        if value is not None and value.tzinfo is None:
            raise InvalidInput(f"{name} needs a time zone", field=name)
    if starts_at and ends_at and ends_at <= starts_at:
        raise InvalidInput("endsAt must be after startsAt", field="endsAt")
    return {"starts_at": starts_at, "ends_at": ends_at}


def _cleaned(spec: CouponSpec) -> dict:
    if isinstance(spec.min_basket, bool) or not isinstance(spec.min_basket, int):
        raise InvalidInput("minBasket must be a whole number of Rials", field="minBasket")
    if spec.min_basket:
        validation.positive_amount(spec.min_basket, field="minBasket")
    return {
        "name": validation.text(spec.name, field="name", max_length=100, required=True),
        **spec.benefit.cleaned(),
        "min_basket": spec.min_basket,
        "uses_per_code": optional_limit(spec.uses_per_code, "usesPerCode"),
        "max_uses_per_member": optional_limit(spec.max_uses_per_member, "maxUsesPerMember"),
        "max_uses_total": optional_limit(spec.max_uses_total, "maxUsesTotal"),
        **validity(spec.starts_at, spec.ends_at),
        "active": bool(spec.active),
    }


async def create(actor: Actor, spec: CouponSpec) -> Coupon:
    actor.require_staff(Role.MANAGER)
    values = _cleaned(spec)
    coupon = await audit.create_versioned(actor, Coupon, "coupon", values)
    return coupon


async def _owned_by_a_reward(coupon_id: int) -> None:
    """Rewards keep their vouchers' coupons: what a member paid points for stays as it was."""
    if await Reward.exists(coupon_id=coupon_id) or await RewardRedemption.exists(
        voucher__coupon_id=coupon_id
    ):
        raise InvalidInput(
            "this coupon holds the vouchers of a reward: change the reward instead",
            field="couponId",
        )


async def update(
    actor: Actor, coupon_id: int, spec: CouponSpec, *, expected_version: int | None = None
) -> Coupon:
    """Replace a coupon's definition; codes already issued follow it."""
    actor.require_staff(Role.MANAGER)
    values = _cleaned(spec)
    await _owned_by_a_reward(coupon_id)
    return await save(actor, coupon_id, values, expected_version=expected_version)


async def save(
    actor: Actor, coupon_id: int, values: dict, *, expected_version: int | None
) -> Coupon:
    """Write a new version of a coupon, audited. Joins the caller's transaction, if any."""
    return await audit.update_versioned(
        actor, Coupon, "coupon", coupon_id, values, expected_version=expected_version
    )


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


async def issue_codes(
    actor: Actor,
    coupon_id: int,
    *,
    count: int,
    member_id: int | None = None,
    expires_at: datetime | None = None,
) -> list[CouponCode]:
    """A batch of new, unguessable codes of a coupon, optionally all bound to one member."""
    actor.require_staff(Role.MANAGER)
    if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= MAX_BATCH:
        raise InvalidInput(f"count must be from 1 to {MAX_BATCH}", field="count")
    if expires_at is not None and expires_at.tzinfo is None:
        raise InvalidInput("expiresAt needs a time zone", field="expiresAt")
    if not await Coupon.exists(id=coupon_id):
        raise NotFound("coupon", coupon_id)
    await _owned_by_a_reward(coupon_id)
    if member_id is not None and not await Member.exists(id=member_id):
        raise NotFound("member", member_id)
    return await _issue(actor, coupon_id, count, member_id, expires_at)


async def _issue(
    actor: Actor | None,
    coupon_id: int,
    count: int,
    member_id: int | None,
    expires_at: datetime | None,
) -> list[CouponCode]:
    # Two equal codes out of 2^60 are next to impossible; should it happen, draw the batch again.
    for _attempt in range(3):
        codes = [
            CouponCode(
                coupon_id=coupon_id, code=new_code(), member_id=member_id, expires_at=expires_at
            )
            for _ in range(count)
        ]
        if len({c.code for c in codes}) < count:
            continue
        try:
            async with in_transaction():
                await CouponCode.bulk_create(codes)
                if actor is not None:
                    await audit.record(
                        actor,
                        entity="coupon",
                        entity_id=coupon_id,
                        version=0,
                        action="issue_codes",
                        snapshot={
                            "count": count,
                            "member_id": member_id,
                            "expires_at": expires_at.isoformat() if expires_at else None,
                        },
                    )
        except IntegrityError:
            continue
        return await CouponCode.filter(code__in=[c.code for c in codes]).order_by("id")
    raise RuntimeError("could not draw unique codes")


async def issue_voucher(coupon_id: int, member_id: int, expires_at: datetime) -> CouponCode:
    """One code bound to a member. Call inside the transaction that pays for it."""
    return await CouponCode.create(
        coupon_id=coupon_id, code=new_code(), member_id=member_id, expires_at=expires_at
    )


async def listed(
    *, first: int = 20, before_id: int | None = None, include_inactive: bool = False
) -> Page[Coupon]:
    query = Coupon.all() if include_inactive else Coupon.filter(active=True)
    return await paged(query, first, before_id)


async def codes_of(
    coupon_id: int, *, first: int = 50, before_id: int | None = None
) -> Page[CouponCode]:
    if not await Coupon.exists(id=coupon_id):
        raise NotFound("coupon", coupon_id)
    return await paged(CouponCode.filter(coupon_id=coupon_id), first, before_id)


# Looking codes up at the counter.


def guess_subject(actor: Actor) -> str:
    """Whose failed look-ups count together."""
    return f"{actor.kind.value}:{actor.id or 0}"


def normalised(code: str) -> str:
    """People type codes in any case, with spaces or dashes between groups."""
    if not isinstance(code, str):
        raise InvalidInput("a code is text", field="couponCodes")
    cleaned = "".join(ch for ch in code.upper() if ch not in " -")
    if not 1 <= len(cleaned) <= 32:
        raise InvalidInput("a code has 1 to 32 letters and digits", field="couponCodes")
    return cleaned


async def look_up(
    actor: Actor, codes: Sequence[str], *, at: datetime | None = None
) -> list[CouponCode]:
    """The codes named, with their coupons; refused as a whole if one does not exist.

    Call outside the purchase's transaction: a failed look-up is counted (and kept) even though
    the purchase is refused. Past `GUESSES_PER_HOUR` failures, every look-up by the same
    subject is refused for a while, right codes too, so codes cannot be found by trying.
    """
    if not codes:
        return []
    if len(codes) > MAX_CODES_PER_PURCHASE:
        raise InvalidInput(
            f"at most {MAX_CODES_PER_PURCHASE} codes on one purchase", field="couponCodes"
        )
    wanted = [normalised(code) for code in codes]
    if len(set(wanted)) < len(wanted):
        raise InvalidInput("the same code is given twice", field="couponCodes")
    now = at or datetime.now(UTC)
    subject = guess_subject(actor)
    failures = await CodeGuess.filter(subject=subject, created_at__gte=now - GUESS_WINDOW).count()
    if failures >= GUESSES_PER_HOUR:
        raise RateLimited(
            "too many codes that do not exist were tried; try again in an hour",
            int(GUESS_WINDOW.total_seconds()),
        )
    found = {
        row.code: row for row in await CouponCode.filter(code__in=wanted).prefetch_related("coupon")
    }
    missing = [code for code in wanted if code not in found]
    if missing:
        await CodeGuess.bulk_create([CodeGuess(subject=subject) for _ in missing])
        raise not_valid(f"code {missing[0]} does not exist; check it and type it again")
    return [found[code] for code in wanted]


# Checking and using codes on a purchase.


@dataclass(frozen=True, slots=True)
class Given:
    """A discount a code or a reward gives on one purchase, checked but not yet written."""

    source: DiscountSource
    source_id: int
    amount: int
    text: Text
    sku: str = ""
    code: CouponCode | None = None
    reward: Reward | None = None  # the points it costs are spent with it

    @property
    def line(self) -> Line:
        return Line(self.source.value, DISCOUNT, self.amount, self.text)


def _ended(code: CouponCode, coupon: Coupon, at: datetime) -> datetime | None:
    ends = [t for t in (code.expires_at, coupon.ends_at) if t is not None and at >= t]
    return min(ends) if ends else None


async def check(code: CouponCode, member_id: int, cart: Cart, room: int, at: datetime) -> Given:
    """What `code` takes off this cart for this member, or why it cannot be used.

    Reads only; `consume` makes the same checks race-safe when the purchase is written.
    """
    coupon: Coupon = code.coupon  # type: ignore[assignment]
    name = code.code
    if not coupon.active:
        raise not_valid(f"code {name} has been withdrawn")
    if coupon.starts_at is not None and at < coupon.starts_at:
        raise not_valid(f"code {name} can be used from {coupon.starts_at:%Y-%m-%d %H:%M} UTC")
    ended = _ended(code, coupon, at)
    if ended is not None:
        raise not_valid(f"code {name} expired on {ended:%Y-%m-%d %H:%M} UTC")
    if code.member_id is not None and code.member_id != member_id:  # type: ignore[attr-defined]
        raise not_valid(f"code {name} belongs to another member: it is not yours to use")
    if cart.amount < coupon.min_basket:
        raise not_valid(
            f"code {name} needs a purchase of at least {explain.money(coupon.min_basket).en}; "
            f"this one is {explain.money(cart.amount).en}"
        )
    if coupon.uses_per_code is not None and code.uses >= coupon.uses_per_code:
        raise not_valid(f"code {name} has already been used up")
    if coupon.max_uses_total is not None and coupon.used_total >= coupon.max_uses_total:
        raise not_valid(f"code {name}: this offer has been used up by other members")
    if coupon.max_uses_per_member is not None:
        used = await PurchaseDiscount.filter(
            member_id=member_id, source=DiscountSource.COUPON, source_id=coupon.id
        ).count()
        if used >= coupon.max_uses_per_member:
            raise not_valid(
                f"code {name}: you have used this offer the {coupon.max_uses_per_member} "
                f"time{'s' if coupon.max_uses_per_member != 1 else ''} it allows"
            )
    benefit = Benefit.of(coupon)
    amount = benefit.discount(cart, room)
    if amount <= 0:
        if benefit.kind is BenefitKind.FREE_PRODUCT:
            raise not_valid(f"code {name} gives a free {benefit.sku}, which is not in this basket")
        raise not_valid(f"code {name}: nothing is left of this purchase to take off")
    what = benefit.describe()
    return Given(
        source=DiscountSource.COUPON,
        source_id=coupon.id,
        amount=amount,
        text=Text(f"Code {name}: {what.en}", f"کد {name}: {what.fa}"),
        sku=benefit.sku,
        code=code,
    )


async def consume(given: Given) -> None:
    """Count one use of a code, refusing if a concurrent purchase took the last one.

    Call inside the purchase's transaction, after `check`. The per-member limit relies on the
    member's standing being locked by that transaction.
    """
    code = given.code
    assert code is not None
    coupon: Coupon = code.coupon  # type: ignore[assignment]
    uses = CouponCode.filter(id=code.id)
    if coupon.uses_per_code is not None:
        uses = uses.filter(uses__lt=coupon.uses_per_code)
    if not await uses.update(uses=F("uses") + 1):
        raise not_valid(f"code {code.code} has already been used up")
    total = Coupon.filter(id=coupon.id)
    if coupon.max_uses_total is not None:
        total = total.filter(used_total__lt=coupon.max_uses_total)
    if not await total.update(used_total=F("used_total") + 1):
        raise not_valid(f"code {code.code}: this offer has been used up by other members")


# A member's vouchers.


class VoucherStatus(StrEnum):
    USABLE = "usable"
    USED = "used"
    EXPIRED = "expired"
    WITHDRAWN = "withdrawn"


@dataclass(frozen=True, slots=True)
class Voucher:
    code: CouponCode
    coupon: Coupon
    status: VoucherStatus
    uses_left: int | None
    expires_at: datetime | None

    @property
    def text(self) -> Text:
        return Benefit.of(self.coupon).describe()


def voucher_of(code: CouponCode, at: datetime) -> Voucher:
    coupon: Coupon = code.coupon  # type: ignore[assignment]
    uses_left = (
        max(0, coupon.uses_per_code - code.uses) if coupon.uses_per_code is not None else None
    )
    ends = [t for t in (code.expires_at, coupon.ends_at) if t is not None]
    if not coupon.active:
        status = VoucherStatus.WITHDRAWN
    elif _ended(code, coupon, at) is not None:
        status = VoucherStatus.EXPIRED
    elif uses_left == 0:
        status = VoucherStatus.USED
    else:
        status = VoucherStatus.USABLE
    return Voucher(code, coupon, status, uses_left, min(ends) if ends else None)


async def vouchers(
    member_id: int, *, first: int = 20, before_id: int | None = None
) -> Page[Voucher]:
    """The codes bound to a member, newest first, each with whether it can still be used."""
    size = page_size(first)
    query = CouponCode.filter(member_id=member_id)
    if before_id is not None:
        query = query.filter(id__lt=before_id)
    rows = await query.order_by("-id").limit(size + 1).prefetch_related("coupon")
    now = datetime.now(UTC)
    return Page([voucher_of(row, now) for row in rows[:size]], len(rows) > size)
