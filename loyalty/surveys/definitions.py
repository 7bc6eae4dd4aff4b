"""What a survey asks and whom, checked strictly when a manager saves it: a survey that could
not be answered is refused then, naming the input field at fault (camelCase, as the API)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

from loyalty.errors import InvalidInput
from loyalty.models import QuestionKind, SurveyChannel
from loyalty.programme.coupons import validity
from loyalty.validation import MAX_POINTS, MAX_RIAL, refusal

APP_CHOICES = 4
MAX_QUESTIONS = 20
MAX_CHOICES = 10
MAX_SCORE = 100
MAX_RATING = 10
MAX_OPEN_DAYS = 90

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
NameFa = Annotated[str, StringConstraints(strip_whitespace=True, max_length=100)]
Wording = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300)]
WordingFa = Annotated[str, StringConstraints(strip_whitespace=True, max_length=300)]
# Answers and reports name a question by its code; empty: q1, q2... by position.
Code = Annotated[
    str, StringConstraints(strip_whitespace=True, pattern=r"^([a-z][a-z0-9_]{0,31})?$")
]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class Choice(_Strict):
    text: Name
    text_fa: NameFa = ""
    score: int = Field(ge=0, le=MAX_SCORE)


class Question(_Strict):
    kind: Annotated[QuestionKind, Field(strict=False)]
    text: Wording
    text_fa: WordingFa = ""
    code: Code = ""
    required: bool = True
    choices: list[Choice] = Field(default=[], max_length=MAX_CHOICES)

    @property
    def shape(self) -> tuple:
        """What its answers mean: fixed once the survey was offered (the wording is not)."""
        return self.code, self.kind, tuple(c.score for c in self.choices)


class Definition(_Strict):
    name: Name
    name_fa: NameFa = ""
    channel: Annotated[SurveyChannel, Field(strict=False)]
    questions: list[Question] = Field(min_length=1, max_length=MAX_QUESTIONS)
    allow_comment: bool = True
    branch_ids: list[int] = []
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    min_purchase_amount: int = Field(default=0, ge=0, le=MAX_RIAL)
    open_days: int = Field(default=7, ge=1, le=MAX_OPEN_DAYS)
    points: int = Field(default=0, ge=0, le=MAX_POINTS)
    active: bool = True


def _checked(questions: list[Question]) -> list[Question]:
    """Questions with their codes (given ones kept, the others q1, q2... by position), each
    unique, and the choices their kinds take."""
    coded = [
        q if q.code else q.model_copy(update={"code": f"q{n}"})
        for n, q in enumerate(questions, start=1)
    ]
    seen: set[str] = set()
    for n, question in enumerate(coded):
        if question.code in seen:
            raise InvalidInput(
                f"questions.{n}.code: {question.code!r} is the code of another question",
                field=f"questions.{n}.code",
            )
        seen.add(question.code)
        choice = question.kind is QuestionKind.CHOICE
        if len(question.choices) < 2 if choice else bool(question.choices):
            field = f"questions.{n}.choices"
            offers = f"2 to {MAX_CHOICES} choices" if choice else "no choices"
            raise InvalidInput(
                f"{field}: a {question.kind.value} question offers {offers}", field=field
            )
    return coded


def _fits_the_app(questions: list[Question]) -> None:
    for n, question in enumerate(questions):
        if question.kind is not QuestionKind.CHOICE:
            raise InvalidInput(
                f"questions.{n}.kind: an app survey asks choice questions only",
                field=f"questions.{n}.kind",
            )
        if len(question.choices) != APP_CHOICES:
            raise InvalidInput(
                f"questions.{n}.choices: an app survey's questions offer exactly "
                f"{APP_CHOICES} choices",
                field=f"questions.{n}.choices",
            )


def parse(raw: Mapping[str, object]) -> Definition:
    """A survey from its definition (snake_case keys), or InvalidInput naming the culprit."""
    try:
        definition = Definition.model_validate(dict(raw))
    except ValidationError as error:
        raise refusal(error) from None
    validity(definition.starts_at, definition.ends_at)
    questions = _checked(definition.questions)
    if definition.channel is SurveyChannel.APP:
        _fits_the_app(questions)
    return definition.model_copy(update={"questions": questions})


def questions_of(stored: list[dict]) -> list[Question]:
    """A saved survey's questions (they were checked when it was saved)."""
    return [Question.model_validate(q) for q in stored]
