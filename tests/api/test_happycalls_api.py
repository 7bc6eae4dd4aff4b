"""Happy calls through GraphQL, as the console and managers use them: rules and policy, claiming
a call with the member's card and script, outcomes resent after a dropped connection,
complaints, and the figures."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from loyalty import purchases
from loyalty.happycalls import queue
from loyalty.models import Branch, Role, Survey
from loyalty.settings import get_settings
from loyalty.surveys import manage
from tests import factories as f
from tests.api.conftest import Api
from tests.happycalls.conftest import SCRIPT

RULE_SAVED = """
    __typename
    ... on HappyCallRuleSaved { rule { id name trigger samplePercent priority deadlineHours
      surveyId branchIds version active } }
    ... on InvalidInputError { field }
    ... on Error { code message }
"""
CREATE_RULE = (
    "mutation($input: CreateHappyCallRuleInput!) "
    f"{{ createHappyCallRule(input: $input) {{ {RULE_SAVED} }} }}"
)
UPDATE_RULE = (
    "mutation($input: UpdateHappyCallRuleInput!) "
    f"{{ updateHappyCallRule(input: $input) {{ {RULE_SAVED} }} }}"
)
RULES = "{ happyCallRules(first: 10) { edges { node { id name } } pageInfo { hasNextPage } } }"
SET_POLICY = """
mutation($input: HappyCallPolicyInput!) {
  setHappyCallPolicy(input: $input) {
    __typename
    ... on HappyCallPolicySaved { policy { claimMinutes maxAttempts callingHoursFrom
      callingHoursUntil busyRetryMinutes version } }
    ... on InvalidInputError { field }
    ... on Error { code message }
  }
}"""
POLICY = "{ happyCallPolicy { claimMinutes maxAttempts recentCallDays version } }"
CALL = """
  id status trigger priority dueBy attempts claimedUntil retryAt outcome callingHours { start end }
  purchase { id amount occurredAt branch { code name } items { name quantity amount } }
  script { id name channel questions { code kind required text choices { text score } } }
  card {
    memberId name phone tier points credit
    recentPurchases { id branch { code } }
    earlierCalls { at outcome operatorName answers { question answer } }
    complaints { id category note status raisedBy followUps { by note closed } }
    recentMessages { title }
    offers { kind title details ready }
  }
"""
CLAIM = f"""
mutation($key: String!) {{
  claimNextHappyCall(input: {{idempotencyKey: $key}}) {{
    __typename
    ... on HappyCallClaimed {{ call {{ {CALL} }} }}
    ... on Error {{ code message }}
  }}
}}"""
RELEASE = """
mutation($id: ID!) {
  releaseHappyCall(input: {callId: $id}) {
    __typename
    ... on HappyCallReleased { call { id status } }
    ... on Error { code message }
  }
}"""
RECORD = """
mutation($input: RecordHappyCallOutcomeInput!) {
  recordHappyCallOutcome(input: $input) {
    __typename
    ... on HappyCallRecorded { replayed call { id status outcome attempts retryAt } }
    ... on InvalidInputError { field }
    ... on Error { code message }
  }
}"""
RAISE = """
mutation($input: RaiseComplaintInput!) {
  raiseComplaint(input: $input) {
    __typename
    ... on ComplaintRaised { replayed complaint { id category question note status raisedBy
      branch { code } callId memberId } }
    ... on InvalidInputError { field }
    ... on Error { code message }
  }
}"""
FOLLOW_UP = """
mutation($input: AddComplaintFollowUpInput!) {
  addComplaintFollowUp(input: $input) {
    __typename
    ... on ComplaintFollowedUp { replayed complaint { status closedAt followUps { note closed } } }
    ... on Error { code message }
  }
}"""
COMPLAINTS = """
query($status: ComplaintStatus) {
  complaints(status: $status) { edges { node { id status } } }
}"""
MY_STATS = "{ myHappyCallStats { day calls completed completionRate averageSatisfaction } }"
SUPERVISION = """
query($from: Date!, $to: Date!, $language: Language) {
  happyCallSupervision(from: $from, to: $to, language: $language) {
    queueSize claimedNow overdue expired
    operators { operator { username role } calls completed completionRate averageSatisfaction }
    questions { branch { code } question text answers average }
  }
}"""
ANSWERS = [
    {"question": "nps", "rating": 8},
    {"question": "again", "yes": True},
    {"question": "staff", "choice": 2},
    {"question": "note", "text": "قهوه سرد بود"},
]


async def queued_calls(members: int) -> dict:
    """A club with `members` purchases queued for calls, and the manager's token."""
    boss = await f.manager()
    script = await manage.create(boss, SCRIPT)
    branch = await f.branch("THR")
    cashier = await f.staff_actor(Role.CASHIER)
    bought = datetime.now(UTC) - timedelta(hours=1)
    for n in range(members):
        member = await f.member(f"عضو {n}", last_name="احمدی")
        key = f.key()
        await purchases.record(
            cashier,
            branch_id=branch.id,
            member_id=member.id,
            amount=2_500_000,
            receipt_number=key,
            idempotency_key=key,
            occurred_at=bought,
            items=[purchases.LineItem(sku="cake", name="کیک", amount=2_500_000)],
        )
    return {"boss": boss, "script": script, "branch": branch}


