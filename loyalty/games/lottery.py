"""The lottery (raffle): members get numbered tickets, bought with points or earned by purchases
while sales are open; at the draw time winners are drawn from the lottery's seed.

The seed is made with the lottery and its SHA-256 is public from then on, so before any ticket
is sold; the draw reveals it. Winners are `draws.winning_tickets(seed, id, tickets, places)`:
ticket numbers, first place first, no ticket twice. A member with more tickets has more
chances, and may win more than one place. Anyone can recompute the winning numbers from the
seed and the number of tickets; `verify_draw` also checks who holds them.

A lottery can change until its first ticket is given; after that its prizes, price and dates
are what members got their tickets for.

The draw (`draw_due`: `loyalty draw-lotteries`, and later a scheduled job) goes in two steps,
each safe to run again: the lottery is closed and its winners recorded, in one transaction;
then each winner is paid in a transaction of its own that marks them paid, posts the prize and
leaves them a message, so a run cut short is finished by the next and nobody is paid twice.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from tortoise.expressions import F
from tortoise.functions import Sum
from tortoise.transactions import in_transaction

from loyalty import ledger, notifications, validation
from loyalty.actors import Actor
from loyalty.errors import Conflict, DomainError, ErrorCode, InvalidInput, NotFound
from loyalty.games import draws, member_of, prizes
from loyalty.games.prizes import PrizeSpec
from loyalty.history import Page
from loyalty.idempotency import check_key, derived_key, request_hash, run_once
from loyalty.ledger import Balances, Purse, SystemAccount
from loyalty.models import (
    GameStatus,
    Lottery,
    LotteryEntry,
    LotteryWinner,
    PrizeKind,
    Purchase,
    Reward,
    Role,
    TransactionKind,
)
from loyalty.programme import audit, coupons
from loyalty.programme import standing as standings
from loyalty.programme.explain import Text
from loyalty.programme.snapshot import Programme

MAX_PLACES = 1000
MAX_TICKETS_AT_ONCE = 1000


@dataclass(frozen=True, slots=True)
class LotteryPrizeSpec(PrizeSpec):
    """A prize and how many places give it (the next `winners` places, in the list's order)."""

    winners: int = 1


@dataclass(frozen=True, slots=True)
class LotterySpec:
    """A lottery as a manager writes it: tickets sell from `sales_start` until `sales_end`
    (for points, or earned by purchases, or both) and are drawn at `draw_at`."""

    name: str
    prizes: Sequence[LotteryPrizeSpec]
    sales_start: datetime
    sales_end: datetime
    draw_at: datetime
    description: str = ""
    ticket_price_points: int | None = None
    rials_per_ticket: int | None = None
    max_tickets_per_member: int | None = None


def _aware(value: datetime, field: str) -> datetime:
    if not isinstance(value, datetime) or value.tzinfo is None:
        raise InvalidInput(f"{field} needs a time zone", field=field)
    return value.astimezone(UTC)


async def _cleaned(spec: LotterySpec) -> dict:
    if not 1 <= len(spec.prizes) <= MAX_PLACES:
        raise InvalidInput(f"a lottery has 1 to {MAX_PLACES} prizes", field="prizes")
    prize_rows = []
    for n, prize in enumerate(spec.prizes):
        row = await prizes.cleaned(prize, f"prizes.{n}", try_again=False)
        winners = coupons.optional_limit(prize.winners, f"prizes.{n}.winners", MAX_PLACES)
        prize_rows.append({**row, "winners": winners})
    if sum(row["winners"] for row in prize_rows) > MAX_PLACES:
        raise InvalidInput(f"a lottery has at most {MAX_PLACES} winners", field="prizes")
    start = _aware(spec.sales_start, "salesStart")
    end = _aware(spec.sales_end, "salesEnd")
    draw_at = _aware(spec.draw_at, "drawAt")
    if end <= start:
        raise InvalidInput("salesEnd must be after salesStart", field="salesEnd")
    if draw_at < end:
        raise InvalidInput("the draw cannot be before the sales end", field="drawAt")
    price, per_ticket = spec.ticket_price_points, spec.rials_per_ticket
    if price is None and per_ticket is None:
        raise InvalidInput(
            "tickets are sold for points, earned by purchases, or both: set one",
            field="ticketPricePoints",
        )
    return {
        "name": validation.text(spec.name, field="name", max_length=100, required=True),
        "description": validation.text(spec.description, field="description", max_length=500),
        "prizes": prize_rows,
        "sales_start": start,
        "sales_end": end,
        "draw_at": draw_at,
        "ticket_price_points": None
        if price is None
        else validation.positive_amount(
            price, field="ticketPricePoints", maximum=validation.MAX_POINTS
        ),
        "rials_per_ticket": None
        if per_ticket is None
        else validation.positive_amount(per_ticket, field="rialsPerTicket"),
        "max_tickets_per_member": coupons.optional_limit(
            spec.max_tickets_per_member, "maxTicketsPerMember"
        ),
    }


# The lotteries purchases earn tickets in, kept with the programme's snapshot: reloaded when it
# is (within seconds of a change made elsewhere), and at once after a change made here.
_earning: tuple[Programme, tuple[Lottery, ...]] | None = None


def _forget_earning() -> None:
    global _earning
    _earning = None


async def _earning_now(programme: Programme) -> tuple[Lottery, ...]:
    global _earning
    if _earning is None or _earning[0] is not programme:
        rows = await Lottery.filter(
            status=GameStatus.ACTIVE,
            rials_per_ticket__not_isnull=True,
            sales_end__gt=datetime.now(UTC),
        )
        _earning = (programme, tuple(rows))
    return _earning[1]


async def create(actor: Actor, spec: LotterySpec) -> Lottery:
    """A new lottery, as a draft, with its seed committed (its hash is public at once)."""
    actor.require_staff(Role.MANAGER)
    values = await _cleaned(spec)
    seed = draws.new_seed()
    # The trail keeps the hash only: the seed stays secret until the draw.
    seal = {"seed_hash": draws.commitment(seed)}
    return await audit.create_versioned(
        actor, Lottery, "lottery", {**values, **seal, "seed": seed}, snapshot={**values, **seal}
    )


def _unsold(lottery: Lottery) -> None:
    if lottery.status is GameStatus.ENDED:
        raise Conflict(f"{lottery.name} has been drawn")
    if lottery.tickets:
        raise Conflict(f"{lottery.name} has given tickets: it stays as they were got for")


async def update(
    actor: Actor, lottery_id: int, spec: LotterySpec, *, expected_version: int | None = None
) -> Lottery:
    """A new version of a lottery, until its first ticket is given."""
    actor.require_staff(Role.MANAGER)
    values = await _cleaned(spec)

    async def unsold(lottery: Lottery) -> dict:
        _unsold(lottery)
        return {}

    lottery = await audit.update_versioned(
        actor,
        Lottery,
        "lottery",
        lottery_id,
        values,
        expected_version=expected_version,
        also=unsold,
    )
    _forget_earning()
    return lottery


async def activate(
    actor: Actor, lottery_id: int, *, expected_version: int | None = None
) -> Lottery:
    """A draft lottery goes on: its tickets sell from its sales start."""
    actor.require_staff(Role.MANAGER)

    async def from_draft(lottery: Lottery) -> dict:
        if lottery.status is not GameStatus.DRAFT:
            raise Conflict(f"{lottery.name} is {lottery.status.value}, not a draft")
        if lottery.sales_end <= datetime.now(UTC):
            raise InvalidInput(f"the sales of {lottery.name} are over", field="salesEnd")
        return {}

    lottery = await audit.update_versioned(
        actor,
        Lottery,
        "lottery",
        lottery_id,
        {"status": GameStatus.ACTIVE},
        expected_version=expected_version,
        also=from_draft,
    )
    _forget_earning()
    return lottery


async def get(lottery_id: int) -> Lottery:
    lottery = await Lottery.get_or_none(id=lottery_id)
    if lottery is None:
        raise NotFound("lottery", lottery_id)
    return lottery


async def listed(
    actor: Actor, *, first: int = 20, before_id: int | None = None, include_drafts: bool = False
) -> Page[Lottery]:
    """Lotteries newest first: those on and drawn (managers may see drafts too)."""
    if include_drafts:
        actor.require_staff(Role.MANAGER)
    query = Lottery.all() if include_drafts else Lottery.exclude(status=GameStatus.DRAFT)
    return await coupons.paged(query, first, before_id)


def places(lottery: Lottery) -> list[dict]:
    """The prize of each place, first place first."""
    return [prize for prize in lottery.prizes for _ in range(prize["winners"])]


def selling(lottery: Lottery, at: datetime) -> bool:
    return lottery.status is GameStatus.ACTIVE and lottery.sales_start <= at < lottery.sales_end


# Tickets.


async def held(lottery_id: int, member_id: int) -> int:
    """How many tickets of the lottery the member holds."""
    rows = (
        await LotteryEntry.filter(lottery_id=lottery_id, member_id=member_id)
        .annotate(total=Sum("count"))
        .values_list("total", flat=True)
    )
    return int(rows[0] or 0) if rows else 0


async def _allocate(lottery_id: int, count: int, at: datetime) -> Lottery | None:
    """Number `count` new tickets, if the lottery sells at `at` and still does now; the
    lottery as it is then (its `tickets`: the last number given)."""
    now = datetime.now(UTC)
    on = Lottery.filter(
        id=lottery_id,
        status=GameStatus.ACTIVE,
        sales_start__lte=at,
        sales_end__gt=max(at, now),
    )
    if not await on.update(tickets=F("tickets") + count):
        return None
    return await Lottery.get(id=lottery_id)


@dataclass(frozen=True, slots=True)
class Tickets:
    entry: LotteryEntry  # with its lottery
    balances: Balances
    replayed: bool


async def buy_tickets(
    actor: Actor, *, lottery_id: int, count: int, idempotency_key: str
) -> Tickets:
    """The signed-in member buys `count` tickets with points."""
    member_id = member_of(actor)
    key = check_key(idempotency_key)
    validation.positive_amount(count, field="count", maximum=MAX_TICKETS_AT_ONCE)
    lottery = await get(lottery_id)
    digest = request_hash(
        {"op": "buy_lottery_tickets", "lottery": lottery_id, "member": member_id, "count": count}
    )

    async def write() -> LotteryEntry:
        now = datetime.now(UTC)
        standing = await standings.lock(member_id)
        before = await held(lottery_id, member_id)
        now_lottery = await _allocate(lottery_id, count, now)
        if now_lottery is None:
            raise DomainError(
                f"tickets of {lottery.name} are not on sale now", code=ErrorCode.NOT_ELIGIBLE
            )
        if now_lottery.ticket_price_points is None:
            raise DomainError(
                f"tickets of {lottery.name} are not sold for points", code=ErrorCode.NOT_ELIGIBLE
            )
        limit = now_lottery.max_tickets_per_member
        if limit is not None and before + count > limit:
            raise DomainError(
                f"a member may hold at most {limit} tickets of {lottery.name}",
                code=ErrorCode.LIMIT_REACHED,
            )
        first = now_lottery.tickets - count + 1
        price = count * now_lottery.ticket_price_points
        points = ledger.member_accounts_of(
            member_id, standing.points_account_id, standing.credit_account_id
        )[Purse.POINTS]
        spent = await ledger.transfer_from(
            points,
            -price,
            SystemAccount.POINTS_REDEEMED,
            kind=TransactionKind.SPEND,
            member_id=member_id,
            idempotency_key=derived_key("lottery", lottery_id, "tickets", first),
            request_hash=digest,
            reason_code="lottery_tickets",
            reason=f"{count} ticket{'s' if count != 1 else ''} of {lottery.name}",
        )
        return await LotteryEntry.create(
            lottery_id=lottery_id,
            member_id=member_id,
            first_number=first,
            count=count,
            transaction_id=spent.id,
            idempotency_key=key,
            request_hash=digest,
        )

    entry, replayed = await run_once(
        digest, lambda: LotteryEntry.get_or_none(member_id=member_id, idempotency_key=key), write
    )
    await entry.fetch_related("lottery")
    return Tickets(entry, await ledger.balances(member_id), replayed)


async def on_purchase(programme: Programme, purchase: Purchase) -> None:
    """The tickets a member's purchase earns: one for every so many Rials paid (after
    discounts) in each lottery selling then, within the member's limit.

    Call inside the purchase's transaction, holding the member's standing lock. No query while
    no lottery gives tickets for purchases.
    """
    lotteries = [
        lottery
        for lottery in await _earning_now(programme)
        if selling(lottery, purchase.occurred_at)
    ]
    member_id: int = purchase.member_id  # type: ignore[attr-defined,assignment]
    paid = purchase.amount - purchase.discount
    for lottery in lotteries:
        count = paid // lottery.rials_per_ticket  # type: ignore[operator]
        limit = lottery.max_tickets_per_member
        if limit is not None:
            count = min(count, limit - await held(lottery.id, member_id))
        if count <= 0:
            continue
        now_lottery = await _allocate(lottery.id, count, purchase.occurred_at)
        if now_lottery is None:
            continue
        await LotteryEntry.create(
            lottery_id=lottery.id,
            member_id=member_id,
            first_number=now_lottery.tickets - count + 1,
            count=count,
            purchase_id=purchase.id,
            idempotency_key=derived_key("purchase", purchase.id, "lottery", lottery.id),
            request_hash=purchase.request_hash,
        )


async def entries_of(
    member_id: int,
    *,
    lottery_id: int | None = None,
    first: int = 20,
    before_id: int | None = None,
) -> Page[LotteryEntry]:
    """A member's tickets, newest first, each batch with its lottery."""
    query = LotteryEntry.filter(member_id=member_id)
    if lottery_id is not None:
        query = query.filter(lottery_id=lottery_id)
    page = await coupons.paged(query, first, before_id)
    for entry in page.items:
        await entry.fetch_related("lottery")
    return page


async def owners(lottery_id: int) -> list[int]:
    """The ordered ticket list: the member who holds each ticket, ticket 1 first."""
    rows = (
        await LotteryEntry.filter(lottery_id=lottery_id)
        .order_by("first_number")
        .values_list("member_id", "count")
    )
    return [member_id for member_id, count in rows for _ in range(count)]


# The draw.


@dataclass(frozen=True, slots=True)
class DrawRun:
    drawn: list[int]  # the lotteries drawn by this run
    paid: int  # winners paid by this run


async def draw_due(now: datetime | None = None) -> DrawRun:
    """Draw the lotteries whose time has come and pay every winner not yet paid. A second run
    does nothing more."""
    now = now or datetime.now(UTC)
    due = await Lottery.filter(status=GameStatus.ACTIVE, draw_at__lte=now).order_by("id")
    drawn = [lottery.id for lottery in due if await _draw(lottery.id, now)]
    if drawn:
        _forget_earning()
    unpaid = await LotteryWinner.filter(paid_at=None).order_by("id").values_list("id", flat=True)
    paid = sum([await _pay(winner_id, now) for winner_id in unpaid])
    return DrawRun(drawn, paid)


async def _draw(lottery_id: int, now: datetime) -> bool:
    """Close the lottery and record its winners; False if it is not due (or drawn already)."""
    async with in_transaction():
        closing = Lottery.filter(id=lottery_id, status=GameStatus.ACTIVE, draw_at__lte=now)
        if not await closing.update(status=GameStatus.ENDED, drawn_at=now):
            return False
        lottery = await Lottery.get(id=lottery_id)
        prizes_by_place = places(lottery)
        numbers = draws.winning_tickets(
            lottery.seed, lottery.id, lottery.tickets, len(prizes_by_place)
        )
        entries = (
            await LotteryEntry.filter(lottery_id=lottery_id)
            .order_by("first_number")
            .values_list("first_number", "member_id")
        )
        starts = [start for start, _ in entries]
        await LotteryWinner.bulk_create(
            [
                LotteryWinner(
                    lottery_id=lottery_id,
                    place=place,
                    ticket_number=number,
                    member_id=entries[bisect_right(starts, number) - 1][1],
                    prize=prize,
                )
                for place, (number, prize) in enumerate(
                    zip(numbers, prizes_by_place, strict=False), start=1
                )
            ]
        )
    return True


async def _pay(winner_id: int, now: datetime) -> int:
    """Pay one winner, once: 1 if this call paid them."""
    async with in_transaction():
        if not await LotteryWinner.filter(id=winner_id, paid_at=None).update(paid_at=now):
            return 0
        winner = await LotteryWinner.get(id=winner_id).prefetch_related("lottery")
        lottery: Lottery = winner.lottery  # type: ignore[assignment]
        member_id: int = winner.member_id  # type: ignore[attr-defined]
        prize = winner.prize
        kind = PrizeKind(prize["kind"])
        reward = await Reward.get_or_none(id=prize["reward_id"]) if prize["reward_id"] else None
        what = prizes.describe(kind, prize["amount"], reward, prize["label"])
        gift = await prizes.give(
            kind,
            prize["amount"],
            reward,
            standing=await standings.lock(member_id),
            idempotency_key=derived_key("lottery", lottery.id, "place", winner.place),
            request_hash=request_hash(
                {"op": "lottery_prize", "lottery": lottery.id, "place": winner.place}
            ),
            reason_code="lottery_prize",
            reason=Text(f"{lottery.name}: {what.en}", f"{lottery.name}: {what.fa}"),
            at=now,
        )
        await LotteryWinner.filter(id=winner_id).update(
            transaction_id=gift.transaction.id if gift.transaction else None,
            voucher_id=gift.voucher.id if gift.voucher else None,
        )
        await _tell(winner, lottery, what)
    return 1


async def _tell(winner: LotteryWinner, lottery: Lottery, what: Text) -> None:
    member_id: int = winner.member_id  # type: ignore[attr-defined]
    language = (await notifications.language_of(member_id)).value
    message = notifications.lottery_won(
        language, lottery_id=lottery.id, lottery_name=lottery.name, prize=what.pick(language)
    )
    await notifications.deliver(
        member_id, message, dedupe_key=f"lottery:{lottery.id}:place:{winner.place}"
    )


@dataclass(frozen=True, slots=True)
class Draw:
    lottery: Lottery
    winners: list[LotteryWinner]  # first place first


async def draw_of(lottery_id: int) -> Draw | None:
    """A lottery's draw, for anyone to check; None before it is drawn."""
    lottery = await get(lottery_id)
    if lottery.status is not GameStatus.ENDED:
        return None
    return Draw(lottery, await LotteryWinner.filter(lottery_id=lottery_id).order_by("place"))


async def check_draw(lottery_id: int) -> list[str]:
    """What is wrong with a drawn lottery's record (nothing when it is the draw its seed and
    tickets give)."""
    draw = await draw_of(lottery_id)
    if draw is None:
        return ["the lottery has not been drawn"]
    lottery = draw.lottery
    return draws.verify_draw(
        draws.DrawRecord(
            lottery_id=lottery.id,
            seed=lottery.seed,
            seed_hash=lottery.seed_hash,
            owners=await owners(lottery.id),
            places=len(places(lottery)),
            winners=[(w.ticket_number, w.member_id) for w in draw.winners],  # type: ignore[attr-defined]
        )
    )
