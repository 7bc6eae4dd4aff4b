"""Messages sent to members on every channel, and why any was held back."""

from enum import StrEnum

from tortoise import fields
from tortoise.models import Model


class MessagePurpose(StrEnum):
    """Service messages (sign-in codes, receipts, account changes) go whatever the member's
    consent, at any hour and uncounted; marketing ones keep to consent, quiet hours and caps."""

    SERVICE = "service"
    MARKETING = "marketing"


class MessageChannel(StrEnum):
    """Where a message goes besides the inbox, which keeps every message."""

    PUSH = "push"
    SMS = "sms"


class MessageStatus(StrEnum):
    SCHEDULED = "scheduled"  # waiting for its moment (quiet hours end, a timer)
    SENT = "sent"
    SUPPRESSED = "suppressed"  # held back by the member's consent or the weekly cap
    FAILED = "failed"


class Message(Model):
    """One message to one member: what it says, where it went, and what became of it."""

    id = fields.BigIntField(primary_key=True)
    member: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "loyalty.Member", on_delete=fields.RESTRICT, related_name="messages"
    )
    purpose = fields.CharEnumField(MessagePurpose, max_length=9)
    source = fields.CharField(
        max_length=64, default="", description="What sent it: journey:3, campaign:7, …"
    )
    # The same send again (a job run twice, a day re-run) finds this and sends nothing.
    dedupe_key = fields.CharField(max_length=160, unique=True)
    channel = fields.CharEnumField(MessageChannel, max_length=8)
    status = fields.CharEnumField(MessageStatus, max_length=10)
    reason = fields.CharField(max_length=200, default="", description="Why held back or failed")
    kind = fields.CharField(max_length=48, description="The notification's type, for the app")
    title = fields.CharField(max_length=200)
    body = fields.CharField(max_length=2000)
    link = fields.CharField(max_length=300, default="")
    data = fields.JSONField(default=dict)
    created_at = fields.DatetimeField(auto_now_add=True)
    due_at = fields.DatetimeField(description="When it goes (or went)")
    sent_at = fields.DatetimeField(null=True)
    inbox_message: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "loyalty.InboxMessage", null=True, on_delete=fields.RESTRICT, related_name="messages"
    )
    sms_id = fields.CharField(max_length=64, default="", description="The SMS provider's id")

    class Meta:
        table = "message"
        indexes = (("member_id", "purpose", "due_at"), ("source", "status"))
