"""In-app surveys: managers define them (strictly checked, versioned); a purchase is offered one
once; it is answered once, for its points exactly once, under races and retries; the window,
branches and amounts scope it; bad answers change nothing; results count what was answered."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest

from loyalty import ledger, purchases, refunds
from loyalty.actors import Actor
from loyalty.errors import (
    Conflict,
    DomainError,
    ErrorCode,
    InvalidInput,
    NotFound,
    PermissionDenied,
)
from loyalty.models import (
    ConfigChange,
    InvitationStatus,
    JournalTransaction,
    MemberStanding,
    Role,
    Survey,
    SurveyAnswer,
    SurveyInvitation,
    SurveyResponse,
    TransactionKind,
)
from loyalty.reconcile import reconcile
from loyalty.surveys import answers, manage, offers, results
from loyalty.surveys.answers import Given
from loyalty.surveys.definitions import parse, questions_of
from tests import factories as f

FOUR = [
    {"text": "Poor", "text_fa": "ضعیف", "score": 1},
    {"text": "Fair", "text_fa": "متوسط", "score": 2},
    {"text": "Good", "text_fa": "خوب", "score": 3},
    {"text": "Excellent", "text_fa": "عالی", "score": 4},
]


def app_survey(**more: object) -> dict:
    return {
        "name": "After your visit",
        "name_fa": "پس از خرید شما",
        "channel": "app",
        "questions": [
            {
                "code": "service",
                "kind": "choice",
                "text": "How was the service?",
                "text_fa": "خدمات ما چطور بود؟",
                "choices": FOUR,
            },
            {
                "code": "coffee",
                "kind": "choice",
                "text": "And the coffee?",
                "text_fa": "و قهوه؟",
                "required": False,
                "choices": FOUR,
            },
        ],
        "points": 50,
        **more,
    }


def call_survey(**more: object) -> dict:
    return {
        "name": "Happy call",
        "channel": "call",
        "questions": [
            {"code": "nps", "kind": "rating", "text": "Would you recommend us (0-10)?"},
            {"code": "again", "kind": "yes_no", "text": "Will you come again?"},
            {"code": "note", "kind": "text", "text": "Anything else?", "required": False},
            {
                "code": "staff",
                "kind": "choice",
                "text": "The staff were",
                "choices": [{"text": "Rude", "score": 0}, {"text": "Kind", "score": 10}],
            },
        ],
        **more,
    }


@pytest.fixture
async def club() -> dict:
    tehran, isfahan = await f.branch(), await f.branch()
    sara, reza = await f.member("Sara"), await f.member("Reza")
    return {
        "boss": await f.manager(),
        "tehran": tehran.id,
        "isfahan": isfahan.id,
        "cashier": await f.staff_actor(Role.CASHIER),
        "sara": sara.id,
        "reza": reza.id,
    }


async def buy(club: dict, member: str = "sara", *, branch: str = "tehran", **more: object):
    key = f.key()
    result = await purchases.record(
        club["cashier"],
        branch_id=club[branch],
        member_id=club[member],
        amount=more.pop("amount", 1_000_000),  # type: ignore[arg-type]
        receipt_number=key,
        idempotency_key=key,
        **more,  # type: ignore[arg-type]
    )
    return result.purchase


async def pending(club: dict, member: str = "sara", **more: object) -> list[offers.Offered]:
    return await offers.pending(Actor.member(club[member]), **more)  # type: ignore[arg-type]


async def answer(club: dict, invitation_id: int, member: str = "sara", **more: object):
    return await answers.answer(
        Actor.member(club[member]),
        invitation_id=invitation_id,
        answers=more.pop("answers", [Given("service", choice=3), Given("coffee", choice=2)]),  # type: ignore[arg-type]
        idempotency_key=more.pop("key", f.key()),  # type: ignore[arg-type]
        **more,  # type: ignore[arg-type]
    )


async def points(member_id: int) -> int:
    return (await ledger.balances(member_id)).points


async def survey_rows() -> dict[str, int]:
    return {
        "responses": await SurveyResponse.all().count(),
        "answers": await SurveyAnswer.all().count(),
        "transactions": await JournalTransaction.all().count(),
        "offered": await SurveyInvitation.filter(status=InvitationStatus.OFFERED).count(),
    }


async def refused(call, code: ErrorCode) -> DomainError:
    """The refusal of `call`, proving it wrote nothing."""
    before = await survey_rows()
    with pytest.raises(DomainError) as excinfo:
        await call
    assert excinfo.value.code is code, excinfo.value.message
    assert await survey_rows() == before
    return excinfo.value


# --- defining surveys ------------------------------------------------------------------------


async def test_a_survey_is_saved_versioned_with_persian_text(club: dict) -> None:
    survey = await manage.create(club["boss"], app_survey())
    assert (survey.version, survey.channel, survey.points) == (1, "app", 50)
    saved = await Survey.get(id=survey.id)
    assert saved.name_fa == "پس از خرید شما"
    [service, coffee] = questions_of(saved.questions)
    assert (service.code, service.text_fa, service.choices[3].text_fa) == (
        "service",
        "خدمات ما چطور بود؟",
        "عالی",
    )
    assert (coffee.required, [c.score for c in coffee.choices]) == (False, [1, 2, 3, 4])
    [change] = await ConfigChange.filter(entity="survey", entity_id=str(survey.id))
    assert change.snapshot["questions"][0]["text_fa"] == "خدمات ما چطور بود؟"


async def test_questions_without_a_code_are_numbered() -> None:
    raw = call_survey(questions=[{"kind": "rating", "text": "A"}, {"kind": "text", "text": "B"}])
    assert [q.code for q in parse(raw).questions] == ["q1", "q2"]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"questions": [{"kind": "choice", "text": "Q", "choices": [*FOUR, FOUR[0]]}]}, "choices"),
        ({"questions": [{"kind": "choice", "text": "Q", "choices": FOUR[:3]}]}, "choices"),
        ({"questions": [{"kind": "rating", "text": "Q"}]}, "questions.0.kind"),
        ({"questions": [{"kind": "yes_no", "text": "Q"}]}, "questions.0.kind"),
        ({"questions": []}, "questions"),
        ({"name": " "}, "name"),
        ({"channel": "sms"}, "channel"),
        ({"points": -1}, "points"),
        ({"points": True}, "points"),
        ({"open_days": 0}, "openDays"),
        ({"open_days": 91}, "openDays"),
        ({"min_purchase_amount": -1}, "minPurchaseAmount"),
        ({"branch_ids": [999]}, "branchIds"),
        ({"colour": "red"}, "colour"),
        ({"ends_at": datetime(2030, 1, 1)}, "endsAt"),
        (
            {
                "starts_at": datetime(2030, 1, 2, tzinfo=UTC),
                "ends_at": datetime(2030, 1, 1, tzinfo=UTC),
            },
            "endsAt",
        ),
    ],
)
async def test_an_app_survey_that_could_misbehave_is_refused(
    club: dict, change: dict, field: str
) -> None:
    with pytest.raises(InvalidInput) as excinfo:
        await manage.create(club["boss"], app_survey(**change))
    assert excinfo.value.field is not None and excinfo.value.field.endswith(field)
    assert await Survey.all().count() == 0
    assert await ConfigChange.all().count() == 0


@pytest.mark.parametrize(
    ("question", "field"),
    [
        ({"kind": "rating", "text": "Q", "choices": FOUR}, "questions.0.choices"),
        ({"kind": "choice", "text": "Q", "choices": FOUR[:1]}, "questions.0.choices"),
        ({"kind": "choice", "text": "Q", "choices": FOUR * 3}, "questions.0.choices"),
        ({"kind": "choice", "text": "Q", "choices": [{"text": "A", "score": 101}] * 2}, "score"),
        ({"kind": "choice", "text": "Q", "choices": [{"text": "", "score": 1}] * 2}, "text"),
        ({"kind": "rating", "text": "Q", "code": "Not A Code"}, "questions.0.code"),
        ({"kind": "rating", "text": "x" * 301}, "questions.0.text"),
        ({"kind": "poll", "text": "Q"}, "questions.0.kind"),
    ],
)
async def test_a_call_survey_question_is_checked(club: dict, question: dict, field: str) -> None:
    with pytest.raises(InvalidInput) as excinfo:
        await manage.create(club["boss"], call_survey(questions=[question]))
    assert excinfo.value.field is not None and excinfo.value.field.endswith(field)


async def test_question_codes_are_unique(club: dict) -> None:
    twice = [{"code": "a", "kind": "rating", "text": "Q"}] * 2
    with pytest.raises(InvalidInput) as excinfo:
        await manage.create(club["boss"], call_survey(questions=twice))
    assert excinfo.value.field == "questions.1.code"


async def test_only_managers_define_surveys(club: dict) -> None:
    with pytest.raises(PermissionDenied):
        await manage.create(club["cashier"], app_survey())
    with pytest.raises(PermissionDenied):
        await manage.create(Actor.member(club["sara"]), app_survey())
    assert await Survey.all().count() == 0


async def test_updates_are_versioned_and_refuse_a_stale_version(club: dict) -> None:
    survey = await manage.create(club["boss"], app_survey())
    updated = await manage.update(
        club["boss"], survey.id, app_survey(points=80), expected_version=1
    )
    assert (updated.version, updated.points) == (2, 80)
    with pytest.raises(Conflict) as excinfo:
        await manage.update(club["boss"], survey.id, app_survey(points=90), expected_version=1)
    assert excinfo.value.code is ErrorCode.VERSION_CONFLICT
    off = await manage.set_active(club["boss"], survey.id, False, expected_version=2)
    assert (off.active, off.version, off.points) == (False, 3, 80)
    assert await ConfigChange.filter(entity="survey").count() == 3
    with pytest.raises(InvalidInput) as excinfo:
        await manage.update(club["boss"], survey.id, call_survey())
    assert excinfo.value.field == "channel"
    with pytest.raises(NotFound):
        await manage.update(club["boss"], 999, app_survey())


async def test_once_offered_only_the_wording_of_questions_changes(club: dict) -> None:
    survey = await manage.create(club["boss"], app_survey())
    rescored = app_survey()
    rescored["questions"][0]["choices"] = [{**c, "score": c["score"] * 10} for c in FOUR]
    # Not offered yet: anything may change.
    await manage.update(club["boss"], survey.id, rescored)
    await manage.update(club["boss"], survey.id, app_survey())
    await buy(club)
    assert await pending(club)
    with pytest.raises(InvalidInput) as excinfo:
        await manage.update(club["boss"], survey.id, rescored)
    assert excinfo.value.field == "questions"
    reworded = app_survey()
    reworded["questions"][0]["text_fa"] = "از خدمات ما راضی بودید؟"
    saved = await manage.update(club["boss"], survey.id, reworded)
    assert questions_of(saved.questions)[0].text_fa == "از خدمات ما راضی بودید؟"


# --- offering --------------------------------------------------------------------------------


async def test_a_purchase_is_offered_its_survey_once(club: dict) -> None:
    survey = await manage.create(club["boss"], app_survey())
    assert await pending(club) == []
    purchase = await buy(club)
    [offer] = await pending(club)
    assert (offer.survey.id, offer.invitation.purchase_id, offer.invitation.branch_id) == (  # type: ignore[attr-defined]
        survey.id,
        purchase.id,
        club["tehran"],
    )
    assert offer.invitation.closes_at == purchase.occurred_at + timedelta(days=7)
    # Asked again, the same offer: one invitation for the purchase.
    [again] = await pending(club)
    assert again.invitation.id == offer.invitation.id
    assert await SurveyInvitation.all().count() == 1
    await answer(club, offer.invitation.id)
    assert await pending(club) == []
    assert await SurveyInvitation.all().count() == 1
    # The next purchase is offered anew.
    await buy(club)
    [next_offer] = await pending(club)
    assert next_offer.invitation.id != offer.invitation.id


async def test_a_dismissed_survey_never_comes_back_nor_does_an_older_purchase(club: dict) -> None:
    await manage.create(club["boss"], app_survey())
    older = await buy(club)
    newer = await buy(club)
    [offer] = await pending(club)
    assert offer.invitation.purchase_id == newer.id  # type: ignore[attr-defined]
    await offers.dismiss(Actor.member(club["sara"]), offer.invitation.id)
    await offers.dismiss(Actor.member(club["sara"]), offer.invitation.id)  # twice is fine
    assert await pending(club) == []
    assert not await SurveyInvitation.exists(purchase_id=older.id)
    await refused(answer(club, offer.invitation.id), ErrorCode.NOT_ELIGIBLE)


async def test_concurrent_asks_offer_one_invitation(club: dict) -> None:
    await manage.create(club["boss"], app_survey())
    await buy(club)
    found = await asyncio.gather(*(pending(club) for _ in range(5)))
    assert len({offer.invitation.id for [offer] in found}) == 1
    assert await SurveyInvitation.all().count() == 1


async def test_the_offer_follows_the_window(club: dict) -> None:
    await manage.create(club["boss"], app_survey(open_days=3))
    now = datetime.now(UTC)
    await buy(club, occurred_at=now - timedelta(days=4))
    assert await pending(club) == []
    await buy(club, occurred_at=now - timedelta(days=2))
    [offer] = await pending(club)
    # A day and a bit later it has closed: no longer pending, and cannot be answered.
    later = now + timedelta(days=1, hours=1)
    assert await pending(club, at=later) == []
    await refused(answer(club, offer.invitation.id, at=later), ErrorCode.NOT_ELIGIBLE)
    assert (await SurveyInvitation.get(id=offer.invitation.id)).status is InvitationStatus.OFFERED


async def test_branches_amounts_dates_and_refunds_scope_the_offer(club: dict) -> None:
    now = datetime.now(UTC)
    await manage.create(
        club["boss"], app_survey(branch_ids=[club["isfahan"]], min_purchase_amount=500_000)
    )
    await buy(club, branch="tehran")
    await buy(club, branch="isfahan", amount=400_000)
    assert await pending(club) == []
    refunded = await buy(club, branch="isfahan")
    await refunds.refund(club["boss"], purchase_id=refunded.id, idempotency_key=f.key())
    assert await pending(club) == []
    await buy(club, branch="isfahan", amount=500_000)
    [offer] = await pending(club)
    assert offer.invitation.branch_id == club["isfahan"]  # type: ignore[attr-defined]
    # A survey that starts later is not offered for purchases made before it starts.
    await manage.create(club["boss"], app_survey(starts_at=now + timedelta(hours=1)))
    await buy(club, "reza")
    assert await pending(club, "reza") == []
    assert await pending(club, "reza", at=now + timedelta(hours=2)) == []


async def test_a_survey_switched_off_is_not_offered_nor_answered(club: dict) -> None:
    survey = await manage.create(club["boss"], app_survey())
    await buy(club)
    [offer] = await pending(club)
    await manage.set_active(club["boss"], survey.id, False)
    assert await pending(club) == []
    await refused(answer(club, offer.invitation.id), ErrorCode.NOT_ELIGIBLE)
    await buy(club, "reza")
    assert await pending(club, "reza") == []
    assert await SurveyInvitation.all().count() == 1


async def test_call_surveys_are_not_offered_in_the_app(club: dict) -> None:
    await manage.create(club["boss"], call_survey())
    await buy(club)
    assert await pending(club) == []


# --- answering -------------------------------------------------------------------------------


async def test_an_answer_is_stored_against_the_purchase_and_earns_its_points(club: dict) -> None:
    survey = await manage.create(club["boss"], app_survey())
    purchase = await buy(club)
    before = await points(club["sara"])
    tier_points = (await MemberStanding.get(member_id=club["sara"])).tier_points_total
    [offer] = await pending(club)
    done = await answer(club, offer.invitation.id, comment="  قهوه عالی بود، ممنون!  ")
    assert not done.replayed
    response = done.response
    assert (response.survey_id, response.purchase_id, response.branch_id, response.member_id) == (  # type: ignore[attr-defined]
        survey.id,
        purchase.id,
        club["tehran"],
        club["sara"],
    )
    assert response.comment == "قهوه عالی بود، ممنون!"
    stored = await SurveyAnswer.filter(response_id=response.id).order_by("id")
    assert [(a.question, a.choice, a.score, a.branch_id) for a in stored] == [  # type: ignore[attr-defined]
        ("service", 3, 4, club["tehran"]),
        ("coffee", 2, 3, club["tehran"]),
    ]
    assert done.earned is not None and done.earned.points == 50
    assert done.earned.kind is TransactionKind.EARN and done.earned.branch_id == club["tehran"]
    assert done.earned.purchase_id is None  # a refund of the purchase does not take them back
    assert done.earned.lines[0].text.fa.endswith("پس از خرید شما")
    assert done.balances.points == before + 50 == await points(club["sara"])
    standing = await MemberStanding.get(member_id=club["sara"])
    assert standing.tier_points_total == tier_points + 50
    assert (await SurveyInvitation.get(id=offer.invitation.id)).status is InvitationStatus.ANSWERED
    assert (await reconcile()).ok


async def test_a_survey_without_points_posts_nothing(club: dict) -> None:
    await manage.create(club["boss"], app_survey(points=0))
    await buy(club)
    [offer] = await pending(club)
    transactions = await JournalTransaction.all().count()
    done = await answer(club, offer.invitation.id, answers=[Given("service", choice=0)])
    assert done.earned is None and done.response.points == 0
    assert await JournalTransaction.all().count() == transactions


async def test_a_survey_is_answered_once(club: dict) -> None:
    await manage.create(club["boss"], app_survey())
    await buy(club)
    [offer] = await pending(club)
    first = await answer(club, offer.invitation.id, key="answer-1")
    held = await points(club["sara"])
    # A retry with the same key and answers gets the first result back.
    again = await answer(club, offer.invitation.id, key="answer-1")
    assert (again.replayed, again.response.id) == (True, first.response.id)
    assert again.earned is not None and again.earned.id == first.earned.id  # type: ignore[union-attr]
    # Another answer is refused; the same key with other answers is a conflict.
    error = await refused(answer(club, offer.invitation.id), ErrorCode.ALREADY_EXISTS)
    assert "already answered" in error.message
    await refused(
        answer(club, offer.invitation.id, key="answer-1", answers=[Given("service", choice=0)]),
        ErrorCode.IDEMPOTENCY_CONFLICT,
    )
    # Dismissing it now is refused too.
    with pytest.raises(Conflict):
        await offers.dismiss(Actor.member(club["sara"]), offer.invitation.id)
    assert await points(club["sara"]) == held
    assert await SurveyResponse.all().count() == 1


async def test_concurrent_answers_store_one_and_pay_once(club: dict) -> None:
    await manage.create(club["boss"], app_survey())
    await buy(club)
    [offer] = await pending(club)
    held = await points(club["sara"])
    outcomes = await asyncio.gather(
        *(answer(club, offer.invitation.id) for _ in range(6)), return_exceptions=True
    )
    kinds = Counter(getattr(o, "code", type(o).__name__) for o in outcomes)
    assert kinds == {"Answered": 1, ErrorCode.ALREADY_EXISTS: 5}, outcomes
    assert await points(club["sara"]) == held + 50
    assert await SurveyResponse.all().count() == 1
    assert await SurveyAnswer.all().count() == 2
    assert await JournalTransaction.filter(reason_code="survey").count() == 1
    assert (await reconcile()).ok


async def test_concurrent_retries_with_one_key_get_one_answer(club: dict) -> None:
    await manage.create(club["boss"], app_survey())
    await buy(club)
    [offer] = await pending(club)
    held = await points(club["sara"])
    outcomes = await asyncio.gather(
        *(answer(club, offer.invitation.id, key="retry-me") for _ in range(6))
    )
    assert len({o.response.id for o in outcomes}) == 1
    assert Counter(o.replayed for o in outcomes) == {True: 5, False: 1}
    assert await points(club["sara"]) == held + 50
    assert await JournalTransaction.filter(reason_code="survey").count() == 1


async def test_answering_races_dismissing(club: dict) -> None:
    await manage.create(club["boss"], app_survey())
    await buy(club)
    [offer] = await pending(club)
    held = await points(club["sara"])
    outcomes = await asyncio.gather(
        answer(club, offer.invitation.id),
        offers.dismiss(Actor.member(club["sara"]), offer.invitation.id),
        return_exceptions=True,
    )
    status = (await SurveyInvitation.get(id=offer.invitation.id)).status
    answered = await SurveyResponse.all().count()
    if status is InvitationStatus.ANSWERED:
        assert answered == 1 and isinstance(outcomes[1], Conflict)
        assert await points(club["sara"]) == held + 50
    else:
        assert answered == 0 and isinstance(outcomes[0], DomainError)
        assert await points(club["sara"]) == held


@pytest.mark.parametrize(
    ("given", "field"),
    [
        ([Given("service", choice=4)], "answers.0.choice"),
        ([Given("service", choice=-1)], "answers.0.choice"),
        ([Given("service", choice=True)], "answers.0.choice"),  # type: ignore[arg-type]
        ([Given("service", rating=3)], "answers.0.rating"),
        ([Given("service")], "answers.0.choice"),
        ([Given("coffee", choice=1)], "answers"),
        ([], "answers"),
        ([Given("service", choice=1), Given("service", choice=2)], "answers.1.question"),
        ([Given("service", choice=1), Given("taste", choice=2)], "answers.1.question"),
    ],
)
async def test_invalid_answers_are_refused_and_change_nothing(
    club: dict, given: list[Given], field: str
) -> None:
    await manage.create(club["boss"], app_survey())
    await buy(club)
    [offer] = await pending(club)
    error = await refused(answer(club, offer.invitation.id, answers=given), ErrorCode.INVALID_INPUT)
    assert isinstance(error, InvalidInput) and error.field == field


async def test_a_comment_is_limited_and_may_be_refused(club: dict) -> None:
    await manage.create(club["boss"], app_survey(allow_comment=False))
    await buy(club)
    [offer] = await pending(club)
    for comment in ("x" * 1001, "nice"):
        error = await refused(
            answer(club, offer.invitation.id, comment=comment), ErrorCode.INVALID_INPUT
        )
        assert isinstance(error, InvalidInput) and error.field == "comment"


async def test_only_the_member_offered_answers_or_dismisses(club: dict) -> None:
    await manage.create(club["boss"], app_survey())
    await buy(club)
    [offer] = await pending(club)
    await refused(answer(club, offer.invitation.id, member="reza"), ErrorCode.NOT_FOUND)
    with pytest.raises(NotFound):
        await offers.dismiss(Actor.member(club["reza"]), offer.invitation.id)
    with pytest.raises(PermissionDenied):
        await answers.answer(
            club["boss"], invitation_id=offer.invitation.id, answers=[], idempotency_key="k"
        )
    with pytest.raises(PermissionDenied):
        await offers.pending(club["cashier"])


def test_call_questions_take_their_own_kind_of_answer() -> None:
    questions = parse(call_survey()).questions
    stored = answers.checked(
        questions,
        [
            Given("nps", rating=9),
            Given("again", yes=False),
            Given("note", text="  کارکنان مهربان بودند  "),
            Given("staff", choice=1),
        ],
    )
    assert [(a.question, a.choice, a.score, a.text) for a in stored] == [
        ("nps", None, 9, ""),
        ("again", None, 0, ""),
        ("note", None, None, "کارکنان مهربان بودند"),
        ("staff", 1, 10, ""),
    ]
    for given, field in [
        (Given("nps", rating=11), "answers.0.rating"),
        (Given("nps", choice=1), "answers.0.choice"),
        (Given("again", yes=1), "answers.0.yes"),  # type: ignore[arg-type]
        (Given("note", text="x" * 1001), "answers.0.text"),
    ]:
        with pytest.raises(InvalidInput) as excinfo:
            answers.checked(questions, [given])
        assert excinfo.value.field == field
    # An empty text is no answer: a required text question still needs one.
    assert (
        answers.checked(
            questions,
            [
                Given("nps", rating=0),
                Given("again", yes=True),
                Given("note", text=" "),
                Given("staff", choice=0),
            ],
        )[2].question
        == "staff"
    )


# --- results ---------------------------------------------------------------------------------


async def test_results_count_choices_average_scores_and_response_rate(club: dict) -> None:
    survey = await manage.create(club["boss"], app_survey())
    others = [(await f.member()).id for _ in range(2)]
    club.update(ana=others[0], ali=others[1])
    await buy(club, "sara", branch="tehran")
    await buy(club, "reza", branch="isfahan")
    await buy(club, "ana", branch="isfahan")
    await buy(club, "ali", branch="isfahan")
    [sara], [reza], [ana], [_ali] = [await pending(club, m) for m in ("sara", "reza", "ana", "ali")]
    await answer(club, sara.invitation.id, "sara", comment="عالی")
    await answer(club, reza.invitation.id, "reza", answers=[Given("service", choice=0)])
    await offers.dismiss(Actor.member(club["ana"]), ana.invitation.id)

    found = await results.results(club["boss"], survey.id)
    assert (found.offered, found.answered, found.dismissed) == (4, 2, 1)
    assert (found.response_rate, found.responses, found.comments) == (0.5, 2, 1)
    service, coffee = found.questions
    assert (service.answered, service.average_score) == (2, 2.5)
    assert [(o.value, o.text.fa, o.count) for o in service.options] == [
        (0, "ضعیف", 1),
        (1, "متوسط", 0),
        (2, "خوب", 0),
        (3, "عالی", 1),
    ]
    assert (coffee.answered, coffee.average_score) == (1, 3.0)

    at_isfahan = await results.results(club["boss"], survey.id, results.Scope(club["isfahan"]))
    assert (at_isfahan.offered, at_isfahan.answered, at_isfahan.response_rate) == (3, 1, 0.3333)
    assert [q.average_score for q in at_isfahan.questions] == [1.0, None]
    later = await results.results(
        club["boss"], survey.id, results.Scope(since=datetime.now(UTC) + timedelta(minutes=1))
    )
    assert (later.offered, later.responses, later.response_rate) == (0, 0, None)
    assert [q.answered for q in later.questions] == [0, 0]


async def test_results_are_for_managers_with_a_sensible_scope(club: dict) -> None:
    survey = await manage.create(club["boss"], app_survey())
    with pytest.raises(PermissionDenied):
        await results.results(club["cashier"], survey.id)
    with pytest.raises(NotFound):
        await results.results(club["boss"], 999)
    with pytest.raises(NotFound):
        await results.results(club["boss"], survey.id, results.Scope(branch_id=999))
    now = datetime.now(UTC)
    with pytest.raises(InvalidInput) as excinfo:
        await results.results(club["boss"], survey.id, results.Scope(since=now, until=now))
    assert excinfo.value.field == "until"
    with pytest.raises(InvalidInput) as excinfo:
        await results.results(club["boss"], survey.id, results.Scope(since=datetime(2030, 1, 1)))
    assert excinfo.value.field == "since"
