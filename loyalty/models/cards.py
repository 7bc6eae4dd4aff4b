"""Offline operations of the NFC station that failed when replayed: kept for a manager."""

from __future__ import annotations

from enum import StrEnum

from tortoise import fields
from tortoise.models import Model


class CardOperation(StrEnum):
    PURCHASE = "purchase"
    TOP_UP = "top_up"
    PAY = "pay"


class OfflineReview(Model):
    """A station accepted this while offline and the server refused it on replay. Never dropped:
    a manager settles it with the member (the shop may have handed over goods already)."""

    id = fields.IntField(primary_key=True)
    idempotency_key = fields.CharField(max_length=128, unique=True)
    operation = fields.CharEnumField(CardOperation, max_length=8)
    card_number = fields.CharField(max_length=32)
    card: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "loyalty.Card", null=True, on_delete=fields.RESTRICT, related_name="offline_reviews"
    )
    member: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "loyalty.Member", null=True, on_delete=fields.RESTRICT, related_name="offline_reviews"
    )
    branch: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "loyalty.Branch", null=True, on_delete=fields.RESTRICT, related_name="offline_reviews"
    )
    station: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "loyalty.StaffUser", null=True, on_delete=fields.RESTRICT, related_name="offline_reviews"
    )
    amount = fields.BigIntField(description="Rials, or points when paid with points")
    request = fields.JSONField(default=dict, description="What the station sent")
    error_code = fields.CharField(max_length=32)
    error_message = fields.CharField(max_length=500)
    occurred_at = fields.DatetimeField(description="When the station accepted it")
    created_at = fields.DatetimeField(auto_now_add=True)
    resolved_at = fields.DatetimeField(null=True)
    resolved_by: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "loyalty.StaffUser", null=True, on_delete=fields.RESTRICT, related_name="reviews_resolved"
    )
    resolution = fields.CharField(max_length=300, default="")

    class Meta:
        table = "offline_review"
        indexes = (("resolved_at", "id"),)
