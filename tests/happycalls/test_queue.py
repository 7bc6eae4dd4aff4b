"""Filling the queue from purchases by the rules, and claiming calls from it."""

from __future__ import annotations

import asyncio
from datetime import time, timedelta

from loyalty.actors import Actor
from loyalty.happycalls import queue, rules
from loyalty.models import (
    HappyCall,
    HappyCallOutcome,
    HappyCallStatus,
    HappyCallTrigger,
    Member,
    Role,
)
from loyalty.surveys import answers, offers
from loyalty.surveys.answers import Given
from tests import factories as f
from tests.happycalls.conftest import BASE, BOUGHT, Club, claim, record


async def queued() -> list[tuple[int, HappyCallTrigger]]:
    calls = await HappyCall.all().order_by("purchase_id")
    return [(c.purchase_id, c.trigger) for c in calls]  # type: ignore[attr-defined]


async def test_first_purchases_are_queued_once_due_within_the_deadline(club: Club) -> None:
    await club.rule("first_purchase", deadline_hours=24, priority=5)
    first = await club.buy(club.sara)
    await club.buy(club.reza, at=BOUGHT - timedelta(days=3))  # Reza's first: too old
    second_of_reza = await club.buy(club.reza)
    run = await queue.fill(BASE)
    assert run.queued == 1
    [call] = await HappyCall.all()
    assert (call.purchase_id, call.member_id, call.branch_id) == (first, club.sara, club.tehran)  # type: ignore[attr-defined]
    assert (call.status, call.priority, call.due_by) == (
        HappyCallStatus.QUEUED,
        5,
        BOUGHT + timedelta(hours=24),
    )
    assert second_of_reza not in [c[0] for c in await queued()]
    # Run again: nothing more.
    assert (await queue.fill(BASE + timedelta(minutes=5))).queued == 0
    assert await HappyCall.all().count() == 1


async def test_amounts_at_least_and_branches(club: Club) -> None:
    await club.rule("amount_at_least", min_amount=5_000_000, branch_ids=[club.isfahan])
    small = await club.buy(club.sara, branch=club.isfahan, amount=4_999_999)
    elsewhere = await club.buy(club.reza, amount=9_000_000)  # Tehran
    big = await club.buy(club.reza, branch=club.isfahan, amount=5_000_000)
    await queue.fill(BASE)
    assert await queued() == [(big, HappyCallTrigger.AMOUNT_AT_LEAST)]
    assert small not in (elsewhere, big)


async def test_a_sample_is_the_same_on_every_run(club: Club) -> None:
    await club.rule("sample", sample_percent=50)
    members = [(await f.member(f"M{n}")).id for n in range(30)]
    bought = [await club.buy(m) for m in members]
    await queue.fill(BASE)
    expected = [p for p in bought if rules.sampled(p, 50)]
    assert 0 < len(expected) < len(bought)
    assert [p for p, _ in await queued()] == expected
    await queue.fill(BASE + timedelta(minutes=5))
    assert [p for p, _ in await queued()] == expected


async def test_low_in_app_survey_scores_are_queued_from_the_answer(club: Club) -> None:
    await club.rule("low_survey_score", max_score=5, deadline_hours=12)
    low = await club.buy(club.sara)
    high = await club.buy(club.reza)
    answered_at = BASE - timedelta(minutes=30)
    for member, choice in ((club.sara, 1), (club.reza, 3)):  # scores 2 and 4 of 4: 5.0 and 10.0
        [offered] = await offers.pending(Actor.member(member), at=answered_at)
        await answers.answer(
            Actor.member(member),
            invitation_id=offered.invitation.id,
            answers=[Given("service", choice=choice)],
            idempotency_key=f.key(),
            at=answered_at,
        )
    await queue.fill(BASE)
    assert await queued() == [(low, HappyCallTrigger.LOW_SURVEY_SCORE)]
    [call] = await HappyCall.all()
    assert call.due_by == answered_at + timedelta(hours=12)
    assert high != low


