"""The devices a member signed in on, with their push tokens."""

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