async def setup(api: Api, members: int = 2) -> dict:
    club = await queued_calls(members)
    manager = await api.staff_token(Role.MANAGER)
    rule = {"name": "همه", "trigger": "SAMPLE", "samplePercent": 100, "deadlineHours": 24}
    saved = await api.call(
        CREATE_RULE, {"input": {**rule, "surveyId": str(club["script"].id)}}, manager
    )
    assert saved["createHappyCallRule"]["__typename"] == "HappyCallRuleSaved"
    anytime = {"callingHoursFrom": "00:00:00", "callingHoursUntil": "00:00:00"}
    await api.call(SET_POLICY, {"input": anytime}, manager)
    await queue.fill()
    return {**club, "manager": manager, "rule": saved["createHappyCallRule"]["rule"]}


async def test_managers_set_rules_and_policy(api: Api) -> None:
    club = await queued_calls(0)
    manager = await api.staff_token(Role.MANAGER)
    rule = {
        "name": "Big",
        "trigger": "AMOUNT_AT_LEAST",
        "surveyId": str(club["script"].id),
        "deadlineHours": 24,
    }
    refused = await api.call(CREATE_RULE, {"input": rule}, manager)
    assert refused["createHappyCallRule"] == {
        "__typename": "InvalidInputError",
        "field": "minAmount",
        "code": "INVALID_INPUT",
        "message": "minAmount: a AMOUNT_AT_LEAST rule needs minAmount",
    }
    saved = (await api.call(CREATE_RULE, {"input": {**rule, "minAmount": 5_000_000}}, manager))[
        "createHappyCallRule"
    ]["rule"]
    assert (saved["trigger"], saved["version"], saved["active"]) == ("AMOUNT_AT_LEAST", 1, True)
    changed = {**rule, "minAmount": 1, "id": saved["id"], "expectedVersion": 1, "priority": 3}
    assert (await api.call(UPDATE_RULE, {"input": changed}, manager))["updateHappyCallRule"][
        "rule"
    ]["version"] == 2
    stale = (await api.call(UPDATE_RULE, {"input": changed}, manager))["updateHappyCallRule"]
    assert (stale["__typename"], stale["code"]) == ("VersionConflictError", "VERSION_CONFLICT")
    assert len((await api.call(RULES, token=manager))["happyCallRules"]["edges"]) == 1

    policy = {"claimMinutes": 5, "callingHoursFrom": "08:00:00", "expectedVersion": 0}
    done = (await api.call(SET_POLICY, {"input": policy}, manager))["setHappyCallPolicy"]
    assert done["policy"] == {
        "claimMinutes": 5,
        "maxAttempts": 3,
        "callingHoursFrom": "08:00:00",
        "callingHoursUntil": "21:00:00",
        "busyRetryMinutes": 15,
        "version": 1,
    }
    bad = (await api.call(SET_POLICY, {"input": {"maxAttempts": 0}}, manager))["setHappyCallPolicy"]
    assert (bad["__typename"], bad["field"]) == ("InvalidInputError", "maxAttempts")
    supervisor = await api.staff_token(Role.SUPERVISOR)
    assert (await api.call(POLICY, token=supervisor))["happyCallPolicy"]["claimMinutes"] == 5
    operator = await api.staff_token(Role.OPERATOR)
    denied = await api.call(CREATE_RULE, {"input": rule}, operator)
    assert denied["createHappyCallRule"]["code"] == "PERMISSION_DENIED"
    refused_read = await api.post(RULES, token=operator)
    assert refused_read["errors"][0]["extensions"]["code"] == "PERMISSION_DENIED"


