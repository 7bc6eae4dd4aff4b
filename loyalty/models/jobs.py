"""Work that committed writes ask for: the outbox."""

from tortoise import fields
from tortoise.models import Model


class OutboxEvent(Model):
    """A task to run because of a write, recorded in that write's own transaction: if the write
    commits the task will run, however the process dies or Redis fails afterwards."""

    id = fields.BigIntField(primary_key=True)
    task = fields.CharField(max_length=64, description="The job that acts on it")
    payload = fields.JSONField(default=dict)
    created_at = fields.DatetimeField(auto_now_add=True)
    due_at = fields.DatetimeField(description="Not to run before this moment")
    # Handed to the queue (arq) or to the in-process runner. An event handed over but not
    # finished a while later is handed over again: the queue may have lost it (Redis keeps
    # nothing on disk here) or the worker died in it.
    dispatched_at = fields.DatetimeField(null=True)
    attempts = fields.IntField(default=0, description="Times handed over")
    # The run that holds it: a second copy of the job finds it taken and does nothing.
    started_at = fields.DatetimeField(null=True)
    finished_at = fields.DatetimeField(null=True)
    last_error = fields.CharField(max_length=500, default="")
    # Part of a mass send (a campaign's chunks and their pushes): it waits behind the work of
    # single members (a receipt, an OTP, a welcome), which must not queue behind a million pushes.
    bulk = fields.BooleanField(default=False)

    class Meta:
        table = "outbox_event"
        indexes = (("finished_at", "due_at"),)
