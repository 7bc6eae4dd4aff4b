"""Indexes for the reports (issue 8): purchases of a branch over time, enrolments over time
(the club's and a branch's), a branch's ledger transactions over time, complaints raised over
time."""

from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('loyalty', '0017_analysis')]

    initial = False

    operations = [
        ops.AddIndex(
            model_name='Complaint',
            index=Index(fields=['raised_at']),
        ),
        ops.AddIndex(
            model_name='JournalTransaction',
            index=Index(fields=['branch_id', 'created_at']),
        ),
        ops.AddIndex(
            model_name='Member',
            index=Index(fields=['enrolled_at']),
        ),
        ops.AddIndex(
            model_name='Member',
            index=Index(fields=['enrolled_branch_id', 'enrolled_at']),
        ),
        ops.AddIndex(
            model_name='Purchase',
            index=Index(fields=['branch_id', 'occurred_at']),
        ),
    ]
