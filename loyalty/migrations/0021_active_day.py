"""Members who bought, by club-local day (issue 8, the members report fast over a year). The
roll-ups' watermark is dropped so the next refresh rebuilds every day, this one's too."""

from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields


async def _rebuild_rollups(apps, schema_editor) -> None:
    await schema_editor.client.execute_script("DELETE FROM rollup_state")


async def _nothing(apps, schema_editor) -> None:
    return None


class Migration(migrations.Migration):
    dependencies = [('loyalty', '0020_report_rollups')]

    initial = False

    operations = [
        ops.CreateModel(
            name='ActiveDay',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('branch_id', fields.IntField(description='0: anywhere in the club')),
                ('day', fields.IntField(description='Club-local days since 1970-01-01')),
                ('previous_day', fields.IntField(description="The member's last day of buying before (-1: none)")),
                ('members', fields.IntField()),
            ],
            options={'table': 'active_day', 'app': 'loyalty', 'unique_together': (('branch_id', 'day', 'previous_day'),), 'pk_attr': 'id', 'table_description': 'Members who bought on a club-local day, anywhere (branch 0) or at a branch, counted by'},
            bases=['Model'],
        ),
        ops.RunPython(_rebuild_rollups, _nothing),
    ]
