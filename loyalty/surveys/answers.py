"""Answering a survey: checked against its questions, stored once against the purchase and
branch, and rewarded with the survey's points in the same database transaction.

A response is written first: it claims the idempotency key and its invitation (both unique),
so of two answers sent at once one is stored and the other is a replay (same key) or refused
(ALREADY_EXISTS). The points are one ledger transaction keyed by the response: a retry or a
crash can neither lose nor double them.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import UTC, datetime

from loyalty import history, leaderboard, ledger, validation
from loyalty.actors import Actor
from loyalty.errors import Conflict, InvalidInput
from loyalty.history import HistoryEntry
from loyalty.idempotency import check_key, derived_key, request_hash, run_once
from loyalty.ledger import Balances
from loyalty.models import (
    InvitationStatus,
    QuestionKind,
    Survey,
    SurveyAnswer,
    SurveyInvitation,
    SurveyResponse,
)
from loyalty.programme import events, snapshot, standing
from loyalty.programme.engine import POINTS, Line
from loyalty.programme.explain import Text, name_of
from loyalty.surveys.definitions import MAX_RATING, Question, questions_of
from loyalty.surveys.offers import invitation_of, own_member, refusal

MAX_TEXT = 1000
# What answers each kind of question.
ANSWERED_BY = {
    QuestionKind.CHOICE: "choice",
    QuestionKind.RATING: "rating",
    QuestionKind.YES_NO: "yes",
    QuestionKind.TEXT: "text",
}


@dataclass(frozen=True, slots=True)
class Given:
    """One answer as sent: the question's code and the one value its kind takes."""

    question: str
    choice: int | None = None
    rating: int | None = None
    yes: bool | None = None
    text: str | None = None


@dataclass(frozen=True, slots=True)
class Answer:
    """One answer as stored."""

    question: str
    choice: int | None = None
    score: int | None = None
    text: str = ""


def _whole(value: object, low: int, high: int, field: str, what: str) -> int:
    if type(value) is not int or not low <= value <= high:
        raise InvalidInput(f"{field}: {what} is a whole number from {low} to {high}", field=field)
    return value


def _answer(question: Question, given: Given, at: str) -> Answer | None:
    """`given` checked against `question`; None for an empty text."""
    wanted = ANSWERED_BY[question.kind]
    values = {name: getattr(given, name) for name in ANSWERED_BY.values()}
    other = next((n for n, v in values.items() if v is not None and n != wanted), None)
    if other is not None or values[wanted] is None:
        field = f"{at}.{other or wanted}"
        kind = question.kind.value.replace("_", "/")
        raise InvalidInput(f"{field}: a {kind} question is answered with {wanted}", field=field)
    value = values[wanted]
    field = f"{at}.{wanted}"
    match question.kind:
        case QuestionKind.CHOICE:
            last = len(question.choices) - 1
            choice = _whole(value, 0, last, field, "a choice")
            return Answer(question.code, choice=choice, score=question.choices[choice].score)
        case QuestionKind.RATING:
            return Answer(question.code, score=_whole(value, 0, MAX_RATING, field, "a rating"))
        case QuestionKind.YES_NO:
            if not isinstance(value, bool):
                raise InvalidInput(f"{field}: yes is true or false", field=field)
            return Answer(question.code, score=int(value))
    text = validation.text(value, field=field, max_length=MAX_TEXT)  # type: ignore[arg-type]
    return Answer(question.code, text=text) if text else None


def checked(questions: list[Question], given: list[Given]) -> list[Answer]:
    """The answers, each to a question of the survey, at most once, every required one given.

    Refused as a whole (InvalidInput naming the answer at fault) otherwise.
    """
    by_code = {q.code: q for q in questions}
    seen: set[str] = set()
    answers: dict[str, Answer] = {}
    for n, item in enumerate(given):
        at = f"answers.{n}"
        question = by_code.get(item.question)
        if question is None:
            raise InvalidInput(
                f"{at}.question: this survey has no question {item.question[:32]!r}",
                field=f"{at}.question",
            )
        if question.code in seen:
            raise InvalidInput(
                f"{at}.question: {question.code!r} is answered twice", field=f"{at}.question"
            )
        seen.add(question.code)
        answer = _answer(question, item, at)
        if answer is not None:
            answers[question.code] = answer
    missing = [q.code for q in questions if q.required and q.code not in answers]
    if missing:
        raise InvalidInput(f"answers: question {missing[0]!r} needs an answer", field="answers")
    return [answers[q.code] for q in questions if q.code in answers]