async def test_an_operator_works_a_call_through_the_api(api: Api) -> None:
    club = await setup(api)
    operator = await api.staff_token(Role.OPERATOR)
    claimed = (await api.call(CLAIM, {"key": f.key()}, operator))["claimNextHappyCall"]
    call = claimed["call"]
    assert (call["status"], call["trigger"], call["attempts"], call["outcome"]) == (
        "CLAIMED",
        "SAMPLE",
        0,
        None,
    )
    assert call["purchase"]["branch"]["code"] == "THR"
    assert call["purchase"]["items"] == [{"name": "کیک", "quantity": 1, "amount": 2_500_000}]
    assert call["script"]["name"] == "تماس رضایت"
    assert [q["code"] for q in call["script"]["questions"]] == ["nps", "again", "staff", "note"]
    assert call["script"]["questions"][0]["text"] == "ما را پیشنهاد می‌کنید؟"
    card = call["card"]
    assert card["name"] == "عضو 0 احمدی" and card["phone"].startswith("+98")
    assert (card["points"], card["earlierCalls"], card["complaints"]) == (
        card["points"],
        [],
        [],
    )
    assert [p["branch"]["code"] for p in card["recentPurchases"]] == ["THR"]

    # The console lost the answer to its first send: it sends the same result again.
    result = {
        "callId": call["id"],
        "outcome": "COMPLETED",
        "answers": ANSWERS,
        "idempotencyKey": f.key(),
        "comment": "خوب بود",
    }
    first = (await api.call(RECORD, {"input": result}, operator))["recordHappyCallOutcome"]
    again = (await api.call(RECORD, {"input": result}, operator))["recordHappyCallOutcome"]
    assert (first["replayed"], again["replayed"]) == (False, True)
    assert (
        first["call"]
        == again["call"]
        == {
            "id": call["id"],
            "status": "DONE",
            "outcome": "COMPLETED",
            "attempts": 1,
            "retryAt": None,
        }
    )
    late = (await api.call(RECORD, {"input": {**result, "idempotencyKey": f.key()}}, operator))[
        "recordHappyCallOutcome"
    ]
    assert (late["__typename"], late["code"]) == ("ConflictError", "ALREADY_EXISTS")

    complaint = {
        "callId": call["id"],
        "category": "PRODUCT",
        "note": "قهوه سرد بود",
        "question": "note",
        "idempotencyKey": f.key(),
    }
    raised = (await api.call(RAISE, {"input": complaint}, operator))["raiseComplaint"]
    assert raised["complaint"]["status"] == "OPEN"
    assert raised["complaint"]["branch"] == {"code": "THR"}
    unknown = {**complaint, "question": "colour", "idempotencyKey": f.key()}
    wrong = (await api.call(RAISE, {"input": unknown}, operator))["raiseComplaint"]
    assert (wrong["__typename"], wrong["field"]) == ("InvalidInputError", "question")
    closing = {
        "complaintId": raised["complaint"]["id"],
        "note": "پیگیری شد",
        "close": True,
        "idempotencyKey": f.key(),
    }
    followed = (await api.call(FOLLOW_UP, {"input": closing}, operator))["addComplaintFollowUp"]
    assert followed["complaint"]["status"] == "CLOSED"
    assert followed["complaint"]["followUps"] == [{"note": "پیگیری شد", "closed": True}]
    listed = (await api.call(COMPLAINTS, {"status": "CLOSED"}, operator))["complaints"]["edges"]
    assert [e["node"]["id"] for e in listed] == [raised["complaint"]["id"]]

    stats = (await api.call(MY_STATS, token=operator))["myHappyCallStats"]
    assert (stats["calls"], stats["completed"], stats["completionRate"]) == (1, 1, 1.0)
    assert stats["averageSatisfaction"] == 8.0

    # The next call: the member's card shows nothing of the other member's call.
    second = (await api.call(CLAIM, {"key": f.key()}, operator))["claimNextHappyCall"]["call"]
    assert second["id"] != call["id"] and second["card"]["earlierCalls"] == []
    released = (await api.call(RELEASE, {"id": second["id"]}, operator))["releaseHappyCall"]
    assert released["call"]["status"] == "QUEUED"
    assert club["rule"]["trigger"] == "SAMPLE"


