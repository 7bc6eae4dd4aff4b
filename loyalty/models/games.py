"""Games managers set up: the wheel of fortune and the lottery.

Every draw can be checked afterwards: a game commits to a secret seed by publishing its SHA-256,
each draw is recorded with what it was drawn from, and the seed is revealed later.
"""

from __future__ import annotations

from enum import StrEnum

from tortoise import fields
from tortoise.models import Model


class GameStatus(StrEnum):
    DRAFT = "draft"
    ACTIVE = "active"
    # A wheel that spins no more, a lottery that has been drawn: their seeds are public.
    ENDED = "ended"


class PrizeKind(StrEnum):
    POINTS = "points"
    CREDIT = "credit"
    VOUCHER = "voucher"
    TRY_AGAIN = "try_again"


class Wheel(Model):
    """A wheel of fortune: weighted prizes, what a spin costs, its budget and limits."""

    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=100)
    description = fields.CharField(max_length=500, default="")
    status = fields.CharEnumField(GameStatus, max_length=8, default=GameStatus.DRAFT)
    cost_points = fields.BigIntField(default=0, description="Points a paid spin costs")
    free_daily_spin = fields.BooleanField(default=False, description="One free spin a club day")
    point_value = fields.BigIntField(default=0, description="Rials a prize point costs the budget")
    budget = fields.BigIntField(null=True, description="Rials all prizes may cost (none: no cap)")
    budget_used = fields.BigIntField(default=0)
    spins_per_day = fields.IntField(null=True, description="Spins a member may make a club day")
    spins_per_member = fields.IntField(null=True, description="Spins a member may make in all")
    starts_at = fields.DatetimeField(null=True)
    ends_at = fields.DatetimeField(null=True)
    spins = fields.IntField(default=0, description="Spins so far: the last spin's number")
    version = fields.IntField(default=1)
    created_at = fields.DatetimeField(auto_now_add=True)
    ended_at = fields.DatetimeField(null=True)

    class Meta:
        table = "wheel"


class WheelSeed(Model):
    """A wheel's secret seed, published by its hash before any spin uses it, revealed when it
    is replaced by the next or the wheel ends."""

    id = fields.IntField(primary_key=True)
    wheel: fields.ForeignKeyRelation[Wheel] = fields.ForeignKeyField(
        "loyalty.Wheel", on_delete=fields.RESTRICT, related_name="seeds"
    )
    seed = fields.CharField(max_length=64, description="Hex, secret until revealed")
    seed_hash = fields.CharField(max_length=64, description="SHA-256 of the seed, published")
    created_at = fields.DatetimeField(auto_now_add=True)
    revealed_at = fields.DatetimeField(null=True)

    class Meta:
        table = "wheel_seed"
        indexes = (("wheel_id", "id"),)


class WheelPrize(Model):
    """A slice of a wheel: its prize and weight, and how many may be given."""

    id = fields.IntField(primary_key=True)
    wheel: fields.ForeignKeyRelation[Wheel] = fields.ForeignKeyField(
        "loyalty.Wheel", on_delete=fields.RESTRICT, related_name="prizes"
    )
    position = fields.IntField(description="Order on the wheel and in the weights table")
    label = fields.CharField(max_length=100, default="")
    kind = fields.CharEnumField(PrizeKind, max_length=16)
    amount = fields.BigIntField(default=0, description="Points or Rials of credit")
    reward: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "loyalty.Reward", null=True, on_delete=fields.RESTRICT, related_name="wheel_prizes"
    )
    weight = fields.IntField()
    stock = fields.IntField(null=True, description="How many may be given in all (none: no cap)")
    given = fields.IntField(default=0)
    active = fields.BooleanField(default=True, description="Off: taken off the wheel")

    class Meta:
        table = "wheel_prize"
        indexes = (("wheel_id", "position"),)


class WheelPlayer(Model):
    """A member's spins of one wheel, counted for the limits and the free daily spin."""

    id = fields.IntField(primary_key=True)
    wheel: fields.ForeignKeyRelation[Wheel] = fields.ForeignKeyField(
        "loyalty.Wheel", on_delete=fields.RESTRICT, related_name="players"
    )
    member: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "loyalty.Member", on_delete=fields.RESTRICT, related_name="wheel_players"
    )
    spins = fields.IntField(default=0)
    # Club days as day numbers (date.toordinal): the day of the last spin, of the last free one.
    day = fields.IntField(default=0)
    spins_today = fields.IntField(default=0, description="Spins made on `day`")
    free_day = fields.IntField(default=0)

    class Meta:
        table = "wheel_player"
        unique_together = (("wheel", "member"),)


