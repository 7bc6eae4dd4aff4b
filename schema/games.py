"""Games: managers set up wheels of fortune and lotteries; members spin, buy tickets and can
check every draw (each game's seed is published by its hash before use, revealed later)."""

from datetime import datetime
from typing import Annotated

import strawberry
from strawberry.types import Info

from loyalty import models as m
from loyalty.actors import ActorKind
from loyalty.games import draws, lottery, prizes, wheel
from loyalty.games.lottery import LotteryPrizeSpec, LotterySpec
from loyalty.games.wheel import WheelPrizeSpec, WheelSpec
from loyalty.history import Page
from loyalty.programme.explain import Text
from schema.context import Context
from schema.counter import KEY_DESCRIPTION
from schema.errors import (
    INPUT,
    ConflictError,
    InsufficientBalanceError,
    NotFoundError,
    NotUsableError,
    VersionConflictError,
    result_union,
    returns_errors,
)
from schema.rewards import VERSION, Voucher
from schema.scalars import BigInt
from schema.types import (
    AfterCursor,
    Balances,
    Connection,
    PageSize,
    connection,
    decode_cursor,
    in_language,
    parse_id,
)

GameStatus = strawberry.enum(
    m.GameStatus,
    description="Where a game is: DRAFT (being set up), ACTIVE (on), ENDED (a wheel that "
    "spins no more, a lottery drawn).",
)
PrizeKind = strawberry.enum(
    m.PrizeKind,
    description="What a prize gives: points, credit, a voucher of a reward, or nothing "
    "(TRY_AGAIN, wheels only).",
)
SpinFallback = strawberry.enum(
    wheel.Fallback,
    name="SpinFallback",
    description="Why a spin gave TRY_AGAIN instead of the prize it drew.",
)
CHECKING = (
    "To check a draw: HMAC-SHA256 keyed with the seed's text over `message`, read as a 256-bit "
    "big-endian number; a number at or past the largest multiple of the range below 2^256 is "
    "drawn again over `message:1`, `message:2`...; the number modulo the range is the draw. "
    "The seed's SHA-256 (of its hex text) is the hash published before it was used."
)


def _is_manager(info: Info[Context, None]) -> bool:
    actor = info.context.actor
    return actor is not None and actor.kind is ActorKind.STAFF and actor.role is m.Role.MANAGER


def _member_or_none(info: Info[Context, None]) -> int | None:
    """The signed-in member, or None for staff."""
    actor = info.context.require_actor()
    return actor.id if actor.kind is ActorKind.MEMBER else None


def _optional_id(value: strawberry.ID | None, field: str) -> int | None:
    return parse_id(value, field) if value is not None else None


# --- the wheel -------------------------------------------------------------------------------


@strawberry.type(description="A prize on a wheel: one slice, drawn as often as its weight says.")
class WheelPrize:
    id: strawberry.ID = strawberry.field(description="The prize's id (as in spin proofs).")
    kind: PrizeKind = strawberry.field(description="What it gives.")
    amount: BigInt = strawberry.field(
        description="Points, or Rials of credit (0 for a voucher or try again)."
    )
    reward_id: strawberry.ID | None = strawberry.field(
        description="The reward a voucher prize is a code of."
    )
    weight: int = strawberry.field(
        description="Its share of the draws: weight divided by the wheel's total weight."
    )
    stock: int | None = strawberry.field(description="How many may be given in all; null: any.")
    given: int = strawberry.field(description="How many have been given.")
    text: strawberry.Private[Text]

    @strawberry.field(description="What it gives, in the viewer's language.")
    async def label(self, info: Info[Context, None]) -> str:
        return await in_language(info, self.text)

    @classmethod
    def from_model(cls, p: m.WheelPrize) -> "WheelPrize":
        reward_id = p.reward_id  # type: ignore[attr-defined]
        return cls(
            id=strawberry.ID(str(p.id)),
            kind=p.kind,
            amount=p.amount,
            reward_id=strawberry.ID(str(reward_id)) if reward_id else None,
            weight=p.weight,
            stock=p.stock,
            given=p.given,
            text=prizes.describe(p.kind, p.amount, p.reward, p.label),  # type: ignore[arg-type]
        )


