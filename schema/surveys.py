"""Surveys: managers define them and read the results; members answer the one offered after
a purchase, in the app."""

from datetime import datetime
from typing import Annotated

import strawberry
from strawberry.types import Info

from loyalty import models as m
from loyalty.programme.explain import Text
from loyalty.surveys import answers, manage, offers, results
from loyalty.surveys.definitions import Question, questions_of
from schema.context import Context
from schema.counter import KEY_DESCRIPTION
from schema.errors import (
    INPUT,
    ConflictError,
    NotFoundError,
    NotUsableError,
    VersionConflictError,
    result_union,
    returns_errors,
)
from schema.scalars import BigInt
from schema.types import (
    AfterCursor,
    Balances,
    Branch,
    Connection,
    LedgerEntry,
    PageSize,
    connection,
    decode_cursor,
    in_language,
    load_branch,
    parse_id,
)

SurveyChannel = strawberry.enum(
    m.SurveyChannel,
    description="Where a survey is asked: APP, in the app after a purchase (4-choice questions "
    "and a comment only); CALL, read out by an operator on a happy call.",
)
QuestionKind = strawberry.enum(
    m.QuestionKind,
    description="What a question asks for: one of its CHOICES, a RATING from 0 to 10, YES_NO, "
    "or free TEXT.",
)
VERSION = "The version you read; a change made since is refused with VERSION_CONFLICT."


def _texts(en: str, fa: str) -> Text:
    return Text(en, fa or en)


@strawberry.type(description="One of a choice question's choices.")
class SurveyChoice:
    text_en: str = strawberry.field(description="Its wording in English.")
    text_fa: str = strawberry.field(description="Its wording in Persian; empty: the English.")
    score: int = strawberry.field(description="What choosing it scores (averages, reports).")

    @strawberry.field(description="Its wording in the viewer's language.")
    async def text(self, info: Info[Context, None]) -> str:
        return await in_language(info, _texts(self.text_en, self.text_fa))


@strawberry.type(description="A question of a survey.")
class SurveyQuestion:
    code: str = strawberry.field(description="Names the question in answers and results.")
    kind: QuestionKind = strawberry.field(description="What it asks for.")
    required: bool = strawberry.field(description="It must be answered.")
    text_en: str = strawberry.field(description="Its wording in English.")
    text_fa: str = strawberry.field(description="Its wording in Persian; empty: the English.")
    choices: list[SurveyChoice] = strawberry.field(
        description="For a CHOICE question: its choices, in order (answer with the position)."
    )

    @strawberry.field(description="Its wording in the viewer's language.")
    async def text(self, info: Info[Context, None]) -> str:
        return await in_language(info, _texts(self.text_en, self.text_fa))

    @classmethod
    def from_domain(cls, q: Question) -> "SurveyQuestion":
        return cls(
            code=q.code,
            kind=q.kind,
            required=q.required,
            text_en=q.text,
            text_fa=q.text_fa,
            choices=[
                SurveyChoice(text_en=c.text, text_fa=c.text_fa, score=c.score) for c in q.choices
            ],
        )


def _questions(survey: m.Survey) -> list[SurveyQuestion]:
    return [SurveyQuestion.from_domain(q) for q in questions_of(survey.questions)]


