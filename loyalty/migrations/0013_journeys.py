"""Journeys: automatic messages on each member's own timeline, and the days they ran (issue 5)."""

from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from loyalty.models.journeys import JourneyKind
from loyalty.models.members import Language
from loyalty.models.messaging import MessagePurpose
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index


class Migration(migrations.Migration):
    dependencies = [("loyalty", "0012_campaigns")]

    initial = False

    operations = [
        ops.CreateModel(
            name="Journey",
            fields=[
                (
                    "id",
                    fields.IntField(generated=True, primary_key=True, unique=True, db_index=True),
                ),
                ("name", fields.CharField(max_length=100)),
                (
                    "kind",
                    fields.CharEnumField(
                        description="AFTER_PURCHASE: after_purchase\nBIRTHDAY: birthday\nWIN_BACK: win_back\nWELCOME: welcome\nTIER_UPGRADED: tier_upgraded\nPOINTS_EXPIRING: points_expiring\nNEW_PRODUCTS: new_products",
                        enum_type=JourneyKind,
                        max_length=16,
                    ),
                ),
                (
                    "purpose",
                    fields.CharEnumField(
                        description="SERVICE: service\nMARKETING: marketing",
                        enum_type=MessagePurpose,
                        max_length=9,
                    ),
                ),
                (
                    "language",
                    fields.CharEnumField(
                        description="The template's: dates and numbers are written in it",
                        enum_type=Language,
                        max_length=2,
                    ),
                ),
                ("title", fields.CharField(description="With {placeholders}", max_length=120)),
                ("body", fields.CharField(description="With {placeholders}", max_length=1000)),
                (
                    "options",
                    fields.JSONField(
                        default=dict,
                        description="The kind's own settings",
                        encoder=functools.partial(dumps, separators=(",", ":")),
                        decoder=loads,
                    ),
                ),
                (
                    "coupon",
                    fields.ForeignKeyField(
                        "loyalty.Coupon",
                        source_field="coupon_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="journeys",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                (
                    "voucher_days",
                    fields.IntField(default=30, description="How long a voucher it gives lasts"),
                ),
                ("active", fields.BooleanField(default=True)),
                (
                    "active_since",
                    fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
                ),
                ("version", fields.IntField(default=1)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ("updated_at", fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={
                "table": "journey",
                "app": "loyalty",
                "indexes": [Index(fields=["kind", "active"])],
                "pk_attr": "id",
                "table_description": "One automatic message: when it goes (its kind and options), what it says, and what it",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="JourneyRun",
            fields=[
                (
                    "id",
                    fields.BigIntField(
                        generated=True, primary_key=True, unique=True, db_index=True
                    ),
                ),
                (
                    "journey",
                    fields.ForeignKeyField(
                        "loyalty.Journey",
                        source_field="journey_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="runs",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                ("day", fields.DateField(description="The day in the club's zone")),
                (
                    "cursor",
                    fields.BigIntField(
                        default=0, description="The last member or purchase gone over"
                    ),
                ),
                ("sent", fields.IntField(default=0, description="Messages sent or scheduled")),
                (
                    "held",
                    fields.IntField(
                        default=0, description="Messages held back (consent, weekly cap)"
                    ),
                ),
                ("started_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
                (
                    "finished_at",
                    fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
                ),
            ],
            options={
                "table": "journey_run",
                "app": "loyalty",
                "unique_together": (("journey", "day"),),
                "pk_attr": "id",
                "table_description": "A timer journey's run for one day of the club's calendar: where it got to, so a run cut",
            },
            bases=["Model"],
        ),
    ]
