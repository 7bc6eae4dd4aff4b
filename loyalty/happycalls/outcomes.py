"""What came of a call, recorded once: each outcome is one domain call, idempotent by key, so
a console that lost its connection mid-call sends the same result again and nothing is lost
or counted twice.

The attempt row is written first: it claims the idempotency key, so of two sends of one result
one is stored and the other replays it. The call moves on by a conditional UPDATE on its
version, only while the operator holds it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta

from loyalty import consents, validation
from loyalty.actors import Actor
from loyalty.errors import Conflict, InvalidInput, PermissionDenied
from loyalty.happycalls import queue
from loyalty.idempotency import check_key, derived_key, request_hash, run_once
from loyalty.models import (
    Consent,
    HappyCall,
    HappyCallAttempt,
    HappyCallOutcome,
    HappyCallStatus,
    Member,
    Survey,
    SurveyChannel,
    SurveyResponse,
)
from loyalty.programme.policies import HappyCallPolicy
from loyalty.settings import get_settings
from loyalty.surveys.answers import MAX_TEXT, Answer, Given, checked, save_answers
from loyalty.surveys.definitions import questions_of

# A call back stays open this long after the time the member asked for.
CALL_BACK_WINDOW = timedelta(hours=2)
RETRIED = (HappyCallOutcome.NO_ANSWER, HappyCallOutcome.BUSY)
# Outcomes after which the member is not called again, about this purchase or any other.
FINAL_FOR_MEMBER = (HappyCallOutcome.WRONG_NUMBER, HappyCallOutcome.DO_NOT_CALL)


@dataclass(frozen=True, slots=True)
class Recorded:
    call: HappyCall
    attempt: HappyCallAttempt
    replayed: bool


def _next_state(
    call: HappyCall,
    outcome: HappyCallOutcome,
    call_back_at: datetime | None,
    policy: HappyCallPolicy,
    at: datetime,
) -> dict:
    """The call's columns after `outcome`."""
    attempts = call.attempts + 1
    requeued = {
        "status": HappyCallStatus.QUEUED,
        "claimed_by_id": None,
        "claimed_until": None,
        "attempts": attempts,
        "outcome": outcome,
    }
    finished = {
        "status": HappyCallStatus.DONE,
        "claimed_until": None,
        "attempts": attempts,
        "outcome": outcome,
        "finished_at": at,
    }
    match outcome:
        case HappyCallOutcome.NO_ANSWER | HappyCallOutcome.BUSY if attempts >= policy.max_attempts:
            return {**finished, "status": HappyCallStatus.EXPIRED}
        case HappyCallOutcome.NO_ANSWER:
            # Tried again at another hour of the day: people keep to routines.
            tried = [*call.tried_hours, at.astimezone(get_settings().zone).hour]
            later = at + timedelta(minutes=policy.retry_after_minutes)
            retry_at = queue.next_try(policy, later, tried)
            return {**requeued, "tried_hours": tried, "retry_at": retry_at}
        case HappyCallOutcome.BUSY:
            later = at + timedelta(minutes=policy.busy_retry_minutes)
            return {**requeued, "retry_at": queue.next_try(policy, later, [])}
        case HappyCallOutcome.CALL_BACK:
            assert call_back_at is not None
            due_by = max(call.due_by, call_back_at + CALL_BACK_WINDOW)
            return {**requeued, "retry_at": call_back_at, "due_by": due_by}
    return finished


def _outside_calling_hours(policy: HappyCallPolicy, call_back_at: datetime) -> InvalidInput:
    """Refused, not moved: the operator asks the member for a time the club calls at."""
    asked = call_back_at.astimezone(get_settings().zone).strftime("%H:%M")
    start, end = (f"{t:%H:%M}" for t in (policy.calling_hours_from, policy.calling_hours_until))
    return InvalidInput(
        f"callBackAt: {asked} is outside the club's calling hours ({start}-{end});"
        " ask the member for a time inside them",
        field="callBackAt",
    )


def _checked_input(
    outcome: HappyCallOutcome,
    survey: Survey,
    given: Sequence[Given],
    call_back_at: datetime | None,
    policy: HappyCallPolicy,
    at: datetime,
) -> list[Answer]:
    if outcome is HappyCallOutcome.CALL_BACK:
        if call_back_at is None:
            raise InvalidInput("callBackAt: when to call back is required", field="callBackAt")
        if call_back_at.tzinfo is None:
            raise InvalidInput("callBackAt needs a time zone", field="callBackAt")
        if call_back_at <= at:
            raise InvalidInput("callBackAt must be in the future", field="callBackAt")
        if not queue.calling(policy, call_back_at):
            raise _outside_calling_hours(policy, call_back_at)
    elif call_back_at is not None:
        raise InvalidInput("callBackAt is only for CALL_BACK", field="callBackAt")
    if outcome is HappyCallOutcome.COMPLETED:
        return checked(questions_of(survey.questions), list(given))
    if given:
        raise InvalidInput("answers: only a COMPLETED call has answers", field="answers")
    return []


