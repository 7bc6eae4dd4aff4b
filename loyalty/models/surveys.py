"""Satisfaction surveys: what managers ask, the surveys offered to members after a purchase,
and the answers, kept as facts reports can count."""

from __future__ import annotations

from enum import StrEnum

from tortoise import fields
from tortoise.models import Model


class SurveyChannel(StrEnum):
    # Offered in the app after a purchase: 4-choice questions and a comment only.
    APP = "app"
    # Read out by a call-centre operator (happy call): any kind of question.
    CALL = "call"


class QuestionKind(StrEnum):
    CHOICE = "choice"
    RATING = "rating"
    YES_NO = "yes_no"
    TEXT = "text"


class Survey(Model):
    """A survey as managers define it. Its questions are checked by the domain."""

    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=100)
    name_fa = fields.CharField(max_length=100, default="")
    channel = fields.CharEnumField(SurveyChannel, max_length=8)
    questions = fields.JSONField(default=list)
    allow_comment = fields.BooleanField(default=True)
    branch_ids = fields.JSONField(default=list, description="Empty: every branch")
    starts_at = fields.DatetimeField(null=True)
    ends_at = fields.DatetimeField(null=True)
    min_purchase_amount = fields.BigIntField(default=0, description="Rials, 0: every purchase")
    open_days = fields.IntField(default=7, description="Days after the purchase it can be answered")
    points = fields.BigIntField(default=0, description="For answering, 0: none")
    active = fields.BooleanField(default=True)
    version = fields.IntField(default=1)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "survey"


class InvitationStatus(StrEnum):
    OFFERED = "offered"
    ANSWERED = "answered"
    DISMISSED = "dismissed"


class SurveyInvitation(Model):
    """A survey offered to a member for one purchase: a purchase is offered at most one."""

    id = fields.BigIntField(primary_key=True)
    survey: fields.ForeignKeyRelation[Survey] = fields.ForeignKeyField(
        "loyalty.Survey", on_delete=fields.RESTRICT, related_name="invitations"
    )
    member: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "loyalty.Member", on_delete=fields.RESTRICT, related_name="survey_invitations"
    )
    purchase: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "loyalty.Purchase", on_delete=fields.RESTRICT, related_name="survey_invitations"
    )
    branch: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "loyalty.Branch", on_delete=fields.RESTRICT, related_name="survey_invitations"
    )
    status = fields.CharEnumField(InvitationStatus, max_length=12, default=InvitationStatus.OFFERED)
    offered_at = fields.DatetimeField()
    closes_at = fields.DatetimeField()
    decided_at = fields.DatetimeField(null=True, description="When answered or dismissed")

    class Meta:
        table = "survey_invitation"
        unique_together = (("purchase",),)
        indexes = (("member_id", "purchase_id"), ("survey_id", "offered_at"))


class SurveyResponse(Model):
    """A survey answered: in the app for an invitation, or by an operator on a call."""

    id = fields.BigIntField(primary_key=True)
    survey: fields.ForeignKeyRelation[Survey] = fields.ForeignKeyField(
        "loyalty.Survey", on_delete=fields.RESTRICT, related_name="responses"
    )
    survey_version = fields.IntField()
    channel = fields.CharEnumField(SurveyChannel, max_length=8)
    member: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "loyalty.Member", on_delete=fields.RESTRICT, related_name="survey_responses"
    )
    branch: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "loyalty.Branch", null=True, on_delete=fields.RESTRICT, related_name="survey_responses"
    )
    purchase: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "loyalty.Purchase", null=True, on_delete=fields.RESTRICT, related_name="survey_responses"
    )
    invitation: fields.ForeignKeyNullableRelation[SurveyInvitation] = fields.ForeignKeyField(
        "loyalty.SurveyInvitation", null=True, on_delete=fields.RESTRICT, related_name="responses"
    )
    staff: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "loyalty.StaffUser", null=True, on_delete=fields.RESTRICT, related_name="survey_responses"
    )
    comment = fields.CharField(max_length=1000, default="")
    points = fields.BigIntField(default=0)
    transaction: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "loyalty.JournalTransaction",
        null=True,
        on_delete=fields.RESTRICT,
        related_name="survey_response",
    )
    idempotency_key = fields.CharField(max_length=160, unique=True)
    request_hash = fields.CharField(max_length=64)
    answered_at = fields.DatetimeField()

    class Meta:
        table = "survey_response"
        # An invitation is answered once (calls have none: NULLs never clash).
        unique_together = (("invitation",),)
        indexes = (("survey_id", "answered_at"), ("member_id", "id"))


class SurveyAnswer(Model):
    """One question's answer. The survey, branch and time are the response's, kept here too so
    reports count answers without a join."""

    id = fields.BigIntField(primary_key=True)
    response: fields.ForeignKeyRelation[SurveyResponse] = fields.ForeignKeyField(
        "loyalty.SurveyResponse", on_delete=fields.RESTRICT, related_name="answers"
    )
    survey: fields.ForeignKeyRelation[Survey] = fields.ForeignKeyField(
        "loyalty.Survey", on_delete=fields.RESTRICT, related_name="answers"
    )
    branch: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "loyalty.Branch", null=True, on_delete=fields.RESTRICT, related_name="survey_answers"
    )
    question = fields.CharField(max_length=32, description="The question's code")
    choice = fields.IntField(null=True, description="For a choice: its position, from 0")
    score = fields.IntField(null=True, description="The choice's score, the rating, or 1/0")
    text = fields.CharField(max_length=1000, default="")
    answered_at = fields.DatetimeField()

    class Meta:
        table = "survey_answer"
        indexes = (("survey_id", "answered_at"), ("response_id",))
