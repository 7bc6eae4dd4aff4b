"""The outbox: work committed writes ask for (jobs, issue 5)."""

from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from tortoise import fields
from tortoise.indexes import Index


class Migration(migrations.Migration):
    dependencies = [("loyalty", "0009_stamps")]

    initial = False

    operations = [
        ops.CreateModel(
            name="OutboxEvent",
            fields=[
                (
                    "id",
                    fields.BigIntField(
                        generated=True, primary_key=True, unique=True, db_index=True
                    ),
                ),
                ("task", fields.CharField(description="The job that acts on it", max_length=64)),
                (
                    "payload",
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
                        description="Not to run before this moment",
                        auto_now=False,
                        auto_now_add=False,
                    ),
                ),
                (
                    "dispatched_at",
                    fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
                ),
                ("attempts", fields.IntField(default=0, description="Times handed over")),
                ("started_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                (
                    "finished_at",
                    fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
                ),
                ("last_error", fields.CharField(default="", max_length=500)),
            ],
            options={
                "table": "outbox_event",
                "app": "loyalty",
                "indexes": [Index(fields=["finished_at", "due_at"])],
                "pk_attr": "id",
                "table_description": "A task to run because of a write, recorded in that write's own transaction: if the write",
            },
            bases=["Model"],
        ),
    ]