@strawberry.type(description="A wheel of fortune, and what the signed-in member may do on it.")
class Wheel:
    id: strawberry.ID = strawberry.field(description="The wheel's id.")
    name: str = strawberry.field(description="Name shown to members.")
    description: str = strawberry.field(description="More about it, for members.")
    status: GameStatus = strawberry.field(description="Draft, on, or ended.")
    cost_points: BigInt = strawberry.field(description="Points a spin costs (0: free spins only).")
    free_daily_spin: bool = strawberry.field(
        description="Each member has one free spin a day (the club's day, from midnight)."
    )
    spins_per_day: int | None = strawberry.field(
        description="Spins a member may make a day; null: no limit."
    )
    spins_per_member: int | None = strawberry.field(
        description="Spins a member may make in all; null: no limit."
    )
    starts_at: datetime | None = strawberry.field(description="Spins from (UTC).")
    ends_at: datetime | None = strawberry.field(description="Spins until, not including (UTC).")
    spins: int = strawberry.field(description="Spins so far (the last spin's number).")
    version: int = strawberry.field(description="Pass as `expectedVersion` when changing it.")
    seed_hash: str = strawberry.field(
        description="SHA-256 of the seed spins draw from now (the last one, once ended), "
        "published before any spin uses it."
    )
    prizes: list[WheelPrize] = strawberry.field(description="The prizes, in the wheel's order.")
    total_weight: int = strawberry.field(description="The sum of the prizes' weights.")
    free_spin_available: bool | None = strawberry.field(
        description="The signed-in member's free spin of today is still theirs (null: staff)."
    )
    spins_left_today: int | None = strawberry.field(
        description="Spins the signed-in member may still make today (null: no limit, or staff)."
    )
    spins_left: int | None = strawberry.field(
        description="Spins the signed-in member may still make in all (null: no limit, or staff)."
    )
    point_value: BigInt | None = strawberry.field(
        description="Manager: Rials a prize point costs the budget (null for others)."
    )
    budget: BigInt | None = strawberry.field(
        description="Manager: Rials all prizes may cost (null: no cap, or not a manager)."
    )
    budget_used: BigInt | None = strawberry.field(
        description="Manager: Rials the prizes given have cost (null for others)."
    )

    @classmethod
    def from_offer(cls, offer: wheel.WheelOffer, manager: bool) -> "Wheel":
        w, turns = offer.wheel, offer.turns
        return cls(
            id=strawberry.ID(str(w.id)),
            name=w.name,
            description=w.description,
            status=w.status,
            cost_points=w.cost_points,
            free_daily_spin=w.free_daily_spin,
            spins_per_day=w.spins_per_day,
            spins_per_member=w.spins_per_member,
            starts_at=w.starts_at,
            ends_at=w.ends_at,
            spins=w.spins,
            version=w.version,
            seed_hash=offer.seed_hash,
            prizes=[WheelPrize.from_model(p) for p in offer.prizes],
            total_weight=sum(p.weight for p in offer.prizes),
            free_spin_available=turns.free_spin if turns else None,
            spins_left_today=turns.spins_left_today if turns else None,
            spins_left=turns.spins_left if turns else None,
            point_value=w.point_value if manager else None,
            budget=w.budget if manager else None,
            budget_used=w.budget_used if manager else None,
        )


@strawberry.type(description="One prize of the weights table a spin drew from.")
class DrawWeight:
    prize_id: strawberry.ID = strawberry.field(description="The prize.")
    weight: int = strawberry.field(description="Its weight then.")


@strawberry.type(
    description="What anyone needs to check a spin. " + CHECKING + " The range is totalWeight; "
    "the prize drawn is the one whose run holds the draw, each prize in order taking as many "
    "values as its weight."
)
class SpinProof:
    seed_hash: str = strawberry.field(description="SHA-256 of the seed, published before.")
    seed: str | None = strawberry.field(
        description="The seed, once revealed (its wheel's seed rotated, or the wheel ended)."
    )
    message: str = strawberry.field(description="What was drawn over: wheel:{id}:{number}.")
    weights: list[DrawWeight] = strawberry.field(description="The weights table, in order.")
    total_weight: int = strawberry.field(description="The range drawn from.")
    draw: int = strawberry.field(description="The value drawn: 0 to totalWeight − 1.")
    drawn_prize_id: strawberry.ID = strawberry.field(description="The prize the draw picked.")
    verified: bool | None = strawberry.field(
        description="The club's own check against the revealed seed (null until it is out): "
        "check it yourself too."
    )

    @classmethod
    def of(cls, spin: m.WheelSpin) -> "SpinProof":
        record = wheel.record_of(spin)
        return cls(
            seed_hash=spin.seed.seed_hash,  # type: ignore[attr-defined]
            seed=record.seed if record else None,
            message=draws.spin_message(spin.wheel_id, spin.number),  # type: ignore[attr-defined]
            weights=[
                DrawWeight(prize_id=strawberry.ID(str(prize_id)), weight=weight)
                for prize_id, weight in spin.weights
            ],
            total_weight=sum(weight for _, weight in spin.weights),
            draw=spin.draw,
            drawn_prize_id=strawberry.ID(str(spin.drawn_prize_id)),  # type: ignore[attr-defined]
            verified=not draws.verify_spin(record) if record else None,
        )


