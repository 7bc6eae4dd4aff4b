"""Managers define journeys: checked (a refusal names the field and changes nothing), versioned,
audited, paused and resumed."""

from __future__ import annotations

import pytest

from loyalty.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from loyalty.journeys import definitions, manage
from loyalty.journeys.manage import JourneySpec
from loyalty.models import (
    BenefitKind,
    ConfigChange,
    Journey,
    JourneyKind,
    MessagePurpose,
    Role,
)
from loyalty.programme import coupons
from loyalty.programme.coupons import Benefit, CouponSpec
from tests import factories as f
from tests.journeys.support import OIL_REMINDER

OIL = JourneySpec(
    name="Oil change",
    kind=JourneyKind.AFTER_PURCHASE,
    title="یادآوری",
    body=OIL_REMINDER,
    options={"category": "oil_change", "days": 75},
)


async def test_a_journey_is_saved_versioned_and_audited() -> None:
    boss = await f.manager()
    journey = await manage.create(boss, OIL)
    assert (journey.kind, journey.purpose, journey.version) == (
        JourneyKind.AFTER_PURCHASE,
        MessagePurpose.MARKETING,
        1,
    )
    assert journey.options == {"category": "oil_change", "days": 75}
    assert journey.active and journey.active_since is not None

    changed = await manage.update(
        boss,
        journey.id,
        JourneySpec(**{**vars_of(OIL), "options": {"category": "oil_change", "days": 90}}),
        expected_version=1,
    )
    assert (changed.version, changed.options["days"]) == (2, 90)
    with pytest.raises(Conflict) as stale:
        await manage.update(boss, journey.id, OIL, expected_version=1)
    assert stale.value.code.value == "VERSION_CONFLICT"
    trail = await ConfigChange.filter(entity="journey").order_by("id")
    assert [(c.version, c.action) for c in trail] == [(1, "create"), (2, "update")]
    assert trail[1].snapshot["options"] == {"category": "oil_change", "days": 90}


def vars_of(spec: JourneySpec) -> dict:
    return {name: getattr(spec, name) for name in JourneySpec.__dataclass_fields__}


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"name": " "}, "name"),
        ({"body": "{name} {unknown}"}, "body"),
        ({"body": "{expiry_date}"}, "body"),  # another kind's placeholder
        ({"title": "{name!r}"}, "title"),
        ({"title": "{name:>10}"}, "title"),
        ({"body": "{}"}, "body"),
        ({"body": "{name"}, "body"),
        ({"body": ""}, "body"),
        ({"title": "x" * 121}, "title"),
        ({"options": {"category": "oil_change"}}, "options.days"),
        ({"options": {"category": "", "days": 75}}, "options.category"),
        ({"options": {"category": "oil_change", "days": 0}}, "options.days"),
        ({"options": {"category": "oil_change", "days": 75, "gap": 1}}, "options.gap"),
        ({"coupon_id": 999}, "couponId"),
        ({"voucher_days": 0}, "voucherDays"),
        ({"purpose": "loud"}, "purpose"),
    ],
)
async def test_bad_input_names_the_field_and_changes_nothing(change: dict, field: str) -> None:
    boss = await f.manager()
    with pytest.raises(InvalidInput) as refused:
        await manage.create(boss, JourneySpec(**{**vars_of(OIL), **change}))
    assert refused.value.field == field, refused.value.message
    assert await Journey.all().count() == 0
    assert await ConfigChange.all().count() == 0


@pytest.mark.parametrize(
    ("kind", "options", "field"),
    [
        (JourneyKind.WIN_BACK, {}, "options.days"),
        (JourneyKind.WIN_BACK, {"days": 30, "gap_multiple": 2.0}, "options.days"),
        (
            JourneyKind.WIN_BACK,
            {"gap_multiple": 2.0, "min_days": 90, "max_days": 30},
            "options.minDays",
        ),
        (JourneyKind.BIRTHDAY, {"days": 3}, "options.days"),
        (JourneyKind.TIER_UPGRADED, {"tier_ids": [404]}, "options.tierIds"),
        (
            JourneyKind.NEW_PRODUCTS,
            {"product": "Latte", "public_date": "soon"},
            "options.publicDate",
        ),
    ],
)
async def test_each_kind_checks_its_options(kind: JourneyKind, options: dict, field: str) -> None:
    boss = await f.manager()
    spec = JourneySpec(name="J", kind=kind, title="t", body="b", options=options)
    with pytest.raises(InvalidInput) as refused:
        await manage.create(boss, spec)
    assert refused.value.field == field, refused.value.message


def test_each_kind_has_its_placeholders() -> None:
    for kind in JourneyKind:
        allowed = definitions.COMMON_PLACEHOLDERS + definitions.PLACEHOLDERS[kind]
        template = " ".join(f"{{{name}}}" for name in allowed)
        assert definitions.check_template(template, kind, field="body") == template
    assert definitions.check_template("{{literal}} {name}", JourneyKind.BIRTHDAY, field="b")


async def test_only_managers_define_journeys() -> None:
    cashier = await f.staff_actor(Role.CASHIER)
    with pytest.raises(PermissionDenied):
        await manage.create(cashier, OIL)
    with pytest.raises(PermissionDenied):
        await manage.listed(cashier)


async def test_a_kind_cannot_change() -> None:
    boss = await f.manager()
    journey = await manage.create(boss, OIL)
    welcome = JourneySpec(name="W", kind=JourneyKind.WELCOME, title="t", body="b")
    with pytest.raises(InvalidInput) as refused:
        await manage.update(boss, journey.id, welcome)
    assert refused.value.field == "kind"
    with pytest.raises(NotFound):
        await manage.update(boss, journey.id + 1, OIL)


async def test_pause_resume_and_list() -> None:
    boss = await f.manager()
    coupon = await coupons.create(
        boss, CouponSpec("Gift", Benefit(BenefitKind.AMOUNT_OFF, amount=500_000))
    )
    oil = await manage.create(boss, OIL)
    birthday = await manage.create(
        boss,
        JourneySpec(
            "Birthday",
            JourneyKind.BIRTHDAY,
            "تولدت مبارک",
            "{first_name} عزیز",
            coupon_id=coupon.id,
        ),
    )
    paused = await manage.set_active(boss, oil.id, False, expected_version=1)
    assert (paused.active, paused.version) == (False, 2)
    listed = await manage.listed(boss)
    assert [j.id for j in listed.items] == [birthday.id]
    everything = await manage.listed(boss, include_paused=True, first=1)
    assert [j.id for j in everything.items] == [birthday.id] and everything.has_more
    after = await manage.listed(boss, include_paused=True, before_id=birthday.id)
    assert [j.id for j in after.items] == [oil.id] and not after.has_more

    resumed = await manage.set_active(boss, oil.id, True)
    assert resumed.active and resumed.active_since > oil.active_since
    with pytest.raises(Conflict):
        await manage.set_active(boss, oil.id, False, expected_version=2)