@strawberry.type(description="A survey as managers define it.")
class Survey:
    id: strawberry.ID = strawberry.field(description="The survey's id.")
    name_en: str = strawberry.field(description="Its title in English.")
    name_fa: str = strawberry.field(description="Its title in Persian; empty: the English.")
    channel: SurveyChannel = strawberry.field(description="Where it is asked.")
    questions: list[SurveyQuestion] = strawberry.field(description="What it asks, in order.")
    allow_comment: bool = strawberry.field(description="Members may add a comment.")
    branch_ids: list[strawberry.ID] = strawberry.field(
        description="Offered after purchases at these branches (empty: all)."
    )
    starts_at: datetime | None = strawberry.field(description="Offered from (UTC).")
    ends_at: datetime | None = strawberry.field(description="Offered until, not including.")
    min_purchase_amount: BigInt = strawberry.field(
        description="Offered after purchases of at least this many Rials (0: every purchase)."
    )
    open_days: int = strawberry.field(description="Days after the purchase it can be answered.")
    points: BigInt = strawberry.field(description="Points for answering it (0: none).")
    active: bool = strawberry.field(description="Switched on.")
    version: int = strawberry.field(description="Pass as `expectedVersion` when changing it.")

    @strawberry.field(description="Its title in the viewer's language.")
    async def name(self, info: Info[Context, None]) -> str:
        return await in_language(info, _texts(self.name_en, self.name_fa))

    @classmethod
    def from_model(cls, s: m.Survey) -> "Survey":
        return cls(
            id=strawberry.ID(str(s.id)),
            name_en=s.name,
            name_fa=s.name_fa,
            channel=s.channel,
            questions=_questions(s),
            allow_comment=s.allow_comment,
            branch_ids=[strawberry.ID(str(b)) for b in s.branch_ids],
            starts_at=s.starts_at,
            ends_at=s.ends_at,
            min_purchase_amount=s.min_purchase_amount,
            open_days=s.open_days,
            points=s.points,
            active=s.active,
            version=s.version,
        )


@strawberry.type(description="A survey the member is asked to answer, about one purchase.")
class PendingSurvey:
    id: strawberry.ID = strawberry.field(
        description="Pass to answerSurvey or dismissSurvey (it names this offer, not the survey)."
    )
    questions: list[SurveyQuestion] = strawberry.field(description="What it asks, in order.")
    allow_comment: bool = strawberry.field(description="A comment may be added.")
    points: BigInt = strawberry.field(description="Points for answering it (0: none).")
    purchase_id: strawberry.ID = strawberry.field(description="The purchase it is about.")
    purchased_at: datetime = strawberry.field(description="When that purchase was made (UTC).")
    closes_at: datetime = strawberry.field(description="It can be answered until then (UTC).")
    title: strawberry.Private[Text]
    branch_id: strawberry.Private[int]

    @strawberry.field(description="Its title in the member's language.")
    async def name(self, info: Info[Context, None]) -> str:
        return await in_language(info, self.title)

    @strawberry.field(description="Where the purchase was made.")
    async def branch(self, info: Info[Context, None]) -> Branch | None:
        return await load_branch(info, self.branch_id)

    @classmethod
    def from_domain(cls, o: offers.Offered) -> "PendingSurvey":
        return cls(
            id=strawberry.ID(str(o.invitation.id)),
            questions=[SurveyQuestion.from_domain(q) for q in o.questions],
            allow_comment=o.survey.allow_comment,
            points=o.survey.points,
            purchase_id=strawberry.ID(str(o.invitation.purchase_id)),  # type: ignore[attr-defined]
            purchased_at=o.purchased_at,
            closes_at=o.invitation.closes_at,
            title=_texts(o.survey.name, o.survey.name_fa),
            branch_id=o.invitation.branch_id,  # type: ignore[attr-defined]
        )


# --- managers' input -------------------------------------------------------------------------


@strawberry.input(description="A choice of a choice question.")
class SurveyChoiceInput:
    text: str = strawberry.field(description="Its wording in English (up to 100 characters).")
    score: int = strawberry.field(description="What choosing it scores, 0 to 100.")
    text_fa: str = strawberry.field(default="", description="Its wording in Persian.")


@strawberry.input(description="A question of a survey.")
class SurveyQuestionInput:
    kind: QuestionKind = strawberry.field(description="What it asks for.")
    text: str = strawberry.field(description="Its wording in English (up to 300 characters).")
    text_fa: str = strawberry.field(default="", description="Its wording in Persian.")
    code: str = strawberry.field(
        default="",
        description="Names it in answers and results: a-z, 0-9 and _, from a letter (empty: "
        "q1, q2... by position).",
    )
    required: bool = strawberry.field(default=True, description="It must be answered.")
    choices: list[SurveyChoiceInput] = strawberry.field(
        default_factory=list,
        description="For CHOICE: 2 to 10 choices (exactly 4 in an APP survey); else none.",
    )


