"""The members' inbox: every notification sent to them, read or not."""

from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index


class Migration(migrations.Migration):
    dependencies = [("loyalty", "0003_programme")]

    initial = False

    operations = [
        ops.CreateModel(
            name="InboxMessage",
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
                        related_name="inbox",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                (
                    "kind",
                    fields.CharField(description="What it is about, for the app", max_length=48),
                ),
                ("title", fields.CharField(max_length=200)),
                ("body", fields.CharField(max_length=2000)),
                (
                    "link",
                    fields.CharField(
                        default="", description="Where in the app it leads", max_length=300
                    ),
                ),
                (
                    "data",
                    fields.JSONField(
                        default=dict,
                        encoder=functools.partial(dumps, separators=(",", ":")),
                        decoder=loads,
                    ),
                ),
                ("dedupe_key", fields.CharField(unique=True, max_length=160)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ("read_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={
                "table": "inbox_message",
                "app": "loyalty",
                "indexes": [Index(fields=["member_id", "id"])],
                "pk_attr": "id",
                "table_description": "A notification as the member keeps it: every message sent to them is also here.",
            },
            bases=["Model"],
        ),
    ]
