"""The rules of the programme as managers configure them, and each member's standing in it.

Every configurable row carries a `version`; each change is also kept whole in `ConfigChange`,
the audit trail of who changed what and when.
"""

from __future__ import annotations

from enum import StrEnum

from tortoise import fields
from tortoise.models import Model


class RuleKind(StrEnum):
    POINTS_PER_AMOUNT = "points_per_amount"
    CASHBACK = "cashback"
    EVENT_POINTS = "event_points"
    DISCOUNT = "discount"


class EarningRule(Model):
    """One earning rule or offer. Its parameters and conditions are checked by the domain."""

    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=100)
    kind = fields.CharEnumField(RuleKind, max_length=24)
    params = fields.JSONField(default=dict)
    conditions = fields.JSONField(default=dict)
    branch_ids = fields.JSONField(default=list, description="Empty: every branch")
    starts_at = fields.DatetimeField(null=True)
    ends_at = fields.DatetimeField(null=True)
    priority = fields.IntField(default=0, description="Higher first")
    exclusive_group = fields.CharField(
        max_length=48, default="", description="Of the rules in a group only the first that fits"
    )
    active = fields.BooleanField(default=True)
    version = fields.IntField(default=1)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "earning_rule"


class Tier(Model):
    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=60)
    name_fa = fields.CharField(max_length=60, default="")
    rank = fields.IntField(description="0 for the entry tier, then up")
    threshold = fields.BigIntField(description="Points earned or Rials spent to reach it")
    points_multiplier_percent = fields.IntField(default=100)
    active = fields.BooleanField(default=True)
    version = fields.IntField(default=1)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "tier"


class ProgrammeSetting(Model):
    """Club-wide settings of the programme (tier rules, expiry, referral), one row a key."""

    id = fields.IntField(primary_key=True)
    key = fields.CharField(max_length=32, unique=True)
    value = fields.JSONField(default=dict)
    version = fields.IntField(default=1)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "programme_setting"


class ConfigChange(Model):
    """Append-only audit trail of the programme's configuration."""

    id = fields.BigIntField(primary_key=True)
    entity = fields.CharField(max_length=32)
    entity_id = fields.CharField(max_length=32)
    version = fields.IntField()
    action = fields.CharField(max_length=16)
    snapshot = fields.JSONField()
    staff: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "loyalty.StaffUser", null=True, on_delete=fields.RESTRICT, related_name="config_changes"
    )
    client = fields.CharField(max_length=100, default="")
    created_at = fields.DatetimeField(auto_now_add=True, db_index=True)

    class Meta:
        table = "config_change"
        indexes = (("entity", "entity_id"),)


class MemberStanding(Model):
    """What the rules need to know of a member, kept in step with each purchase.

    Its row is also the member's lock: writes that read and then change a member's standing
    take it first, so two purchases of one member are evaluated one after the other.
    """

    id = fields.IntField(primary_key=True)
    member: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "loyalty.Member", on_delete=fields.RESTRICT, related_name="standing"
    )
    points_account_id = fields.IntField()
    credit_account_id = fields.IntField()
    referral_code = fields.CharField(max_length=16, unique=True)
    tier: fields.ForeignKeyNullableRelation[Tier] = fields.ForeignKeyField(
        "loyalty.Tier", null=True, on_delete=fields.RESTRICT, related_name="standings"
    )
    tier_since = fields.DatetimeField(null=True)
    tier_review_at = fields.DatetimeField(null=True)
    tier_grace_until = fields.DatetimeField(null=True)
    visit_count = fields.IntField(default=0)
    first_visit_at = fields.DatetimeField(null=True)
    last_visit_at = fields.DatetimeField(null=True)
    spend_total = fields.BigIntField(default=0)
    # Every point ever earned towards tiers: no period's total can be more, so most purchases
    # can tell without a query that they do not reach the next tier.
    tier_points_total = fields.BigIntField(default=0)
    points_debt = fields.BigIntField(default=0, description="Points a refund could not take back")
    credit_debt = fields.BigIntField(
        default=0, description="Cash-back a refund could not take back"
    )
    next_expiry_at = fields.DatetimeField(null=True)

    class Meta:
        table = "member_standing"
        unique_together = (("member",),)
        indexes = (("next_expiry_at",), ("tier_review_at",))


class TierChangeReason(StrEnum):
    UPGRADE = "upgrade"
    DOWNGRADE = "downgrade"
    GRACE = "grace"
    RENEWED = "renewed"


class TierChange(Model):
    """A change to a member's tier: an event that notifications will follow."""

    id = fields.BigIntField(primary_key=True)
    member: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "loyalty.Member", on_delete=fields.RESTRICT, related_name="tier_changes"
    )
    from_tier: fields.ForeignKeyNullableRelation[Tier] = fields.ForeignKeyField(
        "loyalty.Tier", null=True, on_delete=fields.RESTRICT, related_name="changes_from"
    )
    to_tier: fields.ForeignKeyNullableRelation[Tier] = fields.ForeignKeyField(
        "loyalty.Tier", null=True, on_delete=fields.RESTRICT, related_name="changes_to"
    )
    reason = fields.CharEnumField(TierChangeReason, max_length=16)
    qualifying = fields.BigIntField(description="The member's qualifying total at the time")
    purchase: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "loyalty.Purchase", null=True, on_delete=fields.RESTRICT, related_name="tier_changes"
    )
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "tier_change"
        indexes = (("member_id", "id"),)


class EventAward(Model):
    """Points given for an event (visit, review, birthday...), at most once per reference."""

    id = fields.BigIntField(primary_key=True)
    member: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "loyalty.Member", on_delete=fields.RESTRICT, related_name="event_awards"
    )
    event = fields.CharField(max_length=32)
    reference = fields.CharField(max_length=100)
    rule: fields.ForeignKeyRelation[EarningRule] = fields.ForeignKeyField(
        "loyalty.EarningRule", on_delete=fields.RESTRICT, related_name="event_awards"
    )
    points = fields.BigIntField()
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "event_award"
        unique_together = (("member", "rule", "reference"),)
        indexes = (("member_id", "event", "created_at"),)


class ReferralStatus(StrEnum):
    PENDING = "pending"
    REWARDED = "rewarded"
    REJECTED = "rejected"
    REVERSED = "reversed"


class Referral(Model):
    id = fields.IntField(primary_key=True)
    referrer: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "loyalty.Member", on_delete=fields.RESTRICT, related_name="referrals_made"
    )
    referee: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "loyalty.Member", on_delete=fields.RESTRICT, related_name="referred_by"
    )
    status = fields.CharEnumField(ReferralStatus, max_length=12, default=ReferralStatus.PENDING)
    note = fields.CharField(max_length=200, default="")
    purchase: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "loyalty.Purchase", null=True, on_delete=fields.RESTRICT, related_name="referrals"
    )
    transaction: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "loyalty.JournalTransaction", null=True, on_delete=fields.RESTRICT, related_name="referral"
    )
    created_at = fields.DatetimeField(auto_now_add=True)
    decided_at = fields.DatetimeField(null=True)

    class Meta:
        table = "referral"
        unique_together = (("referee",),)
        indexes = (("referrer_id",),)
