"""Report roll-ups: purchases summed by club-local hour, line items and system accounts' ledger
postings by club-local day, and members who bought by day, so a year's report reads thousands
of rows rather than millions.

Derived data, like `MemberBehaviour`: `loyalty.reports.rollups.refresh` rewrites the days that
purchases or refunds touched since its last run. Hours and days are numbered from 1970-01-01
in the club's zone (the zone they were built for is kept in `RollupState`).
"""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model


class SalesHour(Model):
    """Purchases of a club-local hour at a branch, by members or by walk-ins."""

    id = fields.BigIntField(primary_key=True)
    hour = fields.IntField(description="Club-local hours since 1970-01-01")
    branch_id = fields.IntField()
    is_member = fields.BooleanField()
    purchases = fields.IntField()
    amount = fields.BigIntField(description="Rials, before refunds")
    refunded = fields.BigIntField(description="Rials")
    discount = fields.BigIntField(description="Rials")

    class Meta:
        table = "sales_hour"
        unique_together = (("hour", "branch_id", "is_member"),)


class SalesItemDay(Model):
    """Sales of a product on a club-local day at a branch, revenue net of each line share of
    the refunds of its purchase."""

    id = fields.BigIntField(primary_key=True)
    day = fields.IntField(description="Club-local days since 1970-01-01")
    branch_id = fields.IntField()
    category = fields.CharField(max_length=64)
    sku = fields.CharField(max_length=64)
    name = fields.CharField(max_length=200, description="The greatest name the SKU had that day")
    quantity = fields.BigIntField()
    revenue = fields.BigIntField(description="Rials")

    class Meta:
        table = "sales_item_day"
        unique_together = (("day", "branch_id", "category", "sku"),)


class LedgerDay(Model):
    """What was posted to a system account on a club-local day, by transactions of a branch
    (or of none: the club's own, such as expiry)."""

    id = fields.BigIntField(primary_key=True)
    day = fields.IntField(description="Club-local days since 1970-01-01")
    branch_id = fields.IntField(null=True)
    code = fields.CharField(max_length=64, description="The system account")
    unit = fields.CharField(max_length=8)
    amount = fields.BigIntField()

    class Meta:
        table = "ledger_day"
        indexes = (("day", "branch_id"),)


class ActiveDay(Model):
    """Members who bought on a club-local day, anywhere (branch 0) or at a branch, counted by
    the day they last bought before it there (-1: never); see loyalty.reports.active."""

    id = fields.BigIntField(primary_key=True)
    branch_id = fields.IntField(description="0: anywhere in the club")
    day = fields.IntField(description="Club-local days since 1970-01-01")
    previous_day = fields.IntField(description="The member's last day of buying before (-1: none)")
    members = fields.IntField()

    class Meta:
        table = "active_day"
        unique_together = (("branch_id", "day", "previous_day"),)


class RollupState(Model):
    """How far a roll-up was refreshed: purchases and refunds up to these ids, or recorded
    before `refreshed_at` (less a margin for transactions still open then), are in it.

    While a full fill is under way, its days and progress are kept here too (the watermark is
    its start's): a fill cut short goes on from the day after `filled_through`."""

    name = fields.CharField(max_length=32, primary_key=True)
    zone = fields.CharField(max_length=64, description="The club zone the buckets are in")
    refreshed_at = fields.DatetimeField()
    purchase_id = fields.BigIntField(default=0, description="The greatest purchase id seen")
    reversal_id = fields.BigIntField(default=0, description="The greatest reversal id seen")
    transaction_id = fields.BigIntField(
        default=0, description="The greatest journal transaction id seen"
    )
    fill_first = fields.IntField(null=True, description="A fill under way: its first day")
    fill_last = fields.IntField(null=True, description="A fill under way: its last day")
    filled_through = fields.IntField(null=True, description="The last day the fill rewrote")
    filled_at = fields.DatetimeField(
        null=True, description="When the fill last went on (null: left off after an error)"
    )

    class Meta:
        table = "rollup_state"
