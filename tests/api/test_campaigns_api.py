"""Campaigns through GraphQL: a manager previews a segment, writes a campaign, schedules it,
reads its progress and report; bad input comes back as typed errors; only managers may."""

from __future__ import annotations

from jobs import local, tasks
from jobs.sms import LogSender
from loyalty.campaigns import sending
from loyalty.models import Role
from loyalty.programme import policies
from tests import factories as f
from tests.api.conftest import Api

AUDIENCE = """
query($segment: CampaignSegmentInput!) {
  campaignAudience(segment: $segment) {
    __typename
    ... on CampaignAudience { members }
    ... on InvalidInputError { field }
    ... on Error { code message }
  }
}"""
CREATE = """
mutation($input: CampaignInput!) {
  createCampaign(input: $input) {
    __typename
    ... on CampaignSaved {
      campaign { id status version holdoutPercent segment { cities consentingOnly minAge } }
    }
    ... on InvalidInputError { field }
    ... on Error { code message }
  }
}"""
SCHEDULE = """
mutation($id: ID!, $version: Int) {
  scheduleCampaign(input: {id: $id, expectedVersion: $version}) {
    __typename
    ... on CampaignSaved { campaign { status scheduledAt version } }
    ... on Error { code message }
  }
}"""
CANCEL = """
mutation($id: ID!) {
  cancelCampaign(input: {id: $id}) {
    __typename
    ... on Error { code message }
  }
}"""
CAMPAIGN = """
query($id: ID!) {
  campaign(id: $id) {
    __typename
    ... on Campaign {
      status seed
      progress {
        audience treatment holdout chunks chunksDone
        delivery { sent suppressed suppressedByReason { reason count } }
      }
      report {
        vouchersIssued
        treatment { members visits revenue }
        holdout { members }
        uplift { visitsPerMember revenueRatio }
      }
    }
    ... on Error { code message }
  }
}"""
CAMPAIGNS = """
query($status: CampaignStatus, $after: String) {
  campaigns(status: $status, first: 1, after: $after) {
    edges { node { name status } }
    pageInfo { hasNextPage endCursor }
  }
}"""


async def test_a_campaign_written_scheduled_sent_and_reported(api: Api) -> None:
    token = await api.staff_token(Role.MANAGER)
    # The test runs at any hour: no quiet hours to wait out.
    await policies.save(
        await f.manager(), "messaging", {"quiet_from": "00:00:00", "quiet_until": "00:00:00"}
    )
    for n in range(4):
        await f.member(f"M{n}", marketing_consent=True, city="Tehran")
    await f.member("Far", marketing_consent=True, city="Tabriz")

    segment = {"cities": ["Tehran"]}
    counted = await api.call(AUDIENCE, {"segment": segment}, token)
    assert counted["campaignAudience"] == {"__typename": "CampaignAudience", "members": 4}

    spec = {"name": "Spring", "title": "{name} جان", "body": "بهار آمد", "segment": segment}
    created = (await api.call(CREATE, {"input": {**spec, "holdoutPercent": 25}}, token))[
        "createCampaign"
    ]
    campaign = created["campaign"]
    assert (campaign["status"], campaign["holdoutPercent"]) == ("DRAFT", 25)
    assert campaign["segment"] == {"cities": ["Tehran"], "consentingOnly": True, "minAge": None}
    scheduled = await api.call(SCHEDULE, {"id": campaign["id"], "version": 1}, token)
    assert scheduled["scheduleCampaign"]["campaign"]["status"] == "SCHEDULED"

    await sending.start_due()
    while await local.run_due_events({"handlers": tasks.outbox_handlers(None, LogSender())}):
        pass
    found = (await api.call(CAMPAIGN, {"id": campaign["id"]}, token))["campaign"]
    assert found["status"] == "SENT" and len(found["seed"]) == 32
    assert found["progress"] == {
        "audience": 4,
        "treatment": 3,
        "holdout": 1,
        "chunks": 1,
        "chunksDone": 1,
        "delivery": {"sent": 3, "suppressed": 0, "suppressedByReason": []},
    }
    assert found["report"] == {
        "vouchersIssued": 0,
        "treatment": {"members": 3, "visits": 0, "revenue": 0},
        "holdout": {"members": 1},
        "uplift": {"visitsPerMember": 0.0, "revenueRatio": None},
    }
    cancelled = await api.call(CANCEL, {"id": campaign["id"]}, token)
    assert cancelled["cancelCampaign"]["__typename"] == "ConflictError"

    await api.call(CREATE, {"input": {**spec, "name": "Summer"}}, token)
    page = (await api.call(CAMPAIGNS, {}, token))["campaigns"]
    assert [e["node"]["name"] for e in page["edges"]] == ["Summer"]
    rest = await api.call(CAMPAIGNS, {"after": page["pageInfo"]["endCursor"]}, token)
    assert [e["node"]["name"] for e in rest["campaigns"]["edges"]] == ["Spring"]
    drafts = await api.call(CAMPAIGNS, {"status": "DRAFT"}, token)
    assert [e["node"]["name"] for e in drafts["campaigns"]["edges"]] == ["Summer"]


async def test_bad_campaigns_come_back_as_typed_errors(api: Api) -> None:
    token = await api.staff_token(Role.MANAGER)
    spec = {"name": "Spring", "title": "Hi {nickname}", "body": "بهار"}
    refused = (await api.call(CREATE, {"input": spec}, token))["createCampaign"]
    assert refused["__typename"] == "InvalidInputError" and refused["field"] == "title"
    assert "{nickname} is not a placeholder" in refused["message"]
    bad_age = {**spec, "title": "Hi", "segment": {"minAge": 50, "maxAge": 20}}
    refused = (await api.call(CREATE, {"input": bad_age}, token))["createCampaign"]
    assert (refused["__typename"], refused["field"]) == ("InvalidInputError", "segment")
    unknown_tier = {"tierIds": ["77"]}
    counted = (await api.call(AUDIENCE, {"segment": unknown_tier}, token))["campaignAudience"]
    assert (counted["__typename"], counted["field"]) == ("InvalidInputError", "segment.tierIds")
    missing = (await api.call(SCHEDULE, {"id": "999"}, token))["scheduleCampaign"]
    assert missing["__typename"] == "NotFoundError"


async def test_only_managers_run_campaigns(api: Api) -> None:
    cashier = await api.staff_token(Role.CASHIER)
    spec = {"name": "Spring", "title": "Hi", "body": "بهار"}
    refused = (await api.call(CREATE, {"input": spec}, cashier))["createCampaign"]
    assert refused["__typename"] == "PermissionDeniedError"
    counted = (await api.call(AUDIENCE, {"segment": {}}, cashier))["campaignAudience"]
    assert counted["__typename"] == "PermissionDeniedError"
    listed = await api.post(CAMPAIGNS, {}, cashier)
    assert listed["errors"][0]["extensions"]["code"] == "PERMISSION_DENIED"
