"""The member leaderboard: the best of a board, where the signed-in member stands, and how
they appear on it."""

from typing import Annotated

import strawberry
from strawberry.types import Info

from loyalty import leaderboard
from loyalty.actors import ActorKind
from loyalty.leaderboard.names import shown_name
from loyalty.programme.explain import Text
from schema.context import Context
from schema.errors import INPUT, NotFoundError, result_union, returns_errors
from schema.scalars import BigInt
from schema.types import Branch, in_language, load_branch, parse_id

LeaderboardPeriod = strawberry.enum(
    leaderboard.Period,
    name="LeaderboardPeriod",
    description="What a board counts: points earned all-time, or this calendar month (the "
    "club's calendar and time zone).",
)


@strawberry.type(description="A member on a board.")
class LeaderboardEntry:
    rank: int = strawberry.field(
        description="1 + how many members have more points: members with as many share it."
    )
    points: BigInt = strawberry.field(description="Points earned in the board's period.")
    is_me: bool = strawberry.field(description="This is the signed-in member.")
    name: strawberry.Private[Text]

    @strawberry.field(description="The name the member chose, or their masked name (Sara R.).")
    async def display_name(self, info: Info[Context, None]) -> str:
        return await in_language(info, self.name)

    @classmethod
    def from_domain(cls, e: leaderboard.Entry, viewer: int | None) -> "LeaderboardEntry":
        return cls(rank=e.rank, points=e.points, is_me=e.member_id == viewer, name=e.name)


def _viewer(info: Info[Context, None]) -> int | None:
    actor = info.context.require_actor()
    return actor.id if actor.kind is ActorKind.MEMBER else None


@strawberry.type(description="Where the signed-in member stands on a board.")
class LeaderboardStanding:
    rank: int | None = strawberry.field(
        description="The member's rank; null when the board does not rank them (no points "
        "earned in the period, or they opted out)."
    )
    points: BigInt = strawberry.field(description="Points the member earned in the period.")
    opted_out: bool = strawberry.field(description="The member keeps off every board.")
    above: list[LeaderboardEntry] = strawberry.field(
        description="The members just above, best first."
    )
    below: list[LeaderboardEntry] = strawberry.field(
        description="The members just below, best first."
    )
    name: strawberry.Private[Text]

    @strawberry.field(description="How the member appears on the boards.")
    async def display_name(self, info: Info[Context, None]) -> str:
        return await in_language(info, self.name)

    @classmethod
    def from_domain(cls, s: leaderboard.Standing, viewer: int) -> "LeaderboardStanding":
        return cls(
            rank=s.rank,
            points=s.points,
            opted_out=s.opted_out,
            above=[LeaderboardEntry.from_domain(e, viewer) for e in s.above],
            below=[LeaderboardEntry.from_domain(e, viewer) for e in s.below],
            name=s.name,
        )


@strawberry.type(description="A board: its best members, and where the signed-in member stands.")
class Leaderboard:
    period: LeaderboardPeriod = strawberry.field(description="What the board counts.")
    entries: list[LeaderboardEntry] = strawberry.field(description="The best, best first.")
    ranked_count: int = strawberry.field(description="How many members the board ranks.")
    branch_id: strawberry.Private[int | None]

    @strawberry.field(description="The branch whose board this is; null: the club's.")
    async def branch(self, info: Info[Context, None]) -> Branch | None:
        return await load_branch(info, self.branch_id)

    @strawberry.field(description="Where the signed-in member stands; null for staff.")
    async def me(
        self,
        info: Info[Context, None],
        neighbours: Annotated[
            int, strawberry.argument(description="Members to show above and below, 0 to 10.")
        ] = 2,
    ) -> LeaderboardStanding | None:
        viewer = _viewer(info)
        if viewer is None:
            return None
        standing = await leaderboard.standing_of(viewer, self.period, self.branch_id, neighbours)
        return LeaderboardStanding.from_domain(standing, viewer)


@strawberry.type(description="How the member appears on the leaderboard, as saved.")
class LeaderboardSettings:
    display_name: str = strawberry.field(
        description="The name the member chose; empty: they appear by a masked name."
    )
    opted_out: bool = strawberry.field(description="The member keeps off every board.")
    shown: strawberry.Private[Text]

    @strawberry.field(description="How the member appears on the boards now.")
    async def shown_as(self, info: Info[Context, None]) -> str:
        return await in_language(info, self.shown)


@strawberry.input(description="How the member appears on the leaderboard. Null leaves it.")
class UpdateLeaderboardSettingsInput:
    display_name: str | None = strawberry.field(
        default=None,
        description="The name to appear by: 2 to 30 characters, at most 4 digits (no phone "
        'numbers). Empty: a masked name made from the profile ("Sara R.").',
    )
    opt_out: bool | None = strawberry.field(
        default=None, description="True: appear on no board, with no rank."
    )


UpdateLeaderboardSettingsResult = result_union(
    "UpdateLeaderboardSettingsResult",
    "Result of updateLeaderboardSettings.",
    LeaderboardSettings,
    NotFoundError,
)


@strawberry.type
class LeaderboardQueries:
    @strawberry.field(
        description="A leaderboard: the members who earned the most points, all-time or this "
        "month, in the club or at one branch. Members and staff."
    )
    async def leaderboard(
        self,
        info: Info[Context, None],
        period: Annotated[LeaderboardPeriod, strawberry.argument(description="What it counts.")],
        branch_id: Annotated[
            strawberry.ID | None,
            strawberry.argument(description="One branch's board; null: the club's."),
        ] = None,
        first: Annotated[
            int, strawberry.argument(description="How many of the best, 1 to 100.")
        ] = 10,
    ) -> Leaderboard:
        viewer = _viewer(info)
        branch = parse_id(branch_id, "branchId") if branch_id is not None else None
        board = await leaderboard.top(period, branch, first)
        return Leaderboard(
            period=period,
            entries=[LeaderboardEntry.from_domain(e, viewer) for e in board.entries],
            ranked_count=board.ranked,
            branch_id=branch,
        )


@strawberry.type
class LeaderboardMutations:
    @strawberry.mutation(
        description="Member: choose the name I appear by on the leaderboard, or keep off it."
    )
    @returns_errors
    async def update_leaderboard_settings(
        self,
        info: Info[Context, None],
        input: Annotated[UpdateLeaderboardSettingsInput, strawberry.argument(description=INPUT)],
    ) -> UpdateLeaderboardSettingsResult:
        member_id = info.context.require_member()
        member = await leaderboard.update_settings(
            info.context.require_actor(),
            member_id,
            display_name=input.display_name,
            opt_out=input.opt_out,
        )
        return LeaderboardSettings(
            display_name=member.display_name,
            opted_out=member.leaderboard_opt_out,
            shown=shown_name(member),
        )