async def test_a_call_back_and_a_refused_outcome(api: Api) -> None:
    club = await setup(api, members=1)
    operator = await api.staff_token(Role.OPERATOR)
    call = (await api.call(CLAIM, {"key": f.key()}, operator))["claimNextHappyCall"]["call"]
    base = {"callId": call["id"], "outcome": "CALL_BACK", "idempotencyKey": f.key()}
    missing = (await api.call(RECORD, {"input": base}, operator))["recordHappyCallOutcome"]
    assert (missing["__typename"], missing["field"]) == ("InvalidInputError", "callBackAt")
    assert call["callingHours"] == {"start": "00:00:00", "end": "00:00:00"}  # any time
    at = (datetime.now(UTC) + timedelta(hours=5)).replace(microsecond=0)
    later = {**base, "idempotencyKey": f.key(), "callBackAt": at.isoformat()}
    hour = datetime.now(get_settings().zone).hour
    two_hours = {
        "callingHoursFrom": f"{hour:02}:00:00",
        "callingHoursUntil": f"{(hour + 2) % 24:02}:00:00",
    }
    await api.call(SET_POLICY, {"input": two_hours}, club["manager"])
    outside = (await api.call(RECORD, {"input": later}, operator))["recordHappyCallOutcome"]
    assert (outside["__typename"], outside["field"]) == ("InvalidInputError", "callBackAt")
    assert "outside the club's calling hours" in outside["message"]
    anytime = {"callingHoursFrom": "00:00:00", "callingHoursUntil": "00:00:00"}
    await api.call(SET_POLICY, {"input": anytime}, club["manager"])
    done = (await api.call(RECORD, {"input": later}, operator))["recordHappyCallOutcome"]
    assert done["call"]["status"] == "QUEUED"
    assert datetime.fromisoformat(done["call"]["retryAt"]) == at
    # Nothing else to call now.
    empty = (await api.call(CLAIM, {"key": f.key()}, operator))["claimNextHappyCall"]
    assert empty == {"__typename": "HappyCallClaimed", "call": None}


async def test_two_consoles_claiming_at_once_never_get_the_same_call(api: Api) -> None:
    await setup(api, members=3)
    tokens = [await api.staff_token(Role.OPERATOR) for _ in range(5)]
    answers = await asyncio.gather(*(api.call(CLAIM, {"key": f.key()}, t) for t in tokens))
    got = [a["claimNextHappyCall"]["call"] for a in answers]
    ids = [c["id"] for c in got if c is not None]
    assert len(ids) == 3 == len(set(ids))


async def test_supervisors_see_the_call_centre_and_others_do_not(api: Api) -> None:
    await setup(api)
    operator = await api.staff_token(Role.OPERATOR)
    call = (await api.call(CLAIM, {"key": f.key()}, operator))["claimNextHappyCall"]["call"]
    result = {
        "callId": call["id"],
        "outcome": "COMPLETED",
        "answers": ANSWERS,
        "idempotencyKey": f.key(),
    }
    await api.call(RECORD, {"input": result}, operator)
    today = datetime.now(UTC).date()
    window = {
        "from": (today - timedelta(days=1)).isoformat(),
        "to": (today + timedelta(days=1)).isoformat(),
    }
    supervisor = await api.staff_token(Role.SUPERVISOR)
    seen = (await api.call(SUPERVISION, window, supervisor))["happyCallSupervision"]
    assert (seen["queueSize"], seen["claimedNow"], seen["overdue"]) == (1, 0, 0)
    [figures] = seen["operators"]
    assert (figures["operator"]["role"], figures["calls"], figures["averageSatisfaction"]) == (
        "OPERATOR",
        1,
        8.0,
    )
    by_question = {
        q["question"]: (q["answers"], q["average"], q["branch"]["code"]) for q in seen["questions"]
    }
    assert by_question == {
        "nps": (1, 8.0, "THR"),
        "again": (1, 10.0, "THR"),
        "staff": (1, 10.0, "THR"),
        "note": (1, None, "THR"),
    }
    assert next(q["text"] for q in seen["questions"] if q["question"] == "staff") == "کارکنان"
    english = await api.call(SUPERVISION, {**window, "language": "EN"}, supervisor)
    texts = {q["question"]: q["text"] for q in english["happyCallSupervision"]["questions"]}
    assert texts["staff"] == "The staff were"
    denied = await api.post(SUPERVISION, window, operator)
    assert denied["errors"][0]["extensions"]["code"] == "PERMISSION_DENIED"
    cashier = await api.staff_token(Role.CASHIER)
    claim = (await api.call(CLAIM, {"key": f.key()}, cashier))["claimNextHappyCall"]
    assert (claim["__typename"], claim["code"]) == ("PermissionDeniedError", "PERMISSION_DENIED")
    assert await Branch.all().count() == 1 and await Survey.all().count() == 1