def points_line(survey: Survey) -> Line:
    name = name_of(survey)
    return Line(
        "survey", POINTS, survey.points, Text("Survey answered: ", "پاسخ به نظرسنجی: ") + name
    )


async def save_answers(response: SurveyResponse, stored: list[Answer]) -> None:
    """The response's answers, each kept with its survey, branch and time (for reports)."""
    await SurveyAnswer.bulk_create(
        [
            SurveyAnswer(
                response_id=response.id,
                survey_id=response.survey_id,  # type: ignore[attr-defined]
                branch_id=response.branch_id,  # type: ignore[attr-defined]
                answered_at=response.answered_at,
                **asdict(a),
            )
            for a in stored
        ]
    )


@dataclass(frozen=True, slots=True)
class Answered:
    response: SurveyResponse
    earned: HistoryEntry | None
    balances: Balances
    replayed: bool


async def answer(
    actor: Actor,
    *,
    invitation_id: int,
    answers: list[Given],
    idempotency_key: str,
    comment: str = "",
    at: datetime | None = None,
) -> Answered:
    """The member answers a survey they were offered: once, earning its points once."""
    member_id = own_member(actor)
    key = check_key(idempotency_key)
    invitation = await invitation_of(member_id, invitation_id)
    survey = await Survey.get(id=invitation.survey_id)  # type: ignore[attr-defined]
    stored = checked(questions_of(survey.questions), answers)
    comment = validation.text(comment, field="comment", max_length=MAX_TEXT)
    if comment and not survey.allow_comment:
        raise InvalidInput("this survey takes no comment", field="comment")
    digest = request_hash(
        {
            "op": "answer_survey",
            "invitation": invitation.id,
            "answers": [asdict(a) for a in stored],
            "comment": comment,
        }
    )

    async def write() -> SurveyResponse:
        now = at or datetime.now(UTC)
        why_not = refusal(invitation, survey, now)
        if why_not is not None:
            raise why_not
        response = await SurveyResponse.create(
            survey_id=survey.id,
            survey_version=survey.version,
            channel=survey.channel,
            member_id=member_id,
            branch_id=invitation.branch_id,  # type: ignore[attr-defined]
            purchase_id=invitation.purchase_id,  # type: ignore[attr-defined]
            invitation_id=invitation.id,
            comment=comment,
            idempotency_key=key,
            request_hash=digest,
            answered_at=now,
        )
        # Answering races dismissing and closing: only an invitation still open is answered.
        if not await SurveyInvitation.filter(
            id=invitation.id, status=InvitationStatus.OFFERED, closes_at__gt=now
        ).update(status=InvitationStatus.ANSWERED, decided_at=now):
            await invitation.refresh_from_db()
            raise refusal(invitation, survey, now) or Conflict("this survey was just closed")
        await save_answers(response, stored)
        if survey.points:
            own = await standing.lock(member_id)
            earned = await events.earn_points(
                own,
                await snapshot.current(),
                [points_line(survey)],
                now,
                idempotency_key=derived_key("survey", response.id),
                request_hash=digest,
                reason_code="survey",
                branch_id=response.branch_id,  # type: ignore[attr-defined]
            )
            await SurveyResponse.filter(id=response.id).update(
                points=survey.points, transaction_id=earned.id
            )
            response.points, response.transaction_id = survey.points, earned.id  # type: ignore[attr-defined]
        return response

    async def already_answered() -> None:
        if await SurveyResponse.exists(invitation_id=invitation.id):
            raise Conflict("you have already answered this survey")

    with leaderboard.collecting() as earned_points:
        response, replayed = await run_once(
            digest, lambda: SurveyResponse.get_or_none(idempotency_key=key), write, already_answered
        )
    # The boards learn of the points once they are committed (a replay wrote none).
    await leaderboard.record_points(earned_points)
    earned = None
    if response.transaction_id is not None:  # type: ignore[attr-defined]
        [earned] = await history.entries([response.transaction_id])  # type: ignore[attr-defined]
    return Answered(response, earned, await ledger.balances(member_id), replayed)
