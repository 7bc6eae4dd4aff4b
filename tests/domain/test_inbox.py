"""The member's inbox: kept once per message, paged newest first, read and unread."""

from __future__ import annotations

import asyncio

import pytest

from loyalty import inbox
from loyalty.actors import Actor
from loyalty.errors import InvalidInput, PermissionDenied
from loyalty.models import InboxMessage
from tests import factories as f


async def send(member_id: int, n: int, key: str | None = None):
    return await inbox.deliver(
        member_id,
        kind="tier_upgraded",
        title=f"Message {n}",
        body="به سطح طلایی خوش آمدید",
        dedupe_key=key or f"test:{member_id}:{n}",
        link="app://tier",
        data={"tier": "Gold"},
    )


async def test_a_message_is_delivered_once_however_often_it_is_sent() -> None:
    sara = await f.member()
    first, new = await send(sara.id, 1)
    again, new_again = await send(sara.id, 1)
    assert new and not new_again and again.id == first.id
    racing = await asyncio.gather(*(send(sara.id, 2) for _ in range(4)))
    assert sum(created for _, created in racing) == 1
    assert await InboxMessage.filter(member_id=sara.id).count() == 2


async def test_pages_newest_first_and_marking_read() -> None:
    sara, reza = await f.member("Sara"), await f.member("Reza")
    for n in range(5):
        await send(sara.id, n)
    await send(reza.id, 9)
    top = await inbox.page(sara.id, first=2)
    assert [m.title for m in top.items] == ["Message 4", "Message 3"] and top.has_more
    rest = await inbox.page(sara.id, first=10, before_id=top.items[-1].id)
    assert [m.title for m in rest.items] == ["Message 2", "Message 1", "Message 0"]
    assert not rest.has_more

    me = Actor.member(sara.id)
    assert await inbox.mark_read(me, ids=[top.items[0].id]) == 4
    unread = await inbox.page(sara.id, unread_only=True)
    assert [m.title for m in unread.items] == ["Message 3", "Message 2", "Message 1", "Message 0"]
    # Another member's message is not touched by Sara's marking.
    assert await inbox.mark_read(me) == 0
    assert await inbox.unread_count(reza.id) == 1


async def test_bad_input_and_wrong_callers_are_refused() -> None:
    sara = await f.member()
    with pytest.raises(InvalidInput) as refused:
        await inbox.deliver(sara.id, kind="x", title="", body="b", dedupe_key="k")
    assert refused.value.field == "title"
    with pytest.raises(InvalidInput):
        await inbox.mark_read(Actor.member(sara.id), ids=[])
    with pytest.raises(PermissionDenied):
        await inbox.mark_read(await f.staff_actor())
    assert await InboxMessage.all().count() == 0
