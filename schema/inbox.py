"""The member's inbox in the app."""

from typing import Annotated

import strawberry
from strawberry.types import Info

from loyalty import inbox
from schema.context import Context
from schema.errors import INPUT, result_union, returns_errors
from schema.types import parse_id


@strawberry.input(description="Messages to mark read.")
class MarkInboxReadInput:
    ids: list[strawberry.ID] | None = strawberry.field(
        default=None, description="These messages (1 to 100); none: every message."
    )


@strawberry.type(description="The messages are marked read.")
class InboxRead:
    unread_count: int = strawberry.field(description="Messages still unread.")


MarkInboxReadResult = result_union("MarkInboxReadResult", "Result of markInboxRead.", InboxRead)


@strawberry.type
class InboxMutations:
    @strawberry.mutation(description="Member: mark messages of my inbox read.")
    @returns_errors
    async def mark_inbox_read(
        self,
        info: Info[Context, None],
        input: Annotated[MarkInboxReadInput, strawberry.argument(description=INPUT)],
    ) -> MarkInboxReadResult:
        ids = None if input.ids is None else [parse_id(i, "ids") for i in input.ids]
        left = await inbox.mark_read(info.context.require_actor(), ids=ids)
        return InboxRead(unread_count=left)