@strawberry.type(description="One spin of a wheel: what it gave, and its proof.")
class WheelSpin:
    id: strawberry.ID = strawberry.field(description="The spin's id.")
    wheel_id: strawberry.ID = strawberry.field(description="The wheel.")
    wheel_name: str = strawberry.field(description="The wheel's name.")
    number: int = strawberry.field(description="The wheel's spin number, from 1.")
    kind: PrizeKind = strawberry.field(description="What the member got.")
    amount: BigInt = strawberry.field(description="Points or Rials of credit the member got.")
    fallback: SpinFallback | None = strawberry.field(
        description="Why the prize drawn was not given (try again instead); null: it was."
    )
    free: bool = strawberry.field(description="The day's free spin.")
    cost_points: BigInt = strawberry.field(description="Points it cost.")
    drawn_prize: WheelPrize = strawberry.field(description="The prize the draw picked.")
    proof: SpinProof = strawberry.field(description="How to check the draw.")
    created_at: datetime = strawberry.field(description="When (UTC).")
    text: strawberry.Private[Text]

    @strawberry.field(description="What the member got, in the viewer's language.")
    async def label(self, info: Info[Context, None]) -> str:
        return await in_language(info, self.text)

    @classmethod
    def from_model(cls, s: m.WheelSpin) -> "WheelSpin":
        return cls(
            id=strawberry.ID(str(s.id)),
            wheel_id=strawberry.ID(str(s.wheel_id)),  # type: ignore[attr-defined]
            wheel_name=s.wheel.name,
            number=s.number,
            kind=s.kind,
            amount=s.amount,
            fallback=wheel.Fallback(s.fallback) if s.fallback else None,
            free=s.free,
            cost_points=s.cost_points,
            drawn_prize=WheelPrize.from_model(s.drawn_prize),  # type: ignore[arg-type]
            proof=SpinProof.of(s),
            created_at=s.created_at,
            text=wheel.given(s),
        )


@strawberry.input(description="A prize on a wheel; give what its kind uses.")
class WheelPrizeInput:
    kind: PrizeKind = strawberry.field(description="What it gives.")
    weight: int = strawberry.field(description="Its share of the draws, 1 to 1,000,000.")
    amount: BigInt = strawberry.field(
        default=0, description="POINTS: points; CREDIT: Rials of credit."
    )
    reward_id: strawberry.ID | None = strawberry.field(
        default=None, description="VOUCHER: a voucher or free-product reward of the catalogue."
    )
    label: str = strawberry.field(
        default="", description="Shown to members; empty: described from the prize."
    )
    stock: int | None = strawberry.field(
        default=None, description="How many may be given in all; null: any."
    )
    id: strawberry.ID | None = strawberry.field(
        default=None, description="When updating: a prize already on the wheel, changed in place."
    )

    def to_domain(self, n: int) -> WheelPrizeSpec:
        return WheelPrizeSpec(
            kind=self.kind,
            amount=self.amount,
            reward_id=_optional_id(self.reward_id, f"prizes.{n}.rewardId"),
            label=self.label,
            weight=self.weight,
            stock=self.stock,
            id=_optional_id(self.id, f"prizes.{n}.id"),
        )


@strawberry.input(description="A wheel as a manager writes it.")
class WheelInput:
    name: str = strawberry.field(description="Name shown to members.")
    prizes: list[WheelPrizeInput] = strawberry.field(description="1 to 24 prizes, in order.")
    description: str = strawberry.field(default="", description="More about it, for members.")
    cost_points: BigInt = strawberry.field(
        default=0, description="Points a spin costs (0: only the free daily spin)."
    )
    free_daily_spin: bool = strawberry.field(
        default=False, description="One free spin a member a day (the club's day)."
    )
    point_value: BigInt = strawberry.field(
        default=0, description="Rials a prize point costs the budget."
    )
    budget: BigInt | None = strawberry.field(
        default=None,
        description="Rials all prizes may cost: credit at face value, points at pointValue, "
        "vouchers at the most they take off (else their price in points at pointValue). "
        "Past it, spins give try again. Null: no cap.",
    )
    spins_per_day: int | None = strawberry.field(
        default=None, description="Spins a member may make a day."
    )
    spins_per_member: int | None = strawberry.field(
        default=None, description="Spins a member may make in all."
    )
    starts_at: datetime | None = strawberry.field(default=None, description="Spins from.")
    ends_at: datetime | None = strawberry.field(default=None, description="Spins until.")

    def to_domain(self) -> WheelSpec:
        return WheelSpec(
            name=self.name,
            prizes=[prize.to_domain(n) for n, prize in enumerate(self.prizes)],
            description=self.description,
            cost_points=self.cost_points,
            free_daily_spin=self.free_daily_spin,
            point_value=self.point_value,
            budget=self.budget,
            spins_per_day=self.spins_per_day,
            spins_per_member=self.spins_per_member,
            starts_at=self.starts_at,
            ends_at=self.ends_at,
        )