class WheelSpin(Model):
    """One spin: the draw, what it was drawn from, and what the member got."""

    id = fields.BigIntField(primary_key=True)
    wheel: fields.ForeignKeyRelation[Wheel] = fields.ForeignKeyField(
        "loyalty.Wheel", on_delete=fields.RESTRICT, related_name="spin_records"
    )
    member: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "loyalty.Member", on_delete=fields.RESTRICT, related_name="wheel_spins"
    )
    number = fields.IntField(description="The wheel's spin number, from 1")
    seed: fields.ForeignKeyRelation[WheelSeed] = fields.ForeignKeyField(
        "loyalty.WheelSeed", on_delete=fields.RESTRICT, related_name="spins"
    )
    wheel_version = fields.IntField()
    weights = fields.JSONField(description="The weights table drawn from: [prize id, weight]")
    draw = fields.BigIntField(description="The value drawn, from 0 to the total weight less 1")
    drawn_prize: fields.ForeignKeyRelation[WheelPrize] = fields.ForeignKeyField(
        "loyalty.WheelPrize", on_delete=fields.RESTRICT, related_name="draws"
    )
    kind = fields.CharEnumField(PrizeKind, max_length=16, description="What the member got")
    amount = fields.BigIntField(default=0)
    value = fields.BigIntField(default=0, description="Rials it took from the budget")
    fallback = fields.CharField(
        max_length=16, default="", description="Why the drawn prize was not given"
    )
    free = fields.BooleanField(default=False)
    cost_points = fields.BigIntField(default=0)
    cost_transaction: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "loyalty.JournalTransaction", null=True, on_delete=fields.RESTRICT, related_name="spin_cost"
    )
    prize_transaction: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "loyalty.JournalTransaction",
        null=True,
        on_delete=fields.RESTRICT,
        related_name="spin_prize",
    )
    voucher: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "loyalty.CouponCode", null=True, on_delete=fields.RESTRICT, related_name="wheel_spin"
    )
    idempotency_key = fields.CharField(max_length=128)
    request_hash = fields.CharField(max_length=64)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "wheel_spin"
        unique_together = (("wheel", "number"), ("member", "idempotency_key"))
        indexes = (("member_id", "id"), ("wheel_id", "id"))


class Lottery(Model):
    """A raffle: tickets sold for points or earned by purchases, drawn at a set time."""

    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=100)
    description = fields.CharField(max_length=500, default="")
    status = fields.CharEnumField(GameStatus, max_length=8, default=GameStatus.DRAFT)
    seed = fields.CharField(max_length=64, description="Hex, secret until the draw")
    seed_hash = fields.CharField(max_length=64, description="SHA-256 of the seed, published")
    ticket_price_points = fields.BigIntField(null=True, description="None: not sold for points")
    rials_per_ticket = fields.BigIntField(null=True, description="None: purchases earn none")
    max_tickets_per_member = fields.IntField(null=True)
    sales_start = fields.DatetimeField()
    sales_end = fields.DatetimeField()
    draw_at = fields.DatetimeField()
    prizes = fields.JSONField(description="The places, first first: kind, amount, reward, label")
    tickets = fields.IntField(default=0, description="Tickets given: the last ticket's number")
    version = fields.IntField(default=1)
    created_at = fields.DatetimeField(auto_now_add=True)
    drawn_at = fields.DatetimeField(null=True)

    class Meta:
        table = "lottery"
        indexes = (("status", "draw_at"),)


class LotteryEntry(Model):
    """Tickets a member got at once: numbers `first_number` to `first_number + count - 1`."""

    id = fields.BigIntField(primary_key=True)
    lottery: fields.ForeignKeyRelation[Lottery] = fields.ForeignKeyField(
        "loyalty.Lottery", on_delete=fields.RESTRICT, related_name="entries"
    )
    member: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "loyalty.Member", on_delete=fields.RESTRICT, related_name="lottery_entries"
    )
    first_number = fields.IntField()
    count = fields.IntField()
    purchase: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "loyalty.Purchase", null=True, on_delete=fields.RESTRICT, related_name="lottery_entries"
    )
    transaction: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "loyalty.JournalTransaction",
        null=True,
        on_delete=fields.RESTRICT,
        related_name="lottery_entry",
    )
    idempotency_key = fields.CharField(max_length=160)
    request_hash = fields.CharField(max_length=64)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "lottery_entry"
        unique_together = (("member", "idempotency_key"), ("lottery", "purchase"))
        indexes = (("lottery_id", "first_number"), ("member_id", "id"))


class LotteryWinner(Model):
    """A winning ticket and its prize, paid once."""

    id = fields.BigIntField(primary_key=True)
    lottery: fields.ForeignKeyRelation[Lottery] = fields.ForeignKeyField(
        "loyalty.Lottery", on_delete=fields.RESTRICT, related_name="winners"
    )
    place = fields.IntField(description="1 for the first prize")
    ticket_number = fields.IntField()
    member: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "loyalty.Member", on_delete=fields.RESTRICT, related_name="lottery_wins"
    )
    prize = fields.JSONField(description="The prize of the place, as it was at the draw")
    transaction: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "loyalty.JournalTransaction",
        null=True,
        on_delete=fields.RESTRICT,
        related_name="lottery_win",
    )
    voucher: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "loyalty.CouponCode", null=True, on_delete=fields.RESTRICT, related_name="lottery_win"
    )
    paid_at = fields.DatetimeField(null=True)

    class Meta:
        table = "lottery_winner"
        unique_together = (("lottery", "place"),)
        indexes = (("member_id",), ("paid_at",))
