"""Purchases recorded at a branch, with their line items."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model


class Purchase(Model):
    id = fields.BigIntField(primary_key=True)
    branch: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "loyalty.Branch", on_delete=fields.RESTRICT, related_name="purchases"
    )
    receipt_number = fields.CharField(max_length=64)
    member: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "loyalty.Member", null=True, on_delete=fields.RESTRICT, related_name="purchases"
    )
    amount = fields.BigIntField(description="Rials")
    refunded_amount = fields.BigIntField(default=0, description="Rials")
    discount = fields.BigIntField(default=0, db_default=0, description="Rials the club took off")
    paid_with_credit = fields.BigIntField(default=0, db_default=0, description="Rials")
    occurred_at = fields.DatetimeField(db_index=True)
    recorded_by: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "loyalty.StaffUser", null=True, on_delete=fields.RESTRICT, related_name="purchases"
    )
    idempotency_key = fields.CharField(max_length=160, unique=True)
    request_hash = fields.CharField(max_length=64)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "purchase"
        unique_together = (("branch", "receipt_number"),)
        # (branch, occurred_at): a branch's reports (loyalty/reports); created_at: the report
        # roll-ups' refresh finds what was recorded since its last run.
        indexes = (
            ("member_id", "id"),
            ("member_id", "occurred_at"),
            ("branch_id", "occurred_at"),
            ("created_at",),
        )

    @property
    def net_amount(self) -> int:
        """What the member paid other than with credit, after the club's discounts."""
        return max(0, self.amount - self.discount - self.paid_with_credit)


class PurchaseItem(Model):
    id = fields.BigIntField(primary_key=True)
    purchase: fields.ForeignKeyRelation[Purchase] = fields.ForeignKeyField(
        "loyalty.Purchase", on_delete=fields.CASCADE, related_name="items"
    )
    sku = fields.CharField(max_length=64)
    category = fields.CharField(max_length=64, default="")
    name = fields.CharField(max_length=200, default="")
    quantity = fields.IntField(default=1)
    amount = fields.BigIntField(description="Rials, for the whole line")

    class Meta:
        table = "purchase_item"
        indexes = (("purchase_id",),)
