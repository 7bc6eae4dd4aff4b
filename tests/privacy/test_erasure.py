"""Members' data export and erasure: everything is exported; erasure removes personal data,
keeps the ledger reconciled, is audited and idempotent, and frees the phone to enrol again."""

from __future__ import annotations

import json

import pytest

from loyalty import devices, members, purchases
from loyalty.actors import SYSTEM, Actor
from loyalty.errors import PermissionDenied
from loyalty.ledger import Purse, balances
from loyalty.members import Profile
from loyalty.models import (
    AuditEntry,
    ConsentChange,
    Device,
    InboxMessage,
    Member,
    Role,
)
from loyalty.notifications import Notification, deliver
from loyalty.privacy import erasure, export
from loyalty.reconcile import reconcile
from tests import factories as f
from tests.api.conftest import Api

PHONE = "+989121110000"


async def _a_member_with_history() -> Member:
    member, _ = await members.enrol(
        SYSTEM,
        PHONE,
        Profile(first_name="Sara", last_name="Ahmadi", city="Shiraz", marketing_consent=True),
    )
    shop = await f.branch()
    cashier = await f.staff_actor(Role.CASHIER, shop.id)
    await purchases.record(
        cashier,
        branch_id=shop.id,
        amount=250_000,
        receipt_number="R-1",
        idempotency_key=f.key(),
        member_id=member.id,
    )
    await f.give(member.id, Purse.CREDIT, 40_000)
    await f.give(member.id, Purse.POINTS, 60)
    await devices.register(Actor.member(member.id), token="fcm-token-1", platform="android")
    await deliver(
        member.id, Notification("offer", "Sara, hello", "A latte for you", ""), dedupe_key="k1"
    )
    return member


async def test_the_export_holds_everything_about_the_member() -> None:
    member = await _a_member_with_history()
    data = await export.export(Actor.member(member.id), member.id)
    json.dumps(data)  # machine-readable as it is
    assert data["format"] == "loyalty-member-export/1"
    assert data["member"]["phone"] == PHONE and data["member"]["first_name"] == "Sara"
    held = await balances(member.id)
    assert data["balances"] == {"points": held.points, "credit": 40_000} and held.points >= 60
    tables = data["tables"]
    assert [p["receipt_number"] for p in tables["purchase"]] == ["R-1"]
    assert {"account", "posting", "journal_transaction", "device", "inbox_message"} <= set(tables)
    assert tables["device"][0]["token"] == "fcm-token-1"
    assert tables["consent_change"][0]["consent"] == "marketing"


async def test_only_the_member_or_a_manager_exports_and_a_manager_s_export_is_logged() -> None:
    member = await _a_member_with_history()
    other = await f.member()
    with pytest.raises(PermissionDenied):
        await export.export(Actor.member(other.id), member.id)
    with pytest.raises(PermissionDenied):
        await export.export(await f.staff_actor(Role.CASHIER), member.id)
    await export.export(await f.manager(), member.id)
    logged = await AuditEntry.get(action="exportMemberData")
    assert (logged.entity, logged.entity_id, logged.role) == ("member", str(member.id), "manager")


async def test_erasure_pseudonymises_and_keeps_the_ledger() -> None:
    member = await _a_member_with_history()
    held = await balances(member.id)
    manager = await f.manager()

    done = await erasure.erase(manager, member.id)
    assert done.changed
    erased = await Member.get(id=member.id)
    assert erased.phone == erasure.tombstone(member.id) and erased.erased_at is not None
    assert (erased.first_name, erased.last_name, erased.city) == ("", "", "")
    assert not (erased.marketing_consent or erased.profiling_consent or erased.calls_consent)
    device = await Device.get(member_id=member.id)
    assert device.token != "fcm-token-1" and not device.active
    message = await InboxMessage.get(member_id=member.id)
    assert (message.title, message.body) == ("", "")
    withdrawn = await ConsentChange.filter(member_id=member.id, granted=False).count()
    assert withdrawn == 2  # marketing and calls; profiling was never given

    assert await balances(member.id) == held
    assert (await reconcile()).ok
    text = json.dumps(await export.export(Actor.member(member.id), member.id), ensure_ascii=False)
    assert "Sara" not in text and "Shiraz" not in text and PHONE not in text

    again = await erasure.erase(manager, member.id)
    assert not again.changed and again.erased_at == done.erased_at
    assert await AuditEntry.filter(action="eraseMember", entity_id=str(member.id)).count() == 1

    newcomer, created = await members.enrol(SYSTEM, "09121110000", Profile(first_name="Nima"))
    assert created and newcomer.id != member.id and newcomer.phone == PHONE


async def test_others_may_not_erase_a_member() -> None:
    member = await f.member()
    for actor in (Actor.member((await f.member()).id), await f.staff_actor(Role.OPERATOR)):
        with pytest.raises(PermissionDenied):
            await erasure.erase(actor, member.id)
    assert (await Member.get(id=member.id)).erased_at is None


ERASE_ME = """
mutation { eraseMyData { __typename ... on MemberErased { memberId alreadyErased } } }"""
REFRESH = """
mutation($t: String!) { refreshSession(input: {refreshToken: $t}) { __typename } }"""


async def test_a_member_erases_themself_in_the_app_and_is_signed_out(api: Api) -> None:
    phone = f.phone()
    await api.call(
        "mutation($p: String!) { requestSignInCode(input: {phone: $p}) { __typename } }",
        {"p": phone},
    )
    code = api.sms.sent[-1][1].rsplit(": ", 1)[1]
    session = await api.call(
        "mutation($p: String!, $c: String!) { signInWithCode(input: {phone: $p, code: $c}) {"
        " ... on MemberSession { tokens { accessToken refreshToken } member { id } } } }",
        {"p": phone, "c": code},
    )
    tokens = session["signInWithCode"]["tokens"]
    headers = {"Authorization": f"Bearer {tokens['accessToken']}"}

    exported = await api.http.post(
        "/app/graphql", json={"query": "{ myDataExport }"}, headers=headers
    )
    assert exported.json()["data"]["myDataExport"]["member"]["phone"].endswith(phone[-7:])
    erased = await api.http.post("/app/graphql", json={"query": ERASE_ME}, headers=headers)
    assert erased.json()["data"]["eraseMyData"]["alreadyErased"] is False
    refreshed = await api.call(REFRESH, {"t": tokens["refreshToken"]})
    assert refreshed["refreshSession"]["__typename"] == "AuthenticationError"
    entry = await AuditEntry.get(action="eraseMember")
    assert entry.role == "member" and entry.staff_id is None


async def test_a_manager_erases_a_member_on_request(api: Api) -> None:
    member = await f.member()
    manager = await api.staff_token(Role.MANAGER)
    query = (
        "mutation($id: ID!) { eraseMember(input: {memberId: $id}) { __typename"
        " ... on MemberErased { alreadyErased } ... on Error { code } } }"
    )
    first = await api.call(query, {"id": str(member.id)}, manager)
    assert first["eraseMember"] == {"__typename": "MemberErased", "alreadyErased": False}
    second = await api.call(query, {"id": str(member.id)}, manager)
    assert second["eraseMember"]["alreadyErased"] is True
    cashier = await api.staff_token(Role.CASHIER)
    refused = await api.call(query, {"id": str(member.id)}, cashier)
    assert refused["eraseMember"]["code"] == "PERMISSION_DENIED"
    exported = await api.call(
        "query($id: ID!) { memberDataExport(memberId: $id) { ... on MemberData { data } } }",
        {"id": str(member.id)},
        manager,
    )
    assert exported["memberDataExport"]["data"]["member"]["erased_at"] is not None
