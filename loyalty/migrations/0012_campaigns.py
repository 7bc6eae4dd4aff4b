"""Campaigns and their recipients, treatment or holdout (issue 5)."""

from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from loyalty.models.campaigns import CampaignStatus, RecipientGroup
from loyalty.models.messaging import MessagePurpose
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index


class Migration(migrations.Migration):
    dependencies = [("loyalty", "0011_messaging")]

    initial = False

    operations = [
        ops.CreateModel(
            name="Campaign",
            fields=[
                (
                    "id",
                    fields.IntField(generated=True, primary_key=True, unique=True, db_index=True),
                ),
                ("name", fields.CharField(max_length=100)),
                ("title", fields.CharField(max_length=200)),
                ("body", fields.CharField(max_length=1000)),
                (
                    "purpose",
                    fields.CharEnumField(
                        default=MessagePurpose.MARKETING,
                        description="SERVICE: service\nMARKETING: marketing",
                        enum_type=MessagePurpose,
                        max_length=9,
                    ),
                ),
                (
                    "segment",
                    fields.JSONField(
                        default=dict,
                        description="Who it is for (campaigns.segments)",
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
                        related_name="campaigns",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                (
                    "voucher_days",
                    fields.IntField(default=14, description="How long each member's voucher lasts"),
                ),
                (
                    "offer",
                    fields.ForeignKeyField(
                        "loyalty.EarningRule",
                        source_field="offer_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="campaigns",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                ("holdout_percent", fields.IntField(default=0, description="0 to 50")),
                (
                    "scheduled_at",
                    fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
                ),
                (
                    "status",
                    fields.CharEnumField(
                        default=CampaignStatus.DRAFT,
                        description="DRAFT: draft\nSCHEDULED: scheduled\nSENDING: sending\nSENT: sent\nCANCELLED: cancelled",
                        enum_type=CampaignStatus,
                        max_length=10,
                    ),
                ),
                ("seed", fields.CharField(default="", max_length=32)),
                (
                    "audience",
                    fields.IntField(default=0, description="Members chosen when it started"),
                ),
                ("holdout", fields.IntField(default=0)),
                (
                    "chunks",
                    fields.IntField(default=0, description="Chunks of the treatment group to send"),
                ),
                ("chunks_done", fields.IntField(default=0)),
                ("started_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                (
                    "finished_at",
                    fields.DatetimeField(
                        null=True,
                        description="Sent or cancelled",
                        auto_now=False,
                        auto_now_add=False,
                    ),
                ),
                ("version", fields.IntField(default=1)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={
                "table": "campaign",
                "app": "loyalty",
                "indexes": [Index(fields=["status", "scheduled_at"])],
                "pk_attr": "id",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="CampaignRecipient",
            fields=[
                (
                    "id",
                    fields.BigIntField(
                        generated=True, primary_key=True, unique=True, db_index=True
                    ),
                ),
                (
                    "campaign",
                    fields.ForeignKeyField(
                        "loyalty.Campaign",
                        source_field="campaign_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="recipients",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                (
                    "member",
                    fields.ForeignKeyField(
                        "loyalty.Member",
                        source_field="member_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="campaigns_received",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                (
                    "group",
                    fields.CharEnumField(
                        description="TREATMENT: treatment\nHOLDOUT: holdout",
                        enum_type=RecipientGroup,
                        max_length=9,
                    ),
                ),
                (
                    "chunk",
                    fields.IntField(
                        null=True, description="The treatment chunk that sends to them"
                    ),
                ),
                (
                    "message",
                    fields.ForeignKeyField(
                        "loyalty.Message",
                        source_field="message_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="campaign_recipient",
                        on_delete=OnDelete.RESTRICT,
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
                        related_name="campaign_recipient",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
            ],
            options={
                "table": "campaign_recipient",
                "app": "loyalty",
                "unique_together": (("campaign", "member"),),
                "indexes": [
                    Index(fields=["campaign_id", "chunk"]),
                    Index(fields=["campaign_id", "group"]),
                ],
                "pk_attr": "id",
                "table_description": "A member of a campaign's audience as chosen when it started, and what they got.",
            },
            bases=["Model"],
        ),
    ]
