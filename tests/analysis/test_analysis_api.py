"""The analysis through GraphQL: a member's figures, the live count of a segment on RFM, saved
segments with cursor pagination, a campaign on one, segment sizes and movement; typed errors."""

from __future__ import annotations

from datetime import timedelta

from loyalty.analysis import runs
from loyalty.models import Role
from tests.analysis.conftest import NOW, Club, day
from tests.api.conftest import Api, api  # noqa: F401  (the fixture)

BEHAVIOUR = """
query($id: ID!) {
  memberBehaviour(memberId: $id) {
    __typename
    ... on MemberBehaviour {
      visitCount lastVisitOn medianGapDays expectedVisitOn spendTotal favouriteCategories
      favouriteBranchId pointsEarned pointsExpired creditUsed recencyScore rfmSegment churnRisk
    }
    ... on Error { code message }
  }
}"""
AUDIENCE = """
query($segment: CampaignSegmentInput!) {
  campaignAudience(segment: $segment) {
    __typename
    ... on CampaignAudience { members }
    ... on InvalidInputError { field }
  }
}"""
SAVE = """
mutation($input: SavedSegmentInput!) {
  createSavedSegment(input: $input) {
    __typename
    ... on SegmentSaved { savedSegment { id name version members segment { rfmSegments } } }
    ... on InvalidInputError { field }
    ... on Error { code message }
  }
}"""
UPDATE = """
mutation($input: UpdateSavedSegmentInput!) {
  updateSavedSegment(input: $input) {
    __typename
    ... on SegmentSaved { savedSegment { version members segment { churnRisk } } }
    ... on Error { code message }
  }
}"""
LIST = """
query($after: String) {
  savedSegments(first: 1, after: $after) {
    edges { node { name } }
    pageInfo { hasNextPage endCursor }
  }
}"""
CAMPAIGN = """
mutation($input: CampaignInput!) {
  createCampaign(input: $input) {
    __typename
    ... on CampaignSaved { campaign { savedSegmentId } }
    ... on InvalidInputError { field }
  }
}"""
SIZES = """
query($since: Date!, $until: Date!) {
  rfmSegmentSizes(since: $since, until: $until) {
    __typename
    ... on RfmRuns { runs { runOn sizes { segment members } } }
    ... on InvalidInputError { field }
  }
}"""
MOVEMENT = """
query($from: Date!, $to: Date!) {
  rfmSegmentMovement(fromDate: $from, toDate: $to) {
    __typename
    ... on RfmMovements { movements { source target members } }
    ... on InvalidInputError { field }
    ... on Error { code }
  }
}"""


async def test_a_manager_reads_figures_and_works_with_segments(api: Api, club: Club) -> None:  # noqa: F811
    token = await api.staff_token(Role.MANAGER)
    sara = str(club.members["Sara"].id)
    missing = (await api.call(BEHAVIOUR, {"id": sara}, token))["memberBehaviour"]
    assert missing["code"] == "NOT_FOUND"  # no run yet
    await runs.run_full()
    found = (await api.call(BEHAVIOUR, {"id": sara}, token))["memberBehaviour"]
    assert found == {
        "__typename": "MemberBehaviour",
        "visitCount": 4,
        "lastVisitOn": day(20).isoformat(),
        "medianGapDays": 10.0,
        "expectedVisitOn": day(10).isoformat(),
        "spendTotal": 5_200_000,
        "favouriteCategories": ["cake", "coffee", "tea"],
        "favouriteBranchId": str(club.first.id),
        "pointsEarned": 520,
        "pointsExpired": 280,
        "creditUsed": 300_000,
        "recencyScore": 1,
        "rfmSegment": "LOST",
        "churnRisk": False,
    }

    counted = await api.call(AUDIENCE, {"segment": {"rfmSegments": ["LOST", "ABOUT_TO_SLEEP"]}})
    assert counted["campaignAudience"]["__typename"] == "AuthenticationError"
    counted = await api.call(
        AUDIENCE, {"segment": {"rfmSegments": ["LOST", "ABOUT_TO_SLEEP"]}}, token
    )
    assert counted["campaignAudience"] == {"__typename": "CampaignAudience", "members": 2}
    bad = await api.call(AUDIENCE, {"segment": {"minRecencyScore": 0}}, token)
    assert bad["campaignAudience"]["field"] == "segment.minRecencyScore"

    created = (
        await api.call(
            SAVE, {"input": {"name": "Lost", "segment": {"rfmSegments": ["LOST"]}}}, token
        )
    )["createSavedSegment"]
    segment = created["savedSegment"]
    assert (segment["version"], segment["members"], segment["segment"]) == (
        1,
        1,
        {"rfmSegments": ["LOST"]},
    )
    again = await api.call(SAVE, {"input": {"name": "Lost", "segment": {}}}, token)
    assert again["createSavedSegment"]["code"] == "ALREADY_EXISTS"
    changed = await api.call(
        UPDATE,
        {
            "input": {
                "id": segment["id"],
                "name": "Lost",
                "segment": {"churnRisk": True},
                "expectedVersion": 1,
            }
        },
        token,
    )
    assert changed["updateSavedSegment"]["savedSegment"] == {
        "version": 2,
        "members": 1,
        "segment": {"churnRisk": True},
    }
    await api.call(SAVE, {"input": {"name": "Everyone", "segment": {}}}, token)
    first = (await api.call(LIST, {}, token))["savedSegments"]
    assert [e["node"]["name"] for e in first["edges"]] == ["Everyone"]
    rest = (await api.call(LIST, {"after": first["pageInfo"]["endCursor"]}, token))["savedSegments"]
    assert [e["node"]["name"] for e in rest["edges"]] == ["Lost"]
    assert not rest["pageInfo"]["hasNextPage"]

    spec = {"name": "Back", "title": "{name}", "body": "بیا", "savedSegmentId": segment["id"]}
    made = await api.call(CAMPAIGN, {"input": spec}, token)
    assert made["createCampaign"]["campaign"] == {"savedSegmentId": segment["id"]}


