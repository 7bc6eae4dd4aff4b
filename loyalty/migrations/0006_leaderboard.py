"""The leaderboard: a member's chosen display name, and whether they keep off the boards."""

from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields


class Migration(migrations.Migration):
    dependencies = [("loyalty", "0005_profile")]

    initial = False

    operations = [
        ops.AddField(
            model_name="Member",
            name="display_name",
            field=fields.CharField(default="", db_default="", max_length=30),
        ),
        ops.AddField(
            model_name="Member",
            name="leaderboard_opt_out",
            field=fields.BooleanField(default=False, db_default=False),
        ),
    ]
