"""The lottery: tickets bought with points or earned by purchases, the draw reproducible from
the recorded seed, idempotent, prizes paid once with a message each, and races."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest

from loyalty import ledger, purchases
from loyalty.actors import Actor
from loyalty.errors import Conflict, DomainError, ErrorCode, InsufficientBalance, InvalidInput
from loyalty.games import draws, lottery
from loyalty.games.lottery import LotteryPrizeSpec, LotterySpec
from loyalty.ledger import Purse
from loyalty.models import (
    BenefitKind,
    ConfigChange,
    CouponCode,
    InboxMessage,
    JournalTransaction,
    Lottery,
    LotteryEntry,
    LotteryWinner,
    PrizeKind,
    RewardKind,
    Role,
)
from loyalty.programme import rewards
from loyalty.programme.coupons import Benefit
from loyalty.programme.rewards import RewardSpec
from loyalty.reconcile import reconcile
from tests import factories as f
from tests.domain.test_wheel import CRITICAL, SEED, chi_square

HOUR = timedelta(hours=1)


def spec(*prizes: LotteryPrizeSpec, **more: object) -> LotterySpec:
    now = datetime.now(UTC)
    values: dict = {
        "sales_start": now - HOUR,
        "sales_end": now + HOUR,
        "draw_at": now + HOUR,
        "ticket_price_points": 100,
        **more,
    }
    return LotterySpec("Nowruz raffle", list(prizes) or [credit(50_000)], **values)


def credit(amount: int, winners: int = 1) -> LotteryPrizeSpec:
    return LotteryPrizeSpec(PrizeKind.CREDIT, amount=amount, winners=winners)


def points(amount: int, winners: int = 1) -> LotteryPrizeSpec:
    return LotteryPrizeSpec(PrizeKind.POINTS, amount=amount, winners=winners)


async def make_lottery(boss: Actor, *prizes: LotteryPrizeSpec, **more: object) -> Lottery:
    """An active lottery; its seed set to a known one so the test draws the same every run."""
    made = await lottery.create(boss, spec(*prizes, **more))
    await Lottery.filter(id=made.id).update(seed=SEED, seed_hash=draws.commitment(SEED))
    return await lottery.activate(boss, made.id)


async def buy(member_id: int, lottery_id: int, count: int, **more: object) -> lottery.Tickets:
    return await lottery.buy_tickets(
        Actor.member(member_id),
        lottery_id=lottery_id,
        count=count,
        idempotency_key=more.pop("key", f.key()),  # type: ignore[arg-type]
    )


@pytest.fixture
async def club() -> dict:
    boss = await f.manager()
    shop = await f.branch()
    members = {}
    for name in ("sara", "reza", "nima"):
        member = await f.member(name.title())
        await f.give(member.id, Purse.POINTS, 10_000)
        members[name] = member.id
    return {
        "boss": boss,
        "shop": shop.id,
        "cashier": await f.staff_actor(Role.CASHIER, shop.id),
        **members,
    }


# The draw itself: pure functions.


def test_winning_tickets_are_distinct_reproducible_and_fair() -> None:
    assert draws.winning_tickets(SEED, 1, 10, 3) == draws.winning_tickets(SEED, 1, 10, 3)
    assert sorted(draws.winning_tickets(SEED, 1, 5, 9)) == [1, 2, 3, 4, 5]
    assert draws.winning_tickets(SEED, 1, 0, 3) == []
    # Over many lotteries of 6 tickets, every ticket takes each place as often as any other.
    firsts, seconds = Counter(), Counter()
    for lottery_id in range(6_000):
        first, second = draws.winning_tickets(SEED, lottery_id, 6, 2)
        assert first != second
        firsts[first] += 1
        seconds[second] += 1
    even = dict.fromkeys(range(1, 7), 1)
    assert chi_square(firsts, even) < CRITICAL[5] and chi_square(seconds, even) < CRITICAL[5]


def test_a_tampered_draw_record_is_caught() -> None:
    owners = [11, 11, 12, 13, 12, 14]
    numbers = draws.winning_tickets(SEED, 3, len(owners), 2)
    winners = [(n, owners[n - 1]) for n in numbers]
    record = draws.DrawRecord(3, SEED, draws.commitment(SEED), owners, 2, winners)
    assert draws.verify_draw(record) == []
    swapped = [(numbers[0], 99), winners[1]]
    other = next(n for n in range(1, 7) if n not in numbers)
    for bad in (
        draws.DrawRecord(3, SEED, draws.commitment(SEED), owners, 2, swapped),
        draws.DrawRecord(3, SEED, draws.commitment(SEED), owners, 2, [(other, 1), winners[1]]),
        draws.DrawRecord(3, "1" * 64, draws.commitment(SEED), owners, 2, winners),
        draws.DrawRecord(3, SEED, draws.commitment(SEED), [*owners, 15], 2, winners),
        draws.DrawRecord(4, SEED, draws.commitment(SEED), owners, 2, winners),
    ):
        assert draws.verify_draw(bad) != [], bad


# Setting a lottery up.


async def test_a_lottery_is_validated_versioned_and_keeps_its_seed_secret(club: dict) -> None:
    boss, now = club["boss"], datetime.now(UTC)
    bad = {
        "prizes.0.kind": spec(LotteryPrizeSpec(PrizeKind.TRY_AGAIN)),
        "prizes.0.winners": spec(credit(10, winners=0)),
        "salesEnd": spec(sales_end=now - 2 * HOUR),
        "drawAt": spec(draw_at=now),
        "ticketPricePoints": spec(ticket_price_points=None),
        "rialsPerTicket": spec(rials_per_ticket=0),
        "salesStart": spec(sales_start=datetime(2030, 1, 1)),
    }
    for field, wrong in bad.items():
        with pytest.raises(InvalidInput) as refused:
            await lottery.create(boss, wrong)
        assert refused.value.field == field
    assert await Lottery.all().count() == 0

    made = await lottery.create(boss, spec())
    assert made.seed_hash == draws.commitment(made.seed) and made.status.value == "draft"
    changed = await lottery.update(boss, made.id, spec(credit(70_000)), expected_version=1)
    assert changed.version == 2 and changed.prizes[0]["amount"] == 70_000
    assert changed.seed == made.seed
    trail = await ConfigChange.filter(entity="lottery").order_by("id")
    assert [c.action for c in trail] == ["create", "update"]
    assert all("seed" not in c.snapshot for c in trail)
    assert trail[0].snapshot["seed_hash"] == made.seed_hash

    await lottery.activate(boss, made.id)
    await buy(club["sara"], made.id, 1)
    with pytest.raises(Conflict) as refused:
        await lottery.update(boss, made.id, spec(credit(1)))
    assert "has given tickets" in refused.value.message


# Tickets.


async def test_tickets_bought_with_points(club: dict) -> None:
    sara, reza = club["sara"], club["reza"]
    on = await make_lottery(club["boss"], max_tickets_per_member=5)
    first = await buy(sara, on.id, 3, key="tickets-1")
    assert (first.entry.first_number, first.entry.count) == (1, 3)
    assert first.balances.points == 10_000 - 300
    again = await buy(sara, on.id, 3, key="tickets-1")
    assert again.replayed and again.entry.id == first.entry.id
    with pytest.raises(Conflict) as refused:
        await buy(sara, on.id, 2, key="tickets-1")
    assert refused.value.code is ErrorCode.IDEMPOTENCY_CONFLICT
    second = await buy(reza, on.id, 2)
    assert second.entry.first_number == 4

    poor = await f.member("Poor")
    before = await f.row_counts()
    with pytest.raises(DomainError) as refused:
        await buy(sara, on.id, 3)
    assert refused.value.code is ErrorCode.LIMIT_REACHED
    with pytest.raises(InsufficientBalance):
        await buy(poor.id, on.id, 1)
    assert await f.row_counts() == before
    assert (await Lottery.get(id=on.id)).tickets == 5
    assert await lottery.held(on.id, sara) == 3

    earned_only = await make_lottery(club["boss"], ticket_price_points=None, rials_per_ticket=10)
    soon = datetime.now(UTC) + HOUR
    later = await make_lottery(
        club["boss"], sales_start=soon, sales_end=soon + HOUR, draw_at=soon + HOUR
    )
    draft = await lottery.create(club["boss"], spec())
    for closed in (earned_only, later, draft):
        with pytest.raises(DomainError) as refused:
            await buy(sara, closed.id, 1)
        assert refused.value.code is ErrorCode.NOT_ELIGIBLE
    assert await ledger.balances(sara) == ledger.Balances(points=10_000 - 300, credit=0)


async def test_purchases_earn_tickets_once_within_the_limit(club: dict) -> None:
    sara = club["sara"]
    key = f.key()

    async def purchase(amount: int, key: str | None = None, **more: object):
        key = key or f.key()
        return await purchases.record(
            club["cashier"],
            branch_id=club["shop"],
            member_id=sara,
            amount=amount,
            receipt_number=key,
            idempotency_key=key,
            **more,  # type: ignore[arg-type]
        )

    # No lottery: a purchase gives no tickets (and asks nothing of the database for them).
    await purchase(500_000)
    on = await make_lottery(club["boss"], rials_per_ticket=100_000, max_tickets_per_member=4)
    done = await purchase(250_000, key)
    [entry] = await LotteryEntry.filter(lottery_id=on.id)
    assert (entry.count, entry.purchase_id) == (2, done.purchase.id)  # type: ignore[attr-defined]
    assert (await purchase(250_000, key)).replayed
    assert await LotteryEntry.filter(lottery_id=on.id).count() == 1
    await purchase(990_000)  # 9 tickets earned, 2 of the 4 left to hold
    assert await lottery.held(on.id, sara) == 4
    await purchase(990_000)
    assert await LotteryEntry.filter(lottery_id=on.id).count() == 2
    # A purchase made before the sales began (an offline station's, replayed) earns none.
    await purchase(990_000, occurred_at=datetime.now(UTC) - 2 * HOUR)
    assert (await Lottery.get(id=on.id)).tickets == 4


# The draw.


async def test_the_draw_is_reproducible_pays_once_and_tells_the_winners(club: dict) -> None:
    boss = club["boss"]
    latte = await rewards.create(
        boss,
        RewardSpec(
            "Latte", RewardKind.FREE_PRODUCT, Benefit(BenefitKind.FREE_PRODUCT, sku="LATTE"), 500
        ),
    )
    on = await make_lottery(
        boss,
        credit(50_000),
        points(1_000, winners=2),
        LotteryPrizeSpec(PrizeKind.VOUCHER, reward_id=latte.id),
    )
    for name, count in (("sara", 3), ("reza", 5), ("nima", 2)):
        await buy(club[name], on.id, count)
    at_draw = on.draw_at + timedelta(seconds=1)

    assert await lottery.draw_due(on.draw_at - timedelta(seconds=1)) == lottery.DrawRun([], 0)
    assert await lottery.draw_of(on.id) is None
    run = await lottery.draw_due(at_draw)
    assert run == lottery.DrawRun([on.id], 4)
    assert await lottery.draw_due(at_draw) == lottery.DrawRun([], 0)

    draw = await lottery.draw_of(on.id)
    assert draw is not None and draw.lottery.seed == SEED
    owners = await lottery.owners(on.id)
    assert len(owners) == draw.lottery.tickets == 10
    expected = draws.winning_tickets(SEED, on.id, 10, 4)
    assert [w.ticket_number for w in draw.winners] == expected
    assert [w.member_id for w in draw.winners] == [owners[n - 1] for n in expected]  # type: ignore[attr-defined]
    assert await lottery.check_draw(on.id) == []

    # Each prize was posted once, each winner told once.
    prizes = await JournalTransaction.filter(reason_code="lottery_prize").order_by("id")
    assert [(t.points, t.credit) for t in prizes] == [(0, 50_000), (1_000, 0), (1_000, 0)]
    voucher = await CouponCode.get(id=draw.winners[3].voucher_id)  # type: ignore[attr-defined]
    assert voucher.member_id == draw.winners[3].member_id  # type: ignore[attr-defined]
    messages = await InboxMessage.filter(kind="lottery_won").order_by("id")
    assert len(messages) == 4 and all(w.paid_at is not None for w in draw.winners)
    assert messages[0].title.startswith("در قرعه‌کشی")  # members read Persian unless they chose
    assert messages[0].link == f"app://games/lotteries/{on.id}"
    assert messages[0].data == {
        "lotteryId": str(on.id),
        "lotteryName": "Nowruz raffle",
        "prize": "۵٬۰۰۰ تومان اعتبار",
    }
    assert (await reconcile()).ok

    # A record changed afterwards no longer checks out.
    await LotteryWinner.filter(id=draw.winners[0].id).update(ticket_number=expected[1])
    assert await lottery.check_draw(on.id) != []


async def test_a_lottery_without_tickets_is_drawn_with_no_winners(club: dict) -> None:
    on = await make_lottery(club["boss"])
    run = await lottery.draw_due(on.draw_at)
    assert run == lottery.DrawRun([on.id], 0)
    draw = await lottery.draw_of(on.id)
    assert draw is not None and draw.winners == []
    with pytest.raises(DomainError) as refused:
        await buy(club["sara"], on.id, 1)
    assert refused.value.code is ErrorCode.NOT_ELIGIBLE


async def test_a_draw_cut_short_is_finished_by_the_next_run(club: dict) -> None:
    on = await make_lottery(club["boss"], credit(10_000, winners=2))
    await buy(club["sara"], on.id, 2)
    # The winners recorded, nobody paid yet (the run stopped between its two steps).
    assert await lottery._draw(on.id, on.draw_at)
    assert await LotteryWinner.filter(paid_at=None).count() == 2
    runs = await asyncio.gather(*(lottery.draw_due(on.draw_at) for _ in range(4)))
    assert sum(run.paid for run in runs) == 2 and not any(run.drawn for run in runs)
    assert await ledger.balances(club["sara"]) == ledger.Balances(points=9_800, credit=20_000)
    assert await InboxMessage.filter(kind="lottery_won").count() == 2


async def test_concurrent_buyers_never_pass_the_limit_or_share_a_number(club: dict) -> None:
    on = await make_lottery(club["boss"], max_tickets_per_member=6)
    calls = [buy(club[name], on.id, 2) for name in ("sara", "reza", "nima") for _ in range(5)]
    results = await asyncio.gather(*calls, return_exceptions=True)
    kinds = Counter(type(r).__name__ for r in results)
    assert kinds == {"Tickets": 9, "DomainError": 6}, results
    entries = await LotteryEntry.filter(lottery_id=on.id).order_by("first_number")
    numbers = [n for e in entries for n in range(e.first_number, e.first_number + e.count)]
    assert numbers == list(range(1, 19))
    assert Counter(await lottery.owners(on.id)) == {
        club["sara"]: 6,
        club["reza"]: 6,
        club["nima"]: 6,
    }
    assert (await reconcile()).ok
