"""Behaviour analysis (issue 8): members' behaviour figures, RFM segment changes and sizes,
analysis runs, saved segments, and campaigns on a saved segment."""

from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from loyalty.models.analysis import AnalysisRunKind, RfmSegment
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index


class Migration(migrations.Migration):
    dependencies = [("loyalty", "0016_happy_calls")]

    initial = False

    operations = [
        ops.CreateModel(
            name="AnalysisRun",
            fields=[
                (
                    "id",
                    fields.IntField(generated=True, primary_key=True, unique=True, db_index=True),
                ),
                (
                    "kind",
                    fields.CharEnumField(
                        description="FULL: full\nINCREMENTAL: incremental",
                        enum_type=AnalysisRunKind,
                        max_length=11,
                    ),
                ),
                ("started_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ("finished_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ("members", fields.IntField(description="Rows computed")),
            ],
            options={
                "table": "analysis_run",
                "app": "loyalty",
                "indexes": [Index(fields=["started_at"])],
                "pk_attr": "id",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="MemberBehaviour",
            fields=[
                (
                    "id",
                    fields.IntField(generated=True, primary_key=True, unique=True, db_index=True),
                ),
                (
                    "member",
                    fields.ForeignKeyField(
                        "loyalty.Member",
                        source_field="member_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="behaviour",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                ("visit_count", fields.IntField(default=0)),
                ("first_visit_on", fields.DateField(null=True)),
                ("last_visit_on", fields.DateField(null=True)),
                ("days_since_last_visit", fields.IntField(null=True, description="On computed_on")),
                ("average_gap_days", fields.FloatField(null=True)),
                ("median_gap_days", fields.FloatField(null=True)),
                (
                    "expected_visit_on",
                    fields.DateField(null=True, description="Last visit + median gap"),
                ),
                ("spend_total", fields.BigIntField(default=0, description="Rials, less refunds")),
                ("spend_per_visit", fields.BigIntField(default=0, description="Rials")),
                ("favourite_category", fields.CharField(null=True, max_length=64)),
                ("second_category", fields.CharField(null=True, max_length=64)),
                ("third_category", fields.CharField(null=True, max_length=64)),
                (
                    "favourite_branch",
                    fields.ForeignKeyField(
                        "loyalty.Branch",
                        source_field="favourite_branch_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="favoured_by",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                ("points_earned", fields.BigIntField(default=0)),
                ("points_spent", fields.BigIntField(default=0)),
                ("points_expired", fields.BigIntField(default=0)),
                ("credit_earned", fields.BigIntField(default=0, description="Rials")),
                ("credit_used", fields.BigIntField(default=0, description="Rials")),
                ("recency_score", fields.SmallIntField(null=True)),
                ("frequency_score", fields.SmallIntField(null=True)),
                ("monetary_score", fields.SmallIntField(null=True)),
                (
                    "rfm_segment",
                    fields.CharEnumField(
                        null=True,
                        description="CHAMPIONS: champions\nLOYAL: loyal\nPOTENTIAL_LOYALIST: potential_loyalist\nNEW: new\nPROMISING: promising\nNEED_ATTENTION: need_attention\nABOUT_TO_SLEEP: about_to_sleep\nAT_RISK: at_risk\nCANT_LOSE: cant_lose\nHIBERNATING: hibernating\nLOST: lost",
                        enum_type=RfmSegment,
                        max_length=18,
                    ),
                ),
                ("churn_risk", fields.BooleanField(default=False)),
                (
                    "recorded_segment",
                    fields.CharEnumField(
                        null=True,
                        description="CHAMPIONS: champions\nLOYAL: loyal\nPOTENTIAL_LOYALIST: potential_loyalist\nNEW: new\nPROMISING: promising\nNEED_ATTENTION: need_attention\nABOUT_TO_SLEEP: about_to_sleep\nAT_RISK: at_risk\nCANT_LOSE: cant_lose\nHIBERNATING: hibernating\nLOST: lost",
                        enum_type=RfmSegment,
                        max_length=18,
                    ),
                ),
                ("computed_on", fields.DateField(description="The club's date of the run")),
                ("computed_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={
                "table": "member_behaviour",
                "app": "loyalty",
                "unique_together": (("member",),),
                "indexes": [Index(fields=["rfm_segment"])],
                "pk_attr": "id",
                "table_description": "One row per member. Days are calendar days in the club's zone, and a visit is a day with a",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="RfmSegmentChange",
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
                        related_name="rfm_changes",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                ("run_on", fields.DateField()),
                (
                    "segment",
                    fields.CharEnumField(
                        null=True,
                        description="CHAMPIONS: champions\nLOYAL: loyal\nPOTENTIAL_LOYALIST: potential_loyalist\nNEW: new\nPROMISING: promising\nNEED_ATTENTION: need_attention\nABOUT_TO_SLEEP: about_to_sleep\nAT_RISK: at_risk\nCANT_LOSE: cant_lose\nHIBERNATING: hibernating\nLOST: lost",
                        enum_type=RfmSegment,
                        max_length=18,
                    ),
                ),
            ],
            options={
                "table": "rfm_segment_change",
                "app": "loyalty",
                "indexes": [Index(fields=["run_on"]), Index(fields=["member_id", "run_on"])],
                "pk_attr": "id",
                "table_description": "A member's segment from `run_on` (null: no longer scored).",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="RfmSegmentSize",
            fields=[
                (
                    "id",
                    fields.IntField(generated=True, primary_key=True, unique=True, db_index=True),
                ),
                ("run_on", fields.DateField()),
                (
                    "segment",
                    fields.CharEnumField(
                        description="CHAMPIONS: champions\nLOYAL: loyal\nPOTENTIAL_LOYALIST: potential_loyalist\nNEW: new\nPROMISING: promising\nNEED_ATTENTION: need_attention\nABOUT_TO_SLEEP: about_to_sleep\nAT_RISK: at_risk\nCANT_LOSE: cant_lose\nHIBERNATING: hibernating\nLOST: lost",
                        enum_type=RfmSegment,
                        max_length=18,
                    ),
                ),
                ("members", fields.IntField()),
            ],
            options={
                "table": "rfm_segment_size",
                "app": "loyalty",
                "unique_together": (("run_on", "segment"),),
                "pk_attr": "id",
                "table_description": "How many members a segment held after the full run of `run_on`.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="SavedSegment",
            fields=[
                (
                    "id",
                    fields.IntField(generated=True, primary_key=True, unique=True, db_index=True),
                ),
                ("name", fields.CharField(unique=True, max_length=100)),
                ("description", fields.CharField(default="", max_length=500)),
                (
                    "definition",
                    fields.JSONField(
                        default=dict,
                        description="campaigns.segments.Segment",
                        encoder=functools.partial(dumps, separators=(",", ":")),
                        decoder=loads,
                    ),
                ),
                ("version", fields.IntField(default=1)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={
                "table": "saved_segment",
                "app": "loyalty",
                "pk_attr": "id",
                "table_description": "A segment a manager named and saved, for campaigns to use. Versioned and audited.",
            },
            bases=["Model"],
        ),
        ops.AddField(
            model_name="Campaign",
            name="saved_segment",
            field=fields.ForeignKeyField(
                "loyalty.SavedSegment",
                source_field="saved_segment_id",
                null=True,
                db_constraint=True,
                to_field="id",
                related_name="campaigns",
                on_delete=OnDelete.RESTRICT,
            ),
        ),
    ]
