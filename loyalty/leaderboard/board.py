"""The port: where the boards are kept (Redis sorted sets, or the database itself).

A board is a period (all-time, or a calendar month) and a scope (the club, or one branch).
Its entries are the members with more than 0 points, best first; ties share a competition rank
(1 + how many have strictly more) and are listed by member id, highest first.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from loyalty.leaderboard.scores import Earning, Month


class Period(StrEnum):
    ALL_TIME = "all_time"
    MONTH = "month"


@dataclass(frozen=True, slots=True)
class BoardId:
    period: Period
    branch_id: int | None
    # The month the board is read in: the month a MONTH board covers.
    month: Month


@dataclass(frozen=True, slots=True)
class Ranked:
    member_id: int
    points: int
    rank: int


@dataclass(frozen=True, slots=True)
class Top:
    entries: list[Ranked]
    # How many members the board ranks.
    ranked: int


@dataclass(frozen=True, slots=True)
class Around:
    """A ranked member, and up to k members either side of them."""

    me: Ranked
    above: list[Ranked]
    below: list[Ranked]


def ranks(entries: Sequence[tuple[int, int]], first_rank: int, first_position: int) -> list[Ranked]:
    """Competition ranks of consecutive (member id, points) entries in board order, given the
    rank and 0-based position of the first."""
    ranked: list[Ranked] = []
    for offset, (member_id, points) in enumerate(entries):
        rank = first_rank
        if ranked:
            before = ranked[-1]
            rank = before.rank if points == before.points else first_position + offset + 1
        ranked.append(Ranked(member_id, points, rank))
    return ranked


class Board(Protocol):
    async def top(self, board: BoardId, n: int) -> Top:
        """The first `n` entries, and how many members the board ranks."""
        ...

    async def around(self, board: BoardId, member_id: int, k: int) -> Around | None:
        """The member's entry and `k` either side; None if the board does not rank them."""
        ...

    async def record(self, earnings: Sequence[Earning]) -> None:
        """Earnings the ledger committed (at most one round trip: it is on the purchase path)."""
        ...

    async def keep_off(self, member_id: int, month: Month) -> None:
        """The member (already marked in the database) opted out: off every board."""
        ...

    async def bring_back(self, member_id: int, month: Month) -> None:
        """The member (already marked in the database) opted back in, with their points."""
        ...

    async def rebuild(self, month: Month, periods: Sequence[Period], branch_id: int | None) -> int:
        """Build the boards of `periods` (the club's and every branch's, or one branch's
        only) afresh from the database; returns how many entries they hold."""
        ...