@strawberry.input(description="A wheel's new definition: prizes left out come off the wheel.")
class UpdateWheelInput(WheelInput):
    id: strawberry.ID = strawberry.field(description="The wheel.")
    expected_version: int | None = strawberry.field(default=None, description=VERSION)


@strawberry.input(description="A game to switch on or end.")
class GameStatusInput:
    id: strawberry.ID = strawberry.field(description="The game.")
    expected_version: int | None = strawberry.field(default=None, description=VERSION)


@strawberry.input(description="A wheel whose seed to reveal and replace.")
class RotateWheelSeedInput:
    wheel_id: strawberry.ID = strawberry.field(description="The wheel.")


@strawberry.input(description="Spin a wheel.")
class SpinWheelInput:
    wheel_id: strawberry.ID = strawberry.field(description="The wheel.")
    idempotency_key: str = strawberry.field(description=KEY_DESCRIPTION)


@strawberry.type(description="A wheel was saved.")
class WheelSaved:
    wheel: Wheel = strawberry.field(description="The wheel as it is now.")


@strawberry.type(description="A wheel's seed was revealed and a new one committed.")
class WheelSeedRotated:
    revealed_seed: str = strawberry.field(description="The seed the spins so far drew from.")
    revealed_seed_hash: str = strawberry.field(description="Its hash, published before.")
    seed_hash: str = strawberry.field(description="The hash of the new seed, for spins to come.")


@strawberry.type(description="The wheel was spun.")
class WheelSpun:
    spin: WheelSpin = strawberry.field(description="The spin: the prize and its proof.")
    voucher: Voucher | None = strawberry.field(description="The voucher won, if one was.")
    balances: Balances = strawberry.field(description="The member's balances after.")
    replayed: bool = strawberry.field(description="True when this repeats an earlier request.")


WheelResult = result_union(
    "WheelResult",
    "Result of a change to a wheel.",
    WheelSaved,
    NotFoundError,
    VersionConflictError,
    ConflictError,
)
RotateWheelSeedResult = result_union(
    "RotateWheelSeedResult",
    "Result of rotateWheelSeed.",
    WheelSeedRotated,
    NotFoundError,
    ConflictError,
)
SpinWheelResult = result_union(
    "SpinWheelResult",
    "Result of spinWheel: NotUsableError when the wheel is not on or a limit is reached.",
    WheelSpun,
    NotFoundError,
    NotUsableError,
    InsufficientBalanceError,
    ConflictError,
)


async def _saved_wheel(saved: m.Wheel) -> WheelSaved:
    [offer] = await wheel.offers_of([saved])
    return WheelSaved(wheel=Wheel.from_offer(offer, manager=True))


# --- the lottery -----------------------------------------------------------------------------


@strawberry.type(description="A prize of a lottery and how many places win it.")
class LotteryPrize:
    kind: PrizeKind = strawberry.field(description="What it gives.")
    amount: BigInt = strawberry.field(description="Points, or Rials of credit.")
    reward_id: strawberry.ID | None = strawberry.field(
        description="The reward a voucher prize is a code of."
    )
    winners: int = strawberry.field(description="How many places win it (the next, in order).")
    text: strawberry.Private[Text]

    @strawberry.field(description="What it gives, in the viewer's language.")
    async def label(self, info: Info[Context, None]) -> str:
        return await in_language(info, self.text)

    @classmethod
    def of(cls, prize: dict, reward: m.Reward | None) -> "LotteryPrize":
        kind = m.PrizeKind(prize["kind"])
        return cls(
            kind=kind,
            amount=prize["amount"],
            reward_id=strawberry.ID(str(prize["reward_id"])) if prize["reward_id"] else None,
            winners=prize["winners"],
            text=prizes.describe(kind, prize["amount"], reward, prize["label"]),
        )


async def _lottery_prizes(rows: list[dict]) -> list[LotteryPrize]:
    ids = [row["reward_id"] for row in rows if row["reward_id"]]
    found = {r.id: r for r in await m.Reward.filter(id__in=ids)} if ids else {}
    return [LotteryPrize.of(row, found.get(row["reward_id"])) for row in rows]


