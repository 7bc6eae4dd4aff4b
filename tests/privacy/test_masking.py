"""Staff see members' phone numbers masked unless their role phones members."""

from __future__ import annotations

import pytest

from loyalty.actors import SYSTEM, Actor, ActorKind
from loyalty.models import Role
from loyalty.privacy.masking import masked, phone_for
from tests import factories as f
from tests.api.conftest import Api

MASKED = "+98 912 *** **67"
WHOLE = "+989121234567"


def test_the_mask_keeps_the_operator_code_and_the_last_two_digits() -> None:
    assert masked(WHOLE) == MASKED
    assert masked("+4915112345678") == "+49 *********78"


@pytest.mark.parametrize(
    ("role", "shown"),
    [
        (Role.OPERATOR, WHOLE),
        (Role.SUPERVISOR, WHOLE),
        (Role.MANAGER, MASKED),
        (Role.CASHIER, MASKED),
        (Role.STATION, MASKED),
    ],
)
async def test_staff_see_a_member_by_role(api: Api, role: Role, shown: str) -> None:
    member = await f.member()
    await member.filter(id=member.id).update(phone=WHOLE)
    token = await api.staff_token(role, (await f.branch()).id if role is Role.STATION else None)
    found = await api.call(
        "query($id: ID!) { member(id: $id) { ... on Member { phone } } }",
        {"id": str(member.id)},
        token,
    )
    assert found["member"]["phone"] == shown


def test_members_see_only_their_own_number_whole() -> None:
    assert phone_for(Actor(ActorKind.MEMBER, 7), 7, WHOLE) == WHOLE
    assert phone_for(Actor(ActorKind.MEMBER, 8), 7, WHOLE) == MASKED
    assert phone_for(None, 7, WHOLE) == MASKED
    assert phone_for(SYSTEM, 7, WHOLE) == WHOLE


async def test_a_member_signing_in_and_reading_me_sees_the_whole_number(api: Api) -> None:
    token, _ = await api.member_token("09121234567")
    response = await api.http.post(
        "/app/graphql",
        json={"query": "{ me { phone } }"},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.json()["data"]["me"]["phone"] == WHOLE
