"""Rewards bought with points, coupon codes, and the discounts they give on purchases."""

from __future__ import annotations

from enum import StrEnum

from tortoise import fields
from tortoise.models import Model


class BenefitKind(StrEnum):
    PERCENT_OFF = "percent_off"
    AMOUNT_OFF = "amount_off"
    FREE_PRODUCT = "free_product"


class RewardKind(StrEnum):
    # Percent or amount off the purchase it is redeemed at, at the counter.
    DISCOUNT = "discount"
    # A product given free: at the counter, or ahead of a visit as a voucher.
    FREE_PRODUCT = "free_product"
    # Percent or amount off a later purchase: redeemed ahead, it becomes a code of its own.
    VOUCHER = "voucher"


class Coupon(Model):
    """What a family of codes gives, and the limits on using them."""

    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=100)
    benefit = fields.CharEnumField(BenefitKind, max_length=16)
    basis_points = fields.IntField(default=0, description="For percent off: 1000 is 10%")
    amount = fields.BigIntField(default=0, description="For amount off: Rials")
    max_discount = fields.BigIntField(null=True, description="Cap on a percent-off discount")
    sku = fields.CharField(max_length=64, default="", description="For a free product")
    min_basket = fields.BigIntField(default=0)
    uses_per_code = fields.IntField(null=True, default=1, description="None: no limit per code")
    max_uses_per_member = fields.IntField(null=True)
    max_uses_total = fields.IntField(null=True)
    used_total = fields.IntField(default=0)
    starts_at = fields.DatetimeField(null=True)
    ends_at = fields.DatetimeField(null=True)
    active = fields.BooleanField(default=True)
    version = fields.IntField(default=1)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "coupon"


class CouponCode(Model):
    id = fields.IntField(primary_key=True)
    coupon: fields.ForeignKeyRelation[Coupon] = fields.ForeignKeyField(
        "loyalty.Coupon", on_delete=fields.RESTRICT, related_name="codes"
    )
    code = fields.CharField(max_length=32, unique=True)
    member: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "loyalty.Member", null=True, on_delete=fields.RESTRICT, related_name="coupon_codes"
    )
    uses = fields.IntField(default=0)
    expires_at = fields.DatetimeField(null=True, description="Besides the coupon's own end")
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "coupon_code"
        indexes = (("coupon_id",), ("member_id",))


class CodeGuess(Model):
    """A code that was not found, counted so guessing can be rate-limited."""

    id = fields.BigIntField(primary_key=True)
    subject = fields.CharField(max_length=64)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "code_guess"
        indexes = (("subject", "created_at"),)


class Reward(Model):
    """An item of the rewards catalogue, priced in points."""

    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=100)
    description = fields.CharField(max_length=500, default="")
    kind = fields.CharEnumField(RewardKind, max_length=16, default=RewardKind.DISCOUNT)
    benefit = fields.CharEnumField(BenefitKind, max_length=16)
    basis_points = fields.IntField(default=0)
    amount = fields.BigIntField(default=0)
    max_discount = fields.BigIntField(null=True)
    sku = fields.CharField(max_length=64, default="")
    # A reward redeemed ahead of a visit becomes a voucher: a code of this coupon.
    coupon: fields.ForeignKeyNullableRelation[Coupon] = fields.ForeignKeyField(
        "loyalty.Coupon", null=True, on_delete=fields.RESTRICT, related_name="rewards"
    )
    voucher_days = fields.IntField(default=30, description="How long a voucher stays valid")
    cost_points = fields.BigIntField()
    stock = fields.IntField(null=True, description="Left to give (none: unlimited)")
    per_member_limit = fields.IntField(null=True)
    tier_ids = fields.JSONField(default=list, description="Empty: every tier")
    starts_at = fields.DatetimeField(null=True)
    ends_at = fields.DatetimeField(null=True)
    active = fields.BooleanField(default=True)
    version = fields.IntField(default=1)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "reward"
        unique_together = (("coupon",),)


class RewardRedemption(Model):
    id = fields.BigIntField(primary_key=True)
    reward: fields.ForeignKeyRelation[Reward] = fields.ForeignKeyField(
        "loyalty.Reward", on_delete=fields.RESTRICT, related_name="redemptions"
    )
    member: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "loyalty.Member", on_delete=fields.RESTRICT, related_name="reward_redemptions"
    )
    points = fields.BigIntField()
    transaction: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "loyalty.JournalTransaction", on_delete=fields.RESTRICT, related_name="reward_redemption"
    )
    purchase: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "loyalty.Purchase", null=True, on_delete=fields.RESTRICT, related_name="reward_redemptions"
    )
    voucher: fields.ForeignKeyNullableRelation[CouponCode] = fields.ForeignKeyField(
        "loyalty.CouponCode", null=True, on_delete=fields.RESTRICT, related_name="reward_redemption"
    )
    idempotency_key = fields.CharField(max_length=160, unique=True)
    request_hash = fields.CharField(max_length=64)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "reward_redemption"
        indexes = (("member_id", "reward_id"),)


class DiscountSource(StrEnum):
    RULE = "rule"
    COUPON = "coupon"
    REWARD = "reward"


class PurchaseDiscount(Model):
    """A discount the club gave on a purchase, and why."""

    id = fields.BigIntField(primary_key=True)
    purchase: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "loyalty.Purchase", on_delete=fields.RESTRICT, related_name="discounts"
    )
    source = fields.CharEnumField(DiscountSource, max_length=8)
    source_id = fields.IntField()
    code: fields.ForeignKeyNullableRelation[CouponCode] = fields.ForeignKeyField(
        "loyalty.CouponCode", null=True, on_delete=fields.RESTRICT, related_name="uses_on"
    )
    member: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "loyalty.Member", null=True, on_delete=fields.RESTRICT, related_name="discounts"
    )
    amount = fields.BigIntField(description="Rials off")
    sku = fields.CharField(max_length=64, default="", description="A product given free")
    reason = fields.CharField(max_length=300)
    reason_fa = fields.CharField(max_length=300, default="")
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "purchase_discount"
        indexes = (("purchase_id",), ("code_id",), ("member_id", "source", "source_id"))