async def test_segment_sizes_and_movement(api: Api, club: Club) -> None:  # noqa: F811
    token = await api.staff_token(Role.MANAGER)
    await runs.run_full(NOW)
    await club.buy("Sara", NOW, 100_000)
    await runs.run_full(NOW + timedelta(days=1))
    sizes = await api.call(
        SIZES, {"since": day(0).isoformat(), "until": day(-1).isoformat()}, token
    )
    found = sizes["rfmSegmentSizes"]["runs"]
    assert [r["runOn"] for r in found] == [day(0).isoformat(), day(-1).isoformat()]
    assert {s["segment"]: s["members"] for s in found[0]["sizes"] if s["members"]} == {
        "LOST": 1,
        "ABOUT_TO_SLEEP": 1,
    }
    moved = await api.call(MOVEMENT, {"from": day(0).isoformat(), "to": day(-1).isoformat()}, token)
    assert moved["rfmSegmentMovement"]["movements"] == [
        {"source": "ABOUT_TO_SLEEP", "target": "LOST", "members": 1},
        {"source": "LOST", "target": "ABOUT_TO_SLEEP", "members": 1},
    ]
    backwards = await api.call(
        MOVEMENT, {"from": day(-1).isoformat(), "to": day(0).isoformat()}, token
    )
    assert backwards["rfmSegmentMovement"]["field"] == "fromDate"
    cashier = await api.staff_token(Role.CASHIER)
    denied = await api.call(
        MOVEMENT, {"from": day(0).isoformat(), "to": day(0).isoformat()}, cashier
    )
    assert denied["rfmSegmentMovement"]["code"] == "PERMISSION_DENIED"


POLICY = """
mutation($input: AnalysisPolicyInput!) {
  setAnalysisPolicy(input: $input) {
    __typename
    ... on AnalysisPolicySaved { policy { churnGapMultiple churnMinVisits version } }
    ... on InvalidInputError { field }
  }
}"""


async def test_the_churn_policy_is_read_and_set(api: Api) -> None:  # noqa: F811
    token = await api.staff_token(Role.MANAGER)
    read = await api.call(
        "{ analysisPolicy { churnGapMultiple churnMinVisits version } }", {}, token
    )
    assert read["analysisPolicy"] == {"churnGapMultiple": 2.0, "churnMinVisits": 3, "version": 0}
    saved = await api.call(
        POLICY, {"input": {"churnGapMultiple": 1.5, "expectedVersion": 0}}, token
    )
    assert saved["setAnalysisPolicy"]["policy"] == {
        "churnGapMultiple": 1.5,
        "churnMinVisits": 3,
        "version": 1,
    }
    bad = await api.call(POLICY, {"input": {"churnMinVisits": 1}}, token)
    assert bad["setAnalysisPolicy"] == {
        "__typename": "InvalidInputError",
        "field": "churnMinVisits",
    }
