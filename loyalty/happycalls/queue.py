"""The happy-call queue: filled by a job from recent purchases, worked by operators.

A purchase is queued at most once (the call's purchase is unique), by the first active rule
that takes it, highest priority first. Members who asked not to be called, whose number is
wrong, or who were queued within the policy's `recent_call_days` are left out.

Claiming is a conditional UPDATE on the call's version: of two operators reaching for the same
call one wins and the other moves on to the next, on SQLite and PostgreSQL alike. A claim
lapses after the policy's `claim_minutes`; the call goes back to the queue.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from statistics import fmean

from tortoise.exceptions import IntegrityError
from tortoise.expressions import F, Q
from tortoise.functions import Min
from tortoise.transactions import in_transaction

from loyalty import clock
from loyalty.actors import Actor
from loyalty.errors import Conflict, NotFound, PermissionDenied
from loyalty.happycalls import SUPERVISORS, WORKERS
from loyalty.happycalls.rules import sampled
from loyalty.idempotency import check_key
from loyalty.models import (
    HappyCall,
    HappyCallRule,
    HappyCallStatus,
    HappyCallTrigger,
    Member,
    Purchase,
    Survey,
    SurveyAnswer,
    SurveyChannel,
    SurveyResponse,
)
from loyalty.programme import policies, snapshot
from loyalty.programme.policies import HappyCallPolicy
from loyalty.settings import get_settings
from loyalty.surveys.definitions import questions_of
from loyalty.surveys.results import on_ten

OPEN = (HappyCallStatus.QUEUED, HappyCallStatus.CLAIMED)
# Purchases read at a time while filling.
BATCH = 500
# Calls looked at per round of claiming; rounds before giving up when others keep winning.
CANDIDATES = 5
ROUNDS = 20


async def current_policy() -> HappyCallPolicy:
    return (await snapshot.current()).happy_call_policy  # type: ignore[return-value]


async def policy(actor: Actor) -> tuple[HappyCallPolicy, int]:
    """The policy and its version (managers and supervisors)."""
    actor.require_staff(*SUPERVISORS)
    return await policies.load("happy_calls")  # type: ignore[return-value]


def calling(policy: HappyCallPolicy, at: datetime) -> bool:
    """Whether `at` is inside the club's calling hours (equal bounds: any time)."""
    start, end = policy.calling_hours_from, policy.calling_hours_until
    return start == end or clock.within_hours(at, start, end)


def next_try(policy: HappyCallPolicy, earliest: datetime, tried_hours: list[int]) -> datetime:
    """The first moment from `earliest` inside calling hours and in a local hour not tried yet
    (any hour inside calling hours, once every one was tried)."""
    zone = get_settings().zone
    first_calling = None
    moment = earliest
    for _ in range(24 * 7):
        if calling(policy, moment):
            if moment.astimezone(zone).hour not in tried_hours:
                return moment
            first_calling = first_calling or moment
        local = moment.astimezone(zone).replace(minute=0, second=0, microsecond=0)
        moment = (local + timedelta(hours=1)).astimezone(UTC)
    return first_calling or earliest


# --- filling ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FillRun:
    queued: int
    expired: int
    released: int


async def _survey_averages(purchase_ids: list[int]) -> dict[int, tuple[float, datetime]]:
    """Each purchase's in-app survey answers, averaged on the 0-10 scale, and when given."""
    responses = {
        r.id: r
        for r in await SurveyResponse.filter(
            purchase_id__in=purchase_ids, channel=SurveyChannel.APP
        )
    }
    if not responses:
        return {}
    surveys = {
        s.id: {q.code: q for q in questions_of(s.questions)}
        for s in await Survey.filter(id__in={r.survey_id for r in responses.values()})  # type: ignore[attr-defined]
    }
    marks: dict[int, list[float]] = defaultdict(list)
    for response_id, code, score in await SurveyAnswer.filter(
        response_id__in=list(responses), score__isnull=False
    ).values_list("response_id", "question", "score"):
        question = surveys[responses[response_id].survey_id].get(code)  # type: ignore[attr-defined]
        if question is not None:
            marks[response_id].append(on_ten(question, score))
    return {
        r.purchase_id: (fmean(marks[r.id]), r.answered_at)  # type: ignore[attr-defined]
        for r in responses.values()
        if marks[r.id]
    }


