"""The app's home screen through the contract's own operation: one request, in the member's
language; members only."""

from __future__ import annotations

from pathlib import Path

from loyalty import inbox, members
from loyalty.actors import Actor
from loyalty.members import Profile
from loyalty.models import Language, RuleKind
from loyalty.programme import rules
from loyalty.programme.rules import RuleSpec
from tests import factories as f
from tests.api.conftest import Api

HOME = (Path(__file__).parents[2] / "mobile_contract" / "operations" / "Home.graphql").read_text()


async def test_home_in_one_request_in_the_members_language(api: Api) -> None:
    boss = await f.manager()
    await rules.create(
        boss,
        RuleSpec(
            "Welcome back",
            RuleKind.DISCOUNT,
            {"basis_points": 1_000},
            conditions={"min_visit_number": 2},
        ),
    )
    token, member_id = await api.member_token()
    await inbox.deliver(int(member_id), kind="message", title="Hi", body="...", dedupe_key="hi")

    screen = (await api.call(HOME, token=token))["home"]

    assert screen["member"]["id"] == member_id
    assert screen["balances"] == {"points": 0, "credit": 0}
    assert screen["unreadCount"] == 1
    [offer] = screen["offers"]
    assert (offer["kind"], offer["title"], offer["ready"]) == ("PROMOTION", "Welcome back", False)
    persian = offer["details"]
    await members.update_profile(
        Actor.member(int(member_id)), int(member_id), Profile(language=Language.EN)
    )
    english = (await api.call(HOME, token=token))["home"]["offers"][0]["details"]
    assert persian != english and "10%" in english


async def test_home_is_for_members(api: Api) -> None:
    anonymous = await api.post(HOME)
    staff = await api.post(HOME, token=await api.staff_token())
    for body in (anonymous, staff):
        assert body["data"] is None
        assert body["errors"][0]["extensions"]["code"] == "AUTHENTICATION_FAILED"
