"""The member leaderboard: points earned all-time and this month (the club's calendar month),
the club's board or one branch's; the best, and where a member stands among their neighbours.

What counts is defined once, in `scores`. With Redis configured (`LOYALTY_REDIS_URL`) the
boards are sorted sets kept in step with the ledger (`record_points`, after each commit) and
rebuilt from it on demand (`loyalty leaderboard rebuild`); without, the database serves them.
Members appear by the name they chose or a masked one (`names`); those who opt out appear on
no board and have no rank.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from tortoise.transactions import in_transaction

from loyalty import sql
from loyalty.actors import Actor, ActorKind
from loyalty.errors import InvalidInput, NotFound
from loyalty.leaderboard.board import Board, BoardId, Period, Ranked
from loyalty.leaderboard.database import DatabaseBoard
from loyalty.leaderboard.names import cleaned_display_name, shown_name
from loyalty.leaderboard.scores import Earning, collecting, earned_by, month_of
from loyalty.models import Branch, Member, Role
from loyalty.programme.explain import Text
from loyalty.settings import get_settings

__all__ = [
    "Entry",
    "Leaderboard",
    "Period",
    "Standing",
    "close",
    "collecting",
    "current_board",
    "rank_of",
    "rebuild",
    "record_points",
    "standing_of",
    "top",
    "update_settings",
]

MAX_TOP = 100
MAX_NEIGHBOURS = 10
REDIS_PREFIX = "loyalty:leaderboard:"


@dataclass(frozen=True, slots=True)
class Entry:
    rank: int
    member_id: int
    points: int
    name: Text


@dataclass(frozen=True, slots=True)
class Leaderboard:
    entries: list[Entry]
    # How many members the board ranks.
    ranked: int


@dataclass(frozen=True, slots=True)
class Standing:
    """Where a member stands: rank None when the board does not rank them (no points earned
    in the period, or opted out)."""

    rank: int | None
    points: int
    above: list[Entry]
    below: list[Entry]
    name: Text
    opted_out: bool


_database = DatabaseBoard()
_redis: Board | None = None
_redis_for: tuple[str, asyncio.AbstractEventLoop] | None = None


def current_board() -> Board:
    """Redis when the club has it, else the database."""
    global _redis, _redis_for
    url = get_settings().redis_url
    if not url:
        return _database
    # A client belongs to the event loop it was made in.
    owner = (url, asyncio.get_running_loop())
    if _redis is None or _redis_for != owner:
        from redis.asyncio import Redis

        from loyalty.leaderboard.redis import RedisBoard

        _redis = RedisBoard(Redis.from_url(url, decode_responses=True), REDIS_PREFIX)
        _redis_for = owner
    return _redis


async def close() -> None:
    """Close the Redis client, if one was opened (commands that end their event loop)."""
    global _redis, _redis_for
    board, _redis, _redis_for = _redis, None, None
    client = getattr(board, "client", None)
    if client is not None:
        await client.aclose()


def _within(value: int, low: int, high: int, field: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise InvalidInput(f"{field} must be from {low} to {high}", field=field)
    return value


async def _board(period: Period | str, branch_id: int | None, at: datetime | None) -> BoardId:
    if period not in set(Period):
        raise InvalidInput(f"{period!r} is not a period: {', '.join(Period)}", field="period")
    if branch_id is not None and not await Branch.exists(id=branch_id):
        raise NotFound("branch", branch_id)
    return BoardId(Period(period), branch_id, month_of(at or datetime.now(UTC)))


async def _entries(ranked: Sequence[Ranked]) -> list[Entry]:
    if not ranked:
        return []
    ids = list({entry.member_id for entry in ranked})
    # Raw SQL: the query builder costs more than the query (this is every board's read).
    rows = await sql.fetch(
        "SELECT id, first_name, last_name, display_name FROM member "
        f"WHERE id IN ({', '.join('?' * len(ids))})",
        ids,
    )
    members = {row["id"]: Member._init_from_db(**row) for row in rows}
    # Members are never deleted (the ledger holds them): every one is found.
    return [Entry(e.rank, e.member_id, e.points, shown_name(members[e.member_id])) for e in ranked]


async def top(
    period: Period | str, branch_id: int | None = None, n: int = 10, *, at: datetime | None = None
) -> Leaderboard:
    """The best `n` (1 to 100) of a board, as of `at` (default now)."""
    _within(n, 1, MAX_TOP, "first")
    board = await _board(period, branch_id, at)
    found = await current_board().top(board, n)
    return Leaderboard(await _entries(found.entries), found.ranked)


async def standing_of(
    member_id: int,
    period: Period | str,
    branch_id: int | None = None,
    neighbours: int = 2,
    *,
    at: datetime | None = None,
) -> Standing:
    """A member's rank and points, and the `neighbours` (0 to 10) just above and below them."""
    _within(neighbours, 0, MAX_NEIGHBOURS, "neighbours")
    board = await _board(period, branch_id, at)
    member = await Member.get_or_none(id=member_id)
    if member is None:
        raise NotFound("member", member_id)
    name = shown_name(member)
    around = None
    if not member.leaderboard_opt_out:
        around = await current_board().around(board, member_id, neighbours)
    if around is None:
        points = await _points_off_board(member_id, board)
        return Standing(None, points, [], [], name, member.leaderboard_opt_out)
    either_side = await _entries([*around.above, *around.below])
    above, below = either_side[: len(around.above)], either_side[len(around.above) :]
    return Standing(around.me.rank, around.me.points, above, below, name, False)


