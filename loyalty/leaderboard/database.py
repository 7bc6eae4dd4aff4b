"""The boards read from the database, for a club without Redis (a single shop).

Writing costs nothing: every board is built from the ledger in one pass when it is read and
kept in this process for a few seconds. An earning or opt-out made through this process
forgets them at once (SQLite, served by one process, is always exact); other processes see it
within `FRESH_SECONDS`. A build reads the whole ledger: a fraction of a second for a shop's
thousands of members, about 100 s for a million (bench/leaderboard.py), where Redis is the
answer.
"""

from __future__ import annotations

import asyncio
import time
from bisect import bisect_left
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from loyalty.leaderboard.board import Around, BoardId, Period, Ranked, Top, ranks
from loyalty.leaderboard.scores import Earning, Month, earned_by_all

FRESH_SECONDS = 10.0


def _negated(points: int) -> int:
    return -points


@dataclass(frozen=True, slots=True)
class _Ranking:
    """One board: member ids and their points in board order, and each member's position."""

    members: list[int]
    points: list[int]
    position: dict[int, int]

    @classmethod
    def of(cls, scores: dict[int, int]) -> _Ranking:
        order = sorted(
            ((points, member_id) for member_id, points in scores.items() if points > 0),
            reverse=True,
        )
        members = [member_id for _, member_id in order]
        return cls(members, [points for points, _ in order], {m: i for i, m in enumerate(members)})

    def entries(self, start: int, stop: int) -> list[Ranked]:
        start, stop = max(start, 0), min(stop, len(self.members))
        if start >= stop:
            return []
        first_rank = bisect_left(self.points, -self.points[start], key=_negated) + 1
        return ranks(
            list(zip(self.members[start:stop], self.points[start:stop], strict=True)),
            first_rank,
            start,
        )


_EMPTY = _Ranking([], [], {})
_Key = tuple[Period, int | None]


@dataclass(frozen=True, slots=True)
class _Snapshot:
    month: Month
    generation: int
    built: float
    boards: dict[_Key, _Ranking]


class DatabaseBoard:
    def __init__(self) -> None:
        self._generation = 0
        self._snapshot: _Snapshot | None = None
        self._lock = asyncio.Lock()

    def forget(self) -> None:
        """Build the boards afresh at the next read."""
        self._generation += 1

    async def _ranking(self, board: BoardId) -> _Ranking:
        snapshot = self._snapshot
        if not self._fresh(snapshot, board.month):
            async with self._lock:  # one build at a time; the others wait for it
                snapshot = self._snapshot
                if not self._fresh(snapshot, board.month):
                    snapshot = await self._build(board.month)
                    self._snapshot = snapshot
        assert snapshot is not None
        return snapshot.boards.get((board.period, board.branch_id), _EMPTY)

    def _fresh(self, snapshot: _Snapshot | None, month: Month) -> bool:
        return (
            snapshot is not None
            and snapshot.month == month
            and snapshot.generation == self._generation
            and time.monotonic() - snapshot.built < FRESH_SECONDS
        )

    async def _build(self, month: Month) -> _Snapshot:
        # Read before the ledger: a write made meanwhile leaves this snapshot already stale.
        generation = self._generation
        scores: dict[_Key, dict[int, int]] = defaultdict(lambda: defaultdict(int))
        async for chunk in earned_by_all(month):
            for row in chunk:
                for branch_id in {None, row.branch_id}:
                    scores[Period.ALL_TIME, branch_id][row.member_id] += row.all_time
                    scores[Period.MONTH, branch_id][row.member_id] += row.month
        boards = {key: _Ranking.of(board) for key, board in scores.items()}
        # Fresh from now on: a build longer than FRESH_SECONDS is still of use.
        return _Snapshot(month, generation, time.monotonic(), boards)

    async def top(self, board: BoardId, n: int) -> Top:
        ranking = await self._ranking(board)
        return Top(ranking.entries(0, n), len(ranking.members))

    async def around(self, board: BoardId, member_id: int, k: int) -> Around | None:
        ranking = await self._ranking(board)
        position = ranking.position.get(member_id)
        if position is None:
            return None
        above = ranking.entries(position - k, position)
        [me, *below] = ranking.entries(position, position + k + 1)
        return Around(me, above, below)

    async def record(self, earnings: Sequence[Earning]) -> None:
        self.forget()

    async def keep_off(self, member_id: int, month: Month) -> None:
        self.forget()

    async def bring_back(self, member_id: int, month: Month) -> None:
        self.forget()

    async def rebuild(self, month: Month, periods: Sequence[Period], branch_id: int | None) -> int:
        self.forget()
        await self._ranking(BoardId(Period.ALL_TIME, branch_id, month))
        assert self._snapshot is not None
        return sum(
            len(ranking.members)
            for (period, branch), ranking in self._snapshot.boards.items()
            if period in periods and branch_id in (None, branch)
        )
