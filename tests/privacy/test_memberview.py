"""The member 360° view: the whole record in one query, long lists paged (each by its own
cursors); the call card is built from the same pieces."""

from __future__ import annotations

import base64

from loyalty.happycalls import card, complaints
from loyalty.messaging import messages
from loyalty.models import HappyCall, HappyCallOutcome, MessagePurpose, Role
from loyalty.notifications import Notification
from schema.types import encode_cursor
from tests import factories as f
from tests.api.conftest import Api
from tests.happycalls.conftest import ANSWERS, BASE, Club, record

VIEW = """
query($id: ID!, $after: String) {
  memberView(id: $id) {
    __typename
    ... on Error { code }
    ... on MemberView {
      member {
        id firstName phone marketingConsent balances { points }
        purchases { edges { node { id } } }
      }
      messages(first: 1, after: $after) {
        edges { node { purpose status reason title } }
        pageInfo { hasNextPage endCursor }
      }
      calls { edges { node { outcome operatorName answers { question answer } } } }
      surveys { edges { node { surveyName answers { question answer } } } }
      complaints { edges { node { category note followUps { note closed } } } }
      tierChanges { edges { node { reason } } }
      vouchers { edges { node { code } } }
      campaigns { edges { node { campaignName } } }
      rewardRedemptions { edges { node { rewardName } } }
      cards { number }
    }
  }
}"""


async def _history(club: Club, call: HappyCall) -> None:
    await record(club.ali, call, HappyCallOutcome.COMPLETED, answers=ANSWERS)
    complaint, _ = await complaints.raise_complaint(
        club.ali,
        call_id=call.id,
        category=complaints.ComplaintCategory.WAITING_TIME,
        note="waited twenty minutes",
        idempotency_key=f.key(),
        at=BASE,
    )
    await complaints.follow_up(
        club.ali, complaint_id=complaint.id, note="called back", idempotency_key=f.key()
    )
    for purpose in (MessagePurpose.SERVICE, MessagePurpose.MARKETING):
        await messages.send(
            club.sara,
            Notification("note", purpose.value, "text", ""),
            purpose=purpose,
            dedupe_key=f.key(),
        )


async def test_staff_who_look_after_members_see_the_whole_record(
    api: Api, club: Club, call: HappyCall
) -> None:
    await _history(club, call)
    operator = await api.staff_token(Role.OPERATOR)
    view = (await api.call(VIEW, {"id": str(club.sara)}, operator))["memberView"]
    assert view["__typename"] == "MemberView"
    assert view["member"]["firstName"] == "Sara" and view["member"]["purchases"]["edges"]

    # Messages on every channel, held back ones too, a page at a time.
    first = view["messages"]
    assert first["pageInfo"]["hasNextPage"]
    assert first["edges"][0]["node"] == {
        "purpose": "MARKETING",
        "status": "SUPPRESSED",
        "reason": "no marketing consent",
        "title": "marketing",
    }
    after = first["pageInfo"]["endCursor"]
    rest = (await api.call(VIEW, {"id": str(club.sara), "after": after}, operator))["memberView"]
    assert [e["node"]["purpose"] for e in rest["messages"]["edges"]] == ["SERVICE"]

    [called] = view["calls"]["edges"]
    assert called["node"]["outcome"] == "COMPLETED"
    assert {"question": "ما را پیشنهاد می‌کنید؟", "answer": "۹"} in called["node"]["answers"]
    [answered] = view["surveys"]["edges"]
    assert answered["node"]["surveyName"] == "تماس رضایت"
    [complained] = view["complaints"]["edges"]
    assert complained["node"]["note"] == "waited twenty minutes"
    assert complained["node"]["followUps"] == [{"note": "called back", "closed": False}]
    assert view["cards"] == [] and view["vouchers"]["edges"] == []


async def test_the_call_card_is_the_first_page_of_the_view(club: Club, call: HappyCall) -> None:
    await _history(club, call)
    seen = await card.card(club.ali, call.id, at=BASE)
    assert [c.outcome for c in seen.earlier_calls] == [HappyCallOutcome.COMPLETED]
    assert [m.purpose for m in seen.recent_messages] == [MessagePurpose.SERVICE]  # sent ones


async def test_counter_staff_may_not_open_the_view(api: Api, club: Club) -> None:
    for role in (Role.CASHIER, Role.STATION):
        branch = (await f.branch()).id if role is Role.STATION else None
        token = await api.staff_token(role, branch)
        refused = await api.call(VIEW, {"id": str(club.sara)}, token)
        assert refused["memberView"] == {
            "__typename": "PermissionDeniedError",
            "code": "PERMISSION_DENIED",
        }
    manager = await api.staff_token(Role.MANAGER)
    missing = await api.call(VIEW, {"id": "999999"}, manager)
    assert missing["memberView"]["code"] == "NOT_FOUND"


# Each paged list of the view, and the kind of cursor it gives out and takes.
LISTS = {
    "tierChanges": "tierchange",
    "vouchers": "voucher",
    "campaigns": "recipient",
    "rewardRedemptions": "redemption",
    "messages": "message",
    "surveys": "response",
    "calls": "attempt",
    "complaints": "complaint",
}
PAGE = """
query($id: ID!, $after: String) {
  memberView(id: $id) { ... on MemberView { %s(first: 1, after: $after) {
    edges { cursor } } } }
}"""


async def test_each_list_takes_only_its_own_cursors(api: Api, club: Club, call: HappyCall) -> None:
    await _history(club, call)
    operator = await api.staff_token(Role.OPERATOR)
    given: set[str] = set()
    for name, kind in LISTS.items():
        query, sara = PAGE % name, str(club.sara)
        page = (await api.call(query, {"id": sara}, operator))["memberView"][name]
        for edge in page["edges"]:  # the first page's, where the list has any
            assert base64.urlsafe_b64decode(edge["cursor"]).decode().startswith(f"{kind}:")
            given.add(name)
        older = await api.call(
            query, {"id": sara, "after": encode_cursor(kind, 2**31 - 1)}, operator
        )
        assert older["memberView"][name]["edges"] == page["edges"], name
        for other in {*LISTS.values()} - {kind}:
            refused = await api.post(
                query, {"id": sara, "after": encode_cursor(other, 1)}, operator
            )
            assert refused["errors"][0]["extensions"]["code"] == "INVALID_INPUT", (name, other)
    assert given == {"messages", "surveys", "calls", "complaints"}  # what the history has
