"""Database-level guards behind the domain's own checks: no member balance below zero."""

from tortoise import migrations
from tortoise.migrations import operations as ops

_SQL = {
    "postgres": (
        "ALTER TABLE account ADD CONSTRAINT account_balance_not_negative CHECK (balance >= 0)",
        "ALTER TABLE account DROP CONSTRAINT account_balance_not_negative",
    ),
    # SQLite cannot add a CHECK to an existing table; triggers do the same job.
    "sqlite": (
        "CREATE TRIGGER account_balance_not_negative_insert BEFORE INSERT ON account "
        "WHEN NEW.balance < 0 BEGIN SELECT RAISE(ABORT, 'balance below zero'); END;"
        "CREATE TRIGGER account_balance_not_negative_update BEFORE UPDATE OF balance ON account "
        "WHEN NEW.balance < 0 BEGIN SELECT RAISE(ABORT, 'balance below zero'); END",
        "DROP TRIGGER account_balance_not_negative_insert;"
        "DROP TRIGGER account_balance_not_negative_update",
    ),
}


def _run(which: int):
    async def run(apps, schema_editor) -> None:
        dialect = schema_editor.client.capabilities.dialect
        await schema_editor.client.execute_script(_SQL[dialect][which])

    return run


class Migration(migrations.Migration):
    dependencies = [("loyalty", "0001_initial")]

    operations = [ops.RunPython(_run(0), _run(1))]
