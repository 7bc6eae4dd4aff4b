"""Members' devices with their push tokens, and the inbox of what members were sent."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model


class Device(Model):
    """A member's device and its push (FCM) token. A token seen on two members' devices
    tells the club they share a phone (referral checks)."""

    id = fields.IntField(primary_key=True)
    member: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "loyalty.Member", on_delete=fields.RESTRICT, related_name="devices"
    )
    token = fields.CharField(max_length=512)
    platform = fields.CharField(max_length=16, default="")
    active = fields.BooleanField(default=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    last_seen_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "device"
        unique_together = (("member", "token"),)
        indexes = (("token",),)


class InboxMessage(Model):
    """A notification as the member keeps it: every message sent to them is also here."""

    id = fields.BigIntField(primary_key=True)
    member: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "loyalty.Member", on_delete=fields.RESTRICT, related_name="inbox"
    )
    kind = fields.CharField(max_length=48, description="What it is about, for the app")
    title = fields.CharField(max_length=200)
    body = fields.CharField(max_length=2000)
    link = fields.CharField(max_length=300, default="", description="Where in the app it leads")
    data = fields.JSONField(default=dict)
    # The same message is never delivered twice (jobs may run more than once).
    dedupe_key = fields.CharField(max_length=160, unique=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    read_at = fields.DatetimeField(null=True)

    class Meta:
        table = "inbox_message"
        indexes = (("member_id", "id"),)
