from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from loyalty.models.auth import SubjectKind
from loyalty.models.club import Role
from loyalty.models.ledger import TransactionKind, Unit
from loyalty.models.members import CardStatus, Gender, Language
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    initial = True

    operations = [
        ops.CreateModel(
            name='Branch',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('code', fields.CharField(unique=True, max_length=32)),
                ('name', fields.CharField(max_length=200)),
                ('city', fields.CharField(default='', max_length=100)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'branch', 'app': 'loyalty', 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Member',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('phone', fields.CharField(unique=True, description='E.164', max_length=20)),
                ('first_name', fields.CharField(default='', max_length=100)),
                ('last_name', fields.CharField(default='', max_length=100)),
                ('birthday', fields.DateField(null=True)),
                ('gender', fields.CharEnumField(null=True, description='FEMALE: female\nMALE: male\nOTHER: other', enum_type=Gender, max_length=8)),
                ('city', fields.CharField(default='', max_length=100)),
                ('area', fields.CharField(default='', max_length=100)),
                ('interests', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('language', fields.CharEnumField(default=Language.FA, description='FA: fa\nEN: en', enum_type=Language, max_length=2)),
                ('marketing_consent', fields.BooleanField(default=False)),
                ('profiling_consent', fields.BooleanField(default=False)),
                ('enrolled_branch', fields.ForeignKeyField('loyalty.Branch', source_field='enrolled_branch_id', null=True, db_constraint=True, to_field='id', related_name='enrolled_members', on_delete=OnDelete.RESTRICT)),
                ('enrolled_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'member', 'app': 'loyalty', 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Account',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('code', fields.CharField(unique=True, max_length=64)),
                ('unit', fields.CharEnumField(description='POINTS: points\nRIAL: rial', enum_type=Unit, max_length=8)),
                ('member', fields.ForeignKeyField('loyalty.Member', source_field='member_id', null=True, db_constraint=True, to_field='id', related_name='accounts', on_delete=OnDelete.RESTRICT)),
                ('balance', fields.BigIntField(default=0)),
            ],
            options={'table': 'account', 'app': 'loyalty', 'indexes': [Index(fields=['member_id'])], 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Card',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('card_number', fields.CharField(unique=True, max_length=32)),
                ('member', fields.ForeignKeyField('loyalty.Member', source_field='member_id', db_constraint=True, to_field='id', related_name='cards', on_delete=OnDelete.RESTRICT)),
                ('status', fields.CharEnumField(default=CardStatus.ACTIVE, description='ACTIVE: active\nBLOCKED: blocked', enum_type=CardStatus, max_length=8)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'card', 'app': 'loyalty', 'indexes': [Index(fields=['member_id'])], 'pk_attr': 'id', 'table_description': 'A contactless card bound to a member. The balance lives on the server, never on the card.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='OtpChallenge',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('phone', fields.CharField(db_index=True, max_length=20)),
                ('ip', fields.CharField(db_index=True, max_length=64)),
                ('code_hash', fields.CharField(max_length=64)),
                ('attempts', fields.IntField(default=0)),
                ('created_at', fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=True)),
                ('expires_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('consumed_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'otp_challenge', 'app': 'loyalty', 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='RefreshToken',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('token_hash', fields.CharField(unique=True, max_length=64)),
                ('subject_kind', fields.CharEnumField(description='MEMBER: member\nSTAFF: staff', enum_type=SubjectKind, max_length=8)),
                ('subject_id', fields.IntField()),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('expires_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('revoked_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'refresh_token', 'app': 'loyalty', 'indexes': [Index(fields=['subject_kind', 'subject_id'])], 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='StaffUser',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('username', fields.CharField(unique=True, max_length=64)),
                ('display_name', fields.CharField(default='', max_length=200)),
                ('password_hash', fields.CharField(max_length=255)),
                ('role', fields.CharEnumField(description='MANAGER: manager\nOPERATOR: operator\nCASHIER: cashier\nSTATION: station', enum_type=Role, max_length=16)),
                ('branch', fields.ForeignKeyField('loyalty.Branch', source_field='branch_id', null=True, db_constraint=True, to_field='id', related_name='staff', on_delete=OnDelete.RESTRICT)),
                ('is_active', fields.BooleanField(default=True)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'staff_user', 'app': 'loyalty', 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Purchase',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('branch', fields.ForeignKeyField('loyalty.Branch', source_field='branch_id', db_constraint=True, to_field='id', related_name='purchases', on_delete=OnDelete.RESTRICT)),
                ('receipt_number', fields.CharField(max_length=64)),
                ('member', fields.ForeignKeyField('loyalty.Member', source_field='member_id', null=True, db_constraint=True, to_field='id', related_name='purchases', on_delete=OnDelete.RESTRICT)),
                ('amount', fields.BigIntField(description='Rials')),
                ('refunded_amount', fields.BigIntField(default=0, description='Rials')),
                ('occurred_at', fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=False)),
                ('recorded_by', fields.ForeignKeyField('loyalty.StaffUser', source_field='recorded_by_id', null=True, db_constraint=True, to_field='id', related_name='purchases', on_delete=OnDelete.RESTRICT)),
                ('idempotency_key', fields.CharField(unique=True, max_length=160)),
                ('request_hash', fields.CharField(max_length=64)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'purchase', 'app': 'loyalty', 'unique_together': (('branch', 'receipt_number'),), 'indexes': [Index(fields=['member_id', 'id'])], 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='JournalTransaction',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('kind', fields.CharEnumField(description='EARN: earn\nSPEND: spend\nTOP_UP: top_up\nADJUST: adjust\nREVERSAL: reversal', enum_type=TransactionKind, max_length=16)),
                ('member', fields.ForeignKeyField('loyalty.Member', source_field='member_id', db_constraint=True, to_field='id', related_name='transactions', on_delete=OnDelete.RESTRICT)),
                ('idempotency_key', fields.CharField(unique=True, max_length=160)),
                ('request_hash', fields.CharField(max_length=64)),
                ('reason_code', fields.CharField(max_length=48)),
                ('reason', fields.CharField(max_length=500)),
                ('purchase', fields.ForeignKeyField('loyalty.Purchase', source_field='purchase_id', null=True, db_constraint=True, to_field='id', related_name='transactions', on_delete=OnDelete.RESTRICT)),
                ('reverses', fields.ForeignKeyField('loyalty.JournalTransaction', source_field='reverses_id', null=True, db_constraint=True, to_field='id', related_name='reversals', on_delete=OnDelete.RESTRICT)),
                ('branch', fields.ForeignKeyField('loyalty.Branch', source_field='branch_id', null=True, db_constraint=True, to_field='id', related_name='transactions', on_delete=OnDelete.RESTRICT)),
                ('staff', fields.ForeignKeyField('loyalty.StaffUser', source_field='staff_id', null=True, db_constraint=True, to_field='id', related_name='transactions', on_delete=OnDelete.RESTRICT)),
                ('created_at', fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'journal_transaction', 'app': 'loyalty', 'indexes': [Index(fields=['member_id', 'id']), Index(fields=['purchase_id']), Index(fields=['reverses_id'])], 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Posting',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('transaction', fields.ForeignKeyField('loyalty.JournalTransaction', source_field='transaction_id', db_constraint=True, to_field='id', related_name='postings', on_delete=OnDelete.RESTRICT)),
                ('account', fields.ForeignKeyField('loyalty.Account', source_field='account_id', db_constraint=True, to_field='id', related_name='postings', on_delete=OnDelete.RESTRICT)),
                ('amount', fields.BigIntField()),
            ],
            options={'table': 'posting', 'app': 'loyalty', 'indexes': [Index(fields=['account_id']), Index(fields=['transaction_id'])], 'pk_attr': 'id', 'table_description': 'One leg of a journal transaction. The legs of a transaction sum to zero per unit.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='PurchaseItem',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('purchase', fields.ForeignKeyField('loyalty.Purchase', source_field='purchase_id', db_constraint=True, to_field='id', related_name='items', on_delete=OnDelete.CASCADE)),
                ('sku', fields.CharField(max_length=64)),
                ('category', fields.CharField(default='', max_length=64)),
                ('name', fields.CharField(default='', max_length=200)),
                ('quantity', fields.IntField(default=1)),
                ('amount', fields.BigIntField(description='Rials, for the whole line')),
            ],
            options={'table': 'purchase_item', 'app': 'loyalty', 'indexes': [Index(fields=['purchase_id'])], 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Reversal',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('idempotency_key', fields.CharField(unique=True, max_length=160)),
                ('request_hash', fields.CharField(max_length=64)),
                ('transaction', fields.ForeignKeyField('loyalty.JournalTransaction', source_field='transaction_id', null=True, db_constraint=True, to_field='id', related_name='whole_reversal', on_delete=OnDelete.RESTRICT)),
                ('purchase', fields.ForeignKeyField('loyalty.Purchase', source_field='purchase_id', null=True, db_constraint=True, to_field='id', related_name='refunds', on_delete=OnDelete.RESTRICT)),
                ('amount', fields.BigIntField(default=0, description='Rials refunded, for a purchase')),
                ('reason', fields.CharField(max_length=500)),
                ('staff', fields.ForeignKeyField('loyalty.StaffUser', source_field='staff_id', null=True, db_constraint=True, to_field='id', related_name='reversals', on_delete=OnDelete.RESTRICT)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'reversal', 'app': 'loyalty', 'unique_together': (('transaction',),), 'indexes': [Index(fields=['purchase_id'])], 'pk_attr': 'id', 'table_description': 'A request to undo: a whole transaction, or (part of) a purchase as a refund.'},
            bases=['Model'],
        ),
    ]
