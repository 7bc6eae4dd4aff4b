"""Members' data: exported (JSON) and erased, by the member in the app or by a manager on the
member's request (loyalty/privacy)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry
from strawberry.scalars import JSON
from strawberry.types import Info

from loyalty.privacy import erasure, export
from schema.context import Context
from schema.errors import INPUT, NotFoundError, result_union, returns_errors
from schema.types import parse_id


@strawberry.type(description="A member's personal data was erased (pseudonymised).")
class MemberErased:
    member_id: strawberry.ID = strawberry.field(description="The member (the id stays).")
    erased_at: datetime = strawberry.field(description="When it was erased (UTC).")
    already_erased: bool = strawberry.field(
        description="True when it had been erased before: nothing more was changed."
    )

    @classmethod
    def from_domain(cls, done: erasure.Erasure) -> MemberErased:
        return cls(
            member_id=strawberry.ID(str(done.member_id)),
            erased_at=done.erased_at,
            already_erased=not done.changed,
        )


EraseResult = result_union(
    "EraseResult", "Result of eraseMyData and eraseMember.", MemberErased, NotFoundError
)


@strawberry.input(description="Manager: the member who asked to be erased.")
class EraseMemberInput:
    member_id: strawberry.ID = strawberry.field(description="The member.")


@strawberry.type(description="A member's data export, in a wrapper union can carry.")
class MemberData:
    data: JSON = strawberry.field(
        description="Everything held about the member (format loyalty-member-export/1)."
    )


MemberDataExportResult = result_union(
    "MemberDataExportResult", "Result of memberDataExport.", MemberData, NotFoundError
)


@strawberry.type
class PrivacyQueries:
    @strawberry.field(
        description="Member: everything the club holds about me, as one JSON document."
    )
    async def my_data_export(self, info: Info[Context, None]) -> JSON:
        member_id = info.context.require_member()
        return await export.export(info.context.require_actor(), member_id)

    @strawberry.field(
        description="Manager: everything held about a member, on their request (logged)."
    )
    @returns_errors
    async def member_data_export(
        self,
        info: Info[Context, None],
        member_id: Annotated[strawberry.ID, strawberry.argument(description="The member.")],
    ) -> MemberDataExportResult:
        actor = info.context.require_actor()
        found = await export.export(actor, parse_id(member_id, "memberId"))
        return MemberData(data=found)


@strawberry.type
class PrivacyMutations:
    @strawberry.mutation(
        description="Member: erase my personal data; my points and history stay, unnamed, and "
        "my phone may join again as a new member."
    )
    @returns_errors
    async def erase_my_data(self, info: Info[Context, None]) -> EraseResult:
        member_id = info.context.require_member()
        done = await erasure.erase(info.context.require_actor(), member_id)
        return MemberErased.from_domain(done)

    @strawberry.mutation(description="Manager: erase a member's personal data on their request.")
    @returns_errors
    async def erase_member(
        self,
        info: Info[Context, None],
        input: Annotated[EraseMemberInput, strawberry.argument(description=INPUT)],
    ) -> EraseResult:
        actor = info.context.require_actor()
        done = await erasure.erase(actor, parse_id(input.member_id, "memberId"))
        return MemberErased.from_domain(done)
