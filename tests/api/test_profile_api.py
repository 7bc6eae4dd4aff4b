"""The profile through the app's own operations: a Jalali birthday, language and calendar,
consents and their history, what completing the profile earns; staff edits; bad input."""

from __future__ import annotations

from pathlib import Path

from loyalty.models import Member, Role
from tests.api.conftest import Api

OPERATIONS = Path(__file__).parent.parent.parent / "mobile_contract" / "operations"
UPDATE_PROFILE = (OPERATIONS / "UpdateProfile.graphql").read_text()
UPDATE_CONSENTS = (OPERATIONS / "UpdateConsents.graphql").read_text()
CONSENT_HISTORY = (OPERATIONS / "ConsentHistory.graphql").read_text()
ME = (OPERATIONS / "Me.graphql").read_text()
CREATE_RULE = """
mutation($input: EarningRuleInput!) {
  createEarningRule(input: $input) {
    __typename
    ... on EarningRuleSaved { rule { summary params { ... on EventPointsParams { event field } } } }
    ... on InvalidInputError { code field }
  }
}"""
UPDATE_MEMBER = """
mutation($input: UpdateMemberProfileInput!) {
  updateMemberProfile(input: $input) {
    __typename
    ... on ProfileUpdated { member { id city marketingConsent } }
    ... on Error { code }
  }
}"""
STAFF_CONSENTS = """
query($id: ID!) {
  member(id: $id) {
    ... on Member {
      consentHistory(first: 5) { edges { node { consent granted changedBy staffId channel } } }
    }
  }
}"""


async def profile_rules(api: Api) -> None:
    manager = await api.staff_token(Role.MANAGER)
    for name, params in [
        ("Each detail", {"event": "PROFILE_FIELD", "points": 10}),
        ("Birthday", {"event": "PROFILE_FIELD", "points": 25, "field": "BIRTHDAY"}),
    ]:
        saved = await api.call(
            CREATE_RULE, {"input": {"name": name, "params": {"eventPoints": params}}}, manager
        )
        assert saved["createEarningRule"]["__typename"] == "EarningRuleSaved", saved


async def test_a_member_fills_in_a_jalali_birthday_and_earns_its_points(api: Api) -> None:
    await profile_rules(api)
    token, _ = await api.member_token()
    me = (await api.call(ME, token=token))["me"]
    assert me["profileCompletion"]["pointsAvailable"] == 5 * 10 + 25
    assert {"field": "BIRTHDAY", "points": 35} in me["profileCompletion"]["missingFields"]
    assert (me["calendar"], me["calendarPreference"], me["birthdayLocal"]) == (
        "JALALI",
        "CLUB",
        None,
    )

    done = await api.call(
        UPDATE_PROFILE,
        {
            "input": {
                "firstName": "سارا",
                "birthday": {"date": "1399-12-30", "calendar": "JALALI"},
                "language": "EN",
            }
        },
        token,
    )
    member = done["updateMyProfile"]["member"]
    assert (member["birthday"], member["birthdayCalendar"], member["birthdayLocal"]) == (
        "2021-03-20",
        "JALALI",
        "1399-12-30",
    )
    assert (member["firstName"], member["language"]) == ("سارا", "EN")
    assert member["balances"]["points"] == 10 + 35
    completion = member["profileCompletion"]
    assert completion["percent"] == 40
    assert [m["field"] for m in completion["missingFields"]] == ["LAST_NAME", "GENDER", "CITY"]
    assert completion["pointsAvailable"] == 30

    # Dates in the Gregorian calendar, then back to the club's.
    shown = await api.call(UPDATE_PROFILE, {"input": {"calendar": "GREGORIAN"}}, token)
    member = shown["updateMyProfile"]["member"]
    assert (member["calendar"], member["birthdayLocal"]) == ("GREGORIAN", "2021-03-20")
    back = await api.call(UPDATE_PROFILE, {"input": {"calendar": "CLUB"}}, token)
    member = back["updateMyProfile"]["member"]
    assert (member["calendar"], member["calendarPreference"]) == ("JALALI", "CLUB")
    assert member["balances"]["points"] == 45


