"""Segments: which members a campaign is for, as a manager defines them, evaluated in SQL.

A segment is a set of filters, all of which a member must pass; a filter left out passes
everyone. A club may have a million members: the audience is counted by one query, and its
members are read in batches in member order.

Filters on the behaviour analysis (RFM segment and scores, churn risk, gaps between visits,
favourite category and branch: `loyalty.analysis`) join the members' computed figures, and hold
only members with profiling consent: members who refused it are never chosen for marketing by
what was inferred from their behaviour. Visits, spend and days since the last visit come from the
standings kept with every purchase, for everyone, as before.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from loyalty import clock, sql
from loyalty.errors import InvalidInput
from loyalty.models import Branch, RfmSegment, Tier
from loyalty.validation import MAX_AGE_YEARS, MAX_RIAL

BATCH = 10_000
MAX_LISTED = 100  # tiers, branches or cities one segment names
Days = Annotated[int, Field(ge=0, le=36_500)]
Count = Annotated[int, Field(ge=0, le=1_000_000)]
Rials = Annotated[int, Field(ge=0, le=MAX_RIAL)]
Age = Annotated[int, Field(ge=0, le=MAX_AGE_YEARS)]
City = Annotated[str, Field(min_length=1, max_length=100)]
Id = Annotated[int, Field(ge=1)]
Score = Annotated[int, Field(ge=1, le=5)]
Category = Annotated[str, Field(min_length=1, max_length=64)]
GapDays = Annotated[float, Field(ge=0, le=36_500)]
SegmentName = Literal[tuple(s.value for s in RfmSegment)]  # type: ignore[valid-type]


class Segment(BaseModel):
    """The filters; bounds are inclusive. Members who never visited pass no filter on the days
    since their last visit; members without a birthday pass no filter on age."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    tier_ids: list[Id] = Field(default=[], max_length=MAX_LISTED)
    branch_ids: list[Id] = Field(default=[], max_length=MAX_LISTED, description="Enrolled at")
    min_age: Age | None = None
    max_age: Age | None = None
    genders: list[Literal["female", "male", "other"]] = []
    cities: list[City] = Field(default=[], max_length=MAX_LISTED)
    min_spend: Rials | None = None  # Rials spent in all, less refunds
    max_spend: Rials | None = None
    min_visits: Count | None = None
    max_visits: Count | None = None
    min_days_since_last_visit: Days | None = None
    max_days_since_last_visit: Days | None = None
    # Members who did not accept marketing would only be held back: leave them out.
    consenting_only: bool = True
    # From the behaviour analysis: these hold only members with profiling consent.
    rfm_segments: list[SegmentName] = Field(default=[], max_length=len(RfmSegment))
    min_recency_score: Score | None = None
    max_recency_score: Score | None = None
    min_frequency_score: Score | None = None
    max_frequency_score: Score | None = None
    min_monetary_score: Score | None = None
    max_monetary_score: Score | None = None
    churn_risk: bool | None = None
    min_median_gap_days: GapDays | None = None
    max_median_gap_days: GapDays | None = None
    favourite_categories: list[Category] = Field(default=[], max_length=MAX_LISTED)
    favourite_branch_ids: list[Id] = Field(default=[], max_length=MAX_LISTED)

    @property
    def profiles_behaviour(self) -> bool:
        """Whether it picks members by their behaviour (spend, visits, recency)."""
        return any(
            value is not None
            for value in (
                self.min_spend,
                self.max_spend,
                self.min_visits,
                self.max_visits,
                self.min_days_since_last_visit,
                self.max_days_since_last_visit,
            )
        )

    @model_validator(mode="after")
    def _ranges(self) -> Segment:
        for low, high in (
            ("min_age", "max_age"),
            ("min_spend", "max_spend"),
            ("min_visits", "max_visits"),
            ("min_days_since_last_visit", "max_days_since_last_visit"),
            *_BEHAVIOUR_RANGES,
        ):
            lowest, highest = getattr(self, low), getattr(self, high)
            if lowest is not None and highest is not None and lowest > highest:
                raise ValueError(f"{_camel(low)} is more than {_camel(high)}")
        return self

    def as_json(self) -> dict:
        return self.model_dump(exclude_defaults=True)

    @property
    def uses_behaviour(self) -> bool:
        return any(
            getattr(self, name) not in (None, [])
            for name in ("rfm_segments", "churn_risk", "favourite_categories",
                         "favourite_branch_ids", *(n for pair in _BEHAVIOUR_RANGES for n in pair))
        )  # fmt: skip


_SCORES = ("recency", "frequency", "monetary")
_BEHAVIOUR_RANGES = (
    *((f"min_{s}_score", f"max_{s}_score") for s in _SCORES),
    ("min_median_gap_days", "max_median_gap_days"),
)


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def parse(raw: object) -> Segment:
    """A segment from its JSON; refused with the culprit named (`segment.minAge`)."""
    try:
        return Segment.model_validate(raw or {})
    except ValidationError as error:
        first = error.errors()[0]
        path = ".".join(_camel(str(part)) for part in ("segment", *first["loc"]))
        message = first["msg"].removeprefix("Value error, ")
        raise InvalidInput(f"{path}: {message}", field=path) from None