@strawberry.input(description="A survey as a manager writes it.")
class SurveyInput:
    name: str = strawberry.field(description="Its title in English.")
    channel: SurveyChannel = strawberry.field(description="Where it is asked (cannot change).")
    questions: list[SurveyQuestionInput] = strawberry.field(
        description="What it asks, 1 to 20 questions. Once members were asked it, only the "
        "wording may change."
    )
    name_fa: str = strawberry.field(default="", description="Its title in Persian.")
    allow_comment: bool = strawberry.field(default=True, description="Members may comment.")
    branch_ids: list[strawberry.ID] | None = strawberry.field(
        default=None, description="Only after purchases at these branches (all, when left out)."
    )
    starts_at: datetime | None = strawberry.field(default=None, description="Offered from.")
    ends_at: datetime | None = strawberry.field(default=None, description="Offered until.")
    min_purchase_amount: BigInt = strawberry.field(
        default=0, description="Only after purchases of at least this many Rials."
    )
    open_days: int = strawberry.field(
        default=7, description="Days after the purchase it can be answered, 1 to 90."
    )
    points: BigInt = strawberry.field(default=0, description="Points for answering it.")
    active: bool = strawberry.field(default=True, description="Switched on.")

    def to_domain(self) -> dict:
        return {
            "name": self.name,
            "name_fa": self.name_fa,
            "channel": self.channel,
            "questions": [
                {
                    "kind": q.kind,
                    "text": q.text,
                    "text_fa": q.text_fa,
                    "code": q.code,
                    "required": q.required,
                    "choices": [
                        {"text": c.text, "text_fa": c.text_fa, "score": c.score} for c in q.choices
                    ],
                }
                for q in self.questions
            ],
            "allow_comment": self.allow_comment,
            "branch_ids": [
                parse_id(b, f"branchIds.{n}") for n, b in enumerate(self.branch_ids or [])
            ],
            "starts_at": self.starts_at,
            "ends_at": self.ends_at,
            "min_purchase_amount": self.min_purchase_amount,
            "open_days": self.open_days,
            "points": self.points,
            "active": self.active,
        }


@strawberry.input(description="A survey's new definition.")
class UpdateSurveyInput(SurveyInput):
    id: strawberry.ID = strawberry.field(description="The survey.")
    expected_version: int | None = strawberry.field(default=None, description=VERSION)


@strawberry.input(description="Switch a survey on or off.")
class SetSurveyActiveInput:
    id: strawberry.ID = strawberry.field(description="The survey.")
    active: bool = strawberry.field(description="On or off.")
    expected_version: int | None = strawberry.field(default=None, description=VERSION)


@strawberry.type(description="A survey was saved.")
class SurveySaved:
    survey: Survey = strawberry.field(description="The survey as it is now.")


SurveyResult = result_union(
    "SurveyResult",
    "Result of a change to a survey.",
    SurveySaved,
    NotFoundError,
    VersionConflictError,
)


# --- members' answers ------------------------------------------------------------------------


@strawberry.input(description="The answer to one question: give the one value its kind takes.")
class SurveyAnswerInput:
    question: str = strawberry.field(description="The question's code.")
    choice: int | None = strawberry.field(
        default=None, description="CHOICE: the position of the choice, from 0."
    )
    rating: int | None = strawberry.field(default=None, description="RATING: 0 to 10.")
    yes: bool | None = strawberry.field(default=None, description="YES_NO: yes or no.")
    text: str | None = strawberry.field(default=None, description="TEXT: up to 1,000 characters.")

    def to_domain(self) -> answers.Given:
        return answers.Given(
            question=self.question,
            choice=self.choice,
            rating=self.rating,
            yes=self.yes,
            text=self.text,
        )


@strawberry.input(description="Answers to a pending survey.")
class AnswerSurveyInput:
    id: strawberry.ID = strawberry.field(description="The pending survey's id.")
    answers: list[SurveyAnswerInput] = strawberry.field(
        description="One per question answered; every required question needs one."
    )
    idempotency_key: str = strawberry.field(description=KEY_DESCRIPTION)
    comment: str = strawberry.field(
        default="", description="Anything else to say, up to 1,000 characters."
    )


