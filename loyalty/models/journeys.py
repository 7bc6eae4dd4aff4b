"""Journeys: automatic messages tied to each member's own timeline, and the days they ran."""

from __future__ import annotations

from enum import StrEnum

from tortoise import fields
from tortoise.models import Model

from loyalty.models.members import Language
from loyalty.models.messaging import MessagePurpose


class JourneyKind(StrEnum):
    AFTER_PURCHASE = "after_purchase"  # N days after a purchase with an item of a category
    BIRTHDAY = "birthday"
    WIN_BACK = "win_back"  # away longer than a threshold: once per lapse
    WELCOME = "welcome"  # after enrolment
    TIER_UPGRADED = "tier_upgraded"
    POINTS_EXPIRING = "points_expiring"  # N days before a lot of points expires
    NEW_PRODUCTS = "new_products"  # N days before a product's public date


class Journey(Model):
    """One automatic message: when it goes (its kind and options), what it says, and what it
    gives. Configured by managers, versioned and audited like the rest of the programme."""

    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=100)
    kind = fields.CharEnumField(JourneyKind, max_length=16)
    purpose = fields.CharEnumField(MessagePurpose, max_length=9)
    language = fields.CharEnumField(
        Language, max_length=2, description="The template's: dates and numbers are written in it"
    )
    title = fields.CharField(max_length=120, description="With {placeholders}")
    body = fields.CharField(max_length=1000, description="With {placeholders}")
    options = fields.JSONField(default=dict, description="The kind's own settings")
    coupon: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "loyalty.Coupon", null=True, on_delete=fields.RESTRICT, related_name="journeys"
    )
    voucher_days = fields.IntField(default=30, description="How long a voucher it gives lasts")
    active = fields.BooleanField(default=True)
    # Since when it has run without a pause: days missed before that are not caught up.
    active_since = fields.DatetimeField(null=True)
    version = fields.IntField(default=1)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "journey"
        indexes = (("kind", "active"),)


class JourneyRun(Model):
    """A timer journey's run for one day of the club's calendar: where it got to, so a run cut
    short goes on from there and a day done is not gone over again."""

    id = fields.BigIntField(primary_key=True)
    journey: fields.ForeignKeyRelation[Journey] = fields.ForeignKeyField(
        "loyalty.Journey", on_delete=fields.CASCADE, related_name="runs"
    )
    day = fields.DateField(description="The day in the club's zone")
    cursor = fields.BigIntField(default=0, description="The last member or purchase gone over")
    sent = fields.IntField(default=0, description="Messages sent or scheduled")
    held = fields.IntField(default=0, description="Messages held back (consent, weekly cap)")
    started_at = fields.DatetimeField(auto_now_add=True)
    finished_at = fields.DatetimeField(null=True)

    class Meta:
        table = "journey_run"
        unique_together = (("journey", "day"),)