@strawberry.type(description="A lottery (raffle): tickets sell until salesEnd, drawn at drawAt.")
class Lottery:
    id: strawberry.ID = strawberry.field(description="The lottery's id.")
    name: str = strawberry.field(description="Name shown to members.")
    description: str = strawberry.field(description="More about it, for members.")
    status: GameStatus = strawberry.field(description="Draft, on, or drawn (ENDED).")
    seed_hash: str = strawberry.field(
        description="SHA-256 of the seed the draw will use, published before any ticket."
    )
    ticket_price_points: BigInt | None = strawberry.field(
        description="Points a ticket costs; null: not sold for points."
    )
    rials_per_ticket: BigInt | None = strawberry.field(
        description="A purchase earns a ticket for every so many Rials paid; null: none."
    )
    max_tickets_per_member: int | None = strawberry.field(
        description="Tickets a member may hold; null: any."
    )
    sales_start: datetime = strawberry.field(description="Tickets from (UTC).")
    sales_end: datetime = strawberry.field(description="Tickets until, not including (UTC).")
    draw_at: datetime = strawberry.field(description="When it is drawn (UTC).")
    prizes: list[LotteryPrize] = strawberry.field(description="The prizes, first place first.")
    tickets: int = strawberry.field(description="Tickets given so far (the last number).")
    version: int = strawberry.field(description="Pass as `expectedVersion` when changing it.")
    drawn_at: datetime | None = strawberry.field(description="When it was drawn (UTC).")
    viewer: strawberry.Private[int | None]

    @strawberry.field(description="Tickets the signed-in member holds (null: staff).")
    async def my_tickets(self) -> int | None:
        if self.viewer is None:
            return None
        return await lottery.held(int(self.id), self.viewer)

    @classmethod
    async def of(cls, row: m.Lottery, viewer: int | None) -> "Lottery":
        return cls(
            id=strawberry.ID(str(row.id)),
            name=row.name,
            description=row.description,
            status=row.status,
            seed_hash=row.seed_hash,
            ticket_price_points=row.ticket_price_points,
            rials_per_ticket=row.rials_per_ticket,
            max_tickets_per_member=row.max_tickets_per_member,
            sales_start=row.sales_start,
            sales_end=row.sales_end,
            draw_at=row.draw_at,
            prizes=await _lottery_prizes(row.prizes),
            tickets=row.tickets,
            version=row.version,
            drawn_at=row.drawn_at,
            viewer=viewer,
        )


@strawberry.type(description="Tickets a member got at once, numbered firstNumber to lastNumber.")
class LotteryTickets:
    id: strawberry.ID = strawberry.field(description="The batch's id.")
    lottery: Lottery = strawberry.field(description="The lottery.")
    first_number: int = strawberry.field(description="The first ticket's number.")
    last_number: int = strawberry.field(description="The last ticket's number.")
    count: int = strawberry.field(description="How many tickets.")
    purchase_id: strawberry.ID | None = strawberry.field(
        description="The purchase that earned them; null: bought with points."
    )
    created_at: datetime = strawberry.field(description="When (UTC).")

    @classmethod
    async def of(cls, entry: m.LotteryEntry) -> "LotteryTickets":
        purchase_id = entry.purchase_id  # type: ignore[attr-defined]
        return cls(
            id=strawberry.ID(str(entry.id)),
            lottery=await Lottery.of(entry.lottery, entry.member_id),  # type: ignore[arg-type,attr-defined]
            first_number=entry.first_number,
            last_number=entry.first_number + entry.count - 1,
            count=entry.count,
            purchase_id=strawberry.ID(str(purchase_id)) if purchase_id else None,
            created_at=entry.created_at,
        )


@strawberry.type(description="A winning ticket.")
class LotteryWinner:
    place: int = strawberry.field(description="1 for the first prize.")
    ticket_number: int = strawberry.field(description="The winning ticket.")
    prize: LotteryPrize = strawberry.field(description="What it won.")
    paid: bool = strawberry.field(description="The prize has been given.")
    yours: bool = strawberry.field(description="The signed-in member holds the ticket.")
    member_id: strawberry.ID | None = strawberry.field(
        description="Manager: who holds it (null for others)."
    )


@strawberry.type(
    description="A lottery's draw, public so anyone can check it. "
    + CHECKING
    + " Place n is drawn over lottery:{id}:{n} with the range the tickets not yet drawn: a "
    "Fisher-Yates shuffle of tickets 1 to ticketCount stopped after the last place (step n "
    "swaps position n with position n − 1 + the draw)."
)
class LotteryDraw:
    lottery_id: strawberry.ID = strawberry.field(description="The lottery.")
    name: str = strawberry.field(description="The lottery's name.")
    seed: str = strawberry.field(description="The seed, revealed by the draw.")
    seed_hash: str = strawberry.field(description="Its SHA-256, published before any ticket.")
    ticket_count: int = strawberry.field(description="Tickets in the draw, numbered from 1.")
    drawn_at: datetime = strawberry.field(description="When it was drawn (UTC).")
    winners: list[LotteryWinner] = strawberry.field(description="First place first.")


