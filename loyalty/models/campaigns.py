"""Campaigns: a manager's message to a segment of members, with a holdout group that gets
nothing, so the report can tell what the campaign changed."""

from __future__ import annotations

from enum import StrEnum

from tortoise import fields
from tortoise.models import Model

from loyalty.models.messaging import MessagePurpose


class CampaignStatus(StrEnum):
    DRAFT = "draft"
    SCHEDULED = "scheduled"  # waits for its moment
    SENDING = "sending"  # its audience is chosen; chunks are being sent
    SENT = "sent"
    CANCELLED = "cancelled"


class RecipientGroup(StrEnum):
    TREATMENT = "treatment"  # messaged
    HOLDOUT = "holdout"  # chosen at random to get nothing: the comparison


class Campaign(Model):
    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=100)
    # Templates: {name}, {first_name} and {last_name} are filled in for each member.
    title = fields.CharField(max_length=200)
    body = fields.CharField(max_length=1000)
    purpose = fields.CharEnumField(MessagePurpose, max_length=9, default=MessagePurpose.MARKETING)
    segment = fields.JSONField(default=dict, description="Who it is for (campaigns.segments)")
    # A saved segment instead: its definition when the campaign starts (copied into `segment`).
    saved_segment: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "loyalty.SavedSegment", null=True, on_delete=fields.RESTRICT, related_name="campaigns"
    )
    coupon: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "loyalty.Coupon", null=True, on_delete=fields.RESTRICT, related_name="campaigns"
    )
    voucher_days = fields.IntField(default=14, description="How long each member's voucher lasts")
    offer: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "loyalty.EarningRule", null=True, on_delete=fields.RESTRICT, related_name="campaigns"
    )
    holdout_percent = fields.IntField(default=0, description="0 to 50")
    scheduled_at = fields.DatetimeField(null=True)
    status = fields.CharEnumField(CampaignStatus, max_length=10, default=CampaignStatus.DRAFT)
    # The holdout is drawn from this seed and the audience (in member order): a draw can be redone.
    seed = fields.CharField(max_length=32, default="")
    audience = fields.IntField(default=0, description="Members chosen when it started")
    holdout = fields.IntField(default=0)
    chunks = fields.IntField(default=0, description="Chunks of the treatment group to send")
    chunks_done = fields.IntField(default=0)
    started_at = fields.DatetimeField(null=True)
    finished_at = fields.DatetimeField(null=True, description="Sent or cancelled")
    version = fields.IntField(default=1)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "campaign"
        indexes = (("status", "scheduled_at"),)


class CampaignRecipient(Model):
    """A member of a campaign's audience as chosen when it started, and what they got."""

    id = fields.BigIntField(primary_key=True)
    campaign: fields.ForeignKeyRelation[Campaign] = fields.ForeignKeyField(
        "loyalty.Campaign", on_delete=fields.RESTRICT, related_name="recipients"
    )
    member: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "loyalty.Member", on_delete=fields.RESTRICT, related_name="campaigns_received"
    )
    group = fields.CharEnumField(RecipientGroup, max_length=9)
    chunk = fields.IntField(null=True, description="The treatment chunk that sends to them")
    message: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "loyalty.Message", null=True, on_delete=fields.RESTRICT, related_name="campaign_recipient"
    )
    voucher: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "loyalty.CouponCode",
        null=True,
        on_delete=fields.RESTRICT,
        related_name="campaign_recipient",
    )

    class Meta:
        table = "campaign_recipient"
        unique_together = (("campaign", "member"),)
        indexes = (("campaign_id", "chunk"), ("campaign_id", "group"))