async def check_references(segment: Segment) -> None:
    """The tiers and branches it names exist."""
    for model, ids, field in (
        (Tier, segment.tier_ids, "segment.tierIds"),
        (Branch, segment.branch_ids, "segment.branchIds"),
        (Branch, segment.favourite_branch_ids, "segment.favouriteBranchIds"),
    ):
        found = set(await model.filter(id__in=ids).values_list("id", flat=True)) if ids else set()
        missing = sorted(set(ids) - found)
        if missing:
            raise InvalidInput(f"{field}: {missing[0]} does not exist", field=field)


def _years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February in a year without one
        return day.replace(year=day.year - years, day=28)


@dataclass(frozen=True, slots=True)
class _Where:
    text: str
    params: list[object]


def _conditions(segment: Segment, at: datetime) -> _Where:
    """The segment as a WHERE over `member m JOIN member_standing s`."""
    parts: list[str] = []
    params: list[object] = []

    def add(text: str, *values: object) -> None:
        parts.append(text)
        params.extend(values)

    def among(column: str, values: list) -> None:
        if values:
            add(f"{column} IN ({', '.join('?' * len(values))})", *values)

    if segment.consenting_only:
        add("m.marketing_consent = ?", True)
    if segment.profiles_behaviour or segment.uses_behaviour:
        # Choosing members by what they do is profiling: only those who allowed it.
        add("m.profiling_consent = ?", True)
    among("s.tier_id", segment.tier_ids)
    among("m.enrolled_branch_id", segment.branch_ids)
    among("m.gender", segment.genders)
    among("m.city", [city.strip() for city in segment.cities])
    today = clock.local_date(at)
    if segment.min_age is not None:  # had their min_age-th birthday by today
        add("m.birthday <= ?", _years_before(today, segment.min_age))
    if segment.max_age is not None:  # not yet their (max_age + 1)-th
        add("m.birthday > ?", _years_before(today, segment.max_age + 1))
    for column, low, high in (
        ("s.spend_total", segment.min_spend, segment.max_spend),
        ("s.visit_count", segment.min_visits, segment.max_visits),
    ):
        if low is not None:
            add(f"{column} >= ?", low)
        if high is not None:
            add(f"{column} <= ?", high)
    # Calendar days in the club's zone, as the earning rules count them.
    if segment.min_days_since_last_visit is not None:
        day = today - timedelta(days=segment.min_days_since_last_visit - 1)
        add("s.last_visit_at < ?", clock.midnight(day))
    if segment.max_days_since_last_visit is not None:
        day = today - timedelta(days=segment.max_days_since_last_visit)
        add("s.last_visit_at >= ?", clock.midnight(day))
    if segment.uses_behaviour:
        _behaviour_conditions(segment, add, among)
    return _Where(" AND ".join(parts) or "1 = 1", params)


def _behaviour_conditions(
    segment: Segment, add: Callable[..., None], among: Callable[[str, list], None]
) -> None:
    """The analysis' filters, over `member_behaviour b`."""
    among("b.rfm_segment", segment.rfm_segments)
    among("b.favourite_category", [c.strip() for c in segment.favourite_categories])
    among("b.favourite_branch_id", segment.favourite_branch_ids)
    if segment.churn_risk is not None:
        add("b.churn_risk = ?", segment.churn_risk)
    columns = [f"b.{s}_score" for s in _SCORES] + ["b.median_gap_days"]
    for column, (low, high) in zip(columns, _BEHAVIOUR_RANGES, strict=True):
        if getattr(segment, low) is not None:
            add(f"{column} >= ?", getattr(segment, low))
        if getattr(segment, high) is not None:
            add(f"{column} <= ?", getattr(segment, high))


_FROM = "FROM member m JOIN member_standing s ON s.member_id = m.id"
_WITH_BEHAVIOUR = f"{_FROM} JOIN member_behaviour b ON b.member_id = m.id"


def _from(segment: Segment) -> str:
    return _WITH_BEHAVIOUR if segment.uses_behaviour else _FROM


async def count(segment: Segment, at: datetime) -> int:
    """How many members are in the segment at `at`."""
    where = _conditions(segment, at)
    [row] = await sql.fetch(
        f"SELECT COUNT(*) AS n {_from(segment)} WHERE {where.text}", where.params
    )
    return int(row["n"])


async def member_ids(
    segment: Segment, at: datetime, batch: int = BATCH
) -> AsyncIterator[list[int]]:
    """The segment's members at `at`, in batches, lowest id first."""
    where = _conditions(segment, at)
    after = 0
    while True:
        rows = await sql.fetch(
            f"SELECT m.id {_from(segment)} WHERE {where.text} AND m.id > ? ORDER BY m.id LIMIT ?",
            [*where.params, after, batch],
        )
        if not rows:
            return
        ids = [int(row["id"]) for row in rows]
        yield ids
        after = ids[-1]