@strawberry.input(description="A prize of a lottery; give what its kind uses.")
class LotteryPrizeInput:
    kind: PrizeKind = strawberry.field(description="POINTS, CREDIT or VOUCHER.")
    amount: BigInt = strawberry.field(
        default=0, description="POINTS: points; CREDIT: Rials of credit."
    )
    reward_id: strawberry.ID | None = strawberry.field(
        default=None, description="VOUCHER: a voucher or free-product reward of the catalogue."
    )
    label: str = strawberry.field(
        default="", description="Shown to members; empty: described from the prize."
    )
    winners: int = strawberry.field(default=1, description="How many places win it.")

    def to_domain(self, n: int) -> LotteryPrizeSpec:
        return LotteryPrizeSpec(
            kind=self.kind,
            amount=self.amount,
            reward_id=_optional_id(self.reward_id, f"prizes.{n}.rewardId"),
            label=self.label,
            winners=self.winners,
        )


@strawberry.input(description="A lottery as a manager writes it.")
class LotteryInput:
    name: str = strawberry.field(description="Name shown to members.")
    prizes: list[LotteryPrizeInput] = strawberry.field(description="The prizes, first first.")
    sales_start: datetime = strawberry.field(description="Tickets from.")
    sales_end: datetime = strawberry.field(description="Tickets until.")
    draw_at: datetime = strawberry.field(description="The draw, at or after salesEnd.")
    description: str = strawberry.field(default="", description="More about it, for members.")
    ticket_price_points: BigInt | None = strawberry.field(
        default=None, description="Points a ticket costs; null: not sold for points."
    )
    rials_per_ticket: BigInt | None = strawberry.field(
        default=None,
        description="A purchase earns a ticket for every so many Rials paid (after discounts).",
    )
    max_tickets_per_member: int | None = strawberry.field(
        default=None, description="Tickets a member may hold, however got."
    )

    def to_domain(self) -> LotterySpec:
        return LotterySpec(
            name=self.name,
            prizes=[prize.to_domain(n) for n, prize in enumerate(self.prizes)],
            sales_start=self.sales_start,
            sales_end=self.sales_end,
            draw_at=self.draw_at,
            description=self.description,
            ticket_price_points=self.ticket_price_points,
            rials_per_ticket=self.rials_per_ticket,
            max_tickets_per_member=self.max_tickets_per_member,
        )


@strawberry.input(description="A lottery's new definition (until its first ticket).")
class UpdateLotteryInput(LotteryInput):
    id: strawberry.ID = strawberry.field(description="The lottery.")
    expected_version: int | None = strawberry.field(default=None, description=VERSION)


@strawberry.input(description="Buy lottery tickets with points.")
class BuyLotteryTicketsInput:
    lottery_id: strawberry.ID = strawberry.field(description="The lottery.")
    count: int = strawberry.field(description="How many tickets, 1 to 1,000.")
    idempotency_key: str = strawberry.field(description=KEY_DESCRIPTION)


@strawberry.type(description="A lottery was saved.")
class LotterySaved:
    lottery: Lottery = strawberry.field(description="The lottery as it is now.")


@strawberry.type(description="Tickets were bought: the points are spent.")
class LotteryTicketsBought:
    tickets: LotteryTickets = strawberry.field(description="The tickets.")
    balances: Balances = strawberry.field(description="The member's balances after.")
    replayed: bool = strawberry.field(description="True when this repeats an earlier request.")


LotteryResult = result_union(
    "LotteryResult",
    "Result of a change to a lottery.",
    LotterySaved,
    NotFoundError,
    VersionConflictError,
    ConflictError,
)
BuyLotteryTicketsResult = result_union(
    "BuyLotteryTicketsResult",
    "Result of buyLotteryTickets: NotUsableError when tickets are not on sale or the limit "
    "is reached.",
    LotteryTicketsBought,
    NotFoundError,
    NotUsableError,
    InsufficientBalanceError,
)


# --- operations ------------------------------------------------------------------------------


