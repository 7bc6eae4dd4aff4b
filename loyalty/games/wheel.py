"""The wheel of fortune: managers set weighted prizes, what a spin costs (points, or one free
spin a club day), a budget and limits; members spin.

A spin is one database transaction, holding the member's standing lock:

1. its number: the wheel's spin counter, taken by a conditional UPDATE only while the wheel is
   on (PostgreSQL then holds the wheel's row: the spins of one wheel go one at a time);
2. the member's turn: the per-day and total limits, and whether today's free spin is still
   theirs, taken by a conditional UPDATE of their player row;
3. the cost in points unless the spin is free (the ledger never goes below zero);
4. the draw: HMAC-SHA256 of the wheel's seed and `wheel:{id}:{number}` over the weights of the
   prizes on the wheel now (see `draws`), recorded with the weights table it used;
5. the prize: one of its stock and its value from the budget, each taken by a conditional
   UPDATE. When either has run out the member gets "try again" instead. The spin records the
   prize drawn as well as what was given and why (`fallback`: out_of_stock or over_budget), so
   the draw stays verifiable and the fallback is there to see.

A retry with the same idempotency key returns the same spin; its cost and prize are posted once.

Seeds: a wheel is made with one, published by its hash. `rotate_seed` reveals it and commits to
a new one, so every spin made so far can be checked while later ones stay unpredictable;
ending the wheel reveals the last.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

from tortoise.expressions import F, Q
from tortoise.queryset import QuerySet
from tortoise.transactions import in_transaction

from loyalty import clock, ledger, sql, validation
from loyalty.actors import Actor
from loyalty.errors import Conflict, DomainError, ErrorCode, InvalidInput, NotFound
from loyalty.games import draws, member_of, prizes
from loyalty.games.prizes import PrizeSpec
from loyalty.history import Page
from loyalty.idempotency import check_key, derived_key, request_hash, run_once
from loyalty.ledger import Balances, Purse, SystemAccount
from loyalty.models import (
    GameStatus,
    JournalTransaction,
    MemberStanding,
    PrizeKind,
    Role,
    TransactionKind,
    Wheel,
    WheelPlayer,
    WheelPrize,
    WheelSeed,
    WheelSpin,
)
from loyalty.programme import audit, coupons
from loyalty.programme import standing as standings
from loyalty.programme.coupons import Voucher
from loyalty.programme.explain import Text

MAX_PRIZES = 24
MAX_WEIGHT = 1_000_000
MAX_STOCK = 10**9


class Fallback(StrEnum):
    """Why a spin gave "try again" instead of the prize it drew."""

    OUT_OF_STOCK = "out_of_stock"
    OVER_BUDGET = "over_budget"


@dataclass(frozen=True, slots=True)
class WheelPrizeSpec(PrizeSpec):
    """A slice of the wheel: `id` names one already on it, to change it in place."""

    weight: int = 1
    stock: int | None = None
    id: int | None = None


@dataclass(frozen=True, slots=True)
class WheelSpec:
    """A wheel as a manager writes it. Prizes left out of an update come off the wheel."""

    name: str
    prizes: Sequence[WheelPrizeSpec]
    description: str = ""
    cost_points: int = 0
    free_daily_spin: bool = False
    point_value: int = 0
    budget: int | None = None
    spins_per_day: int | None = None
    spins_per_member: int | None = None
    starts_at: datetime | None = None
    ends_at: datetime | None = None


def _whole(value: int, field: str, maximum: int) -> int:
    """0 or a positive whole number up to `maximum`."""
    if value == 0 and type(value) is int:
        return 0
    return validation.positive_amount(value, field=field, maximum=maximum)


async def _cleaned_prizes(specs: Sequence[WheelPrizeSpec]) -> list[dict]:
    if not 1 <= len(specs) <= MAX_PRIZES:
        raise InvalidInput(f"a wheel has 1 to {MAX_PRIZES} prizes", field="prizes")
    ids = [spec.id for spec in specs if spec.id is not None]
    if len(set(ids)) < len(ids):
        raise InvalidInput("the same prize is given twice", field="prizes")
    rows = []
    for n, spec in enumerate(specs):
        field = f"prizes.{n}"
        row = await prizes.cleaned(spec, field, try_again=True)
        weight = validation.positive_amount(
            spec.weight, field=f"{field}.weight", maximum=MAX_WEIGHT
        )
        stock = spec.stock
        if stock is not None:
            if row["kind"] is PrizeKind.TRY_AGAIN:
                raise InvalidInput("try again has no stock", field=f"{field}.stock")
            stock = _whole(stock, f"{field}.stock", MAX_STOCK)
        rows.append({**row, "weight": weight, "stock": stock, "id": spec.id, "position": n})
    return rows


async def _cleaned(spec: WheelSpec) -> tuple[dict, list[dict]]:
    cost = _whole(spec.cost_points, "costPoints", validation.MAX_POINTS)
    if not cost and not spec.free_daily_spin:
        raise InvalidInput(
            "a spin costs points, or the wheel gives a free spin a day, or both",
            field="costPoints",
        )
    budget = spec.budget
    if budget is not None:
        budget = validation.positive_amount(budget, field="budget")
    values = {
        "name": validation.text(spec.name, field="name", max_length=100, required=True),
        "description": validation.text(spec.description, field="description", max_length=500),
        "cost_points": cost,
        "free_daily_spin": bool(spec.free_daily_spin),
        "point_value": _whole(spec.point_value, "pointValue", validation.MAX_RIAL),
        "budget": budget,
        "spins_per_day": coupons.optional_limit(spec.spins_per_day, "spinsPerDay"),
        "spins_per_member": coupons.optional_limit(spec.spins_per_member, "spinsPerMember"),
        **coupons.validity(spec.starts_at, spec.ends_at),
    }
    return values, await _cleaned_prizes(spec.prizes)


def _snapshot(values: dict, prize_rows: list[dict]) -> dict:
    return {**values, "prizes": prize_rows}


async def _save_prizes(wheel_id: int, rows: list[dict]) -> None:
    """Put `rows` on the wheel, in their order; its other prizes come off (kept for the spins
    that drew them). A prize changed in place keeps what it has given against its stock."""
    on_wheel = set(await WheelPrize.filter(wheel_id=wheel_id).values_list("id", flat=True))
    for row in rows:
        values = {k: v for k, v in row.items() if k != "id"}
        if row["id"] is None:
            await WheelPrize.create(wheel_id=wheel_id, **values)
        elif row["id"] in on_wheel:
            await WheelPrize.filter(id=row["id"]).update(**values, active=True)
        else:
            raise InvalidInput(
                f"prize {row['id']} is not on this wheel", field=f"prizes.{row['position']}.id"
            )
    retired = on_wheel - {row["id"] for row in rows}
    if retired:
        await WheelPrize.filter(id__in=list(retired)).update(active=False)


async def _commit_seed(wheel_id: int) -> WheelSeed:
    seed = draws.new_seed()
    return await WheelSeed.create(wheel_id=wheel_id, seed=seed, seed_hash=draws.commitment(seed))


async def create(actor: Actor, spec: WheelSpec) -> Wheel:
    """A new wheel, as a draft, with its first seed committed (its hash is public at once)."""
    actor.require_staff(Role.MANAGER)
    values, prize_rows = await _cleaned(spec)
    if any(row["id"] is not None for row in prize_rows):
        raise InvalidInput("a new wheel's prizes have no ids yet", field="prizes")
    async with in_transaction():
        wheel = await audit.create_versioned(
            actor, Wheel, "wheel", values, snapshot=_snapshot(values, prize_rows)
        )
        await _save_prizes(wheel.id, prize_rows)
        await _commit_seed(wheel.id)
    return wheel


def _not_ended(wheel: Wheel) -> None:
    if wheel.status is GameStatus.ENDED:
        raise Conflict(f"{wheel.name} has ended: it cannot change")


async def update(
    actor: Actor, wheel_id: int, spec: WheelSpec, *, expected_version: int | None = None
) -> Wheel:
    """A new version of a wheel: spins from now on draw from its new weights."""
    actor.require_staff(Role.MANAGER)
    values, prize_rows = await _cleaned(spec)

    async def prizes_too(wheel: Wheel) -> dict:
        _not_ended(wheel)
        await _save_prizes(wheel.id, prize_rows)
        return {}

    return await audit.update_versioned(
        actor,
        Wheel,
        "wheel",
        wheel_id,
        values,
        expected_version=expected_version,
        also=prizes_too,
        snapshot=_snapshot(values, prize_rows),
    )


async def activate(actor: Actor, wheel_id: int, *, expected_version: int | None = None) -> Wheel:
    """A draft wheel goes on: members may spin it (within its dates)."""
    actor.require_staff(Role.MANAGER)

    async def from_draft(wheel: Wheel) -> dict:
        if wheel.status is not GameStatus.DRAFT:
            raise Conflict(f"{wheel.name} is {wheel.status.value}, not a draft")
        return {}

    return await audit.update_versioned(
        actor,
        Wheel,
        "wheel",
        wheel_id,
        {"status": GameStatus.ACTIVE},
        expected_version=expected_version,
        also=from_draft,
    )


async def end(actor: Actor, wheel_id: int, *, expected_version: int | None = None) -> Wheel:
    """The wheel spins no more, and its last seed is revealed."""
    actor.require_staff(Role.MANAGER)
    now = datetime.now(UTC)

    async def reveal(wheel: Wheel) -> dict:
        _not_ended(wheel)
        await _reveal_seed(wheel.id, now)
        return {}

    return await audit.update_versioned(
        actor,
        Wheel,
        "wheel",
        wheel_id,
        {"status": GameStatus.ENDED, "ended_at": now},
        expected_version=expected_version,
        also=reveal,
    )


async def _reveal_seed(wheel_id: int, at: datetime) -> None:
    await WheelSeed.filter(wheel_id=wheel_id, revealed_at=None).update(revealed_at=at)


async def rotate_seed(actor: Actor, wheel_id: int) -> WheelSeed:
    """Reveal the wheel's seed, so the spins made with it can be checked, and commit to a new
    one for the spins to come. Returns the seed revealed."""
    actor.require_staff(Role.MANAGER)
    now = datetime.now(UTC)
    async with in_transaction():
        # The wheel's row, locked: no spin draws from the old seed once it is out.
        wheel = await Wheel.filter(id=wheel_id).select_for_update().first()
        if wheel is None:
            raise NotFound("wheel", wheel_id)
        _not_ended(wheel)
        old = await _current_seed(wheel.id)
        await _reveal_seed(wheel.id, now)
        new = await _commit_seed(wheel.id)
        await audit.record(
            actor,
            entity="wheel",
            entity_id=wheel.id,
            version=wheel.version,
            action="rotate_seed",
            snapshot={"revealed": old.seed_hash, "committed": new.seed_hash},
        )
    return await WheelSeed.get(id=old.id)


async def _current_seed(wheel_id: int) -> WheelSeed:
    seed = await WheelSeed.filter(wheel_id=wheel_id, revealed_at=None).order_by("-id").first()
    assert seed is not None, "a wheel that is not ended has a seed"
    return seed


async def get(wheel_id: int) -> Wheel:
    wheel = await Wheel.get_or_none(id=wheel_id)
    if wheel is None:
        raise NotFound("wheel", wheel_id)
    return wheel


async def prizes_of(wheel_id: int) -> list[WheelPrize]:
    """The prizes on the wheel, in its order (the order of its weights table)."""
    return await _prizes(WheelPrize.filter(wheel_id=wheel_id, active=True))


async def _prizes(query: QuerySet[WheelPrize]) -> list[WheelPrize]:
    return await query.order_by("position", "id").prefetch_related("reward")


def spinning(wheel: Wheel, at: datetime) -> bool:
    return (
        wheel.status is GameStatus.ACTIVE
        and (wheel.starts_at is None or wheel.starts_at <= at)
        and (wheel.ends_at is None or at < wheel.ends_at)
    )


# What a member sees.


@dataclass(frozen=True, slots=True)
class Turns:
    """What a member may still do on a wheel today."""

    free_spin: bool  # today's free spin is still theirs
    spins_left_today: int | None  # None: no daily limit
    spins_left: int | None  # None: no limit in all


def _turns(wheel: Wheel, player: WheelPlayer | None, today: int) -> Turns:
    spins = player.spins if player else 0
    today_spins = player.spins_today if player and player.day == today else 0
    free_day = player.free_day if player else 0
    per_day, per_member = wheel.spins_per_day, wheel.spins_per_member
    return Turns(
        free_spin=wheel.free_daily_spin and free_day != today,
        spins_left_today=None if per_day is None else max(0, per_day - today_spins),
        spins_left=None if per_member is None else max(0, per_member - spins),
    )


@dataclass(frozen=True, slots=True)
class WheelOffer:
    wheel: Wheel
    prizes: list[WheelPrize]
    seed_hash: str
    turns: Turns | None  # the member's; None for staff


async def on_offer(member_id: int | None, *, at: datetime | None = None) -> list[WheelOffer]:
    """The wheels members can spin now, newest first, with what the member may still do."""
    now = at or datetime.now(UTC)
    wheels = await Wheel.filter(status=GameStatus.ACTIVE).order_by("-id")
    return await offers_of([w for w in wheels if spinning(w, now)], member_id, at=now)


async def listed(
    actor: Actor, *, first: int = 20, before_id: int | None = None
) -> Page[WheelOffer]:
    """Every wheel, newest first (managers)."""
    actor.require_staff(Role.MANAGER)
    page = await coupons.paged(Wheel.all(), first, before_id)
    return Page(await offers_of(page.items), page.has_more)


async def offers_of(
    wheels: list[Wheel], member_id: int | None = None, *, at: datetime | None = None
) -> list[WheelOffer]:
    """The wheels with their prizes and seed hash, and what the member may do on them."""
    now = at or datetime.now(UTC)
    ids = [w.id for w in wheels]
    on_wheels: dict[int, list[WheelPrize]] = {i: [] for i in ids}
    for prize in await _prizes(WheelPrize.filter(wheel_id__in=ids, active=True)):
        on_wheels[prize.wheel_id].append(prize)  # type: ignore[attr-defined]
    # The newest seed of each wheel: the one spins draw from (revealed, once the wheel ended).
    seeds = dict(
        await WheelSeed.filter(wheel_id__in=ids).order_by("id").values_list("wheel_id", "seed_hash")
    )
    players = {}
    if member_id is not None:
        players = {
            p.wheel_id: p  # type: ignore[attr-defined]
            for p in await WheelPlayer.filter(member_id=member_id, wheel_id__in=ids)
        }
    today = clock.local_date(now).toordinal()
    return [
        WheelOffer(
            wheel=w,
            prizes=on_wheels[w.id],
            seed_hash=seeds[w.id],
            turns=_turns(w, players.get(w.id), today) if member_id is not None else None,
        )
        for w in wheels
    ]


# Spinning.


@dataclass(frozen=True, slots=True)
class SpinResult:
    spin: WheelSpin  # with its wheel, seed, drawn prize (and its reward) and voucher
    voucher: Voucher | None
    balances: Balances
    replayed: bool


async def spin(
    actor: Actor, *, wheel_id: int, idempotency_key: str, at: datetime | None = None
) -> SpinResult:
    """Spin a wheel for the signed-in member (`at`: the moment, for tests and replays)."""
    member_id = member_of(actor)
    key = check_key(idempotency_key)
    digest = request_hash({"op": "spin_wheel", "wheel": wheel_id, "member": member_id})

    async def write() -> WheelSpin:
        now = at or datetime.now(UTC)
        standing = await standings.lock(member_id)
        wheel = await _next_number(wheel_id, now)
        free = await _take_turn(wheel, member_id, now)
        seed = await _current_seed(wheel.id)
        on_wheel = await prizes_of(wheel.id)
        weights = [(p.id, p.weight) for p in on_wheel]
        value, prize_id = draws.spin(seed.seed, wheel.id, wheel.spins, weights)
        drawn = next(p for p in on_wheel if p.id == prize_id)
        paid = None if free else await _pay(wheel, standing, digest)
        kind, fallback, worth = await _claim(wheel, drawn)
        what = prizes.describe(kind, drawn.amount, drawn.reward, drawn.label)  # type: ignore[arg-type]
        gift = await prizes.give(
            kind,
            drawn.amount,
            drawn.reward,  # type: ignore[arg-type]
            standing=standing,
            idempotency_key=derived_key("wheel", wheel.id, "spin", wheel.spins, "prize"),
            request_hash=digest,
            reason_code="wheel_prize",
            reason=Text(f"{wheel.name}: {what.en}", f"{wheel.name}: {what.fa}"),
            at=now,
        )
        record = await WheelSpin.create(
            wheel_id=wheel.id,
            member_id=member_id,
            number=wheel.spins,
            seed_id=seed.id,
            wheel_version=wheel.version,
            weights=[list(pair) for pair in weights],
            draw=value,
            drawn_prize_id=drawn.id,
            kind=kind,
            amount=drawn.amount if kind is drawn.kind else 0,
            value=worth,
            fallback=fallback,
            free=free,
            cost_points=0 if paid is None else wheel.cost_points,
            cost_transaction_id=paid.id if paid else None,
            prize_transaction_id=gift.transaction.id if gift.transaction else None,
            voucher_id=gift.voucher.id if gift.voucher else None,
            idempotency_key=key,
            request_hash=digest,
        )
        # What the result shows, in hand already.
        record.wheel, record.seed, record.drawn_prize = wheel, seed, drawn
        return record

    record, replayed = await run_once(
        digest, lambda: WheelSpin.get_or_none(member_id=member_id, idempotency_key=key), write
    )
    return await _result(record, replayed)


async def _next_number(wheel_id: int, at: datetime) -> Wheel:
    """Take the wheel's next spin number, if it is on at `at`; the wheel as it is then.

    A number taken outside the wheel's dates is given back by the refusal's rollback.
    """
    # Raw SQL: one round trip for the number and the wheel it belongs to.
    rows = await sql.fetch(
        "UPDATE wheel SET spins = spins + 1 WHERE id = ? AND status = ? RETURNING *",
        [wheel_id, GameStatus.ACTIVE.value],
    )
    # Built as tortoise builds what its queries read.
    wheel = Wheel._init_from_db(**rows[0]) if rows else await get(wheel_id)
    if not rows or not spinning(wheel, at):
        raise DomainError(f"{wheel.name} is not spinning now", code=ErrorCode.NOT_ELIGIBLE)
    return wheel


def _limit_reached(message: str) -> DomainError:
    return DomainError(message, code=ErrorCode.LIMIT_REACHED)


async def _take_turn(wheel: Wheel, member_id: int, at: datetime) -> bool:
    """Count the member's spin against the wheel's limits; whether it is today's free one.

    The caller holds the member's standing lock; the UPDATE is conditional on the row as read
    all the same, so a count is never taken twice.
    """
    today = clock.local_date(at).toordinal()
    player = await WheelPlayer.get_or_none(wheel_id=wheel.id, member_id=member_id)
    if player is None:
        player = await WheelPlayer.create(wheel_id=wheel.id, member_id=member_id)
    turns = _turns(wheel, player, today)
    if turns.spins_left == 0:
        raise _limit_reached(f"you have had the {wheel.spins_per_member} spins of {wheel.name}")
    if turns.spins_left_today == 0:
        raise _limit_reached(f"you have had today's spins of {wheel.name}: come back tomorrow")
    if not turns.free_spin and not wheel.cost_points:
        raise _limit_reached(f"you have had today's free spin of {wheel.name}: come back tomorrow")
    taken = await WheelPlayer.filter(
        id=player.id, spins=player.spins, day=player.day, free_day=player.free_day
    ).update(
        spins=F("spins") + 1,
        day=today,
        spins_today=(player.spins_today if player.day == today else 0) + 1,
        free_day=today if turns.free_spin else player.free_day,
    )
    if not taken:
        raise Conflict("another spin of yours was counted at the same moment: try again")
    return turns.free_spin


async def _pay(wheel: Wheel, standing: MemberStanding, digest: str) -> JournalTransaction:
    points = ledger.member_accounts_of(
        standing.member_id,  # type: ignore[attr-defined]
        standing.points_account_id,
        standing.credit_account_id,
    )[Purse.POINTS]
    return await ledger.transfer_from(
        points,
        -wheel.cost_points,
        SystemAccount.POINTS_REDEEMED,
        kind=TransactionKind.SPEND,
        member_id=standing.member_id,  # type: ignore[attr-defined]
        idempotency_key=derived_key("wheel", wheel.id, "spin", wheel.spins, "cost"),
        request_hash=digest,
        reason_code="wheel_spin",
        reason=f"A spin of {wheel.name}",
    )


async def _claim(wheel: Wheel, drawn: WheelPrize) -> tuple[PrizeKind, str, int]:
    """Take one of the drawn prize's stock and its value from the budget: what the member gets
    (the prize, or try again when either has run out), why not, and its value in Rials."""
    if drawn.kind is PrizeKind.TRY_AGAIN:
        return PrizeKind.TRY_AGAIN, "", 0
    worth = prizes.value(drawn.kind, drawn.amount, drawn.reward, wheel.point_value)  # type: ignore[arg-type]
    stocked = WheelPrize.filter(Q(stock=None) | Q(given__lt=F("stock")), id=drawn.id)
    if not await stocked.update(given=F("given") + 1):
        return PrizeKind.TRY_AGAIN, Fallback.OUT_OF_STOCK, 0
    within = Wheel.filter(Q(budget=None) | Q(budget_used__lte=F("budget") - worth), id=wheel.id)
    if not await within.update(budget_used=F("budget_used") + worth):
        # Same transaction, row held: the unit taken above goes back before anyone sees it.
        await WheelPrize.filter(id=drawn.id).update(given=F("given") - 1)
        return PrizeKind.TRY_AGAIN, Fallback.OVER_BUDGET, 0
    return drawn.kind, "", worth


async def _result(record: WheelSpin, replayed: bool) -> SpinResult:
    if replayed:
        await record.fetch_related("wheel", "seed", "drawn_prize__reward")
    code = None
    if record.voucher_id is not None:  # type: ignore[attr-defined]
        await record.fetch_related("voucher__coupon")
        code = record.voucher
    return SpinResult(
        spin=record,
        voucher=coupons.voucher_of(code, datetime.now(UTC)) if code is not None else None,  # type: ignore[arg-type]
        balances=await ledger.balances(record.member_id),  # type: ignore[attr-defined]
        replayed=replayed,
    )


# Spins afterwards: lists, and the proof of each.


async def spins_of(
    member_id: int, *, first: int = 20, before_id: int | None = None
) -> Page[WheelSpin]:
    """A member's spins, newest first."""
    return await _spins(WheelSpin.filter(member_id=member_id), first, before_id)


