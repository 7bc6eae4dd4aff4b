"""Report roll-ups (issue 8, reports fast over a year): purchases by club-local hour, line
items and system accounts' postings by club-local day, the refresh's watermark, and indexes on
when purchases and refunds were recorded (the refresh finds what changed since its last run)."""

from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('loyalty', '0019_privacy')]

    initial = False

    operations = [
        ops.CreateModel(
            name='LedgerDay',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('day', fields.IntField(description='Club-local days since 1970-01-01')),
                ('branch_id', fields.IntField(null=True)),
                ('code', fields.CharField(description='The system account', max_length=64)),
                ('unit', fields.CharField(max_length=8)),
                ('amount', fields.BigIntField()),
            ],
            options={'table': 'ledger_day', 'app': 'loyalty', 'indexes': [Index(fields=['day', 'branch_id'])], 'pk_attr': 'id', 'table_description': 'What was posted to a system account on a club-local day, by transactions of a branch'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='RollupState',
            fields=[
                ('name', fields.CharField(primary_key=True, unique=True, db_index=True, max_length=32)),
                ('zone', fields.CharField(description='The club zone the buckets are in', max_length=64)),
                ('refreshed_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('purchase_id', fields.BigIntField(default=0, description='The greatest purchase id seen')),
                ('reversal_id', fields.BigIntField(default=0, description='The greatest reversal id seen')),
                ('transaction_id', fields.BigIntField(default=0, description='The greatest journal transaction id seen')),
            ],
            options={'table': 'rollup_state', 'app': 'loyalty', 'pk_attr': 'name', 'table_description': 'How far a roll-up was refreshed: purchases and refunds up to these ids, or recorded'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='SalesHour',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('hour', fields.IntField(description='Club-local hours since 1970-01-01')),
                ('branch_id', fields.IntField()),
                ('is_member', fields.BooleanField()),
                ('purchases', fields.IntField()),
                ('amount', fields.BigIntField(description='Rials, before refunds')),
                ('refunded', fields.BigIntField(description='Rials')),
                ('discount', fields.BigIntField(description='Rials')),
            ],
            options={'table': 'sales_hour', 'app': 'loyalty', 'unique_together': (('hour', 'branch_id', 'is_member'),), 'pk_attr': 'id', 'table_description': 'Purchases of a club-local hour at a branch, by members or by walk-ins.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='SalesItemDay',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('day', fields.IntField(description='Club-local days since 1970-01-01')),
                ('branch_id', fields.IntField()),
                ('category', fields.CharField(max_length=64)),
                ('sku', fields.CharField(max_length=64)),
                ('name', fields.CharField(description='The greatest name the SKU had that day', max_length=200)),
                ('quantity', fields.BigIntField()),
                ('revenue', fields.BigIntField(description='Rials')),
            ],
            options={'table': 'sales_item_day', 'app': 'loyalty', 'unique_together': (('day', 'branch_id', 'category', 'sku'),), 'pk_attr': 'id', 'table_description': 'Sales of a product on a club-local day at a branch, revenue net of each line share of'},
            bases=['Model'],
        ),
        ops.AddIndex(
            model_name='Purchase',
            index=Index(fields=['created_at']),
        ),
        ops.AddIndex(
            model_name='Reversal',
            index=Index(fields=['created_at']),
        ),
    ]
