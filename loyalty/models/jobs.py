"""Work that committed writes ask for: the outbox."""

from enum import IntEnum

from tortoise import fields
from tortoise.models import Model


class Priority(IntEnum):
    """Which work goes first when there is more than the workers can do at once: a single
    member must not wait behind a million pushes, and a mass send's messages go out before
    its next chunks are prepared, so its first pushes leave at once."""

    MEMBER = 0  # one member's: a receipt, an OTP, a welcome
    DELIVERY = 1  # a mass send's messages on their way out
    PREPARATION = 2  # a mass send's next chunk to write


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
    priority = fields.IntEnumField(Priority, default=Priority.MEMBER)

    class Meta:
        table = "outbox_event"
        indexes = (("finished_at", "due_at"),)
