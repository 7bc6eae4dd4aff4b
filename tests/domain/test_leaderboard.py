"""The leaderboard through the domain. The same tests run against both boards: the database's
always, Redis's when LOYALTY_TEST_REDIS_URL is set (each test under its own key prefix). Then
Redis against the database: equal after random writes, after a rebuild, and once drift is
repaired."""

from __future__ import annotations

import contextlib
import os
import random
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import jdatetime
import pytest
from redis.asyncio import Redis

from loyalty import clock, leaderboard, ledger, members, purchases, refunds, wallet
from loyalty.actors import SYSTEM, Actor
from loyalty.errors import Conflict, DomainError, InvalidInput, NotFound, PermissionDenied
from loyalty.leaderboard import Period, names
from loyalty.leaderboard.board import Board
from loyalty.leaderboard.database import DatabaseBoard
from loyalty.leaderboard.redis import MONTH_KEPT, RedisBoard
from loyalty.leaderboard.scores import Earning, month_of
from loyalty.ledger import Purse
from loyalty.members import Profile
from loyalty.models import Gender, Member, RuleKind
from loyalty.privacy import erasure
from loyalty.programme import events, referral, rules
from loyalty.programme.rules import RuleSpec
from loyalty.settings import get_settings
from tests import factories as f

REDIS_URL = os.environ.get("LOYALTY_TEST_REDIS_URL")
ALL, MONTH = Period.ALL_TIME, Period.MONTH
BOARDS = ["database", "redis"]


async def _redis_board() -> RedisBoard:
    if not REDIS_URL:
        pytest.skip("LOYALTY_TEST_REDIS_URL is not set")
    client = Redis.from_url(REDIS_URL, decode_responses=True)
    return RedisBoard(client, f"test:leaderboard:{uuid.uuid4().hex[:10]}:")


async def _drop(board: RedisBoard) -> None:
    keys = [key async for key in board.client.scan_iter(match=f"{board.prefix}*")]
    if keys:
        await board.client.delete(*keys)
    await board.client.aclose()


@pytest.fixture(params=BOARDS)
async def board(request: pytest.FixtureRequest, monkeypatch) -> AsyncIterator[Board]:
    """The board every service records to and reads from in this test."""
    chosen: Board = DatabaseBoard() if request.param == "database" else await _redis_board()
    monkeypatch.setattr(leaderboard, "current_board", lambda: chosen)
    yield chosen
    if isinstance(chosen, RedisBoard):
        await _drop(chosen)


@pytest.fixture
async def redis_board(monkeypatch) -> AsyncIterator[RedisBoard]:
    chosen = await _redis_board()
    monkeypatch.setattr(leaderboard, "current_board", lambda: chosen)
    yield chosen
    await _drop(chosen)


@contextmanager
def seen_through(board: Board) -> Iterator[None]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(leaderboard, "current_board", lambda: board)
        yield


@dataclass
class Club:
    shop: int
    other_shop: int
    cashier: Actor
    boss: Actor

    async def buy(
        self, member: Member, points: int, shop: int | None = None, *, rials: int = 0
    ) -> int:
        """A purchase earning `points` (the default rule: a point per 10,000 Rials)."""
        key = f.key()
        result = await purchases.record(
            self.cashier,
            branch_id=shop or self.shop,
            member_id=member.id,
            amount=rials or points * 10_000,
            receipt_number=key,
            idempotency_key=key,
        )
        return result.purchase.id

    async def refund(self, purchase_id: int, points: int | None = None) -> None:
        await refunds.refund(
            self.boss,
            purchase_id=purchase_id,
            amount=None if points is None else points * 10_000,
            idempotency_key=f.key(),
        )

    async def spend(self, member: Member, points: int) -> None:
        await wallet.spend(
            self.cashier,
            member_id=member.id,
            purse=Purse.POINTS,
            amount=points,
            idempotency_key=f.key(),
            branch_id=self.shop,
        )

    async def review(self, member: Member) -> None:
        """An event award: 20 points, at no branch."""
        await events.record(self.boss, member_id=member.id, event="review", reference=f.key())


