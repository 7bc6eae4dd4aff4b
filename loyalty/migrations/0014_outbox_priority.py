"""Outbox events have a priority: a single member's work runs before a mass send's deliveries,
and those before its next chunks (issue 5)."""

from tortoise import migrations
from tortoise.migrations import operations as ops
from loyalty.models.jobs import Priority
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('loyalty', '0013_journeys')]

    initial = False

    operations = [
        ops.AddField(
            model_name='OutboxEvent',
            name='priority',
            field=fields.IntEnumField(default=Priority.MEMBER, description='MEMBER: 0\nDELIVERY: 1\nPREPARATION: 2', enum_type=Priority, generated=False),
        ),
    ]
