"""Happy calls: operators phone members after a purchase, read a survey script and log what
came of it; complaints raised on a call and their follow-ups."""

from __future__ import annotations

from enum import StrEnum

from tortoise import fields
from tortoise.models import Model


class HappyCallTrigger(StrEnum):
    SAMPLE = "sample"  # a deterministic share of purchases
    FIRST_PURCHASE = "first_purchase"
    AMOUNT_AT_LEAST = "amount_at_least"
    LOW_SURVEY_SCORE = "low_survey_score"  # an in-app survey answered low


class HappyCallRule(Model):
    """Which purchases a manager wants called, with which script, how urgently."""

    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=100)
    trigger = fields.CharEnumField(HappyCallTrigger, max_length=16)
    branch_ids = fields.JSONField(default=list, description="Empty: every branch")
    sample_percent = fields.IntField(null=True, description="SAMPLE: 1-100")
    min_amount = fields.BigIntField(null=True, description="AMOUNT_AT_LEAST: Rials")
    max_score = fields.IntField(null=True, description="LOW_SURVEY_SCORE: 0-10")
    survey: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "loyalty.Survey", on_delete=fields.RESTRICT, related_name="happy_call_rules"
    )
    priority = fields.IntField(default=0, description="Higher is called first")
    deadline_hours = fields.IntField(description="Due within this many hours of the purchase")
    active = fields.BooleanField(default=True)
    version = fields.IntField(default=1)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "happy_call_rule"


class HappyCallStatus(StrEnum):
    QUEUED = "queued"
    CLAIMED = "claimed"
    DONE = "done"
    CANCELLED = "cancelled"  # the member opted out, or their number is wrong
    EXPIRED = "expired"  # past its deadline, or out of tries


class HappyCallOutcome(StrEnum):
    COMPLETED = "completed"
    NO_ANSWER = "no_answer"
    BUSY = "busy"
    WRONG_NUMBER = "wrong_number"
    CALL_BACK = "call_back"
    DO_NOT_CALL = "do_not_call"


class HappyCall(Model):
    """One member to call about one purchase (changed only by conditional UPDATEs)."""

    id = fields.BigIntField(primary_key=True)
    rule: fields.ForeignKeyRelation[HappyCallRule] = fields.ForeignKeyField(
        "loyalty.HappyCallRule", on_delete=fields.RESTRICT, related_name="calls"
    )
    survey: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "loyalty.Survey", on_delete=fields.RESTRICT, related_name="happy_calls"
    )
    member: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "loyalty.Member", on_delete=fields.RESTRICT, related_name="happy_calls"
    )
    # A purchase is queued at most once.
    purchase: fields.ForeignKeyRelation = fields.OneToOneField(
        "loyalty.Purchase", on_delete=fields.RESTRICT, related_name="happy_call"
    )
    branch: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "loyalty.Branch", on_delete=fields.RESTRICT, related_name="happy_calls"
    )
    trigger = fields.CharEnumField(HappyCallTrigger, max_length=16)
    priority = fields.IntField()
    status = fields.CharEnumField(HappyCallStatus, max_length=9, default=HappyCallStatus.QUEUED)
    due_by = fields.DatetimeField()
    retry_at = fields.DatetimeField(null=True, description="Not handed out before")
    attempts = fields.IntField(default=0)
    tried_hours = fields.JSONField(default=list, description="Local hours of unanswered tries")
    # The last operator to claim it: kept when a claim lapses, so their result still counts.
    claimed_by: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "loyalty.StaffUser", null=True, on_delete=fields.RESTRICT, related_name="happy_calls"
    )
    claimed_until = fields.DatetimeField(null=True)
    outcome = fields.CharEnumField(HappyCallOutcome, max_length=12, null=True)
    # Every change is a conditional UPDATE on it: two operators never hold the call at once.
    version = fields.IntField(default=1)
    queued_at = fields.DatetimeField()
    finished_at = fields.DatetimeField(null=True)

    class Meta:
        table = "happy_call"
        indexes = (("status", "priority", "due_by"), ("member_id", "queued_at"))


