"""Privacy (issue 8): the staff audit log, one append-only row per staff change (on PostgreSQL a
trigger refuses UPDATE and DELETE of it; TRUNCATE, an operator's whole-table reset, stays
possible); and the moment a member was erased (pseudonymised)."""

from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from tortoise import fields
from tortoise.indexes import Index

_REFUSE_CHANGES = """
CREATE FUNCTION audit_entry_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the audit log is append-only';
END $$;
CREATE TRIGGER audit_entry_append_only BEFORE UPDATE OR DELETE ON audit_entry
    FOR EACH ROW EXECUTE FUNCTION audit_entry_append_only();
"""
_ALLOW_CHANGES = """
DROP TRIGGER audit_entry_append_only ON audit_entry;
DROP FUNCTION audit_entry_append_only();
"""


def _on_postgres(sql: str):
    async def run(apps, schema_editor) -> None:
        if schema_editor.client.capabilities.dialect == "postgres":
            await schema_editor.client.execute_script(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [('loyalty', '0018_report_indexes')]

    initial = False

    operations = [
        ops.CreateModel(
            name='AuditEntry',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('at', fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=True)),
                ('staff_id', fields.IntField(null=True, db_index=True)),
                ('role', fields.CharField(default='', max_length=16)),
                ('action', fields.CharField(db_index=True, max_length=64)),
                ('entity', fields.CharField(max_length=32)),
                ('entity_id', fields.CharField(default='', max_length=64)),
                ('request', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('client', fields.CharField(default='', max_length=100)),
                ('ip', fields.CharField(default='', max_length=64)),
            ],
            options={'table': 'audit_entry', 'app': 'loyalty', 'indexes': [Index(fields=['entity', 'entity_id'])], 'pk_attr': 'id', 'table_description': 'Who did what, to which row, when, and from which client. Never updated or deleted.'},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='Member',
            name='erased_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.RunPython(_on_postgres(_REFUSE_CHANGES), _on_postgres(_ALLOW_CHANGES)),
    ]
