"""Report roll-ups: a full fill records its days and progress in the watermark's row, batch by
batch, so a fill cut short goes on where it stopped and a second caller does not begin another
(issue 8, the first fill at a million members takes minutes)."""

from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('loyalty', '0021_active_day')]

    initial = False

    operations = [
        ops.AddField(
            model_name='RollupState',
            name='fill_first',
            field=fields.IntField(null=True, description='A fill under way: its first day'),
        ),
        ops.AddField(
            model_name='RollupState',
            name='fill_last',
            field=fields.IntField(null=True, description='A fill under way: its last day'),
        ),
        ops.AddField(
            model_name='RollupState',
            name='filled_at',
            field=fields.DatetimeField(null=True, description='When the fill last went on (null: left off after an error)', auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='RollupState',
            name='filled_through',
            field=fields.IntField(null=True, description='The last day the fill rewrote'),
        ),
    ]
