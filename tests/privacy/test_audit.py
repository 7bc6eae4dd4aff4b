"""The staff audit log: every staff mutation is logged or exempt by name; each leaves exactly
its entry, in its own transaction; refusals and replays leave none; managers read it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import pytest
from tortoise import connections

from loyalty.actors import Actor
from loyalty.models import AuditEntry, Role
from loyalty.privacy import export
from loyalty.settings import get_settings
from schema import Mutation, build_schema
from schema.audit import AUDITED, NOT_AUDITED, AuditExtension
from tests import factories as f
from tests.api.conftest import Api
from tests.conftest import is_postgres

CLIENT = {"X-Loyalty-Client": "console"}


async def send(api: Api, query: str, variables: dict, token: str) -> dict[str, Any]:
    response = await api.http.post(
        "/graphql",
        json={"query": query, "variables": variables},
        headers={"Authorization": f"Bearer {token}", **CLIENT},
    )
    body = response.json()
    assert "errors" not in body, body
    return body["data"]


def test_every_mutation_is_audited_or_exempt_by_name() -> None:
    schema = build_schema(get_settings())
    names = set(schema._schema.mutation_type.fields)  # type: ignore[union-attr]
    assert names - AUDITED.keys() - NOT_AUDITED.keys() == set(), "say whether these are audited"
    assert (AUDITED.keys() | NOT_AUDITED.keys()) - names == set(), "no such mutations"
    assert AUDITED.keys() & NOT_AUDITED.keys() == set()
    hooked = {
        field.graphql_name or field.python_name
        for field in Mutation.__strawberry_definition__.fields  # type: ignore[attr-defined]
        if any(isinstance(e, AuditExtension) for e in field.extensions)
    }
    camel = {"".join(w.title() if i else w for i, w in enumerate(n.split("_"))) for n in hooked}
    assert camel == AUDITED.keys()


@dataclass
class Case:
    """A staff mutation, what it needs made first, and the row its entry must name."""

    mutation: str
    role: Role
    make: Callable[[Api], Awaitable[tuple[str, dict, str]]]  # query, variables, entity id
    entity: str


async def _enrol(api: Api) -> tuple[str, dict, str]:
    query = (
        "mutation($input: EnrolMemberInput!) { enrolMember(input: $input) { __typename"
        " ... on MemberEnrolled { member { id } } } }"
    )
    return query, {"input": {"phone": f.phone(), "firstName": "Sara"}}, "?"


async def _update_profile(api: Api) -> tuple[str, dict, str]:
    member = await f.member()
    query = (
        "mutation($input: UpdateMemberProfileInput!) { updateMemberProfile(input: $input) {"
        " __typename } }"
    )
    variables = {"input": {"memberId": str(member.id), "city": "Shiraz"}}
    return query, variables, str(member.id)


async def _top_up(api: Api) -> tuple[str, dict, str]:
    member = await f.member()
    query = "mutation($input: TopUpCreditInput!) { topUpCredit(input: $input) { __typename } }"
    variables = {"input": {"memberId": str(member.id), "amount": 50_000, "idempotencyKey": f.key()}}
    return query, variables, str(member.id)


async def _adjust(api: Api) -> tuple[str, dict, str]:
    member = await f.member()
    query = "mutation($input: AdjustBalanceInput!) { adjustBalance(input: $input) { __typename } }"
    variables = {
        "input": {
            "memberId": str(member.id),
            "purse": "POINTS",
            "delta": 30,
            "reason": "goodwill",
            "idempotencyKey": f.key(),
        }
    }
    return query, variables, str(member.id)


async def _create_rule(api: Api) -> tuple[str, dict, str]:
    query = (
        "mutation($input: EarningRuleInput!) { createEarningRule(input: $input) { __typename"
        " ... on EarningRuleSaved { rule { id } } } }"
    )
    params = {"pointsPerAmount": {"points": 1, "perAmount": 10_000}}
    return query, {"input": {"name": "Base", "params": params}}, "?"


async def _offline_policy(api: Api) -> tuple[str, dict, str]:
    query = (
        "mutation($input: OfflinePolicyInput!) { setOfflinePolicy(input: $input) { __typename } }"
    )
    limits = {"creditPerCardPerDay": 1_000, "creditPerStation": 9_000}
    return query, {"input": limits}, "offline_policy"


async def _issue_card(api: Api) -> tuple[str, dict, str]:
    query = (
        "mutation($uid: String!) { issueCardRecord(input: {uid: $uid}) { __typename"
        " ... on CardRecordIssued { cardNumber } } }"
    )
    return query, {"uid": "02FE0102030405AA"}, "?"


CASES = [
    Case("enrolMember", Role.CASHIER, _enrol, "member"),
    Case("updateMemberProfile", Role.CASHIER, _update_profile, "member"),
    Case("topUpCredit", Role.CASHIER, _top_up, "member"),
    Case("adjustBalance", Role.MANAGER, _adjust, "member"),
    Case("createEarningRule", Role.MANAGER, _create_rule, "earning_rule"),
    Case("setOfflinePolicy", Role.MANAGER, _offline_policy, "setting"),
    Case("issueCardRecord", Role.CASHIER, _issue_card, "card"),
]


def _created_id(data: dict) -> str:
    """The id a create mutation answered with (the first id or card number in it)."""
    for value in data.values():
        if isinstance(value, dict):
            found = _created_id(value)
            if found:
                return found
        elif isinstance(value, str) and value and not value[0].isupper():
            return value
    return ""


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.mutation)
async def test_a_staff_mutation_leaves_exactly_its_entry(api: Api, case: Case) -> None:
    token = await api.staff_token(case.role)
    query, variables, entity_id = await case.make(api)
    before = await AuditEntry.all().count()
    data = (await send(api, query, variables, token))[case.mutation]
    assert not data["__typename"].endswith("Error"), data
    entries = await AuditEntry.filter(id__gt=before).all()
    assert len(entries) == 1
    entry = entries[0]
    if entity_id == "?":
        entity_id = _created_id(data)
    assert (entry.action, entry.entity, entry.entity_id) == (case.mutation, case.entity, entity_id)
    assert entry.role == case.role.value and entry.staff_id is not None
    assert (entry.client, entry.ip) == ("console", "203.0.113.7")
    # Personal values are not kept.
    assert "Sara" not in str(entry.request) and "Shiraz" not in str(entry.request)


ADJUST = (
    "mutation($input: AdjustBalanceInput!) { adjustBalance(input: $input) { __typename"
    " ... on Error { code } } }"
)


async def test_refusals_and_replays_leave_no_entry(api: Api) -> None:
    manager = await api.staff_token(Role.MANAGER)
    cashier = await api.staff_token(Role.CASHIER)
    member = await f.member()
    change = {
        "memberId": str(member.id),
        "purse": "POINTS",
        "delta": 5,
        "reason": "goodwill",
        "idempotencyKey": f.key(),
    }
    denied = await send(api, ADJUST, {"input": change}, cashier)
    assert denied["adjustBalance"]["code"] == "PERMISSION_DENIED"
    too_much = await send(api, ADJUST, {"input": {**change, "delta": -500}}, manager)
    assert too_much["adjustBalance"]["__typename"] == "InsufficientBalanceError"
    assert await AuditEntry.all().count() == 0
    await send(api, ADJUST, {"input": change}, manager)
    await send(api, ADJUST, {"input": change}, manager)  # the same key: a replay
    assert await AuditEntry.filter(action="adjustBalance").count() == 1


async def test_claiming_from_an_empty_queue_leaves_no_entry(api: Api) -> None:
    operator = await api.staff_token(Role.OPERATOR)
    query = (
        "mutation($k: String!) { claimNextHappyCall(input: {idempotencyKey: $k}) {"
        " __typename ... on HappyCallClaimed { call { id } } } }"
    )
    claimed = await send(api, query, {"k": f.key()}, operator)
    assert claimed["claimNextHappyCall"] == {"__typename": "HappyCallClaimed", "call": None}
    assert await AuditEntry.all().count() == 0


async def test_a_member_acting_for_themself_is_not_in_the_staff_log(api: Api) -> None:
    token, _ = await api.member_token()
    query = 'mutation { updateMyProfile(input: {city: "Yazd"}) { __typename } }'
    response = await api.http.post(
        "/app/graphql", json={"query": query}, headers={"Authorization": f"Bearer {token}"}
    )
    assert response.json()["data"]["updateMyProfile"]["__typename"] == "ProfileUpdated"
    assert await AuditEntry.all().count() == 0


LOG = """
query($filter: AuditLogFilter, $after: String) {
  auditLog(filter: $filter, first: 2, after: $after) {
    edges { node { action entity entityId role client ip request } }
    pageInfo { hasNextPage endCursor }
  }
}"""


async def test_managers_read_the_log_filtered_a_page_at_a_time(api: Api) -> None:
    manager = await api.staff_token(Role.MANAGER)
    cashier = await api.staff_token(Role.CASHIER)
    members = [await f.member() for _ in range(3)]
    for member in members:
        query, variables, _ = await _top_up_of(member.id)
        await send(api, query, variables, cashier)
    await send(api, *(await _offline_policy(api))[:2], manager)

    first = (await send(api, LOG, {"filter": {"action": "topUpCredit"}}, manager))["auditLog"]
    assert [e["node"]["entityId"] for e in first["edges"]] == [
        str(members[2].id),
        str(members[1].id),
    ]
    assert first["pageInfo"]["hasNextPage"]
    after = first["pageInfo"]["endCursor"]
    rest = await send(api, LOG, {"filter": {"action": "topUpCredit"}, "after": after}, manager)
    node = rest["auditLog"]["edges"][0]["node"]
    assert (
        node["entityId"] == str(members[0].id) and not rest["auditLog"]["pageInfo"]["hasNextPage"]
    )
    assert node["request"]["amount"] == 50_000 and node["role"] == "cashier"
    one = {"entity": "member", "entityId": str(members[1].id)}
    assert len((await send(api, LOG, {"filter": one}, manager))["auditLog"]["edges"]) == 1

    refused = await api.post(LOG, {}, cashier)
    assert refused["errors"][0]["extensions"]["code"] == "PERMISSION_DENIED"


async def _top_up_of(member_id: int) -> tuple[str, dict, str]:
    query = "mutation($input: TopUpCreditInput!) { topUpCredit(input: $input) { __typename } }"
    variables = {"input": {"memberId": str(member_id), "amount": 50_000, "idempotencyKey": f.key()}}
    return query, variables, str(member_id)


@pytest.mark.skipif(not is_postgres(), reason="the append-only trigger is PostgreSQL's")
async def test_postgres_refuses_to_change_or_delete_an_entry(api: Api) -> None:
    manager = await api.staff_token(Role.MANAGER)
    await send(api, *(await _offline_policy(api))[:2], manager)
    conn = connections.get("default")
    for sql in ("UPDATE audit_entry SET action = 'x'", "DELETE FROM audit_entry"):
        with pytest.raises(Exception, match="append-only"):
            await conn.execute_script(sql)
    assert await AuditEntry.all().count() == 1


PURCHASE = (
    "mutation($input: RecordPurchaseInput!) { recordPurchase(input: $input) { __typename"
    " ... on PurchaseRecorded { purchase { id } } } }"
)


async def test_the_member_s_export_holds_what_staff_did_to_them_and_not_who(api: Api) -> None:
    shop = await f.branch()
    cashier = await api.staff_token(Role.CASHIER, shop.id)
    manager = await api.staff_token(Role.MANAGER)
    query, variables, member_id = await _top_up(api)
    await send(api, query, variables, cashier)
    bought = {
        "branchId": str(shop.id),
        "memberId": member_id,
        "amount": 250_000,
        "receiptNumber": "R-7",
        "idempotencyKey": f.key(),
    }
    data = await send(api, PURCHASE, {"input": bought}, cashier)
    purchase_id = data["recordPurchase"]["purchase"]["id"]
    query, variables, _ = await _adjust(api)  # another member's: not in this export
    await send(api, query, variables, manager)

    data = await export.export(Actor.member(int(member_id)), int(member_id))
    trail = data["audit_trail"]
    assert [(e["action"], e["entity"], e["entity_id"], e["role"]) for e in trail] == [
        ("topUpCredit", "member", member_id, "cashier"),
        ("recordPurchase", "purchase", purchase_id, "cashier"),
    ]
    assert all(e["client"] == "console" and e["at"] for e in trail)
    assert {"staff_id", "ip"}.isdisjoint(trail[0])  # the staff's own data

    await export.export(await f.manager(), int(member_id))  # on the member's request: logged
    again = await export.export(Actor.member(int(member_id)), int(member_id))
    assert [e["action"] for e in again["audit_trail"]][-1] == "exportMemberData"
