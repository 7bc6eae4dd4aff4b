"""Surveys through GraphQL: managers define them and read the results; the member answers or
dismisses the one offered after a purchase with the app's own operations."""

from __future__ import annotations

import asyncio
from collections import Counter
from pathlib import Path

from loyalty import purchases
from loyalty.models import Role
from tests import factories as f
from tests.api.conftest import Api

OPERATIONS = Path(__file__).resolve().parents[2] / "mobile_contract" / "operations"
PENDING = (OPERATIONS / "PendingSurvey.graphql").read_text(encoding="utf-8")
ANSWER = (OPERATIONS / "AnswerSurvey.graphql").read_text(encoding="utf-8")
DISMISS = (OPERATIONS / "DismissSurvey.graphql").read_text(encoding="utf-8")

SAVED = """
    __typename
    ... on SurveySaved {
      survey { id name nameFa version active channel points questions { code kind text textFa
        choices { text score } } }
    }
    ... on InvalidInputError { field }
    ... on Error { code message }
"""
CREATE = f"mutation($input: SurveyInput!) {{ createSurvey(input: $input) {{ {SAVED} }} }}"
UPDATE = f"mutation($input: UpdateSurveyInput!) {{ updateSurvey(input: $input) {{ {SAVED} }} }}"
SET_ACTIVE = (
    f"mutation($input: SetSurveyActiveInput!) {{ setSurveyActive(input: $input) {{ {SAVED} }} }}"
)
SURVEYS = """
query($first: Int, $after: String, $all: Boolean) {
  surveys(first: $first, after: $after, includeInactive: $all) {
    edges { node { id name active } }
    pageInfo { hasNextPage endCursor }
  }
}"""
RESULTS = """
query($id: ID!, $branch: ID) {
  surveyResults(surveyId: $id, branchId: $branch) {
    offered answered dismissed responseRate responses comments
    questions { question { code } answered averageScore options { value text count } }
  }
}"""

FOUR = [
    {"text": "Poor", "textFa": "ضعیف", "score": 1},
    {"text": "Fair", "textFa": "متوسط", "score": 2},
    {"text": "Good", "textFa": "خوب", "score": 3},
    {"text": "Excellent", "textFa": "عالی", "score": 4},
]


def survey_input(**more: object) -> dict:
    return {
        "name": "After your visit",
        "nameFa": "نظر شما درباره‌ی خرید",
        "channel": "APP",
        "questions": [
            {
                "code": "service",
                "kind": "CHOICE",
                "text": "How was the service?",
                "textFa": "خدمات ما چطور بود؟",
                "choices": FOUR,
            }
        ],
        "points": 40,
        **more,
    }


async def setup(api: Api) -> dict:
    shop = await f.branch()
    boss = await api.staff_token(Role.MANAGER)
    token, member_id = await api.member_token()
    created = await api.call(CREATE, {"input": survey_input()}, boss)
    survey = created["createSurvey"]["survey"]
    cashier = await f.staff_actor(Role.CASHIER, shop.id)
    key = f.key()
    await purchases.record(
        cashier,
        branch_id=shop.id,
        member_id=int(member_id),
        amount=2_000_000,
        receipt_number=key,
        idempotency_key=key,
    )
    return {"boss": boss, "member": token, "survey": survey, "shop": shop}


async def test_a_manager_defines_a_survey_in_persian_and_english(api: Api) -> None:
    club = await setup(api)
    survey = club["survey"]
    assert (survey["version"], survey["channel"], survey["points"]) == (1, "APP", 40)
    assert survey["name"] == survey["nameFa"] == "نظر شما درباره‌ی خرید"  # staff read Persian
    [question] = survey["questions"]
    assert (question["code"], question["text"], question["choices"][3]["text"]) == (
        "service",
        "خدمات ما چطور بود؟",
        "عالی",
    )
    changed = await api.call(
        UPDATE,
        {"input": {**survey_input(points=60), "id": survey["id"], "expectedVersion": 1}},
        club["boss"],
    )
    assert changed["updateSurvey"]["survey"]["version"] == 2
    stale = await api.call(
        UPDATE,
        {"input": {**survey_input(), "id": survey["id"], "expectedVersion": 1}},
        club["boss"],
    )
    assert stale["updateSurvey"]["__typename"] == "VersionConflictError"
    off = await api.call(SET_ACTIVE, {"input": {"id": survey["id"], "active": False}}, club["boss"])
    assert off["setSurveyActive"]["survey"]["active"] is False
    listed = await api.call(SURVEYS, {"first": 5, "all": True}, club["boss"])
    assert [e["node"]["id"] for e in listed["surveys"]["edges"]] == [survey["id"]]
    assert (await api.call(SURVEYS, {}, club["boss"]))["surveys"]["edges"] == []


async def test_a_survey_the_app_cannot_show_is_refused_naming_the_field(api: Api) -> None:
    boss = await api.staff_token(Role.MANAGER)
    five = survey_input()
    five["questions"][0]["choices"] = [*FOUR, {"text": "Superb", "score": 5}]
    rating = survey_input()
    rating["questions"] = [{"kind": "RATING", "text": "0 to 10?"}]
    cases = [
        (five, "questions.0.choices"),
        (rating, "questions.0.kind"),
        (survey_input(openDays=0), "openDays"),
        (survey_input(branchIds=["x"]), "branchIds.0"),
    ]
    for given, field in cases:
        data = await api.call(CREATE, {"input": given}, boss)
        assert data["createSurvey"]["__typename"] == "InvalidInputError", data
        assert data["createSurvey"]["field"] == field
    assert (await api.call(SURVEYS, {"all": True}, boss))["surveys"]["edges"] == []