@strawberry.type(description="The survey was answered.")
class SurveyAnswered:
    points: BigInt = strawberry.field(description="Points earned for answering.")
    earned: LedgerEntry | None = strawberry.field(description="The points' ledger entry, if any.")
    balances: Balances = strawberry.field(description="The member's balances after.")
    answered_at: datetime = strawberry.field(description="When it was answered (UTC).")
    replayed: bool = strawberry.field(description="True when this repeats an earlier request.")


AnswerSurveyResult = result_union(
    "AnswerSurveyResult",
    "Result of answerSurvey: ALREADY_EXISTS once it was answered; NOT_ELIGIBLE once closed or "
    "dismissed.",
    SurveyAnswered,
    NotFoundError,
    ConflictError,
    NotUsableError,
)


@strawberry.input(description="A pending survey the member declines.")
class DismissSurveyInput:
    id: strawberry.ID = strawberry.field(description="The pending survey's id.")


@strawberry.type(description="The survey was dismissed: it is not offered again.")
class SurveyDismissed:
    id: strawberry.ID = strawberry.field(description="The pending survey's id.")


DismissSurveyResult = result_union(
    "DismissSurveyResult",
    "Result of dismissSurvey: ALREADY_EXISTS when it was answered.",
    SurveyDismissed,
    NotFoundError,
    ConflictError,
)


# --- results ---------------------------------------------------------------------------------


@strawberry.type(description="One answer a question can have, and how many gave it.")
class SurveyOptionCount:
    value: int = strawberry.field(
        description="The choice's position, the rating, or 1 for yes and 0 for no."
    )
    count: int = strawberry.field(description="How many answered so.")
    label: strawberry.Private[Text]

    @strawberry.field(description="The answer in the viewer's language.")
    async def text(self, info: Info[Context, None]) -> str:
        return await in_language(info, self.label)


@strawberry.type(description="What members answered one question.")
class SurveyQuestionResults:
    question: SurveyQuestion = strawberry.field(description="The question.")
    answered: int = strawberry.field(description="How many answered it.")
    average_score: float | None = strawberry.field(
        description="The mean score of its answers (choices' scores, ratings, yes = 1, no = 0); "
        "none for text or when unanswered."
    )
    options: list[SurveyOptionCount] = strawberry.field(
        description="How many gave each answer (none for text questions)."
    )


@strawberry.type(description="What members answered a survey, in the period and branch asked.")
class SurveyResults:
    survey: Survey = strawberry.field(description="The survey.")
    offered: int = strawberry.field(description="Times it was offered in the app.")
    answered: int = strawberry.field(description="Of those, how many were answered.")
    dismissed: int = strawberry.field(description="Of those, how many were dismissed.")
    response_rate: float | None = strawberry.field(
        description="Answered ÷ offered, 0 to 1 (none when it was not offered)."
    )
    responses: int = strawberry.field(description="Responses given, in the app or on calls.")
    comments: int = strawberry.field(description="Responses with a comment.")
    questions: list[SurveyQuestionResults] = strawberry.field(description="Per question.")

    @classmethod
    def from_domain(cls, r: results.SurveyResults) -> "SurveyResults":
        return cls(
            survey=Survey.from_model(r.survey),
            offered=r.offered,
            answered=r.answered,
            dismissed=r.dismissed,
            response_rate=r.response_rate,
            responses=r.responses,
            comments=r.comments,
            questions=[
                SurveyQuestionResults(
                    question=SurveyQuestion.from_domain(q.question),
                    answered=q.answered,
                    average_score=q.average_score,
                    options=[
                        SurveyOptionCount(value=o.value, count=o.count, label=o.text)
                        for o in q.options
                    ],
                )
                for q in r.questions
            ],
        )


def _optional_id(value: strawberry.ID | None, field: str) -> int | None:
    return parse_id(value, field) if value is not None else None


