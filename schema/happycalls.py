"""Happy calls: managers set the rules and policy; operators claim calls, read the member's
card and the script, record outcomes and complaints; supervisors watch the call centre."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Annotated

import strawberry
from strawberry.types import Info

from loyalty import memberview
from loyalty import models as m
from loyalty.actors import Actor
from loyalty.happycalls import card, complaints, outcomes, queue, rules, stats
from loyalty.privacy import masking
from loyalty.programme import policies
from loyalty.programme.explain import Text
from schema.context import Context
from schema.counter import KEY_DESCRIPTION
from schema.errors import (
    INPUT,
    ConflictError,
    NotFoundError,
    VersionConflictError,
    result_union,
    returns_errors,
)
from schema.home import Offer
from schema.profile import MessageChannel
from schema.scalars import BigInt
from schema.surveys import Survey, SurveyAnswerInput
from schema.types import (
    AfterCursor,
    Branch,
    Connection,
    Language,
    PageSize,
    Purchase,
    StaffUser,
    connection,
    decode_cursor,
    parse_id,
    save_policy,
)

HappyCallTrigger = strawberry.enum(
    m.HappyCallTrigger,
    description="Which purchases a rule queues: SAMPLE (a share of them, the same on every "
    "run), FIRST_PURCHASE (a member's first), AMOUNT_AT_LEAST (of at least an amount), "
    "LOW_SURVEY_SCORE (whose in-app survey was answered low).",
)
HappyCallStatus = strawberry.enum(
    m.HappyCallStatus,
    description="Where a call stands: QUEUED (waiting), CLAIMED (an operator holds it), DONE, "
    "CANCELLED (the member opted out or the number is wrong), EXPIRED (past its deadline or "
    "out of tries).",
)
HappyCallOutcome = strawberry.enum(
    m.HappyCallOutcome,
    description="What came of a call: COMPLETED (the script answered), NO_ANSWER (tried again "
    "later at another hour), BUSY (tried again soon), WRONG_NUMBER, CALL_BACK (at the time the "
    "member asked), DO_NOT_CALL (the member asks never to be called again).",
)
ComplaintCategory = strawberry.enum(m.ComplaintCategory, description="What a complaint is about.")
ComplaintStatus = strawberry.enum(m.ComplaintStatus, description="OPEN or CLOSED.")
VERSION = "The version you read; a change made since then is a VERSION_CONFLICT."


InLanguage = Annotated[
    Language | None,
    strawberry.argument(description="Words in this language (staff read Persian by default)."),
]


async def _language(info: Info[Context, None], chosen: m.Language | None) -> str:
    return (chosen or await info.context.language()).value


def _id(value: int | None) -> strawberry.ID | None:
    return strawberry.ID(str(value)) if value is not None else None


# --- rules and policy ------------------------------------------------------------------------


@strawberry.type(description="Which purchases are worth a call, with which script.")
class HappyCallRule:
    id: strawberry.ID = strawberry.field(description="The rule's id.")
    name: str = strawberry.field(description="The manager's name for it.")
    trigger: HappyCallTrigger = strawberry.field(description="Which purchases it queues.")
    branch_ids: list[strawberry.ID] = strawberry.field(
        description="Only purchases at these branches (empty: all)."
    )
    sample_percent: int | None = strawberry.field(description="SAMPLE: the share, 1 to 100.")
    min_amount: BigInt | None = strawberry.field(description="AMOUNT_AT_LEAST: Rials.")
    max_score: int | None = strawberry.field(
        description="LOW_SURVEY_SCORE: an in-app survey averaging at most this, on 0 to 10."
    )
    survey_id: strawberry.ID = strawberry.field(description="The CALL survey read out.")
    priority: int = strawberry.field(description="Higher is called first, 0 to 100.")
    deadline_hours: int = strawberry.field(
        description="The call is due within this many hours of the purchase (of the survey "
        "answer, for LOW_SURVEY_SCORE)."
    )
    active: bool = strawberry.field(description="Queueing calls.")
    version: int = strawberry.field(description="Pass as `expectedVersion` when changing it.")
    created_at: datetime = strawberry.field(description="When it was made (UTC).")
    updated_at: datetime = strawberry.field(description="When it last changed (UTC).")

    @classmethod
    def from_model(cls, r: m.HappyCallRule) -> HappyCallRule:
        return cls(
            id=strawberry.ID(str(r.id)),
            name=r.name,
            trigger=r.trigger,
            branch_ids=[strawberry.ID(str(b)) for b in r.branch_ids],
            sample_percent=r.sample_percent,
            min_amount=r.min_amount,
            max_score=r.max_score,
            survey_id=strawberry.ID(str(r.survey_id)),  # type: ignore[attr-defined]
            priority=r.priority,
            deadline_hours=r.deadline_hours,
            active=r.active,
            version=r.version,
            created_at=r.created_at,
            updated_at=r.updated_at,
        )


@strawberry.input(description="A happy-call rule: give the setting its trigger needs only.")
class CreateHappyCallRuleInput:
    name: str = strawberry.field(description="A name for managers.")
    trigger: HappyCallTrigger = strawberry.field(description="Which purchases it queues.")
    survey_id: strawberry.ID = strawberry.field(description="A CALL survey: the script.")
    deadline_hours: int = strawberry.field(
        description="Due within this many hours of the purchase, 1 to 720."
    )
    branch_ids: list[strawberry.ID] = strawberry.field(
        default_factory=list, description="Only purchases at these branches (empty: all)."
    )
    sample_percent: int | None = strawberry.field(
        default=None, description="SAMPLE: the share of purchases, 1 to 100."
    )
    min_amount: BigInt | None = strawberry.field(
        default=None, description="AMOUNT_AT_LEAST: purchases of at least this many Rials."
    )
    max_score: int | None = strawberry.field(
        default=None, description="LOW_SURVEY_SCORE: an average at most this, 0 to 10."
    )
    priority: int = strawberry.field(default=0, description="Higher is called first, 0 to 100.")
    active: bool = strawberry.field(default=True, description="Queueing calls from now on.")

    def to_domain(self) -> dict:
        return {
            "name": self.name,
            "trigger": self.trigger,
            "survey_id": parse_id(self.survey_id, "surveyId"),
            "deadline_hours": self.deadline_hours,
            "branch_ids": [parse_id(b, f"branchIds.{n}") for n, b in enumerate(self.branch_ids)],
            "sample_percent": self.sample_percent,
            "min_amount": self.min_amount,
            "max_score": self.max_score,
            "priority": self.priority,
            "active": self.active,
        }


@strawberry.input(description="A happy-call rule's new definition.")
class UpdateHappyCallRuleInput(CreateHappyCallRuleInput):
    id: strawberry.ID = strawberry.field(description="The rule.")
    expected_version: int | None = strawberry.field(default=None, description=VERSION)


@strawberry.type(description="A happy-call rule was saved.")
class HappyCallRuleSaved:
    rule: HappyCallRule = strawberry.field(description="The rule as it is now.")


HappyCallRuleResult = result_union(
    "HappyCallRuleResult",
    "Result of a change to a happy-call rule.",
    HappyCallRuleSaved,
    NotFoundError,
    VersionConflictError,
)


@strawberry.type(description="How the happy-call queue hands out and retries calls.")
class HappyCallPolicy:
    claim_minutes: int = strawberry.field(
        description="A claimed call goes back to the queue after this many minutes."
    )
    max_attempts: int = strawberry.field(
        description="Tries (no answer, busy) before a call expires."
    )
    retry_after_minutes: int = strawberry.field(
        description="After no answer, tried again at least this much later, at another hour "
        "of the day than the earlier tries."
    )
    busy_retry_minutes: int = strawberry.field(description="After busy, tried again this soon.")
    recent_call_days: int = strawberry.field(
        description="A member queued within this many days is not queued again."
    )
    calling_hours_from: time = strawberry.field(
        description="Calls are handed out from (club's time zone)."
    )
    calling_hours_until: time = strawberry.field(
        description="Calls are handed out until (equal to callingHoursFrom: any time)."
    )
    version: int = strawberry.field(description="Pass as `expectedVersion` (0: never set).")

    @classmethod
    def from_domain(cls, p: policies.HappyCallPolicy, version: int) -> HappyCallPolicy:
        return cls(**p.model_dump(), version=version)


@strawberry.input(description="The happy-call policy; what is left out takes its default.")
class HappyCallPolicyInput:
    claim_minutes: int | None = strawberry.field(default=None, description="1 to 240.")
    max_attempts: int | None = strawberry.field(default=None, description="1 to 10.")
    retry_after_minutes: int | None = strawberry.field(default=None, description="5 to 10,080.")
    busy_retry_minutes: int | None = strawberry.field(default=None, description="1 to 1,440.")
    recent_call_days: int | None = strawberry.field(default=None, description="0 to 365.")
    calling_hours_from: time | None = strawberry.field(default=None, description="From.")
    calling_hours_until: time | None = strawberry.field(default=None, description="Until.")
    expected_version: int | None = strawberry.field(default=None, description=VERSION)


@strawberry.type(description="The happy-call policy was saved.")
class HappyCallPolicySaved:
    policy: HappyCallPolicy = strawberry.field(description="The policy as it is now.")


HappyCallPolicyResult = result_union(
    "HappyCallPolicyResult",
    "Result of setHappyCallPolicy.",
    HappyCallPolicySaved,
    VersionConflictError,
)


# --- the call and the member's card ---------------------------------------------------------


@strawberry.type(description="One answer given on an earlier call, in words.")
class EarlierCallAnswer:
    question: str = strawberry.field(description="The question.")
    answer: str = strawberry.field(description="The answer.")

    @classmethod
    def all_of(cls, given: list[memberview.GivenAnswer], language: str) -> list[EarlierCallAnswer]:
        return [
            cls(question=a.question.pick(language), answer=a.answer.pick(language)) for a in given
        ]


@strawberry.type(description="An earlier try to call the member.")
class EarlierCall:
    at: datetime = strawberry.field(description="When (UTC).")
    outcome: HappyCallOutcome = strawberry.field(description="What came of it.")
    operator_name: str = strawberry.field(description="Who called.")
    answers: list[EarlierCallAnswer] = strawberry.field(
        description="The script's answers (COMPLETED calls)."
    )

    @classmethod
    def from_domain(cls, e: memberview.EarlierCall, language: str) -> EarlierCall:
        return cls(
            at=e.at,
            outcome=e.outcome,
            operator_name=e.operator_name,
            answers=EarlierCallAnswer.all_of(e.answers, language),
        )


@strawberry.type(description="What was done about a complaint.")
class ComplaintFollowUp:
    at: datetime = strawberry.field(description="When (UTC).")
    by: str = strawberry.field(description="Who.")
    note: str = strawberry.field(description="What.")
    closed: bool = strawberry.field(description="This follow-up closed the complaint.")


@strawberry.type(description="A member's complaint, raised on a call.")
class Complaint:
    id: strawberry.ID = strawberry.field(description="The complaint's id.")
    member_id: strawberry.ID = strawberry.field(description="Whose.")
    call_id: strawberry.ID | None = strawberry.field(description="The call it was raised on.")
    branch: Branch | None = strawberry.field(description="Assigned for follow-up to.")
    category: ComplaintCategory = strawberry.field(description="What it is about.")
    question: str | None = strawberry.field(description="The script question it came from.")
    note: str = strawberry.field(description="What the member said.")
    status: ComplaintStatus = strawberry.field(description="Open or closed.")
    raised_at: datetime = strawberry.field(description="When (UTC).")
    raised_by: str = strawberry.field(description="The operator who raised it.")
    closed_at: datetime | None = strawberry.field(description="When it was closed (UTC).")
    follow_ups: list[ComplaintFollowUp] = strawberry.field(description="Oldest first.")

    @classmethod
    def from_model(cls, c: m.Complaint) -> Complaint:
        return cls(
            id=strawberry.ID(str(c.id)),
            member_id=strawberry.ID(str(c.member_id)),  # type: ignore[attr-defined]
            call_id=_id(c.call_id),  # type: ignore[attr-defined]
            branch=Branch.from_model(c.branch) if c.branch else None,
            category=c.category,
            question=c.question or None,
            note=c.note,
            status=c.status,
            raised_at=c.raised_at,
            raised_by=_name(c.raised_by),
            closed_at=c.closed_at,
            follow_ups=[
                ComplaintFollowUp(at=f.at, by=_name(f.staff), note=f.note, closed=f.closed)
                for f in sorted(c.follow_ups, key=lambda f: f.id)
            ],
        )


def _name(user: m.StaffUser) -> str:
    return user.display_name or user.username


@strawberry.type(description="A message the member was sent.")
class CallCardMessage:
    at: datetime = strawberry.field(description="When it went (UTC).")
    channel: MessageChannel = strawberry.field(description="Where besides the inbox.")
    title: str = strawberry.field(description="Its title.")
    body: str = strawberry.field(description="Its text.")


@strawberry.type(description="What an operator sees of the member while calling.")
class CallCard:
    member_id: strawberry.ID = strawberry.field(description="The member.")
    name: str = strawberry.field(description="Their name.")
    phone: str = strawberry.field(
        description="The number to dial (E.164); masked for roles that do not phone members."
    )
    tier: str | None = strawberry.field(description="Their tier's name, if they have one.")
    points: BigInt = strawberry.field(description="Points held.")
    credit: BigInt = strawberry.field(description="Credit held, in Rials.")
    recent_purchases: list[Purchase] = strawberry.field(description="The last five, newest first.")
    earlier_calls: list[EarlierCall] = strawberry.field(description="The last five, newest first.")
    complaints: list[Complaint] = strawberry.field(
        description="Open ones, and those closed in the last 30 days, newest first."
    )
    recent_messages: list[CallCardMessage] = strawberry.field(
        description="The last five sent, newest first."
    )
    offers: list[Offer] = strawberry.field(
        description="Offers the member can get, to mention: ready ones first."
    )

    @classmethod
    def from_domain(cls, c: card.CallCard, language: str, viewer: Actor) -> CallCard:
        return cls(
            member_id=strawberry.ID(str(c.member.id)),
            name=c.member.full_name,
            phone=masking.phone_for(viewer, c.member.id, c.member.phone),
            tier=c.tier_name.pick(language) if c.tier_name else None,
            points=c.balances.points,
            credit=c.balances.credit,
            recent_purchases=[Purchase.from_model(p) for p in c.recent_purchases],
            earlier_calls=[EarlierCall.from_domain(e, language) for e in c.earlier_calls],
            complaints=[Complaint.from_model(x) for x in c.complaints],
            recent_messages=[
                CallCardMessage(
                    at=x.sent_at or x.due_at, channel=x.channel, title=x.title, body=x.body
                )
                for x in c.recent_messages
            ],
            offers=[Offer.from_domain(o, language) for o in c.offers],
        )


@strawberry.type(description="When the club calls members, in its time zone.")
class CallingHours:
    start: time = strawberry.field(description="From (local time).")
    end: time = strawberry.field(description="Until (local time; equal to start: any time).")


@strawberry.type(description="A member to call about one purchase.")
class HappyCall:
    id: strawberry.ID = strawberry.field(description="The call's id.")
    status: HappyCallStatus = strawberry.field(description="Where it stands.")
    trigger: HappyCallTrigger = strawberry.field(description="Why it was queued.")
    priority: int = strawberry.field(description="Higher is called first.")
    due_by: datetime = strawberry.field(description="Call before this (UTC).")
    attempts: int = strawberry.field(description="Outcomes recorded so far.")
    claimed_until: datetime | None = strawberry.field(
        description="While CLAIMED: it goes back to the queue then unless an outcome is recorded."
    )
    retry_at: datetime | None = strawberry.field(description="Not handed out before (UTC).")
    outcome: HappyCallOutcome | None = strawberry.field(description="The last outcome recorded.")
    record: strawberry.Private[m.HappyCall]

    @strawberry.field(description="The purchase the call is about.")
    async def purchase(self) -> Purchase:
        return Purchase.from_model(await card.purchase_of(self.record))

    @strawberry.field(description="The survey to read out, with its questions.")
    async def script(self) -> Survey:
        return Survey.from_model(await card.script_of(self.record))

    @strawberry.field(description="A call back must be asked for inside these hours.")
    async def calling_hours(self) -> CallingHours:
        policy = await queue.current_policy()
        return CallingHours(start=policy.calling_hours_from, end=policy.calling_hours_until)

    @strawberry.field(description="The member's card.")
    async def card(self, info: Info[Context, None], language: InLanguage = None) -> CallCard:
        actor = info.context.require_actor()
        found = await card.card(actor, self.record.id)
        return CallCard.from_domain(found, await _language(info, language), actor)

    @classmethod
    def from_model(cls, c: m.HappyCall) -> HappyCall:
        return cls(
            id=strawberry.ID(str(c.id)),
            status=c.status,
            trigger=c.trigger,
            priority=c.priority,
            due_by=c.due_by,
            attempts=c.attempts,
            claimed_until=c.claimed_until,
            retry_at=c.retry_at,
            outcome=c.outcome,
            record=c,
        )


# --- operators' work -------------------------------------------------------------------------


@strawberry.input(description="Ask for the next call.")
class ClaimNextHappyCallInput:
    idempotency_key: str = strawberry.field(description=KEY_DESCRIPTION)


@strawberry.type(description="The call claimed for you, or none to make now.")
class HappyCallClaimed:
    call: HappyCall | None = strawberry.field(
        description="Yours alone until `claimedUntil`; none: nothing to call now (an empty "
        "queue, or outside calling hours). Asking again while you hold a call returns it."
    )


ClaimNextHappyCallResult = result_union(
    "ClaimNextHappyCallResult", "Result of claimNextHappyCall.", HappyCallClaimed
)


@strawberry.input(description="A call to give back to the queue.")
class ReleaseHappyCallInput:
    call_id: strawberry.ID = strawberry.field(description="The call you hold.")


@strawberry.type(description="The call went back to the queue.")
class HappyCallReleased:
    call: HappyCall = strawberry.field(description="The call as it is now.")


ReleaseHappyCallResult = result_union(
    "ReleaseHappyCallResult",
    "Result of releaseHappyCall: ALREADY_EXISTS when you do not hold it.",
    HappyCallReleased,
    NotFoundError,
    ConflictError,
)


@strawberry.input(description="What came of a call you hold.")
class RecordHappyCallOutcomeInput:
    call_id: strawberry.ID = strawberry.field(description="The call.")
    outcome: HappyCallOutcome = strawberry.field(description="What came of it.")
    idempotency_key: str = strawberry.field(description=KEY_DESCRIPTION)
    answers: list[SurveyAnswerInput] = strawberry.field(
        default_factory=list,
        description="COMPLETED: the script's answers (every required question); else none.",
    )
    comment: str = strawberry.field(default="", description="The operator's note, up to 1,000.")
    call_back_at: datetime | None = strawberry.field(
        default=None, description="CALL_BACK: when the member asked to be called (future)."
    )


@strawberry.type(description="The outcome was recorded.")
class HappyCallRecorded:
    call: HappyCall = strawberry.field(description="The call as it is now.")
    replayed: bool = strawberry.field(description="True when this repeats an earlier request.")


RecordHappyCallOutcomeResult = result_union(
    "RecordHappyCallOutcomeResult",
    "Result of recordHappyCallOutcome: ALREADY_EXISTS when the call is finished or held by "
    "another operator.",
    HappyCallRecorded,
    NotFoundError,
    ConflictError,
)


@strawberry.input(description="A complaint the member made on a call.")
class RaiseComplaintInput:
    call_id: strawberry.ID = strawberry.field(description="The call.")
    category: ComplaintCategory = strawberry.field(description="What it is about.")
    note: str = strawberry.field(description="What the member said, up to 1,000 characters.")
    idempotency_key: str = strawberry.field(description=KEY_DESCRIPTION)
    question: str | None = strawberry.field(
        default=None, description="The code of the script question it came from."
    )


@strawberry.type(description="The complaint was raised, for its branch to follow up.")
class ComplaintRaised:
    complaint: Complaint = strawberry.field(description="The complaint.")
    replayed: bool = strawberry.field(description="True when this repeats an earlier request.")


RaiseComplaintResult = result_union(
    "RaiseComplaintResult", "Result of raiseComplaint.", ComplaintRaised, NotFoundError
)


@strawberry.input(description="What was done about a complaint.")
class AddComplaintFollowUpInput:
    complaint_id: strawberry.ID = strawberry.field(description="The complaint.")
    note: str = strawberry.field(description="What was done, up to 1,000 characters.")
    idempotency_key: str = strawberry.field(description=KEY_DESCRIPTION)
    close: bool = strawberry.field(default=False, description="This closes the complaint.")


@strawberry.type(description="The follow-up was added.")
class ComplaintFollowedUp:
    complaint: Complaint = strawberry.field(description="The complaint as it is now.")
    replayed: bool = strawberry.field(description="True when this repeats an earlier request.")


AddComplaintFollowUpResult = result_union(
    "AddComplaintFollowUpResult",
    "Result of addComplaintFollowUp: ALREADY_EXISTS once the complaint is closed.",
    ComplaintFollowedUp,
    NotFoundError,
    ConflictError,
)


# --- figures ---------------------------------------------------------------------------------


@strawberry.type(description="An operator's calls on one club-local day.")
class OperatorCallStats:
    day: date = strawberry.field(description="The day (club's time zone).")
    calls: int = strawberry.field(description="Outcomes recorded.")
    completed: int = strawberry.field(description="Of those, COMPLETED.")
    completion_rate: float = strawberry.field(description="Completed ÷ calls, 0 to 1.")
    average_satisfaction: float | None = strawberry.field(
        description="The mean of the RATING answers (0-10); none when there were none."
    )


@strawberry.type(description="One operator's calls in the period.")
class OperatorCallFigures:
    operator: StaffUser = strawberry.field(description="The operator.")
    calls: int = strawberry.field(description="Outcomes recorded.")
    completed: int = strawberry.field(description="Of those, COMPLETED.")
    completion_rate: float = strawberry.field(description="Completed ÷ calls, 0 to 1.")
    average_satisfaction: float | None = strawberry.field(
        description="The mean of the RATING answers (0-10); none when there were none."
    )


@strawberry.type(description="What members answered one script question at one branch.")
class CallQuestionResult:
    branch: Branch | None = strawberry.field(description="The branch of the purchases.")
    survey_id: strawberry.ID = strawberry.field(description="The script (a CALL survey).")
    question: str = strawberry.field(description="The question's code.")
    text: str = strawberry.field(description="The question's wording.")
    answers: int = strawberry.field(description="How many answered it.")
    average: float | None = strawberry.field(
        description="The mean answer on 0 to 10 (a choice by its score against the best "
        "choice, yes 10, no 0); none for text questions."
    )


@strawberry.type(description="The call centre: the queue now, and a period's calls and answers.")
class HappyCallSupervision:
    queue_size: int = strawberry.field(description="Calls waiting now.")
    claimed_now: int = strawberry.field(description="Calls operators hold now.")
    overdue: int = strawberry.field(description="Open calls past their deadline now.")
    expired: int = strawberry.field(description="Calls due in the period that expired.")
    operators: list[OperatorCallFigures] = strawberry.field(
        description="Per operator, most calls first."
    )
    questions: list[CallQuestionResult] = strawberry.field(
        description="Per branch and script question."
    )


def _operator_stats(day: date, f: stats.OperatorFigures) -> OperatorCallStats:
    return OperatorCallStats(
        day=day,
        calls=f.calls,
        completed=f.completed,
        completion_rate=f.completion_rate,
        average_satisfaction=f.average_satisfaction,
    )


def _supervision(s: stats.Supervision, branches: dict[int, m.Branch], language: str):
    return HappyCallSupervision(
        queue_size=s.queue_size,
        claimed_now=s.claimed_now,
        overdue=s.overdue,
        expired=s.expired,
        operators=[
            OperatorCallFigures(
                operator=StaffUser.from_model(user),
                calls=f.calls,
                completed=f.completed,
                completion_rate=f.completion_rate,
                average_satisfaction=f.average_satisfaction,
            )
            for user, f in s.operators
        ],
        questions=[
            CallQuestionResult(
                branch=Branch.from_model(branches[q.branch_id]) if q.branch_id else None,
                survey_id=strawberry.ID(str(q.survey_id)),
                question=q.question.code,
                text=Text(q.question.text, q.question.text_fa or q.question.text).pick(language),
                answers=q.answers,
                average=q.average,
            )
            for q in s.questions
        ],
    )


def _optional_id(value: strawberry.ID | None, field: str) -> int | None:
    return parse_id(value, field) if value is not None else None


@strawberry.type
class HappyCallQueries:
    @strawberry.field(description="Manager, supervisor: the happy-call rules, newest first.")
    async def happy_call_rules(
        self, info: Info[Context, None], first: PageSize = 20, after: AfterCursor = None
    ) -> Connection[HappyCallRule]:
        page = await rules.listed(
            info.context.require_actor(),
            first=first,
            before_id=decode_cursor("happy-call-rule", after),
        )
        return connection("happy-call-rule", page, HappyCallRule.from_model)

    @strawberry.field(description="Manager, supervisor: how the queue hands out calls.")
    async def happy_call_policy(self, info: Info[Context, None]) -> HappyCallPolicy:
        return HappyCallPolicy.from_domain(*await queue.policy(info.context.require_actor()))

    @strawberry.field(description="Operator: complaints, newest first.")
    async def complaints(
        self,
        info: Info[Context, None],
        first: PageSize = 20,
        after: AfterCursor = None,
        status: Annotated[
            ComplaintStatus | None, strawberry.argument(description="Only open or closed ones.")
        ] = None,
        branch_id: Annotated[
            strawberry.ID | None, strawberry.argument(description="Only this branch's.")
        ] = None,
    ) -> Connection[Complaint]:
        page = await complaints.listed(
            info.context.require_actor(),
            status=m.ComplaintStatus(status.value) if status else None,
            branch_id=_optional_id(branch_id, "branchId"),
            first=first,
            before_id=decode_cursor("complaint", after),
        )
        return connection("complaint", page, Complaint.from_model)

    @strawberry.field(description="Operator: my calls on a day (today when left out).")
    async def my_happy_call_stats(
        self,
        info: Info[Context, None],
        day: Annotated[date | None, strawberry.argument(description="The club-local day.")] = None,
    ) -> OperatorCallStats:
        found = await stats.my_day(info.context.require_actor(), day)
        return _operator_stats(found.day, found.figures)

    @strawberry.field(
        description="Supervisor, manager: the queue now, and calls and answers over club-local "
        "days, inclusive."
    )
    async def happy_call_supervision(
        self,
        info: Info[Context, None],
        from_: Annotated[date, strawberry.argument(name="from", description="The first day.")],
        to: Annotated[date, strawberry.argument(description="The last day.")],
        branch_id: Annotated[
            strawberry.ID | None, strawberry.argument(description="Only this branch.")
        ] = None,
        language: InLanguage = None,
    ) -> HappyCallSupervision:
        found = await stats.supervision(
            info.context.require_actor(), from_, to, branch_id=_optional_id(branch_id, "branchId")
        )
        branches = {
            b.id: b for b in await m.Branch.filter(id__in={q.branch_id for q in found.questions})
        }
        return _supervision(found, branches, await _language(info, language))


@strawberry.type
class HappyCallMutations:
    @strawberry.mutation(description="Manager: add a happy-call rule.")
    @returns_errors
    async def create_happy_call_rule(
        self,
        info: Info[Context, None],
        input: Annotated[CreateHappyCallRuleInput, strawberry.argument(description=INPUT)],
    ) -> HappyCallRuleResult:
        rule = await rules.create(info.context.require_actor(), input.to_domain())
        return HappyCallRuleSaved(rule=HappyCallRule.from_model(rule))

    @strawberry.mutation(description="Manager: change a happy-call rule (a new version).")
    @returns_errors
    async def update_happy_call_rule(
        self,
        info: Info[Context, None],
        input: Annotated[UpdateHappyCallRuleInput, strawberry.argument(description=INPUT)],
    ) -> HappyCallRuleResult:
        rule = await rules.update(
            info.context.require_actor(),
            parse_id(input.id, "id"),
            input.to_domain(),
            expected_version=input.expected_version,
        )
        return HappyCallRuleSaved(rule=HappyCallRule.from_model(rule))

    @strawberry.mutation(description="Manager: set how the queue hands out and retries calls.")
    @returns_errors
    async def set_happy_call_policy(
        self,
        info: Info[Context, None],
        input: Annotated[HappyCallPolicyInput, strawberry.argument(description=INPUT)],
    ) -> HappyCallPolicyResult:
        policy, version = await save_policy(info.context.require_actor(), "happy_calls", input)
        return HappyCallPolicySaved(policy=HappyCallPolicy.from_domain(policy, version))  # type: ignore[arg-type]

    @strawberry.mutation(
        description="Operator: claim the next call, for you alone; the call you hold already, "
        "if you hold one."
    )
    @returns_errors
    async def claim_next_happy_call(
        self,
        info: Info[Context, None],
        input: Annotated[ClaimNextHappyCallInput, strawberry.argument(description=INPUT)],
    ) -> ClaimNextHappyCallResult:
        call = await queue.claim_next(
            info.context.require_actor(), idempotency_key=input.idempotency_key
        )
        return HappyCallClaimed(call=HappyCall.from_model(call) if call else None)

    @strawberry.mutation(description="Operator: give a call you hold back to the queue.")
    @returns_errors
    async def release_happy_call(
        self,
        info: Info[Context, None],
        input: Annotated[ReleaseHappyCallInput, strawberry.argument(description=INPUT)],
    ) -> ReleaseHappyCallResult:
        call = await queue.release(info.context.require_actor(), parse_id(input.call_id, "callId"))
        return HappyCallReleased(call=HappyCall.from_model(call))

    @strawberry.mutation(
        description="Operator: record what came of a call you hold; resending the same key and "
        "input returns the first result."
    )
    @returns_errors
    async def record_happy_call_outcome(
        self,
        info: Info[Context, None],
        input: Annotated[RecordHappyCallOutcomeInput, strawberry.argument(description=INPUT)],
    ) -> RecordHappyCallOutcomeResult:
        done = await outcomes.record(
            info.context.require_actor(),
            call_id=parse_id(input.call_id, "callId"),
            outcome=m.HappyCallOutcome(input.outcome.value),
            idempotency_key=input.idempotency_key,
            answers=[a.to_domain() for a in input.answers],
            comment=input.comment,
            call_back_at=input.call_back_at,
        )
        return HappyCallRecorded(call=HappyCall.from_model(done.call), replayed=done.replayed)

    @strawberry.mutation(description="Operator: raise a complaint from a call.")
    @returns_errors
    async def raise_complaint(
        self,
        info: Info[Context, None],
        input: Annotated[RaiseComplaintInput, strawberry.argument(description=INPUT)],
    ) -> RaiseComplaintResult:
        complaint, replayed = await complaints.raise_complaint(
            info.context.require_actor(),
            call_id=parse_id(input.call_id, "callId"),
            category=m.ComplaintCategory(input.category.value),
            note=input.note,
            idempotency_key=input.idempotency_key,
            question=input.question or "",
        )
        return ComplaintRaised(
            complaint=Complaint.from_model(await complaints.detailed(complaint.id)),
            replayed=replayed,
        )

    @strawberry.mutation(description="Operator: add a follow-up to a complaint, maybe closing it.")
    @returns_errors
    async def add_complaint_follow_up(
        self,
        info: Info[Context, None],
        input: Annotated[AddComplaintFollowUpInput, strawberry.argument(description=INPUT)],
    ) -> AddComplaintFollowUpResult:
        done = await complaints.follow_up(
            info.context.require_actor(),
            complaint_id=parse_id(input.complaint_id, "complaintId"),
            note=input.note,
            idempotency_key=input.idempotency_key,
            close=input.close,
        )
        return ComplaintFollowedUp(
            complaint=Complaint.from_model(done.complaint), replayed=done.replayed
        )