@strawberry.type
class GameQueries:
    @strawberry.field(
        description="The wheels on now, newest first, with what the signed-in member may do."
    )
    async def wheels(self, info: Info[Context, None]) -> list[Wheel]:
        offers = await wheel.on_offer(_member_or_none(info))
        return [Wheel.from_offer(o, _is_manager(info)) for o in offers]

    @strawberry.field(description="Manager: every wheel, newest first.")
    async def all_wheels(
        self, info: Info[Context, None], first: PageSize = 20, after: AfterCursor = None
    ) -> Connection[Wheel]:
        page = await wheel.listed(
            info.context.require_actor(), first=first, before_id=decode_cursor("wheel", after)
        )
        return connection(
            "wheel", page, lambda o: Wheel.from_offer(o, manager=True), key=lambda o: o.wheel.id
        )

    @strawberry.field(description="Manager: the spins of a wheel, newest first.")
    async def wheel_spins(
        self,
        info: Info[Context, None],
        wheel_id: Annotated[strawberry.ID, strawberry.argument(description="The wheel.")],
        first: PageSize = 20,
        after: AfterCursor = None,
    ) -> Connection[WheelSpin]:
        page = await wheel.spins_of_wheel(
            info.context.require_actor(),
            parse_id(wheel_id, "wheelId"),
            first=first,
            before_id=decode_cursor("spin", after),
        )
        return connection("spin", page, WheelSpin.from_model)

    @strawberry.field(description="The signed-in member's spins, newest first, with proofs.")
    async def my_spins(
        self, info: Info[Context, None], first: PageSize = 20, after: AfterCursor = None
    ) -> Connection[WheelSpin]:
        page = await wheel.spins_of(
            info.context.require_member(), first=first, before_id=decode_cursor("spin", after)
        )
        return connection("spin", page, WheelSpin.from_model)

    @strawberry.field(description="Lotteries on and drawn, newest first.")
    async def lotteries(
        self,
        info: Info[Context, None],
        first: PageSize = 20,
        after: AfterCursor = None,
        include_drafts: Annotated[
            bool, strawberry.argument(description="Manager: drafts too.")
        ] = False,
    ) -> Connection[Lottery]:
        viewer = _member_or_none(info)
        page = await lottery.listed(
            info.context.require_actor(),
            first=first,
            before_id=decode_cursor("lottery", after),
            include_drafts=include_drafts,
        )
        rows = [await Lottery.of(row, viewer) for row in page.items]
        return connection("lottery", Page(rows, page.has_more), _same, key=_id)

    @strawberry.field(description="The signed-in member's lottery tickets, newest first.")
    async def my_tickets(
        self,
        info: Info[Context, None],
        lottery_id: Annotated[
            strawberry.ID | None, strawberry.argument(description="Only this lottery's.")
        ] = None,
        first: PageSize = 20,
        after: AfterCursor = None,
    ) -> Connection[LotteryTickets]:
        page = await lottery.entries_of(
            info.context.require_member(),
            lottery_id=_optional_id(lottery_id, "lotteryId"),
            first=first,
            before_id=decode_cursor("tickets", after),
        )
        rows = [await LotteryTickets.of(entry) for entry in page.items]
        return connection("tickets", Page(rows, page.has_more), _same, key=_id)

    @strawberry.field(
        description="A lottery's draw: seed, hash and winners, for anyone to check (no sign-in "
        "needed); null before the draw."
    )
    async def lottery_draw(
        self,
        info: Info[Context, None],
        lottery_id: Annotated[strawberry.ID, strawberry.argument(description="The lottery.")],
    ) -> LotteryDraw | None:
        draw = await lottery.draw_of(parse_id(lottery_id, "lotteryId"))
        if draw is None:
            return None
        actor, manager = info.context.actor, _is_manager(info)
        viewer = actor.id if actor is not None and actor.kind is ActorKind.MEMBER else None
        row = draw.lottery
        prizes_by_place = await _lottery_prizes([w.prize for w in draw.winners])
        return LotteryDraw(
            lottery_id=strawberry.ID(str(row.id)),
            name=row.name,
            seed=row.seed,
            seed_hash=row.seed_hash,
            ticket_count=row.tickets,
            drawn_at=row.drawn_at,  # type: ignore[arg-type]
            winners=[
                LotteryWinner(
                    place=w.place,
                    ticket_number=w.ticket_number,
                    prize=prize,
                    paid=w.paid_at is not None,
                    yours=w.member_id == viewer,  # type: ignore[attr-defined]
                    member_id=strawberry.ID(str(w.member_id)) if manager else None,  # type: ignore[attr-defined]
                )
                for w, prize in zip(draw.winners, prizes_by_place, strict=True)
            ],
        )


def _same(node: Lottery | LotteryTickets) -> Lottery | LotteryTickets:
    return node


def _id(node: Lottery | LotteryTickets) -> int:
    return int(node.id)


