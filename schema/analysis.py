"""Behaviour analysis for managers: a member's figures, RFM segment sizes and movement, and
saved segments (their live count; campaigns use them). The live-count preview of a segment
being written is `campaignAudience`."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

import strawberry
from strawberry.types import Info

from loyalty import models as m
from loyalty.analysis import reads, rfm, saved
from loyalty.analysis.saved import SegmentSpec
from loyalty.campaigns import manage
from loyalty.programme import policies
from schema.campaigns import CampaignSegment, CampaignSegmentInput, RfmSegment
from schema.context import Context
from schema.errors import (
    INPUT,
    ConflictError,
    NotFoundError,
    VersionConflictError,
    result_union,
    returns_errors,
)
from schema.scalars import BigInt
from schema.types import (
    AfterCursor,
    Connection,
    PageSize,
    connection,
    decode_cursor,
    optional_id,
    parse_id,
    save_policy,
)

VERSION = "The version you read; a change made since then is a VERSION_CONFLICT."


@strawberry.type(
    description="A member's behaviour as the last analysis run computed it. Days are the "
    "club's calendar days; a visit is a day with a purchase not wholly refunded."
)
class MemberBehaviour:
    member_id: strawberry.ID = strawberry.field(description="The member.")
    visit_count: int = strawberry.field(description="Visits.")
    first_visit_on: date | None = strawberry.field(description="The first visit's day.")
    last_visit_on: date | None = strawberry.field(description="The last visit's day.")
    days_since_last_visit: int | None = strawberry.field(description="On `computedOn`.")
    average_gap_days: float | None = strawberry.field(description="Mean days between visits.")
    median_gap_days: float | None = strawberry.field(description="Usual days between visits.")
    expected_visit_on: date | None = strawberry.field(
        description="The last visit plus the median gap."
    )
    spend_total: BigInt = strawberry.field(description="Rials spent, less refunds.")
    spend_per_visit: BigInt = strawberry.field(description="Rials per visit.")
    favourite_categories: list[str] = strawberry.field(
        description="Up to three categories, most spent first."
    )
    favourite_branch_id: strawberry.ID | None = strawberry.field(
        description="The branch visited most."
    )
    points_earned: BigInt = strawberry.field(description="Less what refunds took back.")
    points_spent: BigInt = strawberry.field(description="Less what reversals gave back.")
    points_expired: BigInt = strawberry.field(description="Points that expired.")
    credit_earned: BigInt = strawberry.field(description="Cash-back and prizes, Rials.")
    credit_used: BigInt = strawberry.field(description="Rials of credit paid with.")
    recency_score: int | None = strawberry.field(
        description="1-5 (null: never visited or no profiling consent)."
    )
    frequency_score: int | None = strawberry.field(description="1-5.")
    monetary_score: int | None = strawberry.field(description="1-5.")
    rfm_segment: RfmSegment | None = strawberry.field(description="The named RFM segment.")
    churn_risk: bool = strawberry.field(
        description="Away longer than the policy's multiple of their usual gap."
    )
    computed_on: date = strawberry.field(description="The club's day of the run.")
    computed_at: datetime = strawberry.field(description="When it ran (UTC).")

    @classmethod
    def from_model(cls, b: m.MemberBehaviour) -> MemberBehaviour:
        categories = (b.favourite_category, b.second_category, b.third_category)
        return cls(
            member_id=strawberry.ID(str(b.member_id)),  # type: ignore[attr-defined]
            visit_count=b.visit_count,
            first_visit_on=b.first_visit_on,
            last_visit_on=b.last_visit_on,
            days_since_last_visit=b.days_since_last_visit,
            average_gap_days=b.average_gap_days,
            median_gap_days=b.median_gap_days,
            expected_visit_on=b.expected_visit_on,
            spend_total=b.spend_total,
            spend_per_visit=b.spend_per_visit,
            favourite_categories=[c for c in categories if c],
            favourite_branch_id=optional_id(b.favourite_branch_id),  # type: ignore[attr-defined]
            points_earned=b.points_earned,
            points_spent=b.points_spent,
            points_expired=b.points_expired,
            credit_earned=b.credit_earned,
            credit_used=b.credit_used,
            recency_score=b.recency_score,
            frequency_score=b.frequency_score,
            monetary_score=b.monetary_score,
            rfm_segment=b.rfm_segment,
            churn_risk=b.churn_risk,
            computed_on=b.computed_on,
            computed_at=b.computed_at,
        )


@strawberry.type(description="How many members one RFM segment held.")
class RfmSegmentSize:
    segment: RfmSegment = strawberry.field(description="The segment.")
    members: int = strawberry.field(description="Members in it.")


@strawberry.type(description="The RFM segments' sizes after one nightly run.")
class RfmRun:
    run_on: date = strawberry.field(description="The club's day of the run.")
    sizes: list[RfmSegmentSize] = strawberry.field(description="Every segment, empty ones too.")


@strawberry.type(description="Members who were in one segment on one day and another later.")
class RfmMovement:
    source: RfmSegment | None = strawberry.field(
        description="The segment on the first day (null: not scored)."
    )
    target: RfmSegment | None = strawberry.field(
        description="The segment on the second day (null: not scored)."
    )
    members: int = strawberry.field(description="How many members.")


@strawberry.type(description="RFM segment sizes of the nightly runs in a period.")
class RfmRuns:
    runs: list[RfmRun] = strawberry.field(description="Oldest first.")


@strawberry.type(description="How members moved between RFM segments from one day to another.")
class RfmMovements:
    movements: list[RfmMovement] = strawberry.field(description="Largest first.")


@strawberry.type(description="A segment a manager named and saved.")
class SavedSegment:
    id: strawberry.ID = strawberry.field(description="The saved segment's id.")
    name: str = strawberry.field(description="Its name, unique.")
    description: str = strawberry.field(description="What it is for.")
    segment: CampaignSegment = strawberry.field(description="Its filters.")
    version: int = strawberry.field(description="Pass as `expectedVersion` when changing it.")
    created_at: datetime = strawberry.field(description="When it was first saved.")

    @strawberry.field(description="How many members it holds now (one count query).")
    async def members(self, info: Info[Context, None]) -> int:
        return await manage.audience_count(info.context.require_actor(), self.segment_json)

    segment_json: strawberry.Private[dict]

    @classmethod
    def from_model(cls, row: m.SavedSegment) -> SavedSegment:
        return cls(
            id=strawberry.ID(str(row.id)),
            name=row.name,
            description=row.description,
            segment=CampaignSegment.from_json(row.definition),
            version=row.version,
            created_at=row.created_at,
            segment_json=row.definition,
        )


@strawberry.input(description="A segment to save under a name.")
class SavedSegmentInput:
    name: str = strawberry.field(description="Its name, unique.")
    description: str = strawberry.field(default="", description="What it is for.")
    segment: CampaignSegmentInput = strawberry.field(description="Its filters.")

    def to_domain(self) -> SegmentSpec:
        return SegmentSpec(self.name, self.segment.to_domain(), self.description)


@strawberry.input(description="A saved segment's new definition.")
class UpdateSavedSegmentInput(SavedSegmentInput):
    id: strawberry.ID = strawberry.field(description="The saved segment.")
    expected_version: int | None = strawberry.field(default=None, description=VERSION)


@strawberry.type(description="A segment was saved.")
class SegmentSaved:
    saved_segment: SavedSegment = strawberry.field(description="As it is now.")


@strawberry.type(description="When a member counts as at risk of churning.")
class AnalysisPolicy:
    churn_gap_multiple: float = strawberry.field(
        description="At risk when the days since the last visit exceed this many usual gaps."
    )
    churn_min_visits: int = strawberry.field(
        description="Visits a member needs before they have a usual gap."
    )
    version: int = strawberry.field(description="Pass as `expectedVersion` (0: never set).")


@strawberry.input(description="The analysis policy; what is left out takes its default.")
class AnalysisPolicyInput:
    churn_gap_multiple: float | None = strawberry.field(default=None, description="1 to 20.")
    churn_min_visits: int | None = strawberry.field(default=None, description="2 to 100.")
    expected_version: int | None = strawberry.field(default=None, description=VERSION)


@strawberry.type(description="The analysis policy was saved (the next run uses it).")
class AnalysisPolicySaved:
    policy: AnalysisPolicy = strawberry.field(description="The policy as it is now.")


AnalysisPolicyResult = result_union(
    "AnalysisPolicyResult",
    "Result of setAnalysisPolicy.",
    AnalysisPolicySaved,
    VersionConflictError,
)
MemberBehaviourLookup = result_union(
    "MemberBehaviourLookup",
    "Result of reading a member's behaviour.",
    MemberBehaviour,
    NotFoundError,
)
RfmRunsResult = result_union("RfmRunsResult", "Result of reading segment sizes.", RfmRuns)
RfmMovementsResult = result_union(
    "RfmMovementsResult", "Result of reading segment movement.", RfmMovements
)
SavedSegmentLookup = result_union(
    "SavedSegmentLookup", "Result of looking up a saved segment.", SavedSegment, NotFoundError
)
SavedSegmentResult = result_union(
    "SavedSegmentResult",
    "Result of saving a segment.",
    SegmentSaved,
    NotFoundError,
    ConflictError,
    VersionConflictError,
)


@strawberry.type
class AnalysisQueries:
    @strawberry.field(description="Manager: a member's behaviour figures, RFM and churn risk.")
    @returns_errors
    async def member_behaviour(
        self,
        info: Info[Context, None],
        member_id: Annotated[strawberry.ID, strawberry.argument(description="The member.")],
    ) -> MemberBehaviourLookup:
        found = await reads.behaviour(info.context.require_actor(), parse_id(member_id, "memberId"))
        return MemberBehaviour.from_model(found)

    @strawberry.field(description="Manager: when a member counts as at risk of churning.")
    async def analysis_policy(self, info: Info[Context, None]) -> AnalysisPolicy:
        policy, version = await policies.read(info.context.require_actor(), "analysis")
        return AnalysisPolicy(**policy.model_dump(), version=version)

    @strawberry.field(description="Manager: RFM segment sizes of each nightly run in a period.")
    @returns_errors
    async def rfm_segment_sizes(
        self,
        info: Info[Context, None],
        since: Annotated[date, strawberry.argument(description="First day (club's calendar).")],
        until: Annotated[date, strawberry.argument(description="Last day.")],
    ) -> RfmRunsResult:
        found = await reads.segment_sizes(info.context.require_actor(), since, until)
        return RfmRuns(runs=[_run(r) for r in found])

    @strawberry.field(
        description="Manager: how many members moved from each RFM segment to each other "
        "between two days (each day as the latest run by then left them)."
    )
    @returns_errors
    async def rfm_segment_movement(
        self,
        info: Info[Context, None],
        from_date: Annotated[date, strawberry.argument(description="The earlier day.")],
        to_date: Annotated[date, strawberry.argument(description="The later day.")],
    ) -> RfmMovementsResult:
        found = await reads.segment_movement(info.context.require_actor(), from_date, to_date)
        return RfmMovements(
            movements=[
                RfmMovement(source=f.source, target=f.target, members=f.members) for f in found
            ]
        )

    @strawberry.field(description="Manager: saved segments, newest first.")
    async def saved_segments(
        self, info: Info[Context, None], first: PageSize = 20, after: AfterCursor = None
    ) -> Connection[SavedSegment]:
        page = await saved.listed(
            info.context.require_actor(),
            first=first,
            before_id=decode_cursor("saved-segment", after),
        )
        return connection("saved-segment", page, SavedSegment.from_model)

    @strawberry.field(description="Manager: one saved segment.")
    @returns_errors
    async def saved_segment(
        self,
        info: Info[Context, None],
        id: Annotated[strawberry.ID, strawberry.argument(description="Its id.")],
    ) -> SavedSegmentLookup:
        return SavedSegment.from_model(
            await saved.get(info.context.require_actor(), parse_id(id, "id"))
        )


def _run(r: rfm.RunSizes) -> RfmRun:
    return RfmRun(
        run_on=r.run_on,
        sizes=[RfmSegmentSize(segment=s, members=n) for s, n in r.sizes.items()],
    )


@strawberry.type
class AnalysisMutations:
    @strawberry.mutation(description="Manager: set when a member counts as at risk of churning.")
    @returns_errors
    async def set_analysis_policy(
        self,
        info: Info[Context, None],
        input: Annotated[AnalysisPolicyInput, strawberry.argument(description=INPUT)],
    ) -> AnalysisPolicyResult:
        policy, version = await save_policy(info.context.require_actor(), "analysis", input)
        return AnalysisPolicySaved(policy=AnalysisPolicy(**policy.model_dump(), version=version))

    @strawberry.mutation(description="Manager: save a segment under a name.")
    @returns_errors
    async def create_saved_segment(
        self,
        info: Info[Context, None],
        input: Annotated[SavedSegmentInput, strawberry.argument(description=INPUT)],
    ) -> SavedSegmentResult:
        row = await saved.create(info.context.require_actor(), input.to_domain())
        return SegmentSaved(saved_segment=SavedSegment.from_model(row))

    @strawberry.mutation(
        description="Manager: change a saved segment; campaigns not yet started use the change."
    )
    @returns_errors
    async def update_saved_segment(
        self,
        info: Info[Context, None],
        input: Annotated[UpdateSavedSegmentInput, strawberry.argument(description=INPUT)],
    ) -> SavedSegmentResult:
        row = await saved.update(
            info.context.require_actor(),
            parse_id(input.id, "id"),
            input.to_domain(),
            expected_version=input.expected_version,
        )
        return SegmentSaved(saved_segment=SavedSegment.from_model(row))