class HappyCallAttempt(Model):
    """An outcome an operator recorded: one per dial, kept for stats and replays."""

    id = fields.BigIntField(primary_key=True)
    call: fields.ForeignKeyRelation[HappyCall] = fields.ForeignKeyField(
        "loyalty.HappyCall", on_delete=fields.RESTRICT, related_name="attempts_made"
    )
    staff: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "loyalty.StaffUser", on_delete=fields.RESTRICT, related_name="happy_call_attempts"
    )
    member: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "loyalty.Member", on_delete=fields.RESTRICT, related_name="happy_call_attempts"
    )
    outcome = fields.CharEnumField(HappyCallOutcome, max_length=12)
    comment = fields.CharField(max_length=1000, default="")
    call_back_at = fields.DatetimeField(null=True)
    response: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "loyalty.SurveyResponse", null=True, on_delete=fields.RESTRICT, related_name="call"
    )
    idempotency_key = fields.CharField(max_length=160, unique=True)
    request_hash = fields.CharField(max_length=64)
    at = fields.DatetimeField()

    class Meta:
        table = "happy_call_attempt"
        indexes = (("staff_id", "at"), ("member_id", "id"), ("at",))


class ComplaintCategory(StrEnum):
    PRODUCT = "product"
    SERVICE = "service"
    STAFF = "staff"
    PRICE = "price"
    CLEANLINESS = "cleanliness"
    WAITING_TIME = "waiting_time"
    OTHER = "other"


class ComplaintStatus(StrEnum):
    OPEN = "open"
    CLOSED = "closed"


class Complaint(Model):
    """A complaint of a member, raised on a call and followed up at the branch."""

    id = fields.BigIntField(primary_key=True)
    member: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "loyalty.Member", on_delete=fields.RESTRICT, related_name="complaints"
    )
    call: fields.ForeignKeyNullableRelation[HappyCall] = fields.ForeignKeyField(
        "loyalty.HappyCall", null=True, on_delete=fields.RESTRICT, related_name="complaints"
    )
    branch: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "loyalty.Branch", null=True, on_delete=fields.RESTRICT, related_name="complaints"
    )
    question = fields.CharField(max_length=32, default="", description="The answer it came from")
    category = fields.CharEnumField(ComplaintCategory, max_length=12)
    note = fields.CharField(max_length=1000)
    status = fields.CharEnumField(ComplaintStatus, max_length=6, default=ComplaintStatus.OPEN)
    raised_by: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "loyalty.StaffUser", on_delete=fields.RESTRICT, related_name="complaints_raised"
    )
    raised_at = fields.DatetimeField()
    closed_at = fields.DatetimeField(null=True)
    idempotency_key = fields.CharField(max_length=160, unique=True)
    request_hash = fields.CharField(max_length=64)

    class Meta:
        table = "complaint"
        indexes = (("member_id", "id"), ("status", "branch_id"), ("raised_at",))


class ComplaintFollowUp(Model):
    """What was done about a complaint (the last one may close it)."""

    id = fields.BigIntField(primary_key=True)
    complaint: fields.ForeignKeyRelation[Complaint] = fields.ForeignKeyField(
        "loyalty.Complaint", on_delete=fields.RESTRICT, related_name="follow_ups"
    )
    staff: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "loyalty.StaffUser", on_delete=fields.RESTRICT, related_name="complaint_follow_ups"
    )
    note = fields.CharField(max_length=1000)
    closed = fields.BooleanField(default=False)
    at = fields.DatetimeField()
    idempotency_key = fields.CharField(max_length=160, unique=True)
    request_hash = fields.CharField(max_length=64)

    class Meta:
        table = "complaint_follow_up"
        indexes = (("complaint_id", "id"),)