async def _first_purchases(purchases: list[Purchase]) -> set[int]:
    """Those of `purchases` that are their member's first."""
    member_ids = {p.member_id for p in purchases}  # type: ignore[attr-defined]
    firsts = (
        await Purchase.filter(member_id__in=member_ids)
        .annotate(first=Min("id"))
        .group_by("member_id")
        .values_list("first", flat=True)
    )
    return set(firsts)


@dataclass(frozen=True, slots=True)
class _Batch:
    """What the rules need to know of a batch of purchases."""

    firsts: set[int]
    averages: dict[int, tuple[float, datetime]]

    @classmethod
    async def of(cls, purchases: list[Purchase], rules: list[HappyCallRule]) -> _Batch:
        triggers = {r.trigger for r in rules}
        ids = [p.id for p in purchases]
        return cls(
            firsts=(
                await _first_purchases(purchases)
                if HappyCallTrigger.FIRST_PURCHASE in triggers
                else set()
            ),
            averages=(
                await _survey_averages(ids) if HappyCallTrigger.LOW_SURVEY_SCORE in triggers else {}
            ),
        )

    def since(self, rule: HappyCallRule, purchase: Purchase) -> datetime | None:
        """When `rule` took `purchase` (its deadline runs from then), or None if it does not."""
        if rule.branch_ids and purchase.branch_id not in rule.branch_ids:  # type: ignore[attr-defined]
            return None
        match rule.trigger:
            case HappyCallTrigger.SAMPLE:
                taken = sampled(purchase.id, rule.sample_percent or 0)
            case HappyCallTrigger.FIRST_PURCHASE:
                taken = purchase.id in self.firsts
            case HappyCallTrigger.AMOUNT_AT_LEAST:
                taken = purchase.amount >= (rule.min_amount or 0)
            case HappyCallTrigger.LOW_SURVEY_SCORE:
                average, answered_at = self.averages.get(purchase.id, (None, None))
                if average is None or average > (rule.max_score or 0):
                    return None
                return answered_at
        return purchase.occurred_at if taken else None


async def _callable_members(
    member_ids: set[int], policy: HappyCallPolicy, at: datetime
) -> set[int]:
    """Of `member_ids`, those who may be called: not opted out, number not wrong, not queued
    within `recent_call_days`."""
    allowed = set(
        await Member.filter(
            id__in=member_ids, calls_consent=True, wrong_phone_at__isnull=True
        ).values_list("id", flat=True)
    )
    recent = await HappyCall.filter(
        member_id__in=allowed, queued_at__gt=at - timedelta(days=policy.recent_call_days)
    ).values_list("member_id", flat=True)
    return allowed - set(recent)


async def _queue_batch(
    purchases: list[Purchase], rules: list[HappyCallRule], policy: HappyCallPolicy, at: datetime
) -> int:
    batch = await _Batch.of(purchases, rules)
    members = await _callable_members({p.member_id for p in purchases}, policy, at)  # type: ignore[attr-defined]
    queued = 0
    for purchase in purchases:
        member_id = purchase.member_id  # type: ignore[attr-defined]
        if member_id not in members or purchase.refunded_amount >= purchase.amount:
            continue
        for rule in rules:
            since = batch.since(rule, purchase)
            if since is None:
                continue
            due_by = since + timedelta(hours=rule.deadline_hours)
            if due_by <= at:
                break
            try:
                async with in_transaction():  # a savepoint inside a caller's transaction
                    await HappyCall.create(
                        rule_id=rule.id,
                        survey_id=rule.survey_id,  # type: ignore[attr-defined]
                        member_id=member_id,
                        purchase_id=purchase.id,
                        branch_id=purchase.branch_id,  # type: ignore[attr-defined]
                        trigger=rule.trigger,
                        priority=rule.priority,
                        due_by=due_by,
                        queued_at=at,
                    )
            except IntegrityError:
                break  # queued a moment ago by a run alongside
            members.discard(member_id)  # one call per member
            queued += 1
            break
    return queued