async def spins_of_wheel(
    actor: Actor, wheel_id: int, *, first: int = 20, before_id: int | None = None
) -> Page[WheelSpin]:
    """Every spin of a wheel, newest first (managers)."""
    actor.require_staff(Role.MANAGER)
    await get(wheel_id)
    return await _spins(WheelSpin.filter(wheel_id=wheel_id), first, before_id)


async def _spins(query, first: int, before_id: int | None) -> Page[WheelSpin]:
    page = await coupons.paged(query, first, before_id)
    for record in page.items:
        await record.fetch_related("wheel", "seed", "drawn_prize__reward")
    return page


def record_of(spin: WheelSpin) -> draws.SpinRecord | None:
    """What anyone needs to check the spin (its wheel and seed fetched), once its seed is
    revealed; None before."""
    seed: WheelSeed = spin.seed  # type: ignore[assignment]
    if seed.revealed_at is None:
        return None
    return draws.SpinRecord(
        wheel_id=spin.wheel_id,  # type: ignore[attr-defined]
        number=spin.number,
        seed=seed.seed,
        seed_hash=seed.seed_hash,
        weights=[(prize_id, weight) for prize_id, weight in spin.weights],
        draw=spin.draw,
        prize_id=spin.drawn_prize_id,  # type: ignore[attr-defined]
    )


def given(spin: WheelSpin) -> Text:
    """What the member got (its drawn prize fetched)."""
    if spin.fallback:
        return prizes.describe(PrizeKind.TRY_AGAIN, 0, None)
    drawn: WheelPrize = spin.drawn_prize  # type: ignore[assignment]
    return prizes.describe(spin.kind, spin.amount, drawn.reward, drawn.label)  # type: ignore[arg-type]
