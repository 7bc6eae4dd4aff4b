"""What came of a call: each outcome moves the call on once, and a resent result is a replay."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from loyalty import clock
from loyalty.errors import DomainError, ErrorCode
from loyalty.happycalls import queue
from loyalty.models import (
    Consent,
    ConsentChange,
    ConsentChannel,
    HappyCall,
    HappyCallAttempt,
    HappyCallOutcome,
    HappyCallStatus,
    Member,
    SurveyAnswer,
    SurveyChannel,
    SurveyResponse,
)
from loyalty.surveys.answers import Given
from tests import factories as f
from tests.happycalls.conftest import ANSWERS, BASE, Club, claim, record

Outcome = HappyCallOutcome


@pytest.fixture
async def call(club: Club) -> HappyCall:
    """A call to Sara about her purchase, claimed by Ali."""
    await club.rule("sample", sample_percent=100, deadline_hours=72)
    await club.buy(club.sara)
    await queue.fill(BASE)
    claimed = await claim(club.ali)
    assert claimed is not None
    return claimed


async def refused(code: ErrorCode, coroutine) -> DomainError:
    """The refusal, proving nothing was written."""
    before = (await HappyCallAttempt.all().count(), await SurveyResponse.all().count())
    with pytest.raises(DomainError) as excinfo:
        await coroutine
    assert excinfo.value.code is code, excinfo.value.message
    assert (await HappyCallAttempt.all().count(), await SurveyResponse.all().count()) == before
    return excinfo.value


async def test_a_completed_call_keeps_the_answers_as_a_call_survey_response(
    club: Club, call: HappyCall
) -> None:
    done = await record(club.ali, call, Outcome.COMPLETED, answers=ANSWERS, comment="راضی بود")
    assert (done.call.status, done.call.outcome, done.call.attempts) == (
        HappyCallStatus.DONE,
        Outcome.COMPLETED,
        1,
    )
    assert done.call.finished_at == BASE and not done.replayed
    response = await SurveyResponse.get(id=done.attempt.response_id)  # type: ignore[attr-defined]
    assert (response.channel, response.staff_id, response.member_id) == (  # type: ignore[attr-defined]
        SurveyChannel.CALL,
        club.ali.id,
        club.sara,
    )
    assert (response.purchase_id, response.branch_id, response.comment) == (  # type: ignore[attr-defined]
        call.purchase_id,  # type: ignore[attr-defined]
        club.tehran,
        "راضی بود",
    )
    stored = await SurveyAnswer.filter(response_id=response.id).order_by("id")
    assert [(a.question, a.choice, a.score) for a in stored] == [
        ("nps", None, 9),
        ("again", None, 1),
        ("staff", 2, 100),
    ]
    # Done: nobody is handed it again.
    assert await claim(club.mina) is None


async def test_a_completed_call_needs_the_required_answers_and_others_take_none(
    club: Club, call: HappyCall
) -> None:
    error = await refused(
        ErrorCode.INVALID_INPUT,
        record(club.ali, call, Outcome.COMPLETED, answers=[Given("nps", rating=9)]),
    )
    assert error.field == "answers"  # type: ignore[attr-defined]
    await refused(
        ErrorCode.INVALID_INPUT,
        record(club.ali, call, Outcome.COMPLETED, answers=[*ANSWERS[:2], Given("staff", choice=3)]),
    )
    error = await refused(
        ErrorCode.INVALID_INPUT, record(club.ali, call, Outcome.BUSY, answers=ANSWERS)
    )
    assert error.field == "answers"  # type: ignore[attr-defined]
    assert (await HappyCall.get(id=call.id)).status is HappyCallStatus.CLAIMED


async def test_no_answer_is_tried_again_at_other_hours_then_expires(
    club: Club, call: HappyCall
) -> None:
    await club.policy(retry_after_minutes=24 * 60)  # the same hour next day, but for the rule
    zone = clock.get_settings().zone
    first = await record(club.ali, call, Outcome.NO_ANSWER)
    retry = first.call.retry_at
    assert first.call.status is HappyCallStatus.QUEUED and first.call.claimed_by_id is None  # type: ignore[attr-defined]
    assert first.call.tried_hours == [10]
    # A day later than 10:00, but at 11:00: 10:00 was tried.
    assert retry == BASE + timedelta(days=1, hours=1)
    assert retry.astimezone(zone).hour == 11
    again = await claim(club.mina, retry)
    assert again is not None and again.id == call.id
    second = await record(club.mina, again, Outcome.NO_ANSWER, at=retry)
    assert second.call.tried_hours == [10, 11]
    assert second.call.retry_at == BASE + timedelta(days=2, hours=2)  # 12:00
    third = await claim(club.ali, second.call.retry_at)
    assert third is not None
    last = await record(club.ali, third, Outcome.NO_ANSWER, at=second.call.retry_at)
    assert (last.call.status, last.call.attempts) == (HappyCallStatus.EXPIRED, 3)
    assert await HappyCallAttempt.filter(call_id=call.id).count() == 3


async def test_the_default_retry_comes_two_hours_later(club: Club, call: HappyCall) -> None:
    done = await record(club.ali, call, Outcome.NO_ANSWER)
    assert done.call.retry_at == BASE + timedelta(hours=2)
    assert await claim(club.mina, BASE + timedelta(hours=1)) is None


async def test_busy_is_tried_again_soon_and_counts_as_a_try(club: Club, call: HappyCall) -> None:
    await club.policy(max_attempts=2)
    done = await record(club.ali, call, Outcome.BUSY)
    assert (done.call.status, done.call.attempts) == (HappyCallStatus.QUEUED, 1)
    assert done.call.retry_at == BASE + timedelta(minutes=15)
    again = await claim(club.ali, BASE + timedelta(minutes=15))
    assert again is not None
    last = await record(club.ali, again, Outcome.BUSY, at=BASE + timedelta(minutes=16))
    assert last.call.status is HappyCallStatus.EXPIRED


async def test_a_call_back_is_requeued_for_the_time_asked(club: Club, call: HappyCall) -> None:
    at = BASE + timedelta(days=4)  # past the rule's deadline: the call waits for it
    done = await record(club.ali, call, Outcome.CALL_BACK, call_back_at=at)
    assert (done.call.status, done.call.retry_at) == (HappyCallStatus.QUEUED, at)
    assert done.call.due_by == at + timedelta(hours=2)
    for wrong in (None, BASE - timedelta(minutes=1), at.replace(tzinfo=None)):
        other = await claim(club.mina, at)
        assert other is not None
        error = await refused(
            ErrorCode.INVALID_INPUT,
            record(club.mina, other, Outcome.CALL_BACK, at=at, call_back_at=wrong),
        )
        assert error.field == "callBackAt"  # type: ignore[attr-defined]
    await refused(
        ErrorCode.INVALID_INPUT,
        record(club.mina, other, Outcome.BUSY, at=at, call_back_at=at + timedelta(hours=1)),
    )


async def test_a_wrong_number_is_never_called_again(club: Club, call: HappyCall) -> None:
    await club.buy(club.sara, branch=club.isfahan, at=BASE + timedelta(hours=1))
    await club.policy(recent_call_days=0)
    await queue.fill(BASE + timedelta(hours=2))
    assert await HappyCall.filter(member_id=club.sara).count() == 2
    done = await record(club.ali, call, Outcome.WRONG_NUMBER, at=BASE + timedelta(hours=3))
    assert (done.call.status, done.call.outcome) == (HappyCallStatus.DONE, Outcome.WRONG_NUMBER)
    assert (await Member.get(id=club.sara)).wrong_phone_at == BASE + timedelta(hours=3)
    statuses = {c.status for c in await HappyCall.filter(member_id=club.sara).exclude(id=call.id)}
    assert statuses == {HappyCallStatus.CANCELLED}
    await club.buy(club.sara, at=BASE + timedelta(days=1))
    assert (await queue.fill(BASE + timedelta(days=1, hours=1))).queued == 0


async def test_do_not_call_withdraws_the_calls_consent_for_good(
    club: Club, call: HappyCall
) -> None:
    done = await record(club.ali, call, Outcome.DO_NOT_CALL)
    assert (done.call.status, done.call.outcome) == (HappyCallStatus.DONE, Outcome.DO_NOT_CALL)
    assert not (await Member.get(id=club.sara)).calls_consent
    [change] = await ConsentChange.filter(member_id=club.sara, consent=Consent.CALLS)
    assert (change.granted, change.changed_by, change.staff_id, change.channel) == (  # type: ignore[attr-defined]
        False,
        "staff",
        club.ali.id,
        ConsentChannel.CONSOLE,
    )
    await club.policy(recent_call_days=0)
    await club.buy(club.sara, at=BASE + timedelta(days=1))
    assert (await queue.fill(BASE + timedelta(days=1, hours=1))).queued == 0


async def test_the_same_result_sent_again_is_a_replay(club: Club, call: HappyCall) -> None:
    key = f.key()
    first = await record(club.ali, call, Outcome.COMPLETED, answers=ANSWERS, key=key)
    again = await record(club.ali, call, Outcome.COMPLETED, answers=ANSWERS, key=key)
    assert (again.replayed, again.attempt.id, again.call.status) == (
        True,
        first.attempt.id,
        HappyCallStatus.DONE,
    )
    assert await SurveyResponse.all().count() == 1
    error = await refused(
        ErrorCode.IDEMPOTENCY_CONFLICT, record(club.ali, call, Outcome.BUSY, key=key)
    )
    assert "different request" in error.message


async def test_a_result_resent_after_the_call_moved_on_is_still_a_replay(
    club: Club, call: HappyCall
) -> None:
    key = f.key()
    await record(club.ali, call, Outcome.NO_ANSWER, key=key)
    again = await record(club.ali, call, Outcome.NO_ANSWER, key=key, at=BASE + timedelta(hours=1))
    assert again.replayed and again.call.attempts == 1


async def test_two_sends_of_one_result_at_once_store_it_once(club: Club, call: HappyCall) -> None:
    key = f.key()
    results = await asyncio.gather(
        *(record(club.ali, call, Outcome.COMPLETED, answers=ANSWERS, key=key) for _ in range(4))
    )
    assert sorted(r.replayed for r in results) == [False, True, True, True]
    assert await HappyCallAttempt.all().count() == 1
    assert await SurveyResponse.all().count() == 1


async def test_only_the_operator_holding_the_call_records_it(club: Club, call: HappyCall) -> None:
    await refused(
        ErrorCode.ALREADY_EXISTS, record(club.mina, call, Outcome.COMPLETED, answers=ANSWERS)
    )
    await refused(ErrorCode.PERMISSION_DENIED, record(club.cashier, call, Outcome.BUSY))
    await record(club.ali, call, Outcome.COMPLETED, answers=ANSWERS)
    error = await refused(ErrorCode.ALREADY_EXISTS, record(club.ali, call, Outcome.BUSY))
    assert "done already" in error.message
    with pytest.raises(DomainError) as excinfo:
        await queue.release(club.ali, call.id)
    assert excinfo.value.code is ErrorCode.ALREADY_EXISTS


async def test_a_lapsed_claim_still_counts_if_nobody_took_the_call(
    club: Club, call: HappyCall
) -> None:
    await queue.fill(BASE + timedelta(minutes=20))  # the claim lapsed: back in the queue
    late = BASE + timedelta(minutes=25)
    done = await record(club.ali, call, Outcome.COMPLETED, answers=ANSWERS, at=late)
    assert done.call.status is HappyCallStatus.DONE


async def test_a_lapsed_claim_taken_by_another_operator_is_theirs(
    club: Club, call: HappyCall
) -> None:
    taken = await claim(club.mina, BASE + timedelta(minutes=16))
    assert taken is not None and taken.id == call.id
    await refused(
        ErrorCode.ALREADY_EXISTS,
        record(club.ali, call, Outcome.BUSY, at=BASE + timedelta(minutes=17)),
    )


async def test_a_call_back_outside_calling_hours_is_refused_not_moved(
    club: Club, call: HappyCall
) -> None:
    await club.policy(calling_hours_from="09:00:00", calling_hours_until="21:00:00")
    evening = BASE + timedelta(hours=12)  # 22:00 in the club's zone
    error = await refused(
        ErrorCode.INVALID_INPUT,
        record(club.ali, call, Outcome.CALL_BACK, call_back_at=evening),
    )
    assert error.field == "callBackAt"  # type: ignore[attr-defined]
    assert "22:00 is outside the club's calling hours (09:00-21:00)" in error.message
    assert (await HappyCall.get(id=call.id)).status is HappyCallStatus.CLAIMED
    last_minute = evening - timedelta(hours=1, minutes=1)  # 20:59
    done = await record(club.ali, call, Outcome.CALL_BACK, call_back_at=last_minute)
    assert done.call.retry_at == last_minute
