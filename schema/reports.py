"""Managers' reports: each by name over club-local days written in the club's calendar,
as tables (named columns, rows of cells), and as a file to download (CSV, Excel, PNG, HTML).

A report's tables are bounded by what they count (days of a period of at most 366, weekdays by
hours, branches, categories, products), so they come whole, not in pages."""

from __future__ import annotations

import asyncio
import base64
import enum
from typing import Annotated

import strawberry
from strawberry.types import Info

from loyalty import reports
from loyalty.programme import policies
from loyalty.reports.export import FORMATS
from loyalty.reports.table import Table
from schema.analysis import VERSION
from schema.context import Context
from schema.errors import INPUT, VersionConflictError, result_union, returns_errors
from schema.scalars import BigInt
from schema.types import Branch, Language, save_policy


@strawberry.enum(description="A file format a report can be downloaded in.")
class ReportFormat(enum.Enum):
    CSV = "csv"
    XLSX = "xlsx"
    PNG = "png"
    HTML = "html"


@strawberry.type(description="A report the club keeps.")
class ReportKind:
    name: str = strawberry.field(description="Its name, as `report(name:)` takes it.")
    title: str = strawberry.field(description="Its title in the chosen language.")


@strawberry.type(description="A column of a report's table.")
class ReportColumn:
    key: str = strawberry.field(description="Its name in code.")
    title: str = strawberry.field(description="Its heading in the chosen language.")
    kind: str = strawberry.field(
        description="What its cells hold: text, count, rial, points, share (0-1) or number."
    )


@strawberry.type(description="A table of a report: named columns and rows of cells.")
class ReportTable:
    key: str = strawberry.field(description="Its name in code.")
    title: str = strawberry.field(description="Its title in the chosen language.")
    columns: list[ReportColumn] = strawberry.field(description="Its columns, in order.")
    rows: list[list[str | None]] = strawberry.field(
        description="Its rows: one cell a column, as plain text (numbers unformatted, "
        "null where there is no figure)."
    )

    @classmethod
    def from_domain(cls, table: Table, language: str) -> ReportTable:
        return cls(
            key=table.key,
            title=table.title.pick(language),
            columns=[ReportColumn(key=c.key, title=c.title.pick(language) or c.key, kind=c.kind)
                     for c in table.columns],
            rows=[[None if v is None else str(v) for v in row] for row in table.rows],
        )  # fmt: skip


@strawberry.type(description="A report file: its name, media type and bytes in base64.")
class ReportFile:
    file_name: str = strawberry.field(description="A name to save it under.")
    media_type: str = strawberry.field(description="Its media type.")
    base64: str = strawberry.field(description="Its bytes, base64-encoded.")


@strawberry.type(description="A report over a period, for the club or one branch.")
class Report:
    name: str = strawberry.field(description="The report's name.")
    title: str = strawberry.field(description="Its title in the chosen language.")
    period: str = strawberry.field(description="The period, written in the club's calendar.")
    branch: Branch | None = strawberry.field(description="The branch; null: the whole club.")
    tables: list[ReportTable] = strawberry.field(description="Its tables, in order.")
    built: strawberry.Private[reports.Built]
    language: strawberry.Private[str]
    first: strawberry.Private[str]
    last: strawberry.Private[str]

    @strawberry.field(description="The report as a file in this format.")
    async def file(
        self, format: Annotated[ReportFormat, strawberry.argument(description="The format.")]
    ) -> ReportFile:
        form = FORMATS[format.value]
        return ReportFile(
            file_name=f"{self.name}-{self.first}-{self.last}.{form.extension}",
            media_type=form.media_type,
            # Drawing charts takes a while: off the event loop.
            base64=base64.b64encode(
                await asyncio.to_thread(form.write, self.built, self.language)
            ).decode(),
        )


@strawberry.type(
    description="What a point is worth when the points report values the points members hold "
    "(the club's liability)."
)
class LiabilityPolicy:
    point_value: BigInt = strawberry.field(
        description="Rials a point is worth; 0: as the rewards catalogue prices it (the mean "
        "Rials off per point of the active amount-off rewards)."
    )
    version: int = strawberry.field(description="Pass as `expectedVersion` (0: never set).")


@strawberry.input(description="The liability policy.")
class LiabilityPolicyInput:
    point_value: BigInt = strawberry.field(
        description="Rials a point is worth, 0 to 1,000,000,000; 0: as the rewards catalogue "
        "prices it."
    )
    expected_version: int | None = strawberry.field(default=None, description=VERSION)


@strawberry.type(description="The liability policy was saved (reports built from now use it).")
class LiabilityPolicySaved:
    policy: LiabilityPolicy = strawberry.field(description="The policy as it is now.")


LiabilityPolicyResult = result_union(
    "LiabilityPolicyResult",
    "Result of setLiabilityPolicy.",
    LiabilityPolicySaved,
    VersionConflictError,
)


@strawberry.type
class ReportQueries:
    @strawberry.field(
        description="Manager: what a point is worth when the points report values the points "
        "members hold."
    )
    async def liability_policy(self, info: Info[Context, None]) -> LiabilityPolicy:
        policy, version = await policies.read(info.context.require_actor(), "liability")
        return LiabilityPolicy(**policy.model_dump(), version=version)

    @strawberry.field(description="The reports the club keeps.")
    def report_kinds(
        self,
        language: Annotated[
            Language, strawberry.argument(description="Titles in this language.")
        ] = Language.FA,
    ) -> list[ReportKind]:
        return [ReportKind(name=k.name, title=k.title.pick(language.value))
                for k in reports.REPORTS.values()]  # fmt: skip

    @strawberry.field(
        description="Manager: a report over club-local days, inclusive, written in the club's "
        "calendar (e.g. 1405-09-01); a manager bound to a branch reads only its own."
    )
    async def report(
        self,
        info: Info[Context, None],
        name: Annotated[str, strawberry.argument(description="Which report (reportKinds).")],
        from_: Annotated[str, strawberry.argument(name="from", description="The first day.")],
        to: Annotated[str, strawberry.argument(description="The last day.")],
        branch_code: Annotated[
            str | None, strawberry.argument(description="Only this branch (its code).")
        ] = None,
        language: Annotated[
            Language, strawberry.argument(description="Headings in this language.")
        ] = Language.FA,
    ) -> Report:
        built = await reports.build(info.context.require_actor(), name, from_, to, branch_code)
        words = language.value
        branch = built.scope.branch
        return Report(
            name=name,
            title=built.kind.title.pick(words),
            period=built.scope.period.text(isolated=False),
            branch=Branch.from_model(branch) if branch else None,
            tables=[ReportTable.from_domain(t, words) for t in built.result.tables(words)],
            built=built,
            language=words,
            first=from_,
            last=to,
        )


@strawberry.type
class ReportMutations:
    @strawberry.mutation(
        description="Manager: set what a point is worth when the points report values the "
        "points members hold."
    )
    @returns_errors
    async def set_liability_policy(
        self,
        info: Info[Context, None],
        input: Annotated[LiabilityPolicyInput, strawberry.argument(description=INPUT)],
    ) -> LiabilityPolicyResult:
        policy, version = await save_policy(info.context.require_actor(), "liability", input)
        return LiabilityPolicySaved(policy=LiabilityPolicy(**policy.model_dump(), version=version))
