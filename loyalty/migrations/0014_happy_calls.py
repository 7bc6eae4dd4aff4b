"""Happy calls: the rules that queue them, the calls and each outcome recorded, complaints and
their follow-ups; members' calls consent and wrong-number flag, and the supervisor role (issue 6)."""

from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from loyalty.models.club import Role
from loyalty.models.consents import Consent
from loyalty.models.happycalls import (
    ComplaintCategory,
    ComplaintStatus,
    HappyCallOutcome,
    HappyCallStatus,
    HappyCallTrigger,
)
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index


class Migration(migrations.Migration):
    dependencies = [("loyalty", "0013_journeys")]

    initial = False

    operations = [
        ops.CreateModel(
            name="HappyCallRule",
            fields=[
                (
                    "id",
                    fields.IntField(generated=True, primary_key=True, unique=True, db_index=True),
                ),
                ("name", fields.CharField(max_length=100)),
                (
                    "trigger",
                    fields.CharEnumField(
                        description="SAMPLE: sample\nFIRST_PURCHASE: first_purchase\nAMOUNT_AT_LEAST: amount_at_least\nLOW_SURVEY_SCORE: low_survey_score",
                        enum_type=HappyCallTrigger,
                        max_length=16,
                    ),
                ),
                (
                    "branch_ids",
                    fields.JSONField(
                        default=list,
                        description="Empty: every branch",
                        encoder=functools.partial(dumps, separators=(",", ":")),
                        decoder=loads,
                    ),
                ),
                ("sample_percent", fields.IntField(null=True, description="SAMPLE: 1-100")),
                ("min_amount", fields.BigIntField(null=True, description="AMOUNT_AT_LEAST: Rials")),
                ("max_score", fields.IntField(null=True, description="LOW_SURVEY_SCORE: 0-10")),
                (
                    "survey",
                    fields.ForeignKeyField(
                        "loyalty.Survey",
                        source_field="survey_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="happy_call_rules",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                ("priority", fields.IntField(default=0, description="Higher is called first")),
                (
                    "deadline_hours",
                    fields.IntField(description="Due within this many hours of the purchase"),
                ),
                ("active", fields.BooleanField(default=True)),
                ("version", fields.IntField(default=1)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ("updated_at", fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={
                "table": "happy_call_rule",
                "app": "loyalty",
                "pk_attr": "id",
                "table_description": "Which purchases a manager wants called, with which script, how urgently.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="HappyCall",
            fields=[
                (
                    "id",
                    fields.BigIntField(
                        generated=True, primary_key=True, unique=True, db_index=True
                    ),
                ),
                (
                    "rule",
                    fields.ForeignKeyField(
                        "loyalty.HappyCallRule",
                        source_field="rule_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="calls",
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
                        related_name="happy_calls",
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
                        related_name="happy_calls",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                (
                    "purchase",
                    fields.OneToOneField(
                        "loyalty.Purchase",
                        source_field="purchase_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="happy_call",
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
                        related_name="happy_calls",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                (
                    "trigger",
                    fields.CharEnumField(
                        description="SAMPLE: sample\nFIRST_PURCHASE: first_purchase\nAMOUNT_AT_LEAST: amount_at_least\nLOW_SURVEY_SCORE: low_survey_score",
                        enum_type=HappyCallTrigger,
                        max_length=16,
                    ),
                ),
                ("priority", fields.IntField()),
                (
                    "status",
                    fields.CharEnumField(
                        default=HappyCallStatus.QUEUED,
                        description="QUEUED: queued\nCLAIMED: claimed\nDONE: done\nCANCELLED: cancelled\nEXPIRED: expired",
                        enum_type=HappyCallStatus,
                        max_length=9,
                    ),
                ),
                ("due_by", fields.DatetimeField(auto_now=False, auto_now_add=False)),
                (
                    "retry_at",
                    fields.DatetimeField(
                        null=True,
                        description="Not handed out before",
                        auto_now=False,
                        auto_now_add=False,
                    ),
                ),
                ("attempts", fields.IntField(default=0)),
                (
                    "tried_hours",
                    fields.JSONField(
                        default=list,
                        description="Local hours of unanswered tries",
                        encoder=functools.partial(dumps, separators=(",", ":")),
                        decoder=loads,
                    ),
                ),
                (
                    "claimed_by",
                    fields.ForeignKeyField(
                        "loyalty.StaffUser",
                        source_field="claimed_by_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="happy_calls",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                (
                    "claimed_until",
                    fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
                ),
                (
                    "outcome",
                    fields.CharEnumField(
                        null=True,
                        description="COMPLETED: completed\nNO_ANSWER: no_answer\nBUSY: busy\nWRONG_NUMBER: wrong_number\nCALL_BACK: call_back\nDO_NOT_CALL: do_not_call",
                        enum_type=HappyCallOutcome,
                        max_length=12,
                    ),
                ),
                ("version", fields.IntField(default=1)),
                ("queued_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
                (
                    "finished_at",
                    fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
                ),
            ],
            options={
                "table": "happy_call",
                "app": "loyalty",
                "indexes": [
                    Index(fields=["status", "priority", "due_by"]),
                    Index(fields=["member_id", "queued_at"]),
                ],
                "pk_attr": "id",
                "table_description": "One member to call about one purchase (changed only by conditional UPDATEs).",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="Complaint",
            fields=[
                (
                    "id",
                    fields.BigIntField(
                        generated=True, primary_key=True, unique=True, db_index=True
                    ),
                ),
                (
                    "member",
                    fields.ForeignKeyField(
                        "loyalty.Member",
                        source_field="member_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="complaints",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                (
                    "call",
                    fields.ForeignKeyField(
                        "loyalty.HappyCall",
                        source_field="call_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="complaints",
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
                        related_name="complaints",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                (
                    "question",
                    fields.CharField(
                        default="", description="The answer it came from", max_length=32
                    ),
                ),
                (
                    "category",
                    fields.CharEnumField(
                        description="PRODUCT: product\nSERVICE: service\nSTAFF: staff\nPRICE: price\nCLEANLINESS: cleanliness\nWAITING_TIME: waiting_time\nOTHER: other",
                        enum_type=ComplaintCategory,
                        max_length=12,
                    ),
                ),
                ("note", fields.CharField(max_length=1000)),
                (
                    "status",
                    fields.CharEnumField(
                        default=ComplaintStatus.OPEN,
                        description="OPEN: open\nCLOSED: closed",
                        enum_type=ComplaintStatus,
                        max_length=6,
                    ),
                ),
                (
                    "raised_by",
                    fields.ForeignKeyField(
                        "loyalty.StaffUser",
                        source_field="raised_by_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="complaints_raised",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                ("raised_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ("closed_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ("idempotency_key", fields.CharField(unique=True, max_length=160)),
                ("request_hash", fields.CharField(max_length=64)),
            ],
            options={
                "table": "complaint",
                "app": "loyalty",
                "indexes": [
                    Index(fields=["member_id", "id"]),
                    Index(fields=["status", "branch_id"]),
                ],
                "pk_attr": "id",
                "table_description": "A complaint of a member, raised on a call and followed up at the branch.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="ComplaintFollowUp",
            fields=[
                (
                    "id",
                    fields.BigIntField(
                        generated=True, primary_key=True, unique=True, db_index=True
                    ),
                ),
                (
                    "complaint",
                    fields.ForeignKeyField(
                        "loyalty.Complaint",
                        source_field="complaint_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="follow_ups",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                (
                    "staff",
                    fields.ForeignKeyField(
                        "loyalty.StaffUser",
                        source_field="staff_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="complaint_follow_ups",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                ("note", fields.CharField(max_length=1000)),
                ("closed", fields.BooleanField(default=False)),
                ("at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ("idempotency_key", fields.CharField(unique=True, max_length=160)),
                ("request_hash", fields.CharField(max_length=64)),
            ],
            options={
                "table": "complaint_follow_up",
                "app": "loyalty",
                "indexes": [Index(fields=["complaint_id", "id"])],
                "pk_attr": "id",
                "table_description": "What was done about a complaint (the last one may close it).",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="HappyCallAttempt",
            fields=[
                (
                    "id",
                    fields.BigIntField(
                        generated=True, primary_key=True, unique=True, db_index=True
                    ),
                ),
                (
                    "call",
                    fields.ForeignKeyField(
                        "loyalty.HappyCall",
                        source_field="call_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="attempts_made",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                (
                    "staff",
                    fields.ForeignKeyField(
                        "loyalty.StaffUser",
                        source_field="staff_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="happy_call_attempts",
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
                        related_name="happy_call_attempts",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                (
                    "outcome",
                    fields.CharEnumField(
                        description="COMPLETED: completed\nNO_ANSWER: no_answer\nBUSY: busy\nWRONG_NUMBER: wrong_number\nCALL_BACK: call_back\nDO_NOT_CALL: do_not_call",
                        enum_type=HappyCallOutcome,
                        max_length=12,
                    ),
                ),
                ("comment", fields.CharField(default="", max_length=1000)),
                (
                    "call_back_at",
                    fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
                ),
                (
                    "response",
                    fields.ForeignKeyField(
                        "loyalty.SurveyResponse",
                        source_field="response_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="call",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                ("idempotency_key", fields.CharField(unique=True, max_length=160)),
                ("request_hash", fields.CharField(max_length=64)),
                ("at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={
                "table": "happy_call_attempt",
                "app": "loyalty",
                "indexes": [
                    Index(fields=["staff_id", "at"]),
                    Index(fields=["member_id", "id"]),
                    Index(fields=["at"]),
                ],
                "pk_attr": "id",
                "table_description": "An outcome an operator recorded: one per dial, kept for stats and replays.",
            },
            bases=["Model"],
        ),
        ops.AlterField(
            model_name="ConsentChange",
            name="consent",
            field=fields.CharEnumField(
                description="MARKETING: marketing\nPROFILING: profiling\nCALLS: calls",
                enum_type=Consent,
                max_length=16,
            ),
        ),
        ops.AddField(
            model_name="Member",
            name="calls_consent",
            field=fields.BooleanField(default=True, db_default=True),
        ),
        ops.AddField(
            model_name="Member",
            name="wrong_phone_at",
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AlterField(
            model_name="StaffUser",
            name="role",
            field=fields.CharEnumField(
                description="MANAGER: manager\nOPERATOR: operator\nSUPERVISOR: supervisor\nCASHIER: cashier\nSTATION: station",
                enum_type=Role,
                max_length=16,
            ),
        ),
    ]