@pytest.fixture
async def club() -> Club:
    shop, other = await f.branch(), await f.branch()
    boss = await f.manager()
    for spec in (
        RuleSpec("Points", RuleKind.POINTS_PER_AMOUNT, {"points": 1, "per_amount": 10_000}),  # type: ignore[arg-type]
        RuleSpec("Reviews", RuleKind.EVENT_POINTS, {"event": "review", "points": 20}),  # type: ignore[arg-type]
    ):
        await rules.create(boss, spec)
    return Club(shop.id, other.id, await f.staff_actor(), boss)


async def board_of(period: Period, branch_id: int | None = None, **kw) -> list[tuple]:
    found = await leaderboard.top(period, branch_id, 100, **kw)
    assert found.ranked == len(found.entries)
    return [(e.rank, e.member_id, e.points) for e in found.entries]


def ranked(*entries: tuple[int, Member, int]) -> list[tuple]:
    return [(rank, member.id, points) for rank, member, points in entries]


# -- ranks --------------------------------------------------------------------------------


async def test_ties_share_a_rank_and_members_without_points_are_not_ranked(
    board: Board, club: Club
) -> None:
    sara, reza, mina, nobody, little = [await f.member() for _ in range(5)]
    await club.buy(sara, 30)
    await club.buy(reza, 30)
    await club.buy(mina, 10)
    await club.buy(little, 0, rials=5_000)  # earns nothing

    # Ties are listed by member id, highest first.
    expected = ranked((1, reza, 30), (1, sara, 30), (3, mina, 10))
    assert await board_of(ALL) == await board_of(MONTH) == expected
    best = await leaderboard.top(ALL, n=1)
    assert ([(e.rank, e.member_id) for e in best.entries], best.ranked) == ([(1, reza.id)], 3)
    assert await leaderboard.rank_of(sara.id) == 1
    assert await leaderboard.rank_of(mina.id) == 3
    for unranked in (nobody, little):
        standing = await leaderboard.standing_of(unranked.id, ALL)
        assert (standing.rank, standing.points, standing.above, standing.below) == (
            None,
            0,
            [],
            [],
        )
        assert await leaderboard.rank_of(unranked.id) is None


async def test_a_member_sees_their_neighbours_with_their_ranks(board: Board, club: Club) -> None:
    members = [await f.member() for _ in range(6)]
    for member, points in zip(members, (50, 40, 40, 40, 30, 20), strict=True):
        await club.buy(member, points)
    first, tied_a, tied_b, tied_c, fifth, last = members

    standing = await leaderboard.standing_of(fifth.id, ALL, neighbours=2)
    assert (standing.rank, standing.points) == (5, 30)
    # The slice starts inside a tie: its rank is the tie's, not its position's.
    assert [(e.rank, e.member_id) for e in standing.above] == [(2, tied_b.id), (2, tied_a.id)]
    assert [(e.rank, e.member_id, e.points) for e in standing.below] == [(6, last.id, 20)]

    top = await leaderboard.standing_of(first.id, ALL, neighbours=3)
    assert top.rank == 1 and top.above == []
    assert [e.member_id for e in top.below] == [tied_c.id, tied_b.id, tied_a.id]
    alone = await leaderboard.standing_of(tied_a.id, ALL, neighbours=0)
    assert (alone.rank, alone.above, alone.below) == (2, [], [])
    bottom = await leaderboard.standing_of(last.id, MONTH, neighbours=10)
    assert bottom.rank == 6 and bottom.below == [] and len(bottom.above) == 5


async def test_a_refund_lowers_the_score_and_spending_does_not(board: Board, club: Club) -> None:
    sara, reza = await f.member(), await f.member()
    bought = await club.buy(sara, 50)
    await club.buy(reza, 40)
    await club.spend(sara, 45)
    assert await board_of(ALL) == ranked((1, sara, 50), (2, reza, 40))

    await club.refund(bought, 20)
    assert await board_of(ALL) == await board_of(MONTH) == ranked((1, reza, 40), (2, sara, 30))

    # She spent most of it: the refund takes what she holds and the rest becomes her debt, but
    # the whole of what it earned comes off her score.
    await club.refund(bought)
    assert (await ledger.balances(sara.id)).points == 0
    assert await board_of(ALL) == ranked((1, reza, 40))
    gone = await leaderboard.standing_of(sara.id, ALL)
    assert (gone.rank, gone.points) == (None, 0)


