"""The wheel of fortune: fair draws (the pure draw and real spins against their weights),
verification, prizes posted once, the free daily spin, stock, budget and limits (under
concurrent spins too), versions and seeds."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
from collections import Counter
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from loyalty import ledger
from loyalty.actors import Actor
from loyalty.errors import (
    Conflict,
    DomainError,
    ErrorCode,
    InsufficientBalance,
    InvalidInput,
    PermissionDenied,
)
from loyalty.games import draws, wheel
from loyalty.games.wheel import WheelPrizeSpec, WheelSpec
from loyalty.ledger import Purse
from loyalty.models import (
    BenefitKind,
    ConfigChange,
    CouponCode,
    JournalTransaction,
    PrizeKind,
    RewardKind,
    Wheel,
    WheelPlayer,
    WheelPrize,
    WheelSeed,
    WheelSpin,
)
from loyalty.programme import rewards
from loyalty.programme.coupons import Benefit
from loyalty.programme.rewards import RewardSpec
from loyalty.reconcile import reconcile
from tests import factories as f

SEED = "5eed" * 16
TEHRAN = ZoneInfo("Asia/Tehran")
# Chi-square critical values at p = 0.001: a fair wheel exceeds them once in a thousand seeds.
CRITICAL = {1: 10.828, 2: 13.816, 3: 16.266, 5: 20.515}


def chi_square(observed: Counter, weights: dict[int, int]) -> float:
    total_weight, draws_made = sum(weights.values()), sum(observed.values())
    return sum(
        (observed[key] - draws_made * weight / total_weight) ** 2
        / (draws_made * weight / total_weight)
        for key, weight in weights.items()
    )


def points(amount: int, weight: int, **more: object) -> WheelPrizeSpec:
    return WheelPrizeSpec(PrizeKind.POINTS, amount=amount, weight=weight, **more)  # type: ignore[arg-type]


def credit(amount: int, weight: int, **more: object) -> WheelPrizeSpec:
    return WheelPrizeSpec(PrizeKind.CREDIT, amount=amount, weight=weight, **more)  # type: ignore[arg-type]


def try_again(weight: int) -> WheelPrizeSpec:
    return WheelPrizeSpec(PrizeKind.TRY_AGAIN, weight=weight)


async def make_wheel(
    boss: Actor, *prizes: WheelPrizeSpec, seed: str | None = SEED, **more: object
) -> Wheel:
    """An active wheel; its seed set to a known one so the test draws the same every run."""
    spec = WheelSpec("Yalda wheel", list(prizes), **{"cost_points": 10, **more})  # type: ignore[arg-type]
    made = await wheel.create(boss, spec)
    if seed is not None:
        await WheelSeed.filter(wheel_id=made.id).update(seed=seed, seed_hash=draws.commitment(seed))
    return await wheel.activate(boss, made.id)


async def spin(member_id: int, wheel_id: int, **more: object) -> wheel.SpinResult:
    return await wheel.spin(
        Actor.member(member_id),
        wheel_id=wheel_id,
        idempotency_key=more.pop("key", f.key()),  # type: ignore[arg-type]
        **more,  # type: ignore[arg-type]
    )


@pytest.fixture
async def club() -> dict:
    boss = await f.manager()
    sara = await f.member("Sara")
    await f.give(sara.id, Purse.POINTS, 100_000)
    return {"boss": boss, "sara": sara.id}


# The draw itself: pure functions.


def test_the_draw_follows_the_weights() -> None:
    weights = [(1, 50), (2, 30), (3, 15), (4, 5)]
    seen = Counter(draws.spin(SEED, 7, number, weights)[1] for number in range(1, 20_001))
    assert chi_square(seen, dict(weights)) < CRITICAL[3], seen
    # The test can fail: the same draws are far from other weights.
    assert chi_square(seen, {1: 25, 2: 25, 3: 25, 4: 25}) > 100 * CRITICAL[3]


def test_the_draw_has_no_modulo_bias() -> None:
    # Just over half of all 256-bit values: a plain modulo would make the low half twice as
    # likely. Values past the last full run are drawn again, from message:1, message:2...
    total = 2**255 + 1
    first = [_hmac(f"m{n}") for n in range(64)]
    rejected = [n for n, value in enumerate(first) if value >= total]
    assert 16 < len(rejected) < 48
    for n in rejected:
        if _hmac(f"m{n}:1") < total:
            assert draws.draw(SEED, f"m{n}", total) == _hmac(f"m{n}:1")
    kept = [n for n, value in enumerate(first) if value < total]
    assert all(draws.draw(SEED, f"m{n}", total) == first[n] for n in kept)
    assert all(draws.draw(SEED, f"m{n}", total) < total for n in range(64))
    assert draws.pick([(10, 3), (11, 1)], 2) == 10 and draws.pick([(10, 3), (11, 1)], 3) == 11


def _hmac(message: str) -> int:
    digest = hmac.new(SEED.encode(), message.encode(), hashlib.sha256).digest()
    return int.from_bytes(digest, "big")


def test_a_tampered_spin_record_is_caught() -> None:
    weights = [(1, 3), (2, 1)]
    value, prize = draws.spin(SEED, 1, 5, weights)
    record = draws.SpinRecord(1, 5, SEED, draws.commitment(SEED), weights, value, prize)
    assert draws.verify_spin(record) == []
    other = 2 if prize == 1 else 1
    tampered = [
        record.__class__(**{**_fields(record), "prize_id": other}),
        record.__class__(**{**_fields(record), "draw": (value + 1) % 4}),
        record.__class__(**{**_fields(record), "seed": "0" * 64}),
        record.__class__(**{**_fields(record), "weights": [(1, 1), (2, 3)]}),
        record.__class__(**{**_fields(record), "number": 6}),
    ]
    for bad in tampered:
        assert draws.verify_spin(bad) != [], bad


def _fields(record: draws.SpinRecord) -> dict:
    return {name: getattr(record, name) for name in record.__slots__}  # type: ignore[attr-defined]


# Setting a wheel up.


async def test_a_wheel_is_validated_and_a_refusal_writes_nothing(club: dict) -> None:
    boss = club["boss"]
    discount = await rewards.create(
        boss,
        RewardSpec(
            "Ten", RewardKind.DISCOUNT, Benefit(BenefitKind.PERCENT_OFF, basis_points=1000), 10
        ),
    )
    bad = {
        "prizes": WheelSpec("W", [], cost_points=1),
        "prizes.0.weight": WheelSpec("W", [points(10, 0)], cost_points=1),
        "prizes.1.amount": WheelSpec("W", [points(10, 1), credit(0, 1)], cost_points=1),
        "prizes.0.rewardId": WheelSpec(
            "W", [WheelPrizeSpec(PrizeKind.VOUCHER, reward_id=discount.id)], cost_points=1
        ),
        "prizes.0.stock": WheelSpec(
            "W", [WheelPrizeSpec(PrizeKind.TRY_AGAIN, stock=3)], cost_points=1
        ),
        "costPoints": WheelSpec("W", [points(10, 1)]),
        "budget": WheelSpec("W", [points(10, 1)], cost_points=1, budget=0),
        "spinsPerDay": WheelSpec("W", [points(10, 1)], cost_points=1, spins_per_day=0),
        "name": WheelSpec(" ", [points(10, 1)], cost_points=1),
    }
    for field, spec in bad.items():
        with pytest.raises(InvalidInput) as refused:
            await wheel.create(boss, spec)
        assert refused.value.field == field
    assert await Wheel.all().count() == 0 and await WheelPrize.all().count() == 0
    with pytest.raises(PermissionDenied):
        await wheel.create(Actor.member(club["sara"]), WheelSpec("W", [points(1, 1)]))


async def test_versions_are_audited_and_each_spin_keeps_the_table_it_drew_from(
    club: dict,
) -> None:
    boss, sara = club["boss"], club["sara"]
    made = await wheel.create(boss, WheelSpec("W", [points(10, 1), try_again(1)], cost_points=5))
    assert made.status.value == "draft"
    with pytest.raises(DomainError) as refused:
        await spin(sara, made.id)
    assert refused.value.code is ErrorCode.NOT_ELIGIBLE
    on = await wheel.activate(boss, made.id, expected_version=1)
    first = await spin(sara, on.id)
    assert first.spin.wheel_version == 2 and len(first.spin.weights) == 2

    [ten, again] = await wheel.prizes_of(on.id)
    spec = WheelSpec("W", [points(20, 3, id=ten.id), credit(1_000, 1)], cost_points=5)
    with pytest.raises(Conflict) as stale:
        await wheel.update(boss, on.id, spec, expected_version=1)
    assert stale.value.code is ErrorCode.VERSION_CONFLICT
    changed = await wheel.update(boss, on.id, spec, expected_version=2)
    after = await wheel.prizes_of(on.id)
    assert (after[0].id, after[0].kind, after[0].amount, after[0].weight) == (
        ten.id,
        "points",
        20,
        3,
    )
    assert after[1].kind is PrizeKind.CREDIT and not (await WheelPrize.get(id=again.id)).active
    second = await spin(sara, on.id)
    assert second.spin.wheel_version == changed.version == 3
    assert second.spin.weights == [[ten.id, 3], [after[1].id, 1]]
    assert first.spin.weights == [[ten.id, 1], [again.id, 1]]

    trail = await ConfigChange.filter(entity="wheel", entity_id=str(on.id)).order_by("id")
    assert [(c.action, c.version) for c in trail] == [("create", 1), ("update", 2), ("update", 3)]
    assert [p["weight"] for p in trail[2].snapshot["prizes"]] == [3, 1]

    ended = await wheel.end(boss, on.id)
    assert ended.status.value == "ended" and ended.ended_at is not None
    with pytest.raises(DomainError) as refused:
        await spin(sara, on.id)
    assert refused.value.code is ErrorCode.NOT_ELIGIBLE
    with pytest.raises(Conflict):
        await wheel.update(boss, on.id, spec)


# Spinning.


async def test_real_spins_follow_the_weights_and_are_verifiable_once_the_seed_is_out(
    club: dict,
) -> None:
    boss, sara = club["boss"], club["sara"]
    on = await make_wheel(boss, points(5, 5), credit(1_000, 3), try_again(2), cost_points=1)
    results = [await spin(sara, on.id) for _ in range(300)]
    prizes = {p.id: p.weight for p in await wheel.prizes_of(on.id)}
    seen = Counter(r.spin.drawn_prize_id for r in results)  # type: ignore[attr-defined]
    assert chi_square(seen, prizes) < CRITICAL[2], seen
    assert [r.spin.number for r in results] == list(range(1, 301))

    # Before the seed is out the proof cannot be checked; rotating it out lets anyone check.
    assert all(wheel.record_of(r.spin) is None for r in results)
    revealed = await wheel.rotate_seed(boss, on.id)
    assert revealed.seed == SEED and revealed.revealed_at is not None
    for record in (await wheel.spins_of(sara, first=100)).items:
        proof = wheel.record_of(record)
        assert proof is not None and draws.verify_spin(proof) == []
    # Later spins draw from the new seed, whose hash is published and which is still secret.
    later = await spin(sara, on.id)
    assert later.spin.seed.seed_hash != revealed.seed_hash  # type: ignore[attr-defined]
    assert wheel.record_of(later.spin) is None

    # Points, credit and costs all went through the ledger, and it balances.
    given = Counter(r.spin.kind for r in [*results, later])
    assert await ledger.balances(sara) == ledger.Balances(
        points=100_000 - 301 + 5 * given[PrizeKind.POINTS], credit=1_000 * given[PrizeKind.CREDIT]
    )
    assert (await reconcile()).ok


async def test_a_tampered_spin_in_the_database_is_caught(club: dict) -> None:
    on = await make_wheel(club["boss"], points(5, 1), try_again(1), cost_points=1)
    result = await spin(club["sara"], on.id)
    await wheel.rotate_seed(club["boss"], on.id)
    [prize, again] = await wheel.prizes_of(on.id)
    other = again.id if result.spin.drawn_prize_id == prize.id else prize.id  # type: ignore[attr-defined]
    await WheelSpin.filter(id=result.spin.id).update(drawn_prize_id=other)
    [record] = (await wheel.spins_of(club["sara"])).items
    problems = draws.verify_spin(wheel.record_of(record))  # type: ignore[arg-type]
    assert problems and "not the" in problems[0]


async def test_a_retry_returns_the_same_spin_and_posts_once(club: dict) -> None:
    boss, sara = club["boss"], club["sara"]
    on = await make_wheel(boss, credit(2_000, 1))
    first = await spin(sara, on.id, key="spin-1")
    again = await spin(sara, on.id, key="spin-1")
    assert not first.replayed and again.replayed and again.spin.id == first.spin.id
    assert await WheelSpin.all().count() == 1
    assert (
        await JournalTransaction.filter(reason_code__in=["wheel_spin", "wheel_prize"]).count() == 2
    )
    assert again.balances == ledger.Balances(points=100_000 - 10, credit=2_000)
    other = await make_wheel(boss, credit(2_000, 1))
    with pytest.raises(Conflict) as refused:
        await spin(sara, other.id, key="spin-1")
    assert refused.value.code is ErrorCode.IDEMPOTENCY_CONFLICT
    # Another member's key is theirs alone.
    reza = await f.member("Reza")
    await f.give(reza.id, Purse.POINTS, 10)
    assert not (await spin(reza.id, on.id, key="spin-1")).replayed


async def test_one_key_many_concurrent_spins_spin_once(club: dict) -> None:
    on = await make_wheel(club["boss"], points(7, 1))
    results = await asyncio.gather(*(spin(club["sara"], on.id, key="same") for _ in range(10)))
    assert len({r.spin.id for r in results}) == 1
    assert sum(not r.replayed for r in results) == 1
    assert await ledger.balances(club["sara"]) == ledger.Balances(points=100_000 - 10 + 7, credit=0)


async def test_a_voucher_prize_is_a_code_of_the_reward(club: dict) -> None:
    latte = await rewards.create(
        club["boss"],
        RewardSpec(
            "Latte",
            RewardKind.FREE_PRODUCT,
            Benefit(BenefitKind.FREE_PRODUCT, sku="LATTE"),
            500,
            voucher_days=7,
        ),
    )
    on = await make_wheel(
        club["boss"], WheelPrizeSpec(PrizeKind.VOUCHER, reward_id=latte.id), point_value=100
    )
    result = await spin(club["sara"], on.id)
    assert result.spin.kind is PrizeKind.VOUCHER and result.voucher is not None
    assert result.voucher.status.value == "usable"
    # Valued at its price in points, at the wheel's Rials a point.
    assert result.spin.value == 500 * 100
    code = await CouponCode.get(id=result.spin.voucher_id)  # type: ignore[attr-defined]
    assert code.member_id == club["sara"] and code.coupon_id == latte.coupon_id  # type: ignore[attr-defined]
    assert wheel.given(result.spin).en == "a voucher: Latte"


async def test_a_spin_that_cannot_be_paid_changes_nothing(club: dict) -> None:
    on = await make_wheel(club["boss"], points(5, 1), cost_points=200_000)
    before = await f.row_counts()
    with pytest.raises(InsufficientBalance):
        await spin(club["sara"], on.id)
    assert await f.row_counts() == before
    assert (await Wheel.get(id=on.id)).spins == 0
    assert await WheelSpin.all().count() == 0 and await WheelPlayer.all().count() == 0
    with pytest.raises(PermissionDenied):
        await wheel.spin(club["boss"], wheel_id=on.id, idempotency_key=f.key())


async def test_the_free_daily_spin_comes_back_at_club_midnight(club: dict) -> None:
    sara = club["sara"]
    on = await make_wheel(club["boss"], points(1, 1), cost_points=10, free_daily_spin=True)
    evening = datetime(2030, 3, 1, 23, 59, tzinfo=TEHRAN)
    free = await spin(sara, on.id, at=evening)
    paid = await spin(sara, on.id, at=evening + timedelta(seconds=30))
    next_day = await spin(sara, on.id, at=evening + timedelta(minutes=2))
    assert (free.spin.free, paid.spin.free, next_day.spin.free) == (True, False, True)
    assert (free.spin.cost_points, paid.spin.cost_points) == (0, 10)
    # 23:59 in Tehran is 20:29 UTC: the UTC day has not changed, the club's has.
    assert evening.astimezone(UTC).date() == (evening + timedelta(minutes=2)).astimezone(UTC).date()
    assert await ledger.balances(sara) == ledger.Balances(points=100_000 - 10 + 3, credit=0)

    free_only = await make_wheel(club["boss"], points(1, 1), cost_points=0, free_daily_spin=True)
    await spin(sara, free_only.id, at=evening)
    with pytest.raises(DomainError) as refused:
        await spin(sara, free_only.id, at=evening + timedelta(seconds=30))
    assert refused.value.code is ErrorCode.LIMIT_REACHED
    assert "free spin" in refused.value.message
    [offer] = [o for o in await wheel.on_offer(sara, at=evening) if o.wheel.id == free_only.id]
    assert offer.turns == wheel.Turns(free_spin=False, spins_left_today=None, spins_left=None)


async def test_stock_and_budget_fall_back_to_try_again_and_say_so(club: dict) -> None:
    boss, sara = club["boss"], club["sara"]
    stocked = await make_wheel(boss, credit(1_000, 1, stock=2))
    results = [await spin(sara, stocked.id) for _ in range(3)]
    assert [(r.spin.kind, r.spin.fallback) for r in results] == [
        (PrizeKind.CREDIT, ""),
        (PrizeKind.CREDIT, ""),
        (PrizeKind.TRY_AGAIN, "out_of_stock"),
    ]
    # The draw is still the prize it drew: verifiable as any other.
    assert results[2].spin.drawn_prize_id == results[0].spin.drawn_prize_id  # type: ignore[attr-defined]
    assert wheel.given(results[2].spin).en == "Try again"

    budgeted = await make_wheel(boss, points(100, 1), point_value=30, budget=7_000)
    results = [await spin(sara, budgeted.id) for _ in range(3)]
    assert [r.spin.fallback for r in results] == ["", "", "over_budget"]
    assert [r.spin.value for r in results] == [3_000, 3_000, 0]
    row = await Wheel.get(id=budgeted.id)
    assert row.budget_used == 6_000
    # The unit of stock the budget refused went back.
    assert (await WheelPrize.get(wheel_id=budgeted.id)).given == 2


async def test_limits_per_day_and_in_all(club: dict) -> None:
    sara = club["sara"]
    on = await make_wheel(club["boss"], points(1, 1), spins_per_day=2, spins_per_member=3)
    day = datetime(2030, 3, 1, 12, tzinfo=TEHRAN)
    await spin(sara, on.id, at=day)
    await spin(sara, on.id, at=day)
    with pytest.raises(DomainError) as refused:
        await spin(sara, on.id, at=day)
    assert refused.value.code is ErrorCode.LIMIT_REACHED
    await spin(sara, on.id, at=day + timedelta(days=1))
    with pytest.raises(DomainError) as refused:
        await spin(sara, on.id, at=day + timedelta(days=2))
    assert refused.value.message == "you have had the 3 spins of Yalda wheel"


async def test_concurrent_spins_never_exceed_the_budget_stock_or_limits(club: dict) -> None:
    boss = club["boss"]
    players = [club["sara"]]
    for n in range(5):
        member = await f.member(f"Player {n}")
        await f.give(member.id, Purse.POINTS, 1_000)
        players.append(member.id)
    budgeted = await make_wheel(
        boss, credit(1_000, 1), points(10, 1, stock=4), budget=5_000, point_value=100
    )
    results = await asyncio.gather(
        *(spin(m, budgeted.id) for m in players for _ in range(8)), return_exceptions=True
    )
    spun = [r for r in results if isinstance(r, wheel.SpinResult)]
    assert len(spun) == 48, [r for r in results if not isinstance(r, wheel.SpinResult)]
    row = await Wheel.get(id=budgeted.id)
    assert row.spins == 48 and row.budget_used <= 5_000
    assert sum(r.spin.value for r in spun) == row.budget_used
    given = Counter(r.spin.kind for r in spun)
    assert given[PrizeKind.POINTS] <= 4
    assert 1_000 * given[PrizeKind.CREDIT] + 1_000 * given[PrizeKind.POINTS] <= 5_000
    assert sorted(r.spin.number for r in spun) == list(range(1, 49))

    limited = await make_wheel(boss, points(1, 1), spins_per_day=3)
    noon = datetime(2030, 3, 1, 12, tzinfo=TEHRAN)  # all on one club day
    results = await asyncio.gather(
        *(spin(m, limited.id, at=noon) for m in players for _ in range(6)),
        return_exceptions=True,
    )
    kinds = Counter(
        r.code if isinstance(r, DomainError) else "spun"
        for r in results  # type: ignore[union-attr]
    )
    assert kinds == {"spun": 3 * len(players), ErrorCode.LIMIT_REACHED: 3 * len(players)}
    assert set(await WheelPlayer.filter(wheel_id=limited.id).values_list("spins", flat=True)) == {3}
    assert (await reconcile()).ok
