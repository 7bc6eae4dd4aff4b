"""Stamp cards: the cards managers define, members' progress on them, and stamp events."""

from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from loyalty.models.stamps import StampReason, StampUnit
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index


class Migration(migrations.Migration):
    dependencies = [("loyalty", "0008_games")]

    initial = False

    operations = [
        ops.CreateModel(
            name="StampCard",
            fields=[
                (
                    "id",
                    fields.IntField(generated=True, primary_key=True, unique=True, db_index=True),
                ),
                ("name", fields.CharField(max_length=100)),
                ("name_fa", fields.CharField(default="", max_length=100)),
                (
                    "unit",
                    fields.CharEnumField(
                        description="ITEM: item\nPURCHASE: purchase",
                        enum_type=StampUnit,
                        max_length=16,
                    ),
                ),
                (
                    "category",
                    fields.CharField(
                        default="", description="Items of this category", max_length=64
                    ),
                ),
                (
                    "sku",
                    fields.CharField(default="", description="Items of this SKU", max_length=64),
                ),
                (
                    "min_amount",
                    fields.BigIntField(default=0, description="Per purchase: at least these Rials"),
                ),
                ("stamps_needed", fields.IntField()),
                (
                    "reward",
                    fields.ForeignKeyField(
                        "loyalty.Reward",
                        source_field="reward_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="stamp_cards",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                (
                    "branch_ids",
                    fields.JSONField(
                        default=list,
                        description="Empty: every branch",
                        encoder=functools.partial(dumps, separators=(",", ":")),
                        decoder=loads,
                    ),
                ),
                ("starts_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ("ends_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                (
                    "max_stamps_per_purchase",
                    fields.IntField(null=True, description="None: no limit"),
                ),
                ("active", fields.BooleanField(default=True)),
                ("version", fields.IntField(default=1)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ("updated_at", fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={
                "table": "stamp_card",
                "app": "loyalty",
                "pk_attr": "id",
                "table_description": "A stamp card as a manager defines it. Its terms are checked by the domain.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="StampEvent",
            fields=[
                (
                    "id",
                    fields.BigIntField(
                        generated=True, primary_key=True, unique=True, db_index=True
                    ),
                ),
                (
                    "member",
                    fields.ForeignKeyField(
                        "loyalty.Member",
                        source_field="member_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="stamp_events",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                (
                    "card",
                    fields.ForeignKeyField(
                        "loyalty.StampCard",
                        source_field="card_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="events",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                (
                    "purchase",
                    fields.ForeignKeyField(
                        "loyalty.Purchase",
                        source_field="purchase_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="stamp_events",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                (
                    "delta",
                    fields.IntField(description="Stamps added (negative: taken off the card)"),
                ),
                (
                    "reason",
                    fields.CharEnumField(
                        description="EARNED: earned\nCOMPLETED: completed\nREFUNDED: refunded\nWITHDRAWN: withdrawn",
                        enum_type=StampReason,
                        max_length=16,
                    ),
                ),
                (
                    "voucher",
                    fields.ForeignKeyField(
                        "loyalty.CouponCode",
                        source_field="voucher_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="stamp_events",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                (
                    "key",
                    fields.CharField(unique=True, description="Written once, ever", max_length=100),
                ),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={
                "table": "stamp_event",
                "app": "loyalty",
                "indexes": [
                    Index(fields=["member_id", "card_id", "id"]),
                    Index(fields=["purchase_id"]),
                ],
                "pk_attr": "id",
                "table_description": "Append-only: one change to a member's stamps on a card, and why.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="StampProgress",
            fields=[
                (
                    "id",
                    fields.IntField(generated=True, primary_key=True, unique=True, db_index=True),
                ),
                (
                    "member",
                    fields.ForeignKeyField(
                        "loyalty.Member",
                        source_field="member_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="stamp_progress",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                (
                    "card",
                    fields.ForeignKeyField(
                        "loyalty.StampCard",
                        source_field="card_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="progress",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                ("stamps", fields.IntField(default=0)),
                (
                    "completed",
                    fields.IntField(default=0, description="Cards filled, less vouchers withdrawn"),
                ),
                ("updated_at", fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={
                "table": "stamp_progress",
                "app": "loyalty",
                "unique_together": (("member", "card"),),
                "pk_attr": "id",
                "table_description": "A member's stamps on one card: the sum of their stamp events, cached.",
            },
            bases=["Model"],
        ),
    ]
