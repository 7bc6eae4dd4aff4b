"""What members answered a survey: per question, how many chose each choice (each rating, yes
or no) and the average score; how many were offered it, answered and dismissed. Filtered by
branch and time. Counted in the database, from the answers kept as facts."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from tortoise.functions import Count
from tortoise.queryset import QuerySet

from loyalty.actors import Actor
from loyalty.errors import InvalidInput, NotFound
from loyalty.models import (
    Branch,
    InvitationStatus,
    QuestionKind,
    Survey,
    SurveyAnswer,
    SurveyInvitation,
    SurveyResponse,
)
from loyalty.programme.explain import Text, fa_number
from loyalty.surveys import manage
from loyalty.surveys.definitions import MAX_RATING, Question, questions_of

YES_NO = ((1, Text("Yes", "بله")), (0, Text("No", "خیر")))


@dataclass(frozen=True, slots=True)
class Option:
    """One answer a question can have, and how many gave it."""

    # A choice's position, a rating, or 1 for yes and 0 for no.
    value: int
    text: Text
    count: int


@dataclass(frozen=True, slots=True)
class QuestionResults:
    question: Question
    answered: int
    # The mean of the answers' scores (choices' scores, ratings, yes = 1); None: no scores.
    average_score: float | None
    options: list[Option]


@dataclass(frozen=True, slots=True)
class SurveyResults:
    survey: Survey
    # Invitations made in the period (in-app surveys), and how many of them were answered or
    # dismissed.
    offered: int
    answered: int
    dismissed: int
    # Responses given in the period, in the app or on calls, and how many left a comment.
    responses: int
    comments: int
    questions: list[QuestionResults]

    @property
    def response_rate(self) -> float | None:
        """Answered of those offered (None when none were)."""
        return round(self.answered / self.offered, 4) if self.offered else None


@dataclass(frozen=True, slots=True)
class Scope:
    """Which answers count: at one branch (None: all), from `since`, until before `until`."""

    branch_id: int | None = None
    since: datetime | None = None
    until: datetime | None = None

    async def checked(self) -> Scope:
        for name, value in (("since", self.since), ("until", self.until)):
            if value is not None and value.tzinfo is None:
                raise InvalidInput(f"{name} needs a time zone", field=name)
        if self.since and self.until and self.until <= self.since:
            raise InvalidInput("until must be after since", field="until")
        if self.branch_id is not None and not await Branch.exists(id=self.branch_id):
            raise NotFound("branch", self.branch_id)
        return self

    def of(self, query: QuerySet, time_column: str) -> QuerySet:
        if self.branch_id is not None:
            query = query.filter(branch_id=self.branch_id)
        if self.since is not None:
            query = query.filter(**{f"{time_column}__gte": self.since})
        if self.until is not None:
            query = query.filter(**{f"{time_column}__lt": self.until})
        return query


def on_ten(question: Question, score: int) -> float:
    """A score on the 0-10 scale ratings use: a choice's score against the question's best
    choice, yes 10 and no 0."""
    match question.kind:
        case QuestionKind.CHOICE:
            best = max(c.score for c in question.choices)
            return score * MAX_RATING / best if best else 0.0
        case QuestionKind.YES_NO:
            return float(score * MAX_RATING)
    return float(score)


def labels(question: Question) -> list[tuple[int, Text]]:
    """The answers a question can have, each by its value (a choice's position, a rating, 1
    for yes and 0 for no) and in words; none for a text question."""
    match question.kind:
        case QuestionKind.CHOICE:
            return [(n, Text(c.text, c.text_fa or c.text)) for n, c in enumerate(question.choices)]
        case QuestionKind.RATING:
            return [(n, Text(str(n), fa_number(n))) for n in range(MAX_RATING + 1)]
        case QuestionKind.YES_NO:
            return list(YES_NO)
    return []


def _options(question: Question, counts: dict[int, int]) -> list[Option]:
    return [Option(value, text, counts.get(value, 0)) for value, text in labels(question)]


async def results(actor: Actor, survey_id: int, scope: Scope | None = None) -> SurveyResults:
    """A survey's results in `scope` (managers)."""
    survey = await manage.get(actor, survey_id)
    scope = await (scope or Scope()).checked()
    statuses = dict(
        await scope.of(SurveyInvitation.filter(survey_id=survey.id), "offered_at")
        .annotate(n=Count("id"))
        .group_by("status")
        .values_list("status", "n")
    )
    responses = scope.of(SurveyResponse.filter(survey_id=survey.id), "answered_at")
    rows = (
        await scope.of(SurveyAnswer.filter(survey_id=survey.id), "answered_at")
        .annotate(n=Count("id"))
        .group_by("question", "choice", "score")
        .values_list("question", "choice", "score", "n")
    )
    answered: dict[str, int] = defaultdict(int)
    scored: dict[str, list[int]] = defaultdict(lambda: [0, 0])  # count, total
    by_value: dict[str, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    for code, choice, score, n in rows:
        answered[code] += n
        if score is not None:
            scored[code][0] += n
            scored[code][1] += score * n
            by_value[code][choice if choice is not None else score] += n
    questions = [
        QuestionResults(
            question=q,
            answered=answered[q.code],
            average_score=(
                round(scored[q.code][1] / scored[q.code][0], 2) if scored[q.code][0] else None
            ),
            options=_options(q, by_value[q.code]),
        )
        for q in questions_of(survey.questions)
    ]
    return SurveyResults(
        survey=survey,
        offered=sum(statuses.values()),
        answered=statuses.get(InvitationStatus.ANSWERED, 0),
        dismissed=statuses.get(InvitationStatus.DISMISSED, 0),
        responses=await responses.count(),
        comments=await responses.exclude(comment="").count(),
        questions=questions,
    )
