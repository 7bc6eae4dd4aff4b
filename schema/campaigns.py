"""Campaigns: managers message a segment of members, with a holdout group that gets nothing, and
read the progress and the report (delivery, redemptions, the uplift over the holdout)."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import Annotated

import strawberry
from strawberry.types import Info

from loyalty import models as m
from loyalty.campaigns import manage, report, segments
from loyalty.campaigns.manage import CampaignSpec
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
)

CampaignStatus = strawberry.enum(m.CampaignStatus, description="Where a campaign is in its life.")
RfmSegment = strawberry.enum(
    m.RfmSegment,
    description="A member's RFM segment: recency against the average of frequency and monetary.",
)
BEHAVIOUR = "Behaviour filters hold only members with profiling consent."
_ID_LISTS = (
    ("tier_ids", "segment.tierIds"),
    ("branch_ids", "segment.branchIds"),
    ("favourite_branch_ids", "segment.favouriteBranchIds"),
)
VERSION = "The version you read; a change made since then is a VERSION_CONFLICT."
TEMPLATE = "{name}, {first_name} and {last_name} are filled in for each member."


def _ids(values: list[int]) -> list[strawberry.ID]:
    return [strawberry.ID(str(v)) for v in values]


@strawberry.type(description="Who a campaign is for: members passing every filter given.")
class CampaignSegment:
    tier_ids: list[strawberry.ID] = strawberry.field(description="In these tiers (empty: any).")
    branch_ids: list[strawberry.ID] = strawberry.field(
        description="Enrolled at these branches (empty: any)."
    )
    min_age: int | None = strawberry.field(description="At least this old (years).")
    max_age: int | None = strawberry.field(description="At most this old (years).")
    genders: list[str] = strawberry.field(description="female, male, other (empty: any).")
    cities: list[str] = strawberry.field(description="Living in these cities (empty: any).")
    min_spend: BigInt | None = strawberry.field(description="Spent at least, Rials.")
    max_spend: BigInt | None = strawberry.field(description="Spent at most, Rials.")
    min_visits: int | None = strawberry.field(description="At least this many visits.")
    max_visits: int | None = strawberry.field(description="At most this many visits.")
    min_days_since_last_visit: int | None = strawberry.field(
        description="Last visit at least this many days ago."
    )
    max_days_since_last_visit: int | None = strawberry.field(
        description="Last visit at most this many days ago."
    )
    consenting_only: bool = strawberry.field(
        description="Only members who accepted marketing (others would be held back)."
    )
    rfm_segments: list[RfmSegment] = strawberry.field(
        description=f"In these RFM segments (empty: any). {BEHAVIOUR}"
    )
    min_recency_score: int | None = strawberry.field(description="Recency score at least, 1-5.")
    max_recency_score: int | None = strawberry.field(description="Recency score at most, 1-5.")
    min_frequency_score: int | None = strawberry.field(description="Frequency score at least.")
    max_frequency_score: int | None = strawberry.field(description="Frequency score at most.")
    min_monetary_score: int | None = strawberry.field(description="Monetary score at least.")
    max_monetary_score: int | None = strawberry.field(description="Monetary score at most.")
    churn_risk: bool | None = strawberry.field(
        description="At risk of churning (true) or not (false); null: either."
    )
    min_median_gap_days: float | None = strawberry.field(
        description="Usual (median) days between visits, at least."
    )
    max_median_gap_days: float | None = strawberry.field(
        description="Usual (median) days between visits, at most."
    )
    favourite_categories: list[str] = strawberry.field(
        description="Favourite category (most spent) one of these (empty: any)."
    )
    favourite_branch_ids: list[strawberry.ID] = strawberry.field(
        description="Favourite branch (most visits) one of these (empty: any)."
    )

    @classmethod
    def from_json(cls, raw: dict) -> CampaignSegment:
        s = segments.parse(raw)
        lists = {name: _ids(getattr(s, name)) for name, _ in _ID_LISTS}
        return cls(
            **s.model_dump(exclude={name for name, _ in _ID_LISTS} | {"rfm_segments"}),
            **lists,
            rfm_segments=[m.RfmSegment(v) for v in s.rfm_segments],
        )


@strawberry.input(description="Who a campaign is for; leave out the filters that do not matter.")
class CampaignSegmentInput:
    tier_ids: list[strawberry.ID] | None = strawberry.field(default=None, description="Tiers.")
    branch_ids: list[strawberry.ID] | None = strawberry.field(
        default=None, description="Branches enrolled at."
    )
    min_age: int | None = strawberry.field(default=None, description="At least, years.")
    max_age: int | None = strawberry.field(default=None, description="At most, years.")
    genders: list[str] | None = strawberry.field(default=None, description="female, male, other.")
    cities: list[str] | None = strawberry.field(default=None, description="Cities.")
    min_spend: BigInt | None = strawberry.field(default=None, description="Spent at least, Rials.")
    max_spend: BigInt | None = strawberry.field(default=None, description="Spent at most, Rials.")
    min_visits: int | None = strawberry.field(default=None, description="Visits, at least.")
    max_visits: int | None = strawberry.field(default=None, description="Visits, at most.")
    min_days_since_last_visit: int | None = strawberry.field(
        default=None, description="Last visit at least this many days ago."
    )
    max_days_since_last_visit: int | None = strawberry.field(
        default=None, description="Last visit at most this many days ago."
    )
    consenting_only: bool = strawberry.field(
        default=True, description="Only members who accepted marketing."
    )
    rfm_segments: list[RfmSegment] | None = strawberry.field(
        default=None, description=f"RFM segments. {BEHAVIOUR}"
    )
    min_recency_score: int | None = strawberry.field(default=None, description="1 to 5.")
    max_recency_score: int | None = strawberry.field(default=None, description="1 to 5.")
    min_frequency_score: int | None = strawberry.field(default=None, description="1 to 5.")
    max_frequency_score: int | None = strawberry.field(default=None, description="1 to 5.")
    min_monetary_score: int | None = strawberry.field(default=None, description="1 to 5.")
    max_monetary_score: int | None = strawberry.field(default=None, description="1 to 5.")
    churn_risk: bool | None = strawberry.field(
        default=None, description="At risk of churning, or not."
    )
    min_median_gap_days: float | None = strawberry.field(
        default=None, description="Usual days between visits, at least."
    )
    max_median_gap_days: float | None = strawberry.field(
        default=None, description="Usual days between visits, at most."
    )
    favourite_categories: list[str] | None = strawberry.field(
        default=None, description="Favourite categories."
    )
    favourite_branch_ids: list[strawberry.ID] | None = strawberry.field(
        default=None, description="Favourite branches."
    )

    def to_domain(self) -> dict:
        special = {name for name, _ in _ID_LISTS} | {"rfm_segments"}
        values = {
            f.name: getattr(self, f.name)
            for f in dataclasses.fields(self)
            if getattr(self, f.name) is not None and f.name not in special
        }
        for name, field in _ID_LISTS:
            given = getattr(self, name)
            if given is not None:
                values[name] = [parse_id(v, f"{field}.{n}") for n, v in enumerate(given)]
        if self.rfm_segments is not None:
            values["rfm_segments"] = [segment.value for segment in self.rfm_segments]
        return values


@strawberry.type(description="Messages held back for one reason.")
class SuppressedCount:
    reason: str = strawberry.field(description="Why (English).")
    count: int = strawberry.field(description="How many.")


@strawberry.type(description="What became of a campaign's messages.")
class CampaignDelivery:
    sent: int = strawberry.field(description="Delivered to the inbox (and by push or SMS).")
    scheduled: int = strawberry.field(description="Waiting for the end of quiet hours.")
    suppressed: int = strawberry.field(description="Held back (consent, weekly cap).")
    failed: int = strawberry.field(description="Could not be sent.")
    suppressed_by_reason: list[SuppressedCount] = strawberry.field(
        description="Why messages were held back, most common first."
    )

    @classmethod
    def from_domain(cls, d: report.Delivery) -> CampaignDelivery:
        reasons = sorted(d.suppressed_by_reason.items(), key=lambda item: -item[1])
        return cls(
            sent=d.sent,
            scheduled=d.scheduled,
            suppressed=d.suppressed,
            failed=d.failed,
            suppressed_by_reason=[SuppressedCount(reason=r, count=n) for r, n in reasons],
        )


@strawberry.type(description="How far a campaign's send has come.")
class CampaignProgress:
    audience: int = strawberry.field(description="Members chosen when it started.")
    treatment: int = strawberry.field(description="Of them, to be messaged.")
    holdout: int = strawberry.field(description="Of them, held out at random.")
    chunks: int = strawberry.field(description="Chunks of the treatment group to send.")
    chunks_done: int = strawberry.field(description="Chunks sent.")
    delivery: CampaignDelivery = strawberry.field(description="The messages so far.")


@strawberry.type(description="What one group of the audience did after the send started.")
class CampaignGroupResult:
    members: int = strawberry.field(description="Members in the group.")
    visitors: int = strawberry.field(description="Of them, who visited.")
    visits: int = strawberry.field(description="Purchases.")
    revenue: BigInt = strawberry.field(description="Rials spent, less refunds.")
    offer_users: int = strawberry.field(description="Members who got the attached offer.")
    visits_per_member: float = strawberry.field(description="Visits per member.")
    revenue_per_member: BigInt = strawberry.field(description="Rials per member.")

    @classmethod
    def from_domain(cls, g: report.GroupResult) -> CampaignGroupResult:
        return cls(
            members=g.members,
            visitors=g.visitors,
            visits=g.visits,
            revenue=g.revenue,
            offer_users=g.offer_users,
            visits_per_member=g.visits_per_member,
            revenue_per_member=g.revenue_per_member,
        )


@strawberry.type(description="The campaign's effect: the treatment group against the holdout.")
class CampaignUplift:
    visits_per_member: float = strawberry.field(description="Treatment minus holdout.")
    revenue_per_member: BigInt = strawberry.field(description="Treatment minus holdout, Rials.")
    visits_ratio: float | None = strawberry.field(
        description="Treatment over holdout (null: the holdout made none)."
    )
    revenue_ratio: float | None = strawberry.field(
        description="Treatment over holdout (null: the holdout spent nothing)."
    )


@strawberry.type(description="A campaign's results from the start of its send until now.")
class CampaignReport:
    since: datetime | None = strawberry.field(description="The start of the send (UTC).")
    until: datetime = strawberry.field(description="The end of the period (now).")
    delivery: CampaignDelivery = strawberry.field(description="What became of the messages.")
    vouchers_issued: int = strawberry.field(description="Vouchers the treatment group got.")
    vouchers_redeemed: int = strawberry.field(description="Of them, used at least once.")
    treatment: CampaignGroupResult = strawberry.field(description="The members messaged.")
    holdout: CampaignGroupResult = strawberry.field(description="The members held out.")
    uplift: CampaignUplift = strawberry.field(description="Treatment against holdout.")

    @classmethod
    def from_domain(cls, r: report.Report) -> CampaignReport:
        u = r.uplift
        return cls(
            since=r.since,
            until=r.until,
            delivery=CampaignDelivery.from_domain(r.delivery),
            vouchers_issued=r.vouchers_issued,
            vouchers_redeemed=r.vouchers_redeemed,
            treatment=CampaignGroupResult.from_domain(r.treatment),
            holdout=CampaignGroupResult.from_domain(r.holdout),
            uplift=CampaignUplift(
                visits_per_member=u.visits_per_member,
                revenue_per_member=u.revenue_per_member,
                visits_ratio=u.visits_ratio,
                revenue_ratio=u.revenue_ratio,
            ),
        )


@strawberry.type(description="A manager's message to a segment of members.")
class Campaign:
    id: strawberry.ID = strawberry.field(description="The campaign's id.")
    name: str = strawberry.field(description="The manager's name for it.")
    title: str = strawberry.field(description=f"The message's title template. {TEMPLATE}")
    body: str = strawberry.field(description=f"The message's text template. {TEMPLATE}")
    segment: CampaignSegment = strawberry.field(
        description="Who it is for (with a saved segment: its definition when it started)."
    )
    saved_segment_id: strawberry.ID | None = strawberry.field(
        description="The saved segment it is for, as that is when it starts."
    )
    holdout_percent: int = strawberry.field(description="Share of the audience held out.")
    coupon_id: strawberry.ID | None = strawberry.field(
        description="Each member messaged gets a voucher of this coupon."
    )
    voucher_days: int = strawberry.field(description="Days each voucher lasts.")
    offer_id: strawberry.ID | None = strawberry.field(
        description="The discount rule the message is about."
    )
    status: CampaignStatus = strawberry.field(description="Draft, scheduled, sending, …")
    scheduled_at: datetime | None = strawberry.field(description="When it is sent (UTC).")
    started_at: datetime | None = strawberry.field(description="When its send began.")
    finished_at: datetime | None = strawberry.field(description="When it was sent or cancelled.")
    seed: str = strawberry.field(description="The holdout was drawn from it (empty: not yet).")
    version: int = strawberry.field(description="Pass as `expectedVersion` when changing it.")

    @strawberry.field(description="How far its send has come.")
    async def progress(self, info: Info[Context, None]) -> CampaignProgress:
        p = await report.progress(info.context.require_actor(), int(self.id))
        return CampaignProgress(
            audience=p.audience,
            treatment=p.treatment,
            holdout=p.holdout,
            chunks=p.chunks,
            chunks_done=p.chunks_done,
            delivery=CampaignDelivery.from_domain(p.delivery),
        )

    @strawberry.field(description="Its results so far: delivery, redemptions, the uplift.")
    async def report(self, info: Info[Context, None]) -> CampaignReport:
        found = await report.report(info.context.require_actor(), int(self.id))
        return CampaignReport.from_domain(found)

    @classmethod
    def from_model(cls, row: m.Campaign) -> Campaign:
        return cls(
            id=strawberry.ID(str(row.id)),
            name=row.name,
            title=row.title,
            body=row.body,
            segment=CampaignSegment.from_json(row.segment),
            saved_segment_id=optional_id(row.saved_segment_id),  # type: ignore[attr-defined]
            holdout_percent=row.holdout_percent,
            coupon_id=optional_id(row.coupon_id),  # type: ignore[attr-defined]
            voucher_days=row.voucher_days,
            offer_id=optional_id(row.offer_id),  # type: ignore[attr-defined]
            status=row.status,
            scheduled_at=row.scheduled_at,
            started_at=row.started_at,
            finished_at=row.finished_at,
            seed=row.seed,
            version=row.version,
        )


@strawberry.input(description="A campaign as a manager writes it.")
class CampaignInput:
    name: str = strawberry.field(description="A name for managers.")
    title: str = strawberry.field(description=f"The message's title. {TEMPLATE}")
    body: str = strawberry.field(description=f"The message's text. {TEMPLATE}")
    segment: CampaignSegmentInput | None = strawberry.field(
        default=None, description="Who it is for (everyone consenting, when left out)."
    )
    saved_segment_id: strawberry.ID | None = strawberry.field(
        default=None,
        description="A saved segment instead of `segment`: as it is when the campaign starts.",
    )
    holdout_percent: int = strawberry.field(
        default=0, description="Share of the audience held out at random, 0 to 50."
    )
    coupon_id: strawberry.ID | None = strawberry.field(
        default=None, description="A voucher of this coupon for each member messaged."
    )
    voucher_days: int = strawberry.field(default=14, description="Days each voucher lasts.")
    offer_id: strawberry.ID | None = strawberry.field(
        default=None, description="A discount rule the message is about."
    )

    def to_domain(self) -> CampaignSpec:
        return CampaignSpec(
            name=self.name,
            title=self.title,
            body=self.body,
            segment=self.segment.to_domain() if self.segment else {},
            holdout_percent=self.holdout_percent,
            coupon_id=parse_id(self.coupon_id, "couponId") if self.coupon_id else None,
            voucher_days=self.voucher_days,
            offer_id=parse_id(self.offer_id, "offerId") if self.offer_id else None,
            saved_segment_id=(
                parse_id(self.saved_segment_id, "savedSegmentId") if self.saved_segment_id else None
            ),
        )


@strawberry.input(description="A campaign's new definition (until it starts).")
class UpdateCampaignInput(CampaignInput):
    id: strawberry.ID = strawberry.field(description="The campaign.")
    expected_version: int | None = strawberry.field(default=None, description=VERSION)


@strawberry.input(description="When to send a campaign.")
class ScheduleCampaignInput:
    id: strawberry.ID = strawberry.field(description="The campaign.")
    at: datetime | None = strawberry.field(
        default=None, description="The moment, with its time zone (none: now)."
    )
    expected_version: int | None = strawberry.field(default=None, description=VERSION)


@strawberry.input(description="Stop a campaign: it sends nothing more.")
class CancelCampaignInput:
    id: strawberry.ID = strawberry.field(description="The campaign.")
    expected_version: int | None = strawberry.field(default=None, description=VERSION)


@strawberry.type(description="A campaign was saved.")
class CampaignSaved:
    campaign: Campaign = strawberry.field(description="The campaign as it is now.")


@strawberry.type(description="How many members a segment holds now.")
class CampaignAudience:
    members: int = strawberry.field(description="Members in the segment.")


CampaignResult = result_union(
    "CampaignResult",
    "Result of a change to a campaign.",
    CampaignSaved,
    NotFoundError,
    ConflictError,
    VersionConflictError,
)
CampaignLookup = result_union(
    "CampaignLookup", "Result of looking up a campaign.", Campaign, NotFoundError
)
CampaignAudienceResult = result_union(
    "CampaignAudienceResult", "Result of counting a segment's members.", CampaignAudience
)


@strawberry.type
class CampaignQueries:
    @strawberry.field(description="Manager: campaigns, newest first.")
    async def campaigns(
        self,
        info: Info[Context, None],
        status: Annotated[
            CampaignStatus | None, strawberry.argument(description="Only of this status.")
        ] = None,
        first: PageSize = 20,
        after: AfterCursor = None,
    ) -> Connection[Campaign]:
        page = await manage.listed(
            info.context.require_actor(),
            first=first,
            before_id=decode_cursor("campaign", after),
            status=status,
        )
        return connection("campaign", page, Campaign.from_model)

    @strawberry.field(description="Manager: one campaign.")
    @returns_errors
    async def campaign(
        self,
        info: Info[Context, None],
        id: Annotated[strawberry.ID, strawberry.argument(description="The campaign's id.")],
    ) -> CampaignLookup:
        return Campaign.from_model(
            await manage.get(info.context.require_actor(), parse_id(id, "id"))
        )

    @strawberry.field(description="Manager: how many members a segment holds now (a preview).")
    @returns_errors
    async def campaign_audience(
        self,
        info: Info[Context, None],
        segment: Annotated[CampaignSegmentInput, strawberry.argument(description="The segment.")],
    ) -> CampaignAudienceResult:
        count = await manage.audience_count(info.context.require_actor(), segment.to_domain())
        return CampaignAudience(members=count)


@strawberry.type
class CampaignMutations:
    @strawberry.mutation(description="Manager: write a campaign (a draft).")
    @returns_errors
    async def create_campaign(
        self,
        info: Info[Context, None],
        input: Annotated[CampaignInput, strawberry.argument(description=INPUT)],
    ) -> CampaignResult:
        saved = await manage.create(info.context.require_actor(), input.to_domain())
        return CampaignSaved(campaign=Campaign.from_model(saved))

    @strawberry.mutation(description="Manager: change a campaign that has not started.")
    @returns_errors
    async def update_campaign(
        self,
        info: Info[Context, None],
        input: Annotated[UpdateCampaignInput, strawberry.argument(description=INPUT)],
    ) -> CampaignResult:
        saved = await manage.update(
            info.context.require_actor(),
            parse_id(input.id, "id"),
            input.to_domain(),
            expected_version=input.expected_version,
        )
        return CampaignSaved(campaign=Campaign.from_model(saved))

    @strawberry.mutation(
        description="Manager: send a campaign at a moment (or move it); it starts within a "
        "minute of it."
    )
    @returns_errors
    async def schedule_campaign(
        self,
        info: Info[Context, None],
        input: Annotated[ScheduleCampaignInput, strawberry.argument(description=INPUT)],
    ) -> CampaignResult:
        saved = await manage.schedule(
            info.context.require_actor(),
            parse_id(input.id, "id"),
            input.at,
            expected_version=input.expected_version,
        )
        return CampaignSaved(campaign=Campaign.from_model(saved))

    @strawberry.mutation(description="Manager: cancel a campaign; a sending one stops.")
    @returns_errors
    async def cancel_campaign(
        self,
        info: Info[Context, None],
        input: Annotated[CancelCampaignInput, strawberry.argument(description=INPUT)],
    ) -> CampaignResult:
        saved = await manage.cancel(
            info.context.require_actor(),
            parse_id(input.id, "id"),
            expected_version=input.expected_version,
        )
        return CampaignSaved(campaign=Campaign.from_model(saved))
