"""NFC cards: the tag UID, key version and history of a card; offline operations to review (issue 7)."""

from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from loyalty.models.cards import CardOperation
from loyalty.models.members import CardStatus
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('loyalty', '0014_outbox_priority')]

    initial = False

    operations = [
        ops.CreateModel(
            name='OfflineReview',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('idempotency_key', fields.CharField(unique=True, max_length=128)),
                ('operation', fields.CharEnumField(description='PURCHASE: purchase\nTOP_UP: top_up\nPAY: pay', enum_type=CardOperation, max_length=8)),
                ('card_number', fields.CharField(max_length=32)),
                ('card', fields.ForeignKeyField('loyalty.Card', source_field='card_id', null=True, db_constraint=True, to_field='id', related_name='offline_reviews', on_delete=OnDelete.RESTRICT)),
                ('member', fields.ForeignKeyField('loyalty.Member', source_field='member_id', null=True, db_constraint=True, to_field='id', related_name='offline_reviews', on_delete=OnDelete.RESTRICT)),
                ('branch', fields.ForeignKeyField('loyalty.Branch', source_field='branch_id', null=True, db_constraint=True, to_field='id', related_name='offline_reviews', on_delete=OnDelete.RESTRICT)),
                ('station', fields.ForeignKeyField('loyalty.StaffUser', source_field='station_id', null=True, db_constraint=True, to_field='id', related_name='offline_reviews', on_delete=OnDelete.RESTRICT)),
                ('amount', fields.BigIntField(description='Rials, or points when paid with points')),
                ('request', fields.JSONField(default=dict, description='What the station sent', encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('error_code', fields.CharField(max_length=32)),
                ('error_message', fields.CharField(max_length=500)),
                ('occurred_at', fields.DatetimeField(description='When the station accepted it', auto_now=False, auto_now_add=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('resolved_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('resolved_by', fields.ForeignKeyField('loyalty.StaffUser', source_field='resolved_by_id', null=True, db_constraint=True, to_field='id', related_name='reviews_resolved', on_delete=OnDelete.RESTRICT)),
                ('resolution', fields.CharField(default='', max_length=300)),
            ],
            options={'table': 'offline_review', 'app': 'loyalty', 'indexes': [Index(fields=['resolved_at', 'id'])], 'pk_attr': 'id', 'table_description': 'A station accepted this while offline and the server refused it on replay. Never dropped:'},
            bases=['Model'],
        ),
        ops.AlterField(
            model_name='Card',
            name='status',
            field=fields.CharEnumField(default=CardStatus.ACTIVE, description='ACTIVE: active\nBLOCKED: blocked\nREPLACED: replaced', enum_type=CardStatus, max_length=8),
        ),
        ops.AddField(
            model_name='Card',
            name='branch',
            field=fields.ForeignKeyField('loyalty.Branch', source_field='branch_id', null=True, db_constraint=True, to_field='id', related_name='cards_enrolled', on_delete=OnDelete.RESTRICT),
        ),
        ops.AddField(
            model_name='Card',
            name='enrolled_by',
            field=fields.ForeignKeyField('loyalty.StaffUser', source_field='enrolled_by_id', null=True, db_constraint=True, to_field='id', related_name='cards_enrolled', on_delete=OnDelete.RESTRICT),
        ),
        ops.AddField(
            model_name='Card',
            name='key_version',
            field=fields.SmallIntField(null=True, description='The card key its MAC is under'),
        ),
        ops.AddField(
            model_name='Card',
            name='replaced_by',
            field=fields.ForeignKeyField('loyalty.Card', source_field='replaced_by_id', null=True, db_constraint=True, to_field='id', related_name='replaces', on_delete=OnDelete.RESTRICT),
        ),
        ops.AddField(
            model_name='Card',
            name='status_changed_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='Card',
            name='status_changed_by',
            field=fields.ForeignKeyField('loyalty.StaffUser', source_field='status_changed_by_id', null=True, db_constraint=True, to_field='id', related_name='cards_changed', on_delete=OnDelete.RESTRICT),
        ),
        ops.AddField(
            model_name='Card',
            name='status_reason',
            field=fields.CharField(default='', db_default='', max_length=300),
        ),
        ops.AddField(
            model_name='Card',
            name='uid',
            field=fields.CharField(null=True, unique=True, description="The tag's UID, upper-case hex", max_length=32),
        ),
    ]
