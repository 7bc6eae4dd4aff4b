"""Games: the wheel of fortune (seeds, prizes, players, spins) and the lottery."""

from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from loyalty.models.games import GameStatus, PrizeKind
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index


class Migration(migrations.Migration):
    dependencies = [("loyalty", "0007_surveys")]

    initial = False

    operations = [
        ops.CreateModel(
            name="Lottery",
            fields=[
                (
                    "id",
                    fields.IntField(generated=True, primary_key=True, unique=True, db_index=True),
                ),
                ("name", fields.CharField(max_length=100)),
                ("description", fields.CharField(default="", max_length=500)),
                (
                    "status",
                    fields.CharEnumField(
                        default=GameStatus.DRAFT,
                        description="DRAFT: draft\nACTIVE: active\nENDED: ended",
                        enum_type=GameStatus,
                        max_length=8,
                    ),
                ),
                ("seed", fields.CharField(description="Hex, secret until the draw", max_length=64)),
                (
                    "seed_hash",
                    fields.CharField(description="SHA-256 of the seed, published", max_length=64),
                ),
                (
                    "ticket_price_points",
                    fields.BigIntField(null=True, description="None: not sold for points"),
                ),
                (
                    "rials_per_ticket",
                    fields.BigIntField(null=True, description="None: purchases earn none"),
                ),
                ("max_tickets_per_member", fields.IntField(null=True)),
                ("sales_start", fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ("sales_end", fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ("draw_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
                (
                    "prizes",
                    fields.JSONField(
                        description="The places, first first: kind, amount, reward, label",
                        encoder=functools.partial(dumps, separators=(",", ":")),
                        decoder=loads,
                    ),
                ),
                (
                    "tickets",
                    fields.IntField(
                        default=0, description="Tickets given: the last ticket's number"
                    ),
                ),
                ("version", fields.IntField(default=1)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ("drawn_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={
                "table": "lottery",
                "app": "loyalty",
                "indexes": [Index(fields=["status", "draw_at"])],
                "pk_attr": "id",
                "table_description": "A raffle: tickets sold for points or earned by purchases, drawn at a set time.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="LotteryEntry",
            fields=[
                (
                    "id",
                    fields.BigIntField(
                        generated=True, primary_key=True, unique=True, db_index=True
                    ),
                ),
                (
                    "lottery",
                    fields.ForeignKeyField(
                        "loyalty.Lottery",
                        source_field="lottery_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="entries",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                (
                    "member",
                    fields.ForeignKeyField(
                        "loyalty.Member",
                        source_field="member_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="lottery_entries",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                ("first_number", fields.IntField()),
                ("count", fields.IntField()),
                (
                    "purchase",
                    fields.ForeignKeyField(
                        "loyalty.Purchase",
                        source_field="purchase_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="lottery_entries",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                (
                    "transaction",
                    fields.ForeignKeyField(
                        "loyalty.JournalTransaction",
                        source_field="transaction_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="lottery_entry",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                ("idempotency_key", fields.CharField(max_length=160)),
                ("request_hash", fields.CharField(max_length=64)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={
                "table": "lottery_entry",
                "app": "loyalty",
                "unique_together": (("member", "idempotency_key"), ("lottery", "purchase")),
                "indexes": [
                    Index(fields=["lottery_id", "first_number"]),
                    Index(fields=["member_id", "id"]),
                ],
                "pk_attr": "id",
                "table_description": "Tickets a member got at once: numbers `first_number` to `first_number + count - 1`.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="LotteryWinner",
            fields=[
                (
                    "id",
                    fields.BigIntField(
                        generated=True, primary_key=True, unique=True, db_index=True
                    ),
                ),
                (
                    "lottery",
                    fields.ForeignKeyField(
                        "loyalty.Lottery",
                        source_field="lottery_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="winners",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                ("place", fields.IntField(description="1 for the first prize")),
                ("ticket_number", fields.IntField()),
                (
                    "member",
                    fields.ForeignKeyField(
                        "loyalty.Member",
                        source_field="member_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="lottery_wins",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                (
                    "prize",
                    fields.JSONField(
                        description="The prize of the place, as it was at the draw",
                        encoder=functools.partial(dumps, separators=(",", ":")),
                        decoder=loads,
                    ),
                ),
                (
                    "transaction",
                    fields.ForeignKeyField(
                        "loyalty.JournalTransaction",
                        source_field="transaction_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="lottery_win",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                (
                    "voucher",
                    fields.ForeignKeyField(
                        "loyalty.CouponCode",
                        source_field="voucher_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="lottery_win",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                ("paid_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={
                "table": "lottery_winner",
                "app": "loyalty",
                "unique_together": (("lottery", "place"),),
                "indexes": [Index(fields=["member_id"]), Index(fields=["paid_at"])],
                "pk_attr": "id",
                "table_description": "A winning ticket and its prize, paid once.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="Wheel",
            fields=[
                (
                    "id",
                    fields.IntField(generated=True, primary_key=True, unique=True, db_index=True),
                ),
                ("name", fields.CharField(max_length=100)),
                ("description", fields.CharField(default="", max_length=500)),
                (
                    "status",
                    fields.CharEnumField(
                        default=GameStatus.DRAFT,
                        description="DRAFT: draft\nACTIVE: active\nENDED: ended",
                        enum_type=GameStatus,
                        max_length=8,
                    ),
                ),
                (
                    "cost_points",
                    fields.BigIntField(default=0, description="Points a paid spin costs"),
                ),
                (
                    "free_daily_spin",
                    fields.BooleanField(default=False, description="One free spin a club day"),
                ),
                (
                    "point_value",
                    fields.BigIntField(
                        default=0, description="Rials a prize point costs the budget"
                    ),
                ),
                (
                    "budget",
                    fields.BigIntField(
                        null=True, description="Rials all prizes may cost (none: no cap)"
                    ),
                ),
                ("budget_used", fields.BigIntField(default=0)),
                (
                    "spins_per_day",
                    fields.IntField(null=True, description="Spins a member may make a club day"),
                ),
                (
                    "spins_per_member",
                    fields.IntField(null=True, description="Spins a member may make in all"),
                ),
                ("starts_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ("ends_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                (
                    "spins",
                    fields.IntField(default=0, description="Spins so far: the last spin's number"),
                ),
                ("version", fields.IntField(default=1)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ("ended_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={
                "table": "wheel",
                "app": "loyalty",
                "pk_attr": "id",
                "table_description": "A wheel of fortune: weighted prizes, what a spin costs, its budget and limits.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="WheelPlayer",
            fields=[
                (
                    "id",
                    fields.IntField(generated=True, primary_key=True, unique=True, db_index=True),
                ),
                (
                    "wheel",
                    fields.ForeignKeyField(
                        "loyalty.Wheel",
                        source_field="wheel_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="players",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                (
                    "member",
                    fields.ForeignKeyField(
                        "loyalty.Member",
                        source_field="member_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="wheel_players",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                ("spins", fields.IntField(default=0)),
                ("day", fields.IntField(default=0)),
                ("spins_today", fields.IntField(default=0, description="Spins made on `day`")),
                ("free_day", fields.IntField(default=0)),
            ],
            options={
                "table": "wheel_player",
                "app": "loyalty",
                "unique_together": (("wheel", "member"),),
                "pk_attr": "id",
                "table_description": "A member's spins of one wheel, counted for the limits and the free daily spin.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="WheelPrize",
            fields=[
                (
                    "id",
                    fields.IntField(generated=True, primary_key=True, unique=True, db_index=True),
                ),
                (
                    "wheel",
                    fields.ForeignKeyField(
                        "loyalty.Wheel",
                        source_field="wheel_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="prizes",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                (
                    "position",
                    fields.IntField(description="Order on the wheel and in the weights table"),
                ),
                ("label", fields.CharField(default="", max_length=100)),
                (
                    "kind",
                    fields.CharEnumField(
                        description="POINTS: points\nCREDIT: credit\nVOUCHER: voucher\nTRY_AGAIN: try_again",
                        enum_type=PrizeKind,
                        max_length=16,
                    ),
                ),
                ("amount", fields.BigIntField(default=0, description="Points or Rials of credit")),
                (
                    "reward",
                    fields.ForeignKeyField(
                        "loyalty.Reward",
                        source_field="reward_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="wheel_prizes",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                ("weight", fields.IntField()),
                (
                    "stock",
                    fields.IntField(
                        null=True, description="How many may be given in all (none: no cap)"
                    ),
                ),
                ("given", fields.IntField(default=0)),
                (
                    "active",
                    fields.BooleanField(default=True, description="Off: taken off the wheel"),
                ),
            ],
            options={
                "table": "wheel_prize",
                "app": "loyalty",
                "indexes": [Index(fields=["wheel_id", "position"])],
                "pk_attr": "id",
                "table_description": "A slice of a wheel: its prize and weight, and how many may be given.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="WheelSeed",
            fields=[
                (
                    "id",
                    fields.IntField(generated=True, primary_key=True, unique=True, db_index=True),
                ),
                (
                    "wheel",
                    fields.ForeignKeyField(
                        "loyalty.Wheel",
                        source_field="wheel_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="seeds",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                ("seed", fields.CharField(description="Hex, secret until revealed", max_length=64)),
                (
                    "seed_hash",
                    fields.CharField(description="SHA-256 of the seed, published", max_length=64),
                ),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
                (
                    "revealed_at",
                    fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
                ),
            ],
            options={
                "table": "wheel_seed",
                "app": "loyalty",
                "indexes": [Index(fields=["wheel_id", "id"])],
                "pk_attr": "id",
                "table_description": "A wheel's secret seed, published by its hash before any spin uses it, revealed when it",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="WheelSpin",
            fields=[
                (
                    "id",
                    fields.BigIntField(
                        generated=True, primary_key=True, unique=True, db_index=True
                    ),
                ),
                (
                    "wheel",
                    fields.ForeignKeyField(
                        "loyalty.Wheel",
                        source_field="wheel_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="spin_records",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                (
                    "member",
                    fields.ForeignKeyField(
                        "loyalty.Member",
                        source_field="member_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="wheel_spins",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                ("number", fields.IntField(description="The wheel's spin number, from 1")),
                (
                    "seed",
                    fields.ForeignKeyField(
                        "loyalty.WheelSeed",
                        source_field="seed_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="spins",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                ("wheel_version", fields.IntField()),
                (
                    "weights",
                    fields.JSONField(
                        description="The weights table drawn from: [prize id, weight]",
                        encoder=functools.partial(dumps, separators=(",", ":")),
                        decoder=loads,
                    ),
                ),
                (
                    "draw",
                    fields.BigIntField(
                        description="The value drawn, from 0 to the total weight less 1"
                    ),
                ),
                (
                    "drawn_prize",
                    fields.ForeignKeyField(
                        "loyalty.WheelPrize",
                        source_field="drawn_prize_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="draws",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                (
                    "kind",
                    fields.CharEnumField(
                        description="What the member got", enum_type=PrizeKind, max_length=16
                    ),
                ),
                ("amount", fields.BigIntField(default=0)),
                (
                    "value",
                    fields.BigIntField(default=0, description="Rials it took from the budget"),
                ),
                (
                    "fallback",
                    fields.CharField(
                        default="", description="Why the drawn prize was not given", max_length=16
                    ),
                ),
                ("free", fields.BooleanField(default=False)),
                ("cost_points", fields.BigIntField(default=0)),
                (
                    "cost_transaction",
                    fields.ForeignKeyField(
                        "loyalty.JournalTransaction",
                        source_field="cost_transaction_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="spin_cost",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                (
                    "prize_transaction",
                    fields.ForeignKeyField(
                        "loyalty.JournalTransaction",
                        source_field="prize_transaction_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="spin_prize",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                (
                    "voucher",
                    fields.ForeignKeyField(
                        "loyalty.CouponCode",
                        source_field="voucher_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="wheel_spin",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                ("idempotency_key", fields.CharField(max_length=128)),
                ("request_hash", fields.CharField(max_length=64)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={
                "table": "wheel_spin",
                "app": "loyalty",
                "unique_together": (("wheel", "number"), ("member", "idempotency_key")),
                "indexes": [Index(fields=["member_id", "id"]), Index(fields=["wheel_id", "id"])],
                "pk_attr": "id",
                "table_description": "One spin: the draw, what it was drawn from, and what the member got.",
            },
            bases=["Model"],
        ),
    ]