async def _expire_and_release(at: datetime) -> tuple[int, int]:
    """Open calls past their deadline expire; lapsed claims go back to the queue (keeping who
    held them, so that operator's result still counts if nobody took the call since)."""
    bump = {"version": F("version") + 1}
    expired = await HappyCall.filter(
        Q(status=HappyCallStatus.QUEUED) | Q(status=HappyCallStatus.CLAIMED, claimed_until__lte=at),
        due_by__lte=at,
    ).update(status=HappyCallStatus.EXPIRED, finished_at=at, claimed_until=None, **bump)
    released = await HappyCall.filter(status=HappyCallStatus.CLAIMED, claimed_until__lte=at).update(
        status=HappyCallStatus.QUEUED, claimed_until=None, **bump
    )
    return expired, released


async def fill(at: datetime | None = None) -> FillRun:
    """Queue calls for recent purchases by the active rules; expire late calls, release lapsed
    claims. Running it again queues nothing twice."""
    now = at or datetime.now(UTC)
    policy = await current_policy()
    rules = await HappyCallRule.filter(active=True).order_by("-priority", "id")
    queued = 0
    if rules:
        horizon = now - timedelta(hours=max(r.deadline_hours for r in rules))
        last_id = 0
        while True:
            purchases = (
                await Purchase.filter(
                    id__gt=last_id,
                    member_id__isnull=False,
                    occurred_at__gt=horizon,
                    occurred_at__lte=now,
                    happy_call=None,
                )
                .order_by("id")
                .limit(BATCH)
            )
            if not purchases:
                break
            queued += await _queue_batch(purchases, list(rules), policy, now)
            last_id = purchases[-1].id
    expired, released = await _expire_and_release(now)
    return FillRun(queued, expired, released)


# --- claiming --------------------------------------------------------------------------------


async def _extend(call: HappyCall, staff_id: int, until: datetime) -> bool:
    return bool(
        await HappyCall.filter(id=call.id, version=call.version).update(
            status=HappyCallStatus.CLAIMED,
            claimed_by_id=staff_id,
            claimed_until=until,
            version=call.version + 1,
        )
    )


async def claim_next(
    actor: Actor, *, idempotency_key: str, at: datetime | None = None
) -> HappyCall | None:
    """The next call for this operator, claimed for them alone; None: nothing to call now.

    An operator still holding a call gets it back (a retried request, a console restarted):
    one operator holds one call at a time. Highest priority first, then the earliest due.
    """
    actor.require_staff(*WORKERS)
    check_key(idempotency_key)
    staff_id = actor.staff_id
    if staff_id is None:
        raise PermissionDenied("calls are claimed by operators")
    now = at or datetime.now(UTC)
    policy = await current_policy()
    until = now + timedelta(minutes=policy.claim_minutes)
    held = await HappyCall.filter(status=HappyCallStatus.CLAIMED, claimed_by_id=staff_id).first()
    if held is not None and await _extend(held, staff_id, until):
        return await HappyCall.get(id=held.id)
    if not calling(policy, now):
        return None
    waiting = HappyCall.filter(
        Q(status=HappyCallStatus.QUEUED)
        | Q(status=HappyCallStatus.CLAIMED, claimed_until__lte=now),
        Q(retry_at__isnull=True) | Q(retry_at__lte=now),
        due_by__gt=now,
        member__calls_consent=True,
    ).order_by("-priority", "due_by", "id")
    for _ in range(ROUNDS):
        candidates = await waiting.limit(CANDIDATES)
        if not candidates:
            return None
        for call in candidates:
            if await _extend(call, staff_id, until):
                return await HappyCall.get(id=call.id)
    return None


async def get(actor: Actor, call_id: int) -> HappyCall:
    actor.require_staff(*WORKERS)
    call = await HappyCall.get_or_none(id=call_id)
    if call is None:
        raise NotFound("happy call", call_id)
    return call


async def release(actor: Actor, call_id: int) -> HappyCall:
    """Give a claimed call back to the queue, for anyone to take."""
    call = await get(actor, call_id)
    if not await HappyCall.filter(
        id=call.id,
        version=call.version,
        status=HappyCallStatus.CLAIMED,
        claimed_by_id=actor.staff_id,
    ).update(
        status=HappyCallStatus.QUEUED,
        claimed_by_id=None,
        claimed_until=None,
        version=call.version + 1,
    ):
        raise Conflict("you do not hold this call")
    return await HappyCall.get(id=call.id)
