"""The double-entry ledger: accounts, journal transactions and their legs (postings).

Postings are append-only: a mistake is corrected by a new, reversing transaction.
Only member accounts cache a balance (updated with a conditional UPDATE in the same
database transaction as the postings); system accounts are summed when needed, so no
hot row serialises every purchase in the club.
"""

from __future__ import annotations

from enum import StrEnum

from tortoise import fields
from tortoise.fields.db_defaults import SqlDefault
from tortoise.models import Model


class Unit(StrEnum):
    POINTS = "points"
    RIAL = "rial"


class TransactionKind(StrEnum):
    EARN = "earn"
    SPEND = "spend"
    TOP_UP = "top_up"
    ADJUST = "adjust"
    REVERSAL = "reversal"
    EXPIRE = "expire"


class Account(Model):
    id = fields.IntField(primary_key=True)
    code = fields.CharField(max_length=64, unique=True)
    unit = fields.CharEnumField(Unit, max_length=8)
    member: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "loyalty.Member", null=True, on_delete=fields.RESTRICT, related_name="accounts"
    )
    balance = fields.BigIntField(default=0)

    class Meta:
        table = "account"
        indexes = (("member_id",),)


class JournalTransaction(Model):
    id = fields.BigIntField(primary_key=True)
    kind = fields.CharEnumField(TransactionKind, max_length=16)
    member: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "loyalty.Member", on_delete=fields.RESTRICT, related_name="transactions"
    )
    idempotency_key = fields.CharField(max_length=160, unique=True)
    request_hash = fields.CharField(max_length=64)
    reason_code = fields.CharField(max_length=48)
    reason = fields.CharField(max_length=500)
    purchase: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "loyalty.Purchase", null=True, on_delete=fields.RESTRICT, related_name="transactions"
    )
    reverses: fields.ForeignKeyNullableRelation[JournalTransaction] = fields.ForeignKeyField(
        "loyalty.JournalTransaction",
        null=True,
        on_delete=fields.RESTRICT,
        related_name="reversals",
    )
    branch: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "loyalty.Branch", null=True, on_delete=fields.RESTRICT, related_name="transactions"
    )
    staff: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "loyalty.StaffUser", null=True, on_delete=fields.RESTRICT, related_name="transactions"
    )
    # The member's side of the legs, kept with the transaction so history needs no join.
    # Database defaults as well, so the columns could be added to a journal already kept.
    points = fields.BigIntField(default=0, db_default=0)
    credit = fields.BigIntField(default=0, db_default=0)
    # Points that count towards tiers: earned, less earnings taken back.
    tier_points = fields.BigIntField(default=0, db_default=0)
    # One line per rule that fired: what it gave and why.
    lines = fields.JSONField(default=list, db_default=SqlDefault("'[]'"))
    points_expire_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True, db_index=True)

    class Meta:
        table = "journal_transaction"
        indexes = (
            ("member_id", "id"),
            ("member_id", "created_at"),
            ("purchase_id",),
            ("reverses_id",),
            ("branch_id", "created_at"),  # a branch's points and credit report
        )


class Reversal(Model):
    """A request to undo: a whole transaction, or (part of) a purchase as a refund.

    Its reversing journal transactions point back here through their idempotency keys.
    """

    id = fields.BigIntField(primary_key=True)
    idempotency_key = fields.CharField(max_length=160, unique=True)
    request_hash = fields.CharField(max_length=64)
    # A transaction is reversed whole at most once: the unique constraint holds that under races.
    transaction: fields.ForeignKeyNullableRelation[JournalTransaction] = fields.ForeignKeyField(
        "loyalty.JournalTransaction",
        null=True,
        on_delete=fields.RESTRICT,
        related_name="whole_reversal",
    )
    purchase: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "loyalty.Purchase", null=True, on_delete=fields.RESTRICT, related_name="refunds"
    )
    amount = fields.BigIntField(default=0, description="Rials refunded, for a purchase")
    reason = fields.CharField(max_length=500)
    staff: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "loyalty.StaffUser", null=True, on_delete=fields.RESTRICT, related_name="reversals"
    )
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "reversal"
        unique_together = (("transaction",),)
        # created_at: the report roll-ups' refresh finds refunds recorded since its last run.
        indexes = (("purchase_id",), ("created_at",))


class Posting(Model):
    """One leg of a journal transaction. The legs of a transaction sum to zero per unit."""

    id = fields.BigIntField(primary_key=True)
    transaction: fields.ForeignKeyRelation[JournalTransaction] = fields.ForeignKeyField(
        "loyalty.JournalTransaction", on_delete=fields.RESTRICT, related_name="postings"
    )
    account: fields.ForeignKeyRelation[Account] = fields.ForeignKeyField(
        "loyalty.Account", on_delete=fields.RESTRICT, related_name="postings"
    )
    amount = fields.BigIntField()

    class Meta:
        table = "posting"
        indexes = (("account_id",), ("transaction_id",))

    async def save(self, *args, **kwargs) -> None:
        if self.pk is not None and not kwargs.get("force_create"):
            raise TypeError("postings are append-only; post a reversing transaction instead")
        await super().save(*args, **kwargs)

    async def delete(self, *args, **kwargs) -> None:
        raise TypeError("postings are append-only; post a reversing transaction instead")
