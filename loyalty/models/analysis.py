"""Members' behaviour as the analysis job last computed it, RFM snapshots, saved segments.

`MemberBehaviour` is derived data: the job rewrites it from purchases and the ledger, so it is
never the source of any balance. RFM history is kept small: a row per member only when their
segment changes (`RfmSegmentChange`), and the segment sizes of each run (`RfmSegmentSize`).
"""

from __future__ import annotations

from enum import StrEnum

from tortoise import fields
from tortoise.models import Model


class RfmSegment(StrEnum):
    CHAMPIONS = "champions"
    LOYAL = "loyal"
    POTENTIAL_LOYALIST = "potential_loyalist"
    NEW = "new"
    PROMISING = "promising"
    NEED_ATTENTION = "need_attention"
    ABOUT_TO_SLEEP = "about_to_sleep"
    AT_RISK = "at_risk"
    CANT_LOSE = "cant_lose"
    HIBERNATING = "hibernating"
    LOST = "lost"


class AnalysisRunKind(StrEnum):
    FULL = "full"  # every member; takes an RFM snapshot
    INCREMENTAL = "incremental"  # members with purchases or ledger entries since the last run


class MemberBehaviour(Model):
    """One row per member. Days are calendar days in the club's zone, and a visit is a day with a
    purchase not wholly refunded."""

    id = fields.IntField(primary_key=True)
    member: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "loyalty.Member", on_delete=fields.RESTRICT, related_name="behaviour"
    )
    visit_count = fields.IntField(default=0)
    first_visit_on = fields.DateField(null=True)
    last_visit_on = fields.DateField(null=True)
    days_since_last_visit = fields.IntField(null=True, description="On computed_on")
    average_gap_days = fields.FloatField(null=True)
    median_gap_days = fields.FloatField(null=True)
    expected_visit_on = fields.DateField(null=True, description="Last visit + median gap")
    spend_total = fields.BigIntField(default=0, description="Rials, less refunds")
    spend_per_visit = fields.BigIntField(default=0, description="Rials")
    favourite_category = fields.CharField(max_length=64, null=True)
    second_category = fields.CharField(max_length=64, null=True)
    third_category = fields.CharField(max_length=64, null=True)
    favourite_branch: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "loyalty.Branch", null=True, on_delete=fields.RESTRICT, related_name="favoured_by"
    )
    points_earned = fields.BigIntField(default=0)
    points_spent = fields.BigIntField(default=0)
    points_expired = fields.BigIntField(default=0)
    credit_earned = fields.BigIntField(default=0, description="Rials")
    credit_used = fields.BigIntField(default=0, description="Rials")
    # RFM and churn risk: only for members with profiling consent and at least one visit.
    recency_score = fields.SmallIntField(null=True)
    frequency_score = fields.SmallIntField(null=True)
    monetary_score = fields.SmallIntField(null=True)
    rfm_segment = fields.CharEnumField(RfmSegment, max_length=18, null=True)
    churn_risk = fields.BooleanField(default=False)
    # The segment as the last snapshot recorded it: a change since is the next snapshot's row.
    recorded_segment = fields.CharEnumField(RfmSegment, max_length=18, null=True)
    computed_on = fields.DateField(description="The club's date of the run")
    computed_at = fields.DatetimeField()

    class Meta:
        table = "member_behaviour"
        unique_together = (("member",),)
        indexes = (("rfm_segment",),)


class RfmSegmentChange(Model):
    """A member's segment from `run_on` (null: no longer scored)."""

    id = fields.BigIntField(primary_key=True)
    member: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "loyalty.Member", on_delete=fields.RESTRICT, related_name="rfm_changes"
    )
    run_on = fields.DateField()
    segment = fields.CharEnumField(RfmSegment, max_length=18, null=True)

    class Meta:
        table = "rfm_segment_change"
        indexes = (("run_on",), ("member_id", "run_on"))


class RfmSegmentSize(Model):
    """How many members a segment held after the full run of `run_on`."""

    id = fields.IntField(primary_key=True)
    run_on = fields.DateField()
    segment = fields.CharEnumField(RfmSegment, max_length=18)
    members = fields.IntField()

    class Meta:
        table = "rfm_segment_size"
        unique_together = (("run_on", "segment"),)


class AnalysisRun(Model):
    id = fields.IntField(primary_key=True)
    kind = fields.CharEnumField(AnalysisRunKind, max_length=11)
    started_at = fields.DatetimeField()
    finished_at = fields.DatetimeField()
    members = fields.IntField(description="Rows computed")

    class Meta:
        table = "analysis_run"
        indexes = (("started_at",),)


class SavedSegment(Model):
    """A segment a manager named and saved, for campaigns to use. Versioned and audited."""

    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=100, unique=True)
    description = fields.CharField(max_length=500, default="")
    definition = fields.JSONField(default=dict, description="campaigns.segments.Segment")
    version = fields.IntField(default=1)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "saved_segment"
