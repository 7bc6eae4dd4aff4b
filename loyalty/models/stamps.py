"""Stamp cards: "10 coffees, the 11th free". A second currency counted per member and card,
kept as append-only stamp events with the count cached on a progress row."""

from __future__ import annotations

from enum import StrEnum

from tortoise import fields
from tortoise.models import Model


class StampUnit(StrEnum):
    # Each unit of the items of a category or SKU in a purchase (quantity counts).
    ITEM = "item"
    # Each purchase of at least a minimum amount.
    PURCHASE = "purchase"


class StampReason(StrEnum):
    EARNED = "earned"
    # A card filled: its stamps consumed, the reward's voucher issued.
    COMPLETED = "completed"
    # A refund took back the stamps the purchase earned.
    REFUNDED = "refunded"
    # A refund took back a completed card's unused voucher, and with it the card's stamps.
    WITHDRAWN = "withdrawn"


class StampCard(Model):
    """A stamp card as a manager defines it. Its terms are checked by the domain."""

    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=100)
    name_fa = fields.CharField(max_length=100, default="")
    unit = fields.CharEnumField(StampUnit, max_length=16)
    category = fields.CharField(max_length=64, default="", description="Items of this category")
    sku = fields.CharField(max_length=64, default="", description="Items of this SKU")
    min_amount = fields.BigIntField(default=0, description="Per purchase: at least these Rials")
    stamps_needed = fields.IntField()
    reward: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "loyalty.Reward", on_delete=fields.RESTRICT, related_name="stamp_cards"
    )
    branch_ids = fields.JSONField(default=list, description="Empty: every branch")
    starts_at = fields.DatetimeField(null=True)
    ends_at = fields.DatetimeField(null=True)
    max_stamps_per_purchase = fields.IntField(null=True, description="None: no limit")
    active = fields.BooleanField(default=True)
    version = fields.IntField(default=1)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "stamp_card"


class StampProgress(Model):
    """A member's stamps on one card: the sum of their stamp events, cached.

    Below zero when a refund took back stamps the member had already turned into a reward
    they used: the stamps owed, repaid by the next stamps earned.
    """

    id = fields.IntField(primary_key=True)
    member: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "loyalty.Member", on_delete=fields.RESTRICT, related_name="stamp_progress"
    )
    card: fields.ForeignKeyRelation[StampCard] = fields.ForeignKeyField(
        "loyalty.StampCard", on_delete=fields.RESTRICT, related_name="progress"
    )
    stamps = fields.IntField(default=0)
    completed = fields.IntField(default=0, description="Cards filled, less vouchers withdrawn")
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "stamp_progress"
        unique_together = (("member", "card"),)


class StampEvent(Model):
    """Append-only: one change to a member's stamps on a card, and why."""

    id = fields.BigIntField(primary_key=True)
    member: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "loyalty.Member", on_delete=fields.RESTRICT, related_name="stamp_events"
    )
    card: fields.ForeignKeyRelation[StampCard] = fields.ForeignKeyField(
        "loyalty.StampCard", on_delete=fields.RESTRICT, related_name="events"
    )
    purchase: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "loyalty.Purchase", null=True, on_delete=fields.RESTRICT, related_name="stamp_events"
    )
    delta = fields.IntField(description="Stamps added (negative: taken off the card)")
    reason = fields.CharEnumField(StampReason, max_length=16)
    voucher: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "loyalty.CouponCode", null=True, on_delete=fields.RESTRICT, related_name="stamp_events"
    )
    key = fields.CharField(max_length=100, unique=True, description="Written once, ever")
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "stamp_event"
        indexes = (("member_id", "card_id", "id"), ("purchase_id",))
