"""The staff audit log: one append-only row for every staff action that changes something."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model


class AuditEntry(Model):
    """Who did what, to which row, when, and from which client. Never updated or deleted.

    Staff ids are kept as plain numbers (no foreign key): the log outlives what it names. The
    request is kept with personal values blanked, so the log keeps nothing erasure must remove.
    """

    id = fields.BigIntField(primary_key=True)
    at = fields.DatetimeField(auto_now_add=True, db_index=True)
    staff_id = fields.IntField(null=True, db_index=True)
    role = fields.CharField(max_length=16, default="")
    action = fields.CharField(max_length=64, db_index=True)
    entity = fields.CharField(max_length=32)
    entity_id = fields.CharField(max_length=64, default="")
    request = fields.JSONField(default=dict)
    client = fields.CharField(max_length=100, default="")
    ip = fields.CharField(max_length=64, default="")

    class Meta:
        table = "audit_entry"
        indexes = (("entity", "entity_id"),)
