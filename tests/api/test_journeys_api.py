"""Journeys and the messaging policy through GraphQL: managers' round trips and typed errors;
the member's preferred channel."""

from __future__ import annotations

from loyalty.models import Role
from tests import factories as f
from tests.api.conftest import Api

ERRORS = """
    ... on Error { code message }
    ... on InvalidInputError { field }
"""
JOURNEY_FIELDS = """
    id name kind purpose language title body active version couponId voucherDays placeholders
    options { category days gapMultiple minDays maxDays tierIds product publicDate }
"""
CREATE = (
    "mutation($input: JourneyInput!) { createJourney(input: $input) { __typename"
    " ... on JourneySaved { journey {" + JOURNEY_FIELDS + "} }" + ERRORS + "} }"
)
UPDATE = (
    "mutation($input: UpdateJourneyInput!) { updateJourney(input: $input) { __typename"
    " ... on JourneySaved { journey { id version options { days } } }" + ERRORS + "} }"
)
PAUSE = (
    "mutation($input: JourneyStateInput!) { pauseJourney(input: $input) { __typename"
    " ... on JourneySaved { journey { id active version } }" + ERRORS + "} }"
)
RESUME = PAUSE.replace("pauseJourney", "resumeJourney")
LIST = """
query($first: Int!, $after: String, $all: Boolean!) {
  journeys(first: $first, after: $after, includePaused: $all) {
    edges { node { id name active runs(first: 5) { edges { node { day sent held } } } } }
    pageInfo { hasNextPage endCursor }
  }
}"""
ONE = "query($id: ID!) { journey(id: $id) { __typename ... on Journey { id name }" + ERRORS + "} }"
POLICY = "{ messagingPolicy { quietFrom quietUntil marketingPerWeek version } }"
SET_POLICY = (
    "mutation($input: MessagingPolicyInput!) { setMessagingPolicy(input: $input) { __typename"
    " ... on MessagingPolicySaved { policy { quietFrom quietUntil marketingPerWeek version } }"
    + ERRORS
    + "} }"
)
OIL = {
    "name": "تعویض روغن",
    "kind": "AFTER_PURCHASE",
    "title": "یادآوری",
    "body": "{name} عزیز، زمان تعویض روغن خودروی شما نزدیک است",
    "options": {"category": "oil_change", "days": 75},
}


async def test_a_manager_creates_lists_changes_pauses_and_resumes_a_journey(api: Api) -> None:
    boss = await api.staff_token(Role.MANAGER)
    created = (await api.call(CREATE, {"input": OIL}, boss))["createJourney"]
    assert created["__typename"] == "JourneySaved", created
    journey = created["journey"]
    assert journey | {"id": None} == {
        "id": None,
        "name": "تعویض روغن",
        "kind": "AFTER_PURCHASE",
        "purpose": "MARKETING",
        "language": "FA",
        "title": "یادآوری",
        "body": OIL["body"],
        "active": True,
        "version": 1,
        "couponId": None,
        "voucherDays": 30,
        "placeholders": [
            "name",
            "first_name",
            "tier",
            "points",
            "days",
            "category",
            "purchase_date",
        ],
        "options": {
            "category": "oil_change",
            "days": 75,
            "gapMultiple": None,
            "minDays": None,
            "maxDays": None,
            "tierIds": [],
            "product": None,
            "publicDate": None,
        },
    }
    birthday = {"name": "Birthday", "kind": "BIRTHDAY", "title": "🎂", "body": "{first_name} جان"}
    await api.call(CREATE, {"input": birthday}, boss)

    longer = {**OIL, "options": {"category": "oil_change", "days": 90}}
    changed = (
        await api.call(
            UPDATE, {"input": {**longer, "id": journey["id"], "expectedVersion": 1}}, boss
        )
    )["updateJourney"]
    assert changed["journey"] == {"id": journey["id"], "version": 2, "options": {"days": 90}}
    stale = (
        await api.call(UPDATE, {"input": {**OIL, "id": journey["id"], "expectedVersion": 1}}, boss)
    )["updateJourney"]
    assert (stale["__typename"], stale["code"]) == ("VersionConflictError", "VERSION_CONFLICT")

    paused = (await api.call(PAUSE, {"input": {"id": journey["id"]}}, boss))["pauseJourney"]
    assert paused["journey"] == {"id": journey["id"], "active": False, "version": 3}
    active = await api.call(LIST, {"first": 10, "all": False}, boss)
    assert [e["node"]["name"] for e in active["journeys"]["edges"]] == ["Birthday"]
    first = await api.call(LIST, {"first": 1, "all": True}, boss)
    assert first["journeys"]["pageInfo"]["hasNextPage"]
    rest = await api.call(
        LIST, {"first": 1, "all": True, "after": first["journeys"]["pageInfo"]["endCursor"]}, boss
    )
    assert [e["node"]["id"] for e in rest["journeys"]["edges"]] == [journey["id"]]
    resumed = (await api.call(RESUME, {"input": {"id": journey["id"]}}, boss))["resumeJourney"]
    assert resumed["journey"]["active"] is True

    found = (await api.call(ONE, {"id": journey["id"]}, boss))["journey"]
    assert found == {"__typename": "Journey", "id": journey["id"], "name": "تعویض روغن"}
    missing = (await api.call(ONE, {"id": "999"}, boss))["journey"]
    assert (missing["__typename"], missing["code"]) == ("NotFoundError", "NOT_FOUND")