@strawberry.type
class GameMutations:
    @strawberry.mutation(description="Manager: add a wheel of fortune (a draft).")
    @returns_errors
    async def create_wheel(
        self,
        info: Info[Context, None],
        input: Annotated[WheelInput, strawberry.argument(description=INPUT)],
    ) -> WheelResult:
        saved = await wheel.create(info.context.require_actor(), input.to_domain())
        return await _saved_wheel(saved)

    @strawberry.mutation(description="Manager: change a wheel (a new version).")
    @returns_errors
    async def update_wheel(
        self,
        info: Info[Context, None],
        input: Annotated[UpdateWheelInput, strawberry.argument(description=INPUT)],
    ) -> WheelResult:
        saved = await wheel.update(
            info.context.require_actor(),
            parse_id(input.id, "id"),
            input.to_domain(),
            expected_version=input.expected_version,
        )
        return await _saved_wheel(saved)

    @strawberry.mutation(description="Manager: switch a draft wheel on.")
    @returns_errors
    async def activate_wheel(
        self,
        info: Info[Context, None],
        input: Annotated[GameStatusInput, strawberry.argument(description=INPUT)],
    ) -> WheelResult:
        saved = await wheel.activate(
            info.context.require_actor(),
            parse_id(input.id, "id"),
            expected_version=input.expected_version,
        )
        return await _saved_wheel(saved)

    @strawberry.mutation(description="Manager: end a wheel: no more spins, its seed revealed.")
    @returns_errors
    async def end_wheel(
        self,
        info: Info[Context, None],
        input: Annotated[GameStatusInput, strawberry.argument(description=INPUT)],
    ) -> WheelResult:
        saved = await wheel.end(
            info.context.require_actor(),
            parse_id(input.id, "id"),
            expected_version=input.expected_version,
        )
        return await _saved_wheel(saved)

    @strawberry.mutation(
        description="Manager: reveal a wheel's seed, so every spin so far can be checked, and "
        "commit to a new one for the spins to come."
    )
    @returns_errors
    async def rotate_wheel_seed(
        self,
        info: Info[Context, None],
        input: Annotated[RotateWheelSeedInput, strawberry.argument(description=INPUT)],
    ) -> RotateWheelSeedResult:
        wheel_id = parse_id(input.wheel_id, "wheelId")
        revealed = await wheel.rotate_seed(info.context.require_actor(), wheel_id)
        [offer] = await wheel.offers_of([await wheel.get(wheel_id)])
        return WheelSeedRotated(
            revealed_seed=revealed.seed,
            revealed_seed_hash=revealed.seed_hash,
            seed_hash=offer.seed_hash,
        )

    @strawberry.mutation(
        description="Member: spin a wheel. Retry with the same idempotencyKey after a lost "
        "response: the cost and the prize are posted once."
    )
    @returns_errors
    async def spin_wheel(
        self,
        info: Info[Context, None],
        input: Annotated[SpinWheelInput, strawberry.argument(description=INPUT)],
    ) -> SpinWheelResult:
        result = await wheel.spin(
            info.context.require_actor(),
            wheel_id=parse_id(input.wheel_id, "wheelId"),
            idempotency_key=input.idempotency_key,
        )
        return WheelSpun(
            spin=WheelSpin.from_model(result.spin),
            voucher=Voucher.from_domain(result.voucher) if result.voucher else None,
            balances=Balances.from_domain(result.balances),
            replayed=result.replayed,
        )

    @strawberry.mutation(description="Manager: add a lottery (a draft, its seed committed).")
    @returns_errors
    async def create_lottery(
        self,
        info: Info[Context, None],
        input: Annotated[LotteryInput, strawberry.argument(description=INPUT)],
    ) -> LotteryResult:
        saved = await lottery.create(info.context.require_actor(), input.to_domain())
        return LotterySaved(lottery=await Lottery.of(saved, None))

    @strawberry.mutation(description="Manager: change a lottery, until its first ticket.")
    @returns_errors
    async def update_lottery(
        self,
        info: Info[Context, None],
        input: Annotated[UpdateLotteryInput, strawberry.argument(description=INPUT)],
    ) -> LotteryResult:
        saved = await lottery.update(
            info.context.require_actor(),
            parse_id(input.id, "id"),
            input.to_domain(),
            expected_version=input.expected_version,
        )
        return LotterySaved(lottery=await Lottery.of(saved, None))

    @strawberry.mutation(description="Manager: switch a draft lottery on: tickets may sell.")
    @returns_errors
    async def activate_lottery(
        self,
        info: Info[Context, None],
        input: Annotated[GameStatusInput, strawberry.argument(description=INPUT)],
    ) -> LotteryResult:
        saved = await lottery.activate(
            info.context.require_actor(),
            parse_id(input.id, "id"),
            expected_version=input.expected_version,
        )
        return LotterySaved(lottery=await Lottery.of(saved, None))

    @strawberry.mutation(
        description="Member: buy lottery tickets with points. Retry with the same "
        "idempotencyKey after a lost response: the points are spent once."
    )
    @returns_errors
    async def buy_lottery_tickets(
        self,
        info: Info[Context, None],
        input: Annotated[BuyLotteryTicketsInput, strawberry.argument(description=INPUT)],
    ) -> BuyLotteryTicketsResult:
        result = await lottery.buy_tickets(
            info.context.require_actor(),
            lottery_id=parse_id(input.lottery_id, "lotteryId"),
            count=input.count,
            idempotency_key=input.idempotency_key,
        )
        return LotteryTicketsBought(
            tickets=await LotteryTickets.of(result.entry),
            balances=Balances.from_domain(result.balances),
            replayed=result.replayed,
        )
