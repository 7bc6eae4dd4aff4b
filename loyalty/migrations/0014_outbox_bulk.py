"""Outbox events of mass sends (campaign chunks and their pushes) are marked bulk, so a single
member's work is handed over and run before them (issue 5)."""

from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('loyalty', '0013_journeys')]

    initial = False

    operations = [
        ops.AddField(
            model_name='OutboxEvent',
            name='bulk',
            field=fields.BooleanField(default=False),
        ),
    ]