async def test_the_highest_priority_rule_takes_a_purchase(club: Club) -> None:
    await club.rule("sample", sample_percent=100, priority=1)
    await club.rule("first_purchase", priority=9)
    await club.buy(club.sara)
    await queue.fill(BASE)
    [call] = await HappyCall.all()
    assert (call.trigger, call.priority) == (HappyCallTrigger.FIRST_PURCHASE, 9)


async def test_opted_out_wrong_numbers_and_recently_queued_members_are_skipped(
    club: Club,
) -> None:
    await club.rule("sample", sample_percent=100)
    nima, leila = await f.member("Nima"), await f.member("Leila")
    await Member.filter(id=nima.id).update(calls_consent=False)
    await Member.filter(id=leila.id).update(wrong_phone_at=BASE)
    for member in (club.sara, club.reza, nima.id, leila.id):
        await club.buy(member)
    await club.buy(club.sara)  # one call per member
    assert (await queue.fill(BASE)).queued == 2
    assert sorted(c.member_id for c in await HappyCall.all()) == [club.sara, club.reza]  # type: ignore[attr-defined]
    # Sara buys again: queued in the last 30 days, she is not queued again...
    await club.buy(club.sara, at=BASE + timedelta(hours=1))
    assert (await queue.fill(BASE + timedelta(hours=2))).queued == 0
    # ...until the policy's recent days are past.
    later = BASE + timedelta(days=3)
    await club.buy(club.sara, at=later - timedelta(hours=1))
    await club.policy(recent_call_days=2)
    assert (await queue.fill(later)).queued == 1


async def test_refunded_purchases_and_members_without_a_card_are_not_queued(club: Club) -> None:
    from loyalty import purchases

    await club.rule("sample", sample_percent=100)
    key = f.key()
    await purchases.record(
        club.cashier,
        branch_id=club.tehran,
        amount=10_000,
        receipt_number=key,
        idempotency_key=key,
        occurred_at=BOUGHT,
    )
    assert (await queue.fill(BASE)).queued == 0


async def test_late_calls_expire_and_lapsed_claims_go_back(club: Club) -> None:
    await club.rule("sample", sample_percent=100, deadline_hours=2)
    await club.buy(club.sara)
    await club.buy(club.reza)
    await queue.fill(BASE)
    held = await claim(club.ali)
    assert held is not None and held.claimed_until == BASE + timedelta(minutes=15)
    run = await queue.fill(BASE + timedelta(minutes=20))
    assert (run.expired, run.released) == (0, 1)
    back = await HappyCall.get(id=held.id)
    assert (back.status, back.claimed_until) == (HappyCallStatus.QUEUED, None)
    run = await queue.fill(BOUGHT + timedelta(hours=2))
    assert run.expired == 2
    assert {c.status for c in await HappyCall.all()} == {HappyCallStatus.EXPIRED}
    assert await claim(club.mina, BOUGHT + timedelta(hours=2)) is None


async def test_claims_go_by_priority_then_deadline(club: Club) -> None:
    await club.rule("amount_at_least", min_amount=5_000_000, priority=9, deadline_hours=72)
    await club.rule("sample", sample_percent=100, priority=1, deadline_hours=24)
    members = [(await f.member(f"M{n}")).id for n in range(3)]
    soon = await club.buy(members[0], at=BOUGHT - timedelta(hours=2))
    later = await club.buy(members[1])
    big = await club.buy(members[2], amount=9_000_000)
    await queue.fill(BASE)
    order = []
    for operator in (club.ali, club.mina, club.supervisor):
        call = await claim(operator)
        assert call is not None
        order.append(call.purchase_id)  # type: ignore[attr-defined]
    assert order == [big, soon, later]
    assert await claim(club.boss) is None


async def test_an_operator_holding_a_call_gets_it_back(club: Club) -> None:
    await club.rule("sample", sample_percent=100)
    await club.buy(club.sara)
    await club.buy(club.reza)
    await queue.fill(BASE)
    first = await claim(club.ali)
    again = await claim(club.ali, BASE + timedelta(minutes=10))
    assert first is not None and again is not None and again.id == first.id
    assert again.claimed_until == BASE + timedelta(minutes=25)
    # Given back, anyone may take it; Ali is handed the next call.
    await queue.release(club.ali, first.id)
    other = await claim(club.mina, BASE + timedelta(minutes=11))
    assert other is not None and other.id == first.id