async def test_each_branch_has_its_board_and_the_clubs_holds_everything(
    board: Board, club: Club
) -> None:
    sara, reza, mina = await f.member(), await f.member(), await f.member()
    await club.buy(sara, 20, club.shop)
    at_other = await club.buy(sara, 10, club.other_shop)
    await club.buy(reza, 25, club.other_shop)
    await club.review(mina)  # 20 points at no branch: the club's board only

    assert await board_of(ALL) == ranked((1, sara, 30), (2, reza, 25), (3, mina, 20))
    assert await board_of(ALL, club.shop) == ranked((1, sara, 20))
    assert await board_of(MONTH, club.other_shop) == ranked((1, reza, 25), (2, sara, 10))
    there = await leaderboard.standing_of(sara.id, ALL, club.other_shop, neighbours=1)
    assert (there.rank, there.points, [e.member_id for e in there.above]) == (2, 10, [reza.id])
    away = await leaderboard.standing_of(mina.id, ALL, club.shop)
    assert (away.rank, away.points) == (None, 0)

    await club.refund(at_other)
    assert await board_of(ALL, club.other_shop) == ranked((1, reza, 25))
    assert await board_of(ALL, club.shop) == ranked((1, sara, 20))
    assert await board_of(ALL) == ranked((1, reza, 25), (2, mina, 20), (2, sara, 20))

    with pytest.raises(NotFound):
        await leaderboard.top(ALL, 999_999)


async def test_points_from_the_profile_and_a_referral_reach_the_board(
    board: Board, club: Club
) -> None:
    for name, event, points in (("Profile", "profile_completed", 50), ("Friends", "referral", 70)):
        spec = RuleSpec(name, RuleKind.EVENT_POINTS, {"event": event, "points": points})  # type: ignore[arg-type]
        await rules.create(club.boss, spec)
    sara = await f.member("Sara")
    completed = Profile(
        last_name="Rezaei", birthday=date(1990, 3, 21), gender=Gender.FEMALE, city="Tehran"
    )
    await members.update_profile(Actor.member(sara.id), sara.id, completed)
    assert await board_of(ALL) == ranked((1, sara, 50))

    reza, _ = await members.enrol(
        SYSTEM, f.phone(), Profile(first_name="Reza"), referral_code=await referral.code_of(sara.id)
    )
    await club.buy(reza, 10)
    await club.buy(reza, 10)  # his second purchase rewards her, in its own transaction
    assert await board_of(ALL) == ranked((1, sara, 120), (2, reza, 20))
    assert await board_of(ALL, club.shop) == ranked((1, reza, 20))


# -- the month ----------------------------------------------------------------------------


class _Frozen(datetime):
    moment: datetime

    @classmethod
    def now(cls, tz=None) -> datetime:  # type: ignore[override]
        return cls.moment