async def test_refusals_are_typed_and_name_the_field(api: Api) -> None:
    boss = await api.staff_token(Role.MANAGER)
    oil = OIL["options"]
    for change, field in [
        ({"body": "{name} {nickname}"}, "body"),
        ({"options": {"category": "oil_change"}}, "options.days"),
        ({"options": {**oil, "product": "x"}}, "options.product"),
        ({"options": {**oil, "tierIds": ["x"]}}, "options.tierIds.0"),
        ({"couponId": "12"}, "couponId"),
    ]:
        refused = (await api.call(CREATE, {"input": {**OIL, **change}}, boss))["createJourney"]
        assert (refused["__typename"], refused["code"], refused["field"]) == (
            "InvalidInputError",
            "INVALID_INPUT",
            field,
        ), refused
    cashier = await api.staff_token(Role.CASHIER)
    denied = (await api.call(CREATE, {"input": OIL}, cashier))["createJourney"]
    assert (denied["__typename"], denied["code"]) == ("PermissionDeniedError", "PERMISSION_DENIED")
    missing = (await api.call(PAUSE, {"input": {"id": "77"}}, boss))["pauseJourney"]
    assert missing["code"] == "NOT_FOUND"
    listing = await api.post(LIST, {"first": 5, "all": True}, cashier)
    assert listing["errors"][0]["extensions"]["code"] == "PERMISSION_DENIED"


async def test_the_messaging_policy_round_trip(api: Api) -> None:
    boss = await api.staff_token(Role.MANAGER)
    assert (await api.call(POLICY, token=boss))["messagingPolicy"] == {
        "quietFrom": "21:00:00",
        "quietUntil": "09:00:00",
        "marketingPerWeek": 3,
        "version": 0,
    }
    saved = await api.call(
        SET_POLICY, {"input": {"quietFrom": "22:30:00", "marketingPerWeek": 2}}, boss
    )
    assert saved["setMessagingPolicy"]["policy"] == {
        "quietFrom": "22:30:00",
        "quietUntil": "09:00:00",
        "marketingPerWeek": 2,
        "version": 1,
    }
    refused = (await api.call(SET_POLICY, {"input": {"marketingPerWeek": 99}}, boss))[
        "setMessagingPolicy"
    ]
    assert (refused["code"], refused["field"]) == ("INVALID_INPUT", "marketingPerWeek")
    stale = (await api.call(SET_POLICY, {"input": {"expectedVersion": 0}}, boss))[
        "setMessagingPolicy"
    ]
    assert stale["__typename"] == "VersionConflictError"


async def test_a_member_chooses_sms_or_push(api: Api) -> None:
    token, member_id = await api.member_token()
    query = """
    mutation($input: UpdateProfileInput!) { updateMyProfile(input: $input) {
      __typename ... on ProfileUpdated { member { preferredChannel } } } }"""
    saved = await api.call(query, {"input": {"preferredChannel": "SMS"}}, token)
    assert saved["updateMyProfile"]["member"] == {"preferredChannel": "SMS"}
    staff = await api.staff_token(Role.CASHIER)
    seen = await api.call(
        "query($id: ID!) { member(id: $id) { ... on Member { preferredChannel } } }",
        {"id": member_id},
        staff,
    )
    assert seen["member"] == {"preferredChannel": "SMS"}
    assert (await f.member()).preferred_channel.value == "push"