async def _points_off_board(member_id: int, board: BoardId) -> int:
    """The points of a member the board does not rank, from the ledger."""
    return sum(
        row.all_time if board.period is Period.ALL_TIME else row.month
        for row in await earned_by(member_id, board.month)
        if board.branch_id in (None, row.branch_id)
    )


async def rank_of(member_id: int, *, at: datetime | None = None) -> int | None:
    """The member's all-time rank in the club; None if unranked or opted out."""
    board = BoardId(Period.ALL_TIME, None, month_of(at or datetime.now(UTC)))
    around = await current_board().around(board, member_id, 0)
    return around.me.rank if around else None


async def record_points(earnings: Sequence[Earning]) -> None:
    """Bring the boards up to date with earnings just committed (see `collecting`)."""
    if earnings:
        await current_board().record(earnings)


async def rebuild(
    period: Period | str | None = None,
    branch_id: int | None = None,
    *,
    at: datetime | None = None,
) -> int:
    """Build the boards afresh from the ledger: both periods or one, every branch's and the
    club's or one branch's. Returns how many entries they hold."""
    board = await _board(period or Period.ALL_TIME, branch_id, at)
    periods = list(Period) if period is None else [board.period]
    return await current_board().rebuild(board.month, periods, branch_id)


async def update_settings(
    actor: Actor,
    member_id: int,
    *,
    display_name: str | None = None,
    opt_out: bool | None = None,
) -> Member:
    """A member's name on the boards ("" for a masked one) and whether they keep off them
    (None leaves either as it is). The member themselves, or a manager."""
    if actor.kind is ActorKind.MEMBER:
        if actor.id != member_id:
            raise NotFound("member", member_id)
    else:
        actor.require_staff(Role.MANAGER)
    values = {} if display_name is None else {"display_name": cleaned_display_name(display_name)}
    if not await Member.exists(id=member_id):
        raise NotFound("member", member_id)
    flipped = 0
    async with in_transaction():
        if values:
            await Member.filter(id=member_id).update(**values)
        if opt_out is not None:
            # Only the request that brings them back puts them on the boards again.
            flipped = await Member.filter(id=member_id, leaderboard_opt_out=not opt_out).update(
                leaderboard_opt_out=opt_out
            )
    board, month = current_board(), month_of(datetime.now(UTC))
    if opt_out:
        # Every time, not only when it changes: a retry after Redis failed leaves them off.
        await board.keep_off(member_id, month)
    elif flipped:
        await board.bring_back(member_id, month)
    return await Member.get(id=member_id)
