"""Messages to members on every channel, and each member's preferred channel (issue 5)."""

from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from loyalty.models.messaging import MessageChannel, MessagePurpose, MessageStatus
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index


class Migration(migrations.Migration):
    dependencies = [("loyalty", "0010_outbox")]

    initial = False

    operations = [
        ops.CreateModel(
            name="Message",
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
                        related_name="messages",
                        on_delete=OnDelete.RESTRICT,
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
                    "source",
                    fields.CharField(
                        default="",
                        description="What sent it: journey:3, campaign:7, …",
                        max_length=64,
                    ),
                ),
                ("dedupe_key", fields.CharField(unique=True, max_length=160)),
                (
                    "channel",
                    fields.CharEnumField(
                        description="PUSH: push\nSMS: sms", enum_type=MessageChannel, max_length=8
                    ),
                ),
                (
                    "status",
                    fields.CharEnumField(
                        description="SCHEDULED: scheduled\nSENT: sent\nSUPPRESSED: suppressed\nFAILED: failed",
                        enum_type=MessageStatus,
                        max_length=10,
                    ),
                ),
                (
                    "reason",
                    fields.CharField(
                        default="", description="Why held back or failed", max_length=200
                    ),
                ),
                (
                    "kind",
                    fields.CharField(
                        description="The notification's type, for the app", max_length=48
                    ),
                ),
                ("title", fields.CharField(max_length=200)),
                ("body", fields.CharField(max_length=2000)),
                ("link", fields.CharField(default="", max_length=300)),
                (
                    "data",
                    fields.JSONField(
                        default=dict,
                        encoder=functools.partial(dumps, separators=(",", ":")),
                        decoder=loads,
                    ),
                ),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
                (
                    "due_at",
                    fields.DatetimeField(
                        description="When it goes (or went)", auto_now=False, auto_now_add=False
                    ),
                ),
                ("sent_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                (
                    "inbox_message",
                    fields.ForeignKeyField(
                        "loyalty.InboxMessage",
                        source_field="inbox_message_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="messages",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                (
                    "sms_id",
                    fields.CharField(
                        default="", description="The SMS provider's id", max_length=64
                    ),
                ),
            ],
            options={
                "table": "message",
                "app": "loyalty",
                "indexes": [
                    Index(fields=["member_id", "purpose", "due_at"]),
                    Index(fields=["source", "status"]),
                ],
                "pk_attr": "id",
                "table_description": "One message to one member: what it says, where it went, and what became of it.",
            },
            bases=["Model"],
        ),
        ops.AddField(
            model_name="Member",
            name="preferred_channel",
            field=fields.CharEnumField(
                default=MessageChannel.PUSH,
                description="Where messages go besides the inbox",
                db_default="push",
                enum_type=MessageChannel,
                max_length=8,
            ),
        ),
    ]