async def _respond(
    call: HappyCall,
    survey: Survey,
    actor: Actor,
    stored: list[Answer],
    comment: str,
    digest: str,
    at: datetime,
) -> SurveyResponse:
    """The script's answers, as a CALL survey response by this operator."""
    response = await SurveyResponse.create(
        survey_id=survey.id,
        survey_version=survey.version,
        channel=SurveyChannel.CALL,
        member_id=call.member_id,  # type: ignore[attr-defined]
        branch_id=call.branch_id,  # type: ignore[attr-defined]
        purchase_id=call.purchase_id,  # type: ignore[attr-defined]
        staff_id=actor.staff_id,
        comment=comment,
        idempotency_key=derived_key("happy-call", call.id),
        request_hash=digest,
        answered_at=at,
    )
    await save_answers(response, stored)
    return response


async def _member_side(
    actor: Actor, call: HappyCall, outcome: HappyCallOutcome, at: datetime
) -> None:
    """A wrong number or a member who asks not to be called: no call to them is left open."""
    member_id = call.member_id  # type: ignore[attr-defined]
    if outcome is HappyCallOutcome.DO_NOT_CALL:
        await consents.change(actor, await Member.get(id=member_id), {Consent.CALLS: False})
    else:
        await Member.filter(id=member_id, wrong_phone_at__isnull=True).update(wrong_phone_at=at)
    await (
        HappyCall.filter(member_id=member_id, status__in=queue.OPEN)
        .exclude(id=call.id)
        .update(status=HappyCallStatus.CANCELLED, claimed_until=None, finished_at=at)
    )


def _refusal(call: HappyCall) -> Conflict:
    if call.status not in queue.OPEN:
        return Conflict(f"this call is {call.status.value} already")
    return Conflict("this call is held by another operator: claim a call first")


async def record(
    actor: Actor,
    *,
    call_id: int,
    outcome: HappyCallOutcome,
    idempotency_key: str,
    answers: Sequence[Given] = (),
    comment: str = "",
    call_back_at: datetime | None = None,
    at: datetime | None = None,
) -> Recorded:
    """Record what came of the call the operator holds (or held, if nobody took it since)."""
    call = await queue.get(actor, call_id)
    staff_id = actor.staff_id
    if staff_id is None:
        raise PermissionDenied("calls are made by operators")
    key = check_key(idempotency_key)
    now = at or datetime.now(UTC)
    comment = validation.text(comment, field="comment", max_length=MAX_TEXT)
    survey = await Survey.get(id=call.survey_id)  # type: ignore[attr-defined]
    digest = request_hash(
        {
            "op": "happy_call_outcome",
            "call": call.id,
            "outcome": outcome.value,
            "answers": [asdict(a) for a in answers],
            "comment": comment,
            "call_back_at": call_back_at,
        }
    )

    async def write() -> HappyCallAttempt:
        policy = await queue.current_policy()
        stored = _checked_input(outcome, survey, answers, call_back_at, policy, now)
        attempt = await HappyCallAttempt.create(
            call_id=call.id,
            staff_id=staff_id,
            member_id=call.member_id,  # type: ignore[attr-defined]
            outcome=outcome,
            comment=comment,
            call_back_at=call_back_at,
            idempotency_key=key,
            request_hash=digest,
            at=now,
        )
        current = await HappyCall.get(id=call.id)
        state = _next_state(current, outcome, call_back_at, policy, now)
        if current.claimed_by_id != staff_id or not await HappyCall.filter(  # type: ignore[attr-defined]
            id=current.id, version=current.version, status__in=queue.OPEN
        ).update(**state, version=current.version + 1):
            raise _refusal(current)
        if outcome is HappyCallOutcome.COMPLETED:
            response = await _respond(current, survey, actor, stored, comment, digest, now)
            await HappyCallAttempt.filter(id=attempt.id).update(response_id=response.id)
            attempt.response_id = response.id  # type: ignore[attr-defined]
        if outcome in FINAL_FOR_MEMBER:
            await _member_side(actor, current, outcome, now)
        return attempt

    attempt, replayed = await run_once(
        digest, lambda: HappyCallAttempt.get_or_none(idempotency_key=key), write
    )
    return Recorded(await HappyCall.get(id=call.id), attempt, replayed)
