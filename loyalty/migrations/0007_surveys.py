"""Satisfaction surveys: their definitions, invitations after purchases, responses, answers."""

from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from loyalty.models.surveys import InvitationStatus, SurveyChannel
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index


class Migration(migrations.Migration):
    dependencies = [("loyalty", "0006_leaderboard")]

    initial = False

    operations = [
        ops.CreateModel(
            name="Survey",
            fields=[
                (
                    "id",
                    fields.IntField(generated=True, primary_key=True, unique=True, db_index=True),
                ),
                ("name", fields.CharField(max_length=100)),
                ("name_fa", fields.CharField(default="", max_length=100)),
                (
                    "channel",
                    fields.CharEnumField(
                        description="APP: app\nCALL: call", enum_type=SurveyChannel, max_length=8
                    ),
                ),
                (
                    "questions",
                    fields.JSONField(
                        default=list,
                        encoder=functools.partial(dumps, separators=(",", ":")),
                        decoder=loads,
                    ),
                ),
                ("allow_comment", fields.BooleanField(default=True)),
                (
                    "branch_ids",
                    fields.JSONField(
                        default=list,
                        description="Empty: every branch",
                        encoder=functools.partial(dumps, separators=(",", ":")),
                        decoder=loads,
                    ),
                ),
                ("starts_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ("ends_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                (
                    "min_purchase_amount",
                    fields.BigIntField(default=0, description="Rials, 0: every purchase"),
                ),
                (
                    "open_days",
                    fields.IntField(
                        default=7, description="Days after the purchase it can be answered"
                    ),
                ),
                ("points", fields.BigIntField(default=0, description="For answering, 0: none")),
                ("active", fields.BooleanField(default=True)),
                ("version", fields.IntField(default=1)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ("updated_at", fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={
                "table": "survey",
                "app": "loyalty",
                "pk_attr": "id",
                "table_description": "A survey as managers define it. Its questions are checked by the domain.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="SurveyInvitation",
            fields=[
                (
                    "id",
                    fields.BigIntField(
                        generated=True, primary_key=True, unique=True, db_index=True
                    ),
                ),
                (
                    "survey",
                    fields.ForeignKeyField(
                        "loyalty.Survey",
                        source_field="survey_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="invitations",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                (
                    "member",
                    fields.ForeignKeyField(
                        "loyalty.Member",
                        source_field="member_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="survey_invitations",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                (
                    "purchase",
                    fields.ForeignKeyField(
                        "loyalty.Purchase",
                        source_field="purchase_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="survey_invitations",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                (
                    "branch",
                    fields.ForeignKeyField(
                        "loyalty.Branch",
                        source_field="branch_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="survey_invitations",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                (
                    "status",
                    fields.CharEnumField(
                        default=InvitationStatus.OFFERED,
                        description="OFFERED: offered\nANSWERED: answered\nDISMISSED: dismissed",
                        enum_type=InvitationStatus,
                        max_length=12,
                    ),
                ),
                ("offered_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ("closes_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
                (
                    "decided_at",
                    fields.DatetimeField(
                        null=True,
                        description="When answered or dismissed",
                        auto_now=False,
                        auto_now_add=False,
                    ),
                ),
            ],
            options={
                "table": "survey_invitation",
                "app": "loyalty",
                "unique_together": (("purchase",),),
                "indexes": [
                    Index(fields=["member_id", "purchase_id"]),
                    Index(fields=["survey_id", "offered_at"]),
                ],
                "pk_attr": "id",
                "table_description": "A survey offered to a member for one purchase: a purchase is offered at most one.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="SurveyResponse",
            fields=[
                (
                    "id",
                    fields.BigIntField(
                        generated=True, primary_key=True, unique=True, db_index=True
                    ),
                ),
                (
                    "survey",
                    fields.ForeignKeyField(
                        "loyalty.Survey",
                        source_field="survey_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="responses",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                ("survey_version", fields.IntField()),
                (
                    "channel",
                    fields.CharEnumField(
                        description="APP: app\nCALL: call", enum_type=SurveyChannel, max_length=8
                    ),
                ),
                (
                    "member",
                    fields.ForeignKeyField(
                        "loyalty.Member",
                        source_field="member_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="survey_responses",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                (
                    "branch",
                    fields.ForeignKeyField(
                        "loyalty.Branch",
                        source_field="branch_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="survey_responses",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                (
                    "purchase",
                    fields.ForeignKeyField(
                        "loyalty.Purchase",
                        source_field="purchase_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="survey_responses",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                (
                    "invitation",
                    fields.ForeignKeyField(
                        "loyalty.SurveyInvitation",
                        source_field="invitation_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="responses",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                (
                    "staff",
                    fields.ForeignKeyField(
                        "loyalty.StaffUser",
                        source_field="staff_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="survey_responses",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                ("comment", fields.CharField(default="", max_length=1000)),
                ("points", fields.BigIntField(default=0)),
                (
                    "transaction",
                    fields.ForeignKeyField(
                        "loyalty.JournalTransaction",
                        source_field="transaction_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="survey_response",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                ("idempotency_key", fields.CharField(unique=True, max_length=160)),
                ("request_hash", fields.CharField(max_length=64)),
                ("answered_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={
                "table": "survey_response",
                "app": "loyalty",
                "unique_together": (("invitation",),),
                "indexes": [
                    Index(fields=["survey_id", "answered_at"]),
                    Index(fields=["member_id", "id"]),
                ],
                "pk_attr": "id",
                "table_description": "A survey answered: in the app for an invitation, or by an operator on a call.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="SurveyAnswer",
            fields=[
                (
                    "id",
                    fields.BigIntField(
                        generated=True, primary_key=True, unique=True, db_index=True
                    ),
                ),
                (
                    "response",
                    fields.ForeignKeyField(
                        "loyalty.SurveyResponse",
                        source_field="response_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="answers",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                (
                    "survey",
                    fields.ForeignKeyField(
                        "loyalty.Survey",
                        source_field="survey_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="answers",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                (
                    "branch",
                    fields.ForeignKeyField(
                        "loyalty.Branch",
                        source_field="branch_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="survey_answers",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                ("question", fields.CharField(description="The question's code", max_length=32)),
                (
                    "choice",
                    fields.IntField(null=True, description="For a choice: its position, from 0"),
                ),
                (
                    "score",
                    fields.IntField(
                        null=True, description="The choice's score, the rating, or 1/0"
                    ),
                ),
                ("text", fields.CharField(default="", max_length=1000)),
                ("answered_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={
                "table": "survey_answer",
                "app": "loyalty",
                "indexes": [
                    Index(fields=["survey_id", "answered_at"]),
                    Index(fields=["response_id"]),
                ],
                "pk_attr": "id",
                "table_description": "One question's answer. The survey, branch and time are the response's, kept here too so",
            },
            bases=["Model"],
        ),
    ]