@strawberry.type
class SurveyQueries:
    @strawberry.field(
        description="Member: the survey to show now, about the newest purchase it is offered "
        "for (none: nothing to ask). It is offered until answered, dismissed or closed."
    )
    async def pending_survey(self, info: Info[Context, None]) -> PendingSurvey | None:
        pending = await offers.pending(info.context.require_actor())
        return PendingSurvey.from_domain(pending[0]) if pending else None

    @strawberry.field(description="Manager: the surveys, newest first.")
    async def surveys(
        self,
        info: Info[Context, None],
        first: PageSize = 20,
        after: AfterCursor = None,
        include_inactive: Annotated[
            bool, strawberry.argument(description="Also surveys switched off.")
        ] = False,
        channel: Annotated[
            SurveyChannel | None, strawberry.argument(description="Only those of this channel.")
        ] = None,
    ) -> Connection[Survey]:
        page = await manage.listed(
            info.context.require_actor(),
            first=first,
            before_id=decode_cursor("survey", after),
            include_inactive=include_inactive,
            channel=channel,
        )
        return connection("survey", page, Survey.from_model)

    @strawberry.field(
        description="Manager: what members answered a survey, per question, with response rates."
    )
    async def survey_results(
        self,
        info: Info[Context, None],
        survey_id: Annotated[strawberry.ID, strawberry.argument(description="The survey.")],
        branch_id: Annotated[
            strawberry.ID | None, strawberry.argument(description="Only at this branch.")
        ] = None,
        since: Annotated[
            datetime | None, strawberry.argument(description="Only from this time on.")
        ] = None,
        until: Annotated[
            datetime | None, strawberry.argument(description="Only before this time.")
        ] = None,
    ) -> SurveyResults:
        found = await results.results(
            info.context.require_actor(),
            parse_id(survey_id, "surveyId"),
            results.Scope(_optional_id(branch_id, "branchId"), since, until),
        )
        return SurveyResults.from_domain(found)


@strawberry.type
class SurveyMutations:
    @strawberry.mutation(description="Manager: add a survey.")
    @returns_errors
    async def create_survey(
        self,
        info: Info[Context, None],
        input: Annotated[SurveyInput, strawberry.argument(description=INPUT)],
    ) -> SurveyResult:
        survey = await manage.create(info.context.require_actor(), input.to_domain())
        return SurveySaved(survey=Survey.from_model(survey))

    @strawberry.mutation(description="Manager: change a survey (a new version).")
    @returns_errors
    async def update_survey(
        self,
        info: Info[Context, None],
        input: Annotated[UpdateSurveyInput, strawberry.argument(description=INPUT)],
    ) -> SurveyResult:
        survey = await manage.update(
            info.context.require_actor(),
            parse_id(input.id, "id"),
            input.to_domain(),
            expected_version=input.expected_version,
        )
        return SurveySaved(survey=Survey.from_model(survey))

    @strawberry.mutation(description="Manager: switch a survey on or off.")
    @returns_errors
    async def set_survey_active(
        self,
        info: Info[Context, None],
        input: Annotated[SetSurveyActiveInput, strawberry.argument(description=INPUT)],
    ) -> SurveyResult:
        survey = await manage.set_active(
            info.context.require_actor(),
            parse_id(input.id, "id"),
            input.active,
            expected_version=input.expected_version,
        )
        return SurveySaved(survey=Survey.from_model(survey))

    @strawberry.mutation(
        description="Member: answer a pending survey, once; it earns its points once."
    )
    @returns_errors
    async def answer_survey(
        self,
        info: Info[Context, None],
        input: Annotated[AnswerSurveyInput, strawberry.argument(description=INPUT)],
    ) -> AnswerSurveyResult:
        done = await answers.answer(
            info.context.require_actor(),
            invitation_id=parse_id(input.id, "id"),
            answers=[a.to_domain() for a in input.answers],
            idempotency_key=input.idempotency_key,
            comment=input.comment,
        )
        return SurveyAnswered(
            points=done.response.points,
            earned=LedgerEntry.from_domain(done.earned) if done.earned else None,
            balances=Balances.from_domain(done.balances),
            answered_at=done.response.answered_at,
            replayed=done.replayed,
        )

    @strawberry.mutation(description="Member: decline a pending survey; it is not offered again.")
    @returns_errors
    async def dismiss_survey(
        self,
        info: Info[Context, None],
        input: Annotated[DismissSurveyInput, strawberry.argument(description=INPUT)],
    ) -> DismissSurveyResult:
        await offers.dismiss(info.context.require_actor(), parse_id(input.id, "id"))
        return SurveyDismissed(id=input.id)