@contextmanager
def ledger_clock(moment: datetime) -> Iterator[None]:
    """The ledger dates what it writes `moment`."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(ledger, "datetime", type("Frozen", (_Frozen,), {"moment": moment}))
        yield


@pytest.fixture(params=["jalali", "gregorian"])
def calendar(request: pytest.FixtureRequest, monkeypatch) -> str:
    settings = get_settings().model_copy(update={"calendar": request.param})
    monkeypatch.setattr(clock, "get_settings", lambda: settings)
    return request.param


def test_a_month_begins_at_midnight_in_the_clubs_zone_and_calendar(calendar: str) -> None:
    # 1 Mehr 1404 and 1 October 2025 begin at 00:00 in Tehran (UTC+03:30).
    first = datetime(2025, 9, 22, 20, 30, tzinfo=UTC)
    if calendar == "gregorian":
        first = datetime(2025, 9, 30, 20, 30, tzinfo=UTC)
    label = "1404-07" if calendar == "jalali" else "2025-10"
    month = month_of(first)
    assert (month.label, month.start) == (label, first)
    assert month_of(first - timedelta(microseconds=1)).end == first
    assert month_of(first - timedelta(microseconds=1)).label != label


async def test_this_month_is_the_clubs_calendar_month(board: Board, club: Club, calendar) -> None:
    # Next month's first moment: earnings either side of it, read from either side.
    boundary = month_of(datetime.now(UTC)).end
    local = boundary.astimezone(ZoneInfo(get_settings().timezone))
    assert (local.hour, local.minute) == (0, 0)
    day = jdatetime.date.fromgregorian(date=local.date()).day if calendar == "jalali" else local.day
    assert day == 1

    sara, reza = await f.member(), await f.member()
    with ledger_clock(boundary - timedelta(microseconds=1)):
        await club.buy(sara, 30)
    with ledger_clock(boundary):
        await club.buy(reza, 10)

    before, after = boundary - timedelta(hours=1), boundary + timedelta(hours=1)
    assert await board_of(MONTH, at=before) == ranked((1, sara, 30))
    assert await board_of(MONTH, club.shop, at=after) == ranked((1, reza, 10))
    assert await board_of(ALL, at=after) == ranked((1, sara, 30), (2, reza, 10))
    this_month = await leaderboard.standing_of(sara.id, MONTH, at=after)
    assert (this_month.rank, this_month.points) == (None, 0)


# -- opting out, names --------------------------------------------------------------------


async def test_a_member_who_opts_out_is_on_no_board_until_they_opt_back_in(
    board: Board, club: Club
) -> None:
    sara, reza, mina = await f.member(), await f.member(), await f.member()
    await club.buy(sara, 30)
    await club.buy(reza, 20, club.other_shop)
    await club.buy(mina, 10)
    me = Actor.member(reza.id)

    await leaderboard.update_settings(me, reza.id, opt_out=True)
    await club.buy(reza, 15, club.other_shop)  # still earns; still off the boards
    assert await board_of(ALL) == ranked((1, sara, 30), (2, mina, 10))
    assert await board_of(MONTH, club.other_shop) == []
    off = await leaderboard.standing_of(reza.id, ALL, club.other_shop)
    assert (off.rank, off.points, off.opted_out) == (None, 35, True)
    assert await leaderboard.rank_of(reza.id) is None

    await leaderboard.update_settings(me, reza.id, opt_out=True)  # no change
    await leaderboard.update_settings(club.boss, reza.id, opt_out=False)
    assert await board_of(ALL) == ranked((1, reza, 35), (2, sara, 30), (3, mina, 10))
    assert await board_of(MONTH, club.other_shop) == ranked((1, reza, 35))
    back = await leaderboard.standing_of(reza.id, ALL)
    assert (back.rank, back.opted_out) == (1, False)
    assert [e.member_id for e in back.below] == [sara.id, mina.id]

    with pytest.raises(NotFound):
        await leaderboard.update_settings(Actor.member(sara.id), reza.id, opt_out=True)
    with pytest.raises(PermissionDenied):
        await leaderboard.update_settings(club.cashier, reza.id, opt_out=True)
    assert await leaderboard.rank_of(reza.id) == 1


async def test_an_erased_member_leaves_every_board_at_once(board: Board, club: Club) -> None:
    sara, reza = await f.member(), await f.member()
    await club.buy(sara, 30)
    await club.buy(reza, 20, club.other_shop)

    await erasure.erase(Actor.member(reza.id), reza.id)

    assert await board_of(ALL) == ranked((1, sara, 30))
    assert await board_of(MONTH, club.other_shop) == []
    assert await leaderboard.rank_of(reza.id) is None


async def test_members_appear_by_their_chosen_or_masked_name_never_their_phone(
    board: Board, club: Club
) -> None:
    sara = await f.member("Sara", last_name="Rezaei")
    persian = await f.member("سارا", last_name="رضایی")
    nameless = await f.member("")
    phone_as_name = await f.member("09121234567")
    for member in (sara, persian, nameless, phone_as_name):
        await club.buy(member, 10)

    async def shown() -> dict[int, tuple[str, str]]:
        return {e.member_id: (e.name.en, e.name.fa) for e in (await leaderboard.top(ALL)).entries}

    names_now = await shown()
    assert names_now[sara.id] == ("Sara R.", "Sara R.")
    assert names_now[persian.id] == ("سارا ر.", "سارا ر.")
    assert names_now[nameless.id] == names_now[phone_as_name.id] == ("Club member", "عضو باشگاه")

    me = Actor.member(sara.id)
    saved = await leaderboard.update_settings(me, sara.id, display_name="  Coffee   Lover ")
    assert saved.display_name == "Coffee Lover"
    assert (await shown())[sara.id][0] == "Coffee Lover"
    assert (await leaderboard.standing_of(sara.id, ALL)).name.en == "Coffee Lover"
    await leaderboard.update_settings(me, sara.id, display_name="Ali 1990")  # four digits

    for bad in ("09121234567", "۰۹۱۲ ۱۲۳ ۴۵۶۷", "x", "n" * 31, "Sara\u202e", "a\x00b"):
        with pytest.raises(InvalidInput) as refused:
            await leaderboard.update_settings(me, sara.id, display_name=bad, opt_out=True)
        assert refused.value.field == "displayName"
    member = await Member.get(id=sara.id)
    assert (member.display_name, member.leaderboard_opt_out) == ("Ali 1990", False)

    await leaderboard.update_settings(me, sara.id, display_name="")
    assert (await shown())[sara.id][0] == "Sara R."
    assert all(sara.phone not in name for pair in (await shown()).values() for name in pair)


async def test_bad_arguments_are_refused(club: Club) -> None:
    for n in (0, 101, True):
        with pytest.raises(InvalidInput):
            await leaderboard.top(ALL, n=n)
    sara = await f.member()
    with pytest.raises(InvalidInput):
        await leaderboard.standing_of(sara.id, ALL, neighbours=11)
    with pytest.raises(NotFound):
        await leaderboard.standing_of(999_999, ALL)
    with pytest.raises(InvalidInput):
        await leaderboard.top("yesterday")
    assert names.cleaned_display_name("   ") == ""


# -- Redis against the database ---------------------------------------------------------


async def everything(board: Board, club: Club, members: list[Member]) -> dict:
    """Every board, and every member's standing, as `board` keeps them."""
    seen = {}
    with seen_through(board):
        for period in Period:
            for branch_id in (None, club.shop, club.other_shop):
                seen[period, branch_id] = await board_of(period, branch_id)
                for member in members:
                    standing = await leaderboard.standing_of(member.id, period, branch_id, 3)
                    seen[period, branch_id, member.id] = (
                        standing.rank,
                        standing.points,
                        [(e.rank, e.member_id, e.points) for e in standing.above],
                        [(e.rank, e.member_id, e.points) for e in standing.below],
                    )
    return seen


