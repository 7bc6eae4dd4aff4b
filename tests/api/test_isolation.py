"""Member A can never reach member B's data: by id, by look-up, or by following an edge."""

from __future__ import annotations

from graphql import GraphQLList, GraphQLNonNull, GraphQLObjectType, GraphQLUnionType

from loyalty import purchases
from loyalty.models import Role
from schema import build_schema
from tests import factories as f
from tests.api.conftest import Api


async def test_member_tokens_reach_only_their_own_member(api: Api) -> None:
    shop = await f.branch()
    cashier = await f.staff_actor(Role.CASHIER, shop.id)
    token_a, id_a = await api.member_token()
    _, id_b = await api.member_token()
    await purchases.record(
        cashier,
        branch_id=shop.id,
        member_id=int(id_b),
        amount=500_000,
        receipt_number="B-1",
        idempotency_key=f.key(),
    )

    me = await api.call(
        "{ me { id history { edges { node { id } } } purchases { edges { node { id } } } } }",
        {},
        token_a,
    )
    assert me["me"]["id"] == id_a
    assert me["me"]["history"]["edges"] == [] and me["me"]["purchases"]["edges"] == []

    by_id = await api.call(
        "query($id: ID!) { member(id: $id) {"
        " __typename ... on Member { id } ... on Error { code } } }",
        {"id": id_b},
        token_a,
    )
    assert by_id["member"] == {"__typename": "PermissionDeniedError", "code": "PERMISSION_DENIED"}
    looked_up = await api.call(
        '{ findMember(phone: "09120000000") { __typename ... on Error { code } } }', {}, token_a
    )
    assert looked_up["findMember"]["__typename"] == "PermissionDeniedError"
    for mutation in (
        'topUpCredit(input: {memberId: "%s", amount: 10, idempotencyKey: "k1"})',
        'spendAtCounter(input: {memberId: "%s", purse: POINTS, amount: 1, idempotencyKey: "k2"})',
        'adjustBalance(input: {memberId: "%s", purse: POINTS, delta: 9, reason: "x", '
        'idempotencyKey: "k3"})',
    ):
        result = await api.call(
            "mutation { r: " + mutation % id_b + " { __typename } }", {}, token_a
        )
        assert result["r"]["__typename"] == "PermissionDeniedError"
    staff_only = await api.post("{ branches { id } }", {}, token_a)
    assert staff_only["errors"][0]["extensions"]["code"] == "PERMISSION_DENIED"


def _reachable(type_, seen: set[str]) -> set[str]:
    while isinstance(type_, GraphQLNonNull | GraphQLList):
        type_ = type_.of_type
    if not isinstance(type_, GraphQLObjectType | GraphQLUnionType) or type_.name in seen:
        return seen
    seen.add(type_.name)
    children = (
        type_.types
        if isinstance(type_, GraphQLUnionType)
        else [field.type for field in type_.fields.values()]
    )
    for child in children:
        _reachable(child, seen)
    return seen


def test_no_edge_leads_from_a_member_to_another_member() -> None:
    from loyalty.settings import get_settings

    schema = build_schema(get_settings())._schema
    member = schema.type_map["Member"]
    below = set()
    for field in member.fields.values():
        below |= _reachable(field.type, set())
    assert "Member" not in below
    assert "StaffUser" not in below