async def test_the_member_answers_the_pending_survey_once(api: Api) -> None:
    club = await setup(api)
    data = await api.call(PENDING, token=club["member"])
    pending = data["pendingSurvey"]
    assert pending["name"] == "نظر شما درباره‌ی خرید" and pending["points"] == 40
    assert pending["branch"]["id"] == str(club["shop"].id)
    assert [c["text"] for c in pending["questions"][0]["choices"]] == [
        "ضعیف",
        "متوسط",
        "خوب",
        "عالی",
    ]
    wrong = {"id": pending["id"], "idempotencyKey": f.key(), "answers": []}
    wrong["answers"] = [{"question": "service", "choice": 4}]
    refused = (await api.call(ANSWER, {"input": wrong}, club["member"]))["answerSurvey"]
    assert (refused["__typename"], refused["field"]) == ("InvalidInputError", "answers.0.choice")

    given = {
        "id": pending["id"],
        "idempotencyKey": "survey-answer-1",
        "answers": [{"question": "service", "choice": 3}],
        "comment": "باریستا خیلی خوش‌برخورد بود",
    }
    answered = (await api.call(ANSWER, {"input": given}, club["member"]))["answerSurvey"]
    assert answered["__typename"] == "SurveyAnswered", answered
    assert (answered["points"], answered["replayed"], answered["balances"]["points"]) == (
        40,
        False,
        240,
    )
    replay = (await api.call(ANSWER, {"input": given}, club["member"]))["answerSurvey"]
    assert (replay["replayed"], replay["balances"]["points"]) == (True, 240)
    again = {**given, "idempotencyKey": f.key()}
    twice = (await api.call(ANSWER, {"input": again}, club["member"]))["answerSurvey"]
    assert (twice["__typename"], twice["code"]) == ("ConflictError", "ALREADY_EXISTS")
    assert (await api.call(PENDING, token=club["member"]))["pendingSurvey"] is None

    results = (await api.call(RESULTS, {"id": club["survey"]["id"]}, club["boss"]))["surveyResults"]
    assert (results["offered"], results["answered"], results["responseRate"]) == (1, 1, 1.0)
    assert (results["responses"], results["comments"]) == (1, 1)
    [question] = results["questions"]
    assert (question["answered"], question["averageScore"]) == (1, 4.0)
    assert [o["count"] for o in question["options"]] == [0, 0, 0, 1]
    assert question["options"][3]["text"] == "عالی"


async def test_answers_sent_at_once_pay_once(api: Api) -> None:
    club = await setup(api)
    pending = (await api.call(PENDING, token=club["member"]))["pendingSurvey"]
    inputs = [
        {
            "id": pending["id"],
            "idempotencyKey": f.key(),
            "answers": [{"question": "service", "choice": 2}],
        }
        for _ in range(4)
    ]
    outcomes = await asyncio.gather(
        *(api.call(ANSWER, {"input": i}, club["member"]) for i in inputs)
    )
    kinds = Counter(o["answerSurvey"]["__typename"] for o in outcomes)
    assert kinds == {"SurveyAnswered": 1, "ConflictError": 3}
    me = await api.call("{ me { balances { points } } }", token=club["member"])
    assert me["me"]["balances"]["points"] == 240


async def test_the_member_dismisses_the_survey(api: Api) -> None:
    club = await setup(api)
    pending = (await api.call(PENDING, token=club["member"]))["pendingSurvey"]
    dismissed = await api.call(DISMISS, {"id": pending["id"]}, club["member"])
    assert dismissed["dismissSurvey"] == {"__typename": "SurveyDismissed", "id": pending["id"]}
    assert (await api.call(PENDING, token=club["member"]))["pendingSurvey"] is None
    given = {
        "id": pending["id"],
        "idempotencyKey": f.key(),
        "answers": [{"question": "service", "choice": 0}],
    }
    late = (await api.call(ANSWER, {"input": given}, club["member"]))["answerSurvey"]
    assert (late["__typename"], late["code"]) == ("NotUsableError", "NOT_ELIGIBLE")
    other, _ = await api.member_token()
    theirs = await api.call(DISMISS, {"id": pending["id"]}, other)
    assert theirs["dismissSurvey"]["__typename"] == "NotFoundError"


async def test_members_and_staff_keep_to_their_own_side(api: Api) -> None:
    club = await setup(api)
    created = await api.call(CREATE, {"input": survey_input()}, club["member"])
    assert created["createSurvey"]["code"] == "PERMISSION_DENIED"
    for query, variables in ((RESULTS, {"id": club["survey"]["id"]}), (SURVEYS, {})):
        body = await api.post(query, variables, club["member"])
        assert body["errors"][0]["extensions"]["code"] == "PERMISSION_DENIED"
    body = await api.post(PENDING, token=club["boss"])
    assert body["errors"][0]["extensions"]["code"] == "PERMISSION_DENIED"
    body = await api.post(PENDING)
    assert body["errors"][0]["extensions"]["code"] == "AUTHENTICATION_FAILED"
