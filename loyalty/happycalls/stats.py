"""Figures of the call centre, over club-local days: an operator's own day, and what
supervisors watch (the queue now, calls per operator, answers per branch and question).

Satisfaction is the mean of the RATING answers (0-10) of completed calls; a question's average
puts every kind on that scale (a choice by its score against the best choice, yes 10, no 0).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from tortoise.functions import Count

from loyalty import clock
from loyalty.actors import Actor
from loyalty.errors import InvalidInput, NotFound, PermissionDenied
from loyalty.happycalls import SUPERVISORS, WORKERS
from loyalty.models import (
    Branch,
    HappyCall,
    HappyCallAttempt,
    HappyCallOutcome,
    HappyCallStatus,
    QuestionKind,
    StaffUser,
    Survey,
    SurveyAnswer,
    SurveyChannel,
)
from loyalty.surveys.definitions import Question, questions_of
from loyalty.surveys.results import on_ten

MAX_DAYS = 366


@dataclass(slots=True)
class OperatorFigures:
    staff_id: int
    calls: int = 0  # outcomes recorded
    completed: int = 0
    ratings: list[int] = field(default_factory=lambda: [0, 0])  # count, total

    @property
    def completion_rate(self) -> float:
        return round(self.completed / self.calls, 4) if self.calls else 0.0

    @property
    def average_satisfaction(self) -> float | None:
        count, total = self.ratings
        return round(total / count, 2) if count else None


@dataclass(frozen=True, slots=True)
class OperatorDay:
    day: date
    figures: OperatorFigures


@dataclass(frozen=True, slots=True)
class QuestionFigures:
    branch_id: int | None
    survey_id: int
    question: Question
    answers: int
    average: float | None  # on 0-10; None for text questions


@dataclass(frozen=True, slots=True)
class Supervision:
    queue_size: int  # queued now
    claimed_now: int
    overdue: int  # open past their deadline (the job expires them)
    expired: int  # due in the period, never completed
    operators: list[tuple[StaffUser, OperatorFigures]]
    questions: list[QuestionFigures]


def _period(first: date, last: date) -> tuple[datetime, datetime]:
    if last < first:
        raise InvalidInput("to must not be before from", field="to")
    if (last - first).days >= MAX_DAYS:
        raise InvalidInput(f"at most {MAX_DAYS} days at a time", field="to")
    return clock.midnight(first), clock.midnight(last + timedelta(days=1))


async def _questions_of(survey_ids: set[int]) -> dict[int, dict[str, Question]]:
    return {
        s.id: {q.code: q for q in questions_of(s.questions)}
        for s in await Survey.filter(id__in=survey_ids)
    }


async def _figures(
    since: datetime, until: datetime, *, staff_id: int | None = None, branch_id: int | None = None
) -> dict[int, OperatorFigures]:
    attempts = HappyCallAttempt.filter(at__gte=since, at__lt=until)
    answers = SurveyAnswer.filter(
        answered_at__gte=since, answered_at__lt=until, response__channel=SurveyChannel.CALL
    )
    if staff_id is not None:
        attempts = attempts.filter(staff_id=staff_id)
        answers = answers.filter(response__staff_id=staff_id)
    if branch_id is not None:
        attempts = attempts.filter(call__branch_id=branch_id)
        answers = answers.filter(branch_id=branch_id)
    figures: dict[int, OperatorFigures] = {}
    for staff, outcome, n in (
        await attempts.annotate(n=Count("id"))
        .group_by("staff_id", "outcome")
        .values_list("staff_id", "outcome", "n")
    ):
        found = figures.setdefault(staff, OperatorFigures(staff))
        found.calls += n
        if outcome == HappyCallOutcome.COMPLETED:
            found.completed += n
    rows = (
        await answers.filter(score__isnull=False)
        .annotate(n=Count("id"))
        .group_by("response__staff_id", "survey_id", "question", "score")
        .values_list("response__staff_id", "survey_id", "question", "score", "n")
    )
    surveys = await _questions_of({r[1] for r in rows})
    for staff, survey_id, code, score, n in rows:
        question = surveys[survey_id].get(code)
        if question is not None and question.kind is QuestionKind.RATING:
            ratings = figures.setdefault(staff, OperatorFigures(staff)).ratings
            ratings[0] += n
            ratings[1] += score * n
    return figures


async def my_day(actor: Actor, day: date | None = None, at: datetime | None = None) -> OperatorDay:
    """The operator's own calls on a club-local day (today when none is given)."""
    actor.require_staff(*WORKERS)
    if actor.staff_id is None:
        raise PermissionDenied("these are an operator's own figures")
    day = day or clock.local_date(at or datetime.now(UTC))
    since, until = _period(day, day)
    figures = await _figures(since, until, staff_id=actor.staff_id)
    return OperatorDay(day, figures.get(actor.staff_id, OperatorFigures(actor.staff_id)))