@pytest.mark.parametrize("seed", [1, 2, 3])
async def test_the_redis_board_equals_the_database_after_random_writes_and_a_rebuild(
    redis_board: RedisBoard, club: Club, seed: int
) -> None:
    rng = random.Random(seed)
    members = [await f.member(f"M{n}") for n in range(8)]
    bought: list[int] = []
    for _ in range(50):
        member = rng.choice(members)
        action = rng.random()
        if action < 0.5 or not bought:
            bought.append(
                await club.buy(
                    member, rng.choice((1, 5, 5, 10, 30)), rng.choice((club.shop, club.other_shop))
                )
            )
        elif action < 0.65:
            purchase = rng.choice(bought)
            with contextlib.suppress(DomainError):  # refunded in full, or less is left
                await club.refund(purchase, rng.choice((None, 1, 2)))
        elif action < 0.75:
            await club.review(member)
        elif action < 0.85:
            points = (await ledger.balances(member.id)).points
            if points:
                await club.spend(member, rng.randint(1, points))
        else:
            off = not (await Member.get(id=member.id)).leaderboard_opt_out
            await leaderboard.update_settings(SYSTEM, member.id, opt_out=off)

    database = await everything(DatabaseBoard(), club, members)
    assert await everything(redis_board, club, members) == database
    assert await leaderboard.rebuild() > 0
    assert await everything(redis_board, club, members) == database