async def test_a_lapsed_claim_is_handed_to_the_next_operator(club: Club) -> None:
    await club.rule("sample", sample_percent=100)
    await club.buy(club.sara)
    await queue.fill(BASE)
    held = await claim(club.ali)
    assert held is not None
    assert await claim(club.mina, BASE + timedelta(minutes=14)) is None
    taken = await claim(club.mina, BASE + timedelta(minutes=15))
    assert taken is not None and taken.id == held.id
    assert taken.claimed_by_id == club.mina.id  # type: ignore[attr-defined]


async def test_calls_are_handed_out_in_calling_hours_only(club: Club) -> None:
    await club.policy(calling_hours_from="09:00:00", calling_hours_until="21:00:00")
    await club.rule("sample", sample_percent=100)
    await club.buy(club.sara)
    await queue.fill(BASE)
    evening = BASE + timedelta(hours=11)  # 21:00
    assert await claim(club.ali, evening) is None
    assert await claim(club.ali, evening - timedelta(minutes=1)) is not None
    policy = await queue.current_policy()
    assert (policy.calling_hours_from, policy.calling_hours_until) == (time(9), time(21))


async def test_many_operators_claiming_at_once_never_share_a_call(club: Club) -> None:
    await club.rule("sample", sample_percent=100)
    for n in range(6):
        await club.buy((await f.member(f"M{n}")).id)
    await queue.fill(BASE)
    operators = [await f.staff_actor(Role.OPERATOR) for _ in range(10)]
    claimed = await asyncio.gather(*(claim(o) for o in operators))
    got = [c.id for c in claimed if c is not None]
    assert len(got) == 6 == len(set(got))
    holders = {c.id: c.claimed_by_id for c in await HappyCall.all()}  # type: ignore[attr-defined]
    assert sorted(holders.values()) == sorted(
        o.id for o, c in zip(operators, claimed, strict=True) if c is not None
    )


async def test_only_call_centre_staff_claim_calls(club: Club) -> None:
    import pytest

    from loyalty.errors import DomainError, ErrorCode

    for actor in (club.cashier, Actor.member(club.sara)):
        with pytest.raises(DomainError) as excinfo:
            await claim(actor)
        assert excinfo.value.code is ErrorCode.PERMISSION_DENIED
    with pytest.raises(DomainError) as excinfo:
        await queue.claim_next(club.ali, idempotency_key="not a key!")
    assert excinfo.value.code is ErrorCode.INVALID_INPUT


async def test_a_call_back_is_not_handed_out_before_its_time(club: Club) -> None:
    await club.rule("sample", sample_percent=100)
    await club.buy(club.sara)
    await queue.fill(BASE)
    call = await claim(club.ali)
    assert call is not None
    at = BASE + timedelta(hours=3)
    await record(club.ali, call, HappyCallOutcome.CALL_BACK, call_back_at=at)
    assert await claim(club.mina, at - timedelta(minutes=1)) is None
    again = await claim(club.mina, at)
    assert again is not None and again.id == call.id


async def test_the_scheduled_job_fills_the_queue_every_five_minutes(club: Club) -> None:
    from jobs import tasks
    from jobs.schedule import SCHEDULE

    [scheduled] = [s for s in SCHEDULE if s.name == "fill_happy_calls"]
    assert scheduled.next_after(BASE) - BASE <= timedelta(minutes=5)
    assert not scheduled.needs_redis  # the in-process runner runs it too
    await club.rule("sample", sample_percent=100, deadline_hours=24 * 30)
    await club.buy(club.sara)
    assert await tasks.fill_happy_calls({}) == {"queued": 1, "expired": 0, "released": 0}
    assert await tasks.fill_happy_calls({}) == {"queued": 0, "expired": 0, "released": 0}