async def test_an_impossible_birthday_is_refused_and_changes_nothing(api: Api) -> None:
    token, member_id = await api.member_token()
    for date, calendar in [("1400-12-30", "JALALI"), ("2999-01-01", "GREGORIAN"), ("x", "JALALI")]:
        refused = await api.call(
            UPDATE_PROFILE,
            {
                "input": {
                    "city": "Tehran",
                    "marketingConsent": True,
                    "birthday": {"date": date, "calendar": calendar},
                }
            },
            token,
        )
        result = refused["updateMyProfile"]
        assert (result["__typename"], result["code"], result["field"]) == (
            "InvalidInputError",
            "INVALID_INPUT",
            "birthday",
        )
    member = await Member.get(id=int(member_id))
    assert (member.city, member.marketing_consent, member.birthday) == ("", False, None)
    history = await api.call(CONSENT_HISTORY, {}, token)
    assert history["me"]["consentHistory"]["edges"] == []


async def test_consents_and_their_history(api: Api) -> None:
    token, member_id = await api.member_token()
    for marketing, profiling in [(True, None), (True, True), (False, None)]:
        saved = await api.call(
            UPDATE_CONSENTS, {"marketing": marketing, "profiling": profiling}, token
        )
        assert saved["updateMyProfile"]["__typename"] == "ProfileUpdated"
    assert saved["updateMyProfile"]["member"] == {
        "id": member_id,
        "marketingConsent": False,
        "profilingConsent": True,
    }
    first = (await api.call(CONSENT_HISTORY, {"first": 2}, token))["me"]["consentHistory"]
    assert [
        (e["node"]["consent"], e["node"]["granted"], e["node"]["changedBy"], e["node"]["channel"])
        for e in first["edges"]
    ] == [("MARKETING", False, "MEMBER", "APP"), ("PROFILING", True, "MEMBER", "APP")]
    assert first["pageInfo"]["hasNextPage"]
    rest = await api.call(
        CONSENT_HISTORY, {"first": 2, "after": first["pageInfo"]["endCursor"]}, token
    )
    edges = rest["me"]["consentHistory"]["edges"]
    assert [(e["node"]["consent"], e["node"]["granted"]) for e in edges] == [("MARKETING", True)]


async def test_staff_edit_a_profile_and_the_consent_shows_who_and_where(api: Api) -> None:
    await profile_rules(api)
    _, member_id = await api.member_token()
    cashier = await api.staff_token(Role.CASHIER)
    saved = await api.call(
        UPDATE_MEMBER,
        {"input": {"memberId": member_id, "city": "Isfahan", "marketingConsent": True}},
        cashier,
    )
    assert saved["updateMemberProfile"] == {
        "__typename": "ProfileUpdated",
        "member": {"id": member_id, "city": "Isfahan", "marketingConsent": True},
    }
    seen = await api.call(STAFF_CONSENTS, {"id": member_id}, cashier)
    [edge] = seen["member"]["consentHistory"]["edges"]
    assert edge["node"]["changedBy"] == "STAFF" and edge["node"]["channel"] == "COUNTER"
    assert edge["node"]["staffId"] is not None

    missing = await api.call(UPDATE_MEMBER, {"input": {"memberId": "999999"}}, cashier)
    assert missing["updateMemberProfile"]["code"] == "NOT_FOUND"
    stranger = await api.call(UPDATE_PROFILE, {"input": {"city": "Qom"}})
    assert stranger["updateMyProfile"]["code"] == "AUTHENTICATION_FAILED"
    member_token, _ = await api.member_token()
    not_staff = await api.call(
        UPDATE_MEMBER, {"input": {"memberId": member_id, "city": "Qom"}}, member_token
    )
    assert not_staff["updateMemberProfile"]["code"] == "NOT_FOUND"
    assert (await Member.get(id=int(member_id))).city == "Isfahan"


async def test_profile_rules_through_the_api(api: Api) -> None:
    manager = await api.staff_token(Role.MANAGER)
    saved = await api.call(
        CREATE_RULE,
        {
            "input": {
                "name": "Birthday",
                "params": {
                    "eventPoints": {"event": "PROFILE_FIELD", "points": 25, "field": "CITY"}
                },
            }
        },
        manager,
    )
    rule = saved["createEarningRule"]["rule"]
    assert rule["params"] == {"event": "PROFILE_FIELD", "field": "CITY"}
    assert rule["summary"] == "۲۵ امتیاز برای افزودن شهر به نمایه (یک بار)"
    for params in [
        {"event": "PROFILE_FIELD", "points": 5, "capCount": 2},
        {"event": "REVIEW", "points": 5, "field": "CITY"},
    ]:
        refused = await api.call(
            CREATE_RULE, {"input": {"name": "Bad", "params": {"eventPoints": params}}}, manager
        )
        assert refused["createEarningRule"]["code"] == "INVALID_INPUT"