async def test_a_rebuild_repairs_drift(redis_board: RedisBoard, club: Club) -> None:
    sara, reza, mina = await f.member(), await f.member(), await f.member()
    await club.buy(sara, 30)
    await club.buy(reza, 20, club.other_shop)
    await club.buy(mina, 10)
    await leaderboard.update_settings(SYSTEM, mina.id, opt_out=True)
    members = [sara, reza, mina]
    database = await everything(DatabaseBoard(), club, members)

    client, now = redis_board.client, month_of(datetime.now(UTC))
    key = redis_board.key
    from loyalty.leaderboard.board import BoardId

    await client.delete(key(BoardId(ALL, None, now)))
    await client.zadd(key(BoardId(MONTH, club.other_shop, now)), {f"{sara.id:010d}": 99})
    await client.delete(f"{redis_board.prefix}opted-out")
    assert await everything(redis_board, club, members) != database

    assert await leaderboard.rebuild(MONTH, club.other_shop) == 1
    assert await leaderboard.rebuild(ALL) == 2 + 1 + 1
    assert await everything(redis_board, club, members) == database
    # The opted-out set was rebuilt too: her next earning stays off the boards.
    await leaderboard.rebuild()
    await club.buy(mina, 50)
    assert await board_of(ALL) == ranked((1, sara, 30), (2, reza, 20))
    assert not [k async for k in client.scan_iter(match=f"{redis_board.prefix}*:new:*")]
    assert not [k async for k in client.scan_iter(match=f"{redis_board.prefix}*rebuild*")]


async def test_writes_made_while_a_rebuild_runs_are_kept(
    redis_board: RedisBoard, club: Club, monkeypatch
) -> None:
    sara, reza = await f.member(), await f.member()
    await club.buy(sara, 30)
    load = redis_board._add

    meanwhile = [Earning(reza.id, club.shop, 40, datetime.now(UTC))]

    async def with_a_write_meanwhile(key: str, points: dict) -> int:
        # Committed after the rebuild's snapshot was read: only Redis hears of it.
        if meanwhile:
            await redis_board.record([meanwhile.pop()])
        return await load(key, points)

    monkeypatch.setattr(redis_board, "_add", with_a_write_meanwhile)
    await leaderboard.rebuild()
    assert await board_of(ALL) == ranked((1, reza, 40), (2, sara, 30))
    assert await board_of(MONTH, club.shop) == ranked((1, reza, 40), (2, sara, 30))


async def test_one_rebuild_at_a_time_and_month_boards_expire(
    redis_board: RedisBoard, club: Club
) -> None:
    from loyalty.leaderboard.board import BoardId

    sara = await f.member()
    await club.buy(sara, 10)
    month = month_of(datetime.now(UTC))
    client = redis_board.client
    for rebuilt in (False, True):
        if rebuilt:
            await leaderboard.rebuild()
        expires = month.end + MONTH_KEPT
        ttl = await client.ttl(redis_board.key(BoardId(MONTH, club.shop, month)))
        assert abs(ttl - (expires - datetime.now(UTC)).total_seconds()) < 60
        assert await client.ttl(redis_board.key(BoardId(ALL, None, month))) == -1

    await client.set(f"{redis_board.prefix}rebuild-lock", "another")
    with pytest.raises(Conflict):
        await leaderboard.rebuild()


async def test_a_purchase_stands_when_redis_is_down(club: Club, monkeypatch) -> None:
    unreachable = RedisBoard(Redis.from_url("redis://127.0.0.1:1/0"), "test:down:")
    monkeypatch.setattr(leaderboard, "current_board", lambda: unreachable)
    sara = await f.member()
    await club.buy(sara, 10)
    assert (await ledger.balances(sara.id)).points == 10
    await unreachable.client.aclose()
