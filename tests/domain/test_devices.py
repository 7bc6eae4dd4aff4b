"""Members' devices: where push notifications go."""

from __future__ import annotations

import asyncio

import pytest

from loyalty import devices
from loyalty.actors import Actor
from loyalty.errors import InvalidInput, NotFound, PermissionDenied
from loyalty.models import Device
from tests import factories as f


async def test_registering_is_idempotent_and_a_member_may_have_several_phones() -> None:
    sara = Actor.member((await f.member()).id)
    first = await devices.register(sara, token="tok-phone", platform="android")
    again = await devices.register(sara, token="tok-phone", platform="android")
    assert again.id == first.id and again.last_seen_at >= first.last_seen_at
    await devices.register(sara, token="tok-tablet", platform="ios")
    assert {d.token for d in await devices.active_of(sara.id)} == {"tok-phone", "tok-tablet"}

    await devices.unregister(sara, token="tok-phone")
    assert [d.token for d in await devices.active_of(sara.id)] == ["tok-tablet"]
    with pytest.raises(NotFound):
        await devices.unregister(sara, token="tok-phone")
    # Signing in on that phone again sends there again.
    await devices.register(sara, token="tok-phone", platform="android")
    assert len(await devices.active_of(sara.id)) == 2


async def test_a_phone_passed_to_another_member_stops_getting_the_first_ones_messages() -> None:
    sara = Actor.member((await f.member("Sara")).id)
    reza = Actor.member((await f.member("Reza")).id)
    await devices.register(sara, token="shared", platform="android")
    await devices.register(reza, token="shared", platform="android")
    assert await devices.active_of(sara.id) == []
    assert [d.token for d in await devices.active_of(reza.id)] == ["shared"]
    # The old row stays: it is how the referral checks see a shared phone.
    assert await Device.filter(token="shared").count() == 2


async def test_bad_input_and_wrong_callers_are_refused() -> None:
    sara = Actor.member((await f.member()).id)
    for token, platform, field in [("", "android", "token"), ("t", "symbian", "platform")]:
        with pytest.raises(InvalidInput) as refused:
            await devices.register(sara, token=token, platform=platform)
        assert refused.value.field == field
    with pytest.raises(PermissionDenied):
        await devices.register(await f.staff_actor(), token="t", platform="ios")
    assert await Device.all().count() == 0


async def test_the_same_phone_registered_twice_at_once_makes_one_device() -> None:
    sara = Actor.member((await f.member()).id)
    made = await asyncio.gather(
        *(devices.register(sara, token="racing", platform="ios") for _ in range(4))
    )
    assert len({d.id for d in made}) == 1
    assert await Device.filter(token="racing").count() == 1


async def test_dead_tokens_are_forgotten_and_their_rows_kept() -> None:
    sara = Actor.member((await f.member("Sara")).id)
    reza = Actor.member((await f.member("Reza")).id)
    await devices.register(sara, token="alive", platform="android")
    await devices.register(sara, token="gone", platform="ios")
    await devices.register(reza, token="gone-too", platform="android")

    dead = ["gone", "gone-too", "gone", "never-registered"]
    assert await devices.forget_dead(dead) == 2
    assert [d.token for d in await devices.active_of(sara.id)] == ["alive"]
    assert await devices.active_of(reza.id) == []
    assert await Device.filter(active=False).count() == 2  # kept for the referral checks
    assert await devices.forget_dead(dead) == 0
    assert await devices.forget_dead([]) == 0
    with pytest.raises(TypeError):
        await devices.forget_dead("gone")


async def test_forgetting_many_dead_tokens_at_once() -> None:
    sara = Actor.member((await f.member()).id)
    for token in ("a", "b"):
        await devices.register(sara, token=token, platform="android")
    many = [f"unknown-{n}" for n in range(1_200)] + ["a", "b"]
    assert await devices.forget_dead(many) == 2