async def _question_figures(
    since: datetime, until: datetime, branch_id: int | None
) -> list[QuestionFigures]:
    answers = SurveyAnswer.filter(
        answered_at__gte=since, answered_at__lt=until, response__channel=SurveyChannel.CALL
    )
    if branch_id is not None:
        answers = answers.filter(branch_id=branch_id)
    rows = (
        await answers.annotate(n=Count("id"))
        .group_by("branch_id", "survey_id", "question", "score")
        .values_list("branch_id", "survey_id", "question", "score", "n")
    )
    surveys = await _questions_of({r[1] for r in rows})
    counted: dict[tuple, list[float]] = defaultdict(lambda: [0, 0, 0.0])  # answers, scored, sum
    for branch, survey_id, code, score, n in rows:
        question = surveys[survey_id].get(code)
        if question is None:
            continue
        sums = counted[(branch, survey_id, code)]
        sums[0] += n
        if score is not None:
            sums[1] += n
            sums[2] += on_ten(question, score) * n
    found = []
    for survey_id, questions in sorted(surveys.items()):
        order = list(questions)
        keys = sorted(
            (k for k in counted if k[1] == survey_id),
            key=lambda k: (k[0] is None, k[0] or 0, order.index(k[2])),
        )
        for branch, _, code in keys:
            answered, scored, total = counted[(branch, survey_id, code)]
            found.append(
                QuestionFigures(
                    branch_id=branch,
                    survey_id=survey_id,
                    question=questions[code],
                    answers=int(answered),
                    average=round(total / scored, 2) if scored else None,
                )
            )
    return found


async def supervision(
    actor: Actor,
    first: date,
    last: date,
    *,
    branch_id: int | None = None,
    at: datetime | None = None,
) -> Supervision:
    """The queue now, and the club-local days from `first` to `last` (supervisors, managers)."""
    actor.require_staff(*SUPERVISORS)
    since, until = _period(first, last)
    if branch_id is not None and not await Branch.exists(id=branch_id):
        raise NotFound("branch", branch_id)
    now = at or datetime.now(UTC)
    calls = HappyCall.all() if branch_id is None else HappyCall.filter(branch_id=branch_id)
    claimed = calls.filter(status=HappyCallStatus.CLAIMED)
    figures = await _figures(since, until, branch_id=branch_id)
    staff = {s.id: s for s in await StaffUser.filter(id__in=list(figures))}
    return Supervision(
        queue_size=await calls.filter(status=HappyCallStatus.QUEUED).count(),
        claimed_now=await claimed.filter(claimed_until__gt=now).count(),
        overdue=await calls.filter(
            status__in=(HappyCallStatus.QUEUED, HappyCallStatus.CLAIMED), due_by__lte=now
        ).count(),
        expired=await calls.filter(
            status=HappyCallStatus.EXPIRED, due_by__gte=since, due_by__lt=until
        ).count(),
        operators=[
            (staff[s], f)
            for s, f in sorted(figures.items(), key=lambda item: -item[1].calls)
            if s in staff
        ],
        questions=await _question_figures(since, until, branch_id),
    )
