"""What members agreed to, and every change of it."""

from __future__ import annotations

from enum import StrEnum

from tortoise import fields
from tortoise.models import Model


class Consent(StrEnum):
    MARKETING = "marketing"
    PROFILING = "profiling"
    CALLS = "calls"  # happy calls after a purchase: given unless the member asks not to be called


class ConsentChannel(StrEnum):
    """Where a consent was given or withdrawn."""

    APP = "app"
    COUNTER = "counter"
    STATION = "station"
    CONSOLE = "console"
    BACK_OFFICE = "back_office"
    SYSTEM = "system"


class ConsentChange(Model):
    """A consent granted or withdrawn, kept for good: rows are only ever added."""

    id = fields.BigIntField(primary_key=True)
    member: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "loyalty.Member", on_delete=fields.RESTRICT, related_name="consent_changes"
    )
    consent = fields.CharEnumField(Consent, max_length=16)
    granted = fields.BooleanField()
    changed_by = fields.CharField(max_length=8, description="member, staff or system")
    staff: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "loyalty.StaffUser", null=True, on_delete=fields.RESTRICT, related_name="consent_changes"
    )
    channel = fields.CharEnumField(ConsentChannel, max_length=16)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "consent_change"
        indexes = (("member_id", "id"),)
