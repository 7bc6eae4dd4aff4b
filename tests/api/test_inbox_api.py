"""The app's inbox screen, through the contract's own operations."""

from __future__ import annotations

from pathlib import Path

from loyalty import inbox
from tests.api.conftest import Api

OPERATIONS = Path(__file__).parent.parent.parent / "mobile_contract" / "operations"
INBOX = (OPERATIONS / "Inbox.graphql").read_text()
MARK_READ = (OPERATIONS / "MarkInboxRead.graphql").read_text()


async def test_the_member_pages_their_inbox_and_marks_it_read(api: Api) -> None:
    token, member_id = await api.member_token()
    for n in range(3):
        await inbox.deliver(
            int(member_id),
            kind="news",
            title=f"News {n}",
            body="...",
            dedupe_key=f"news:{n}",
            data={"n": n},
        )
    first = (await api.call(INBOX, {"first": 2}, token))["me"]
    assert first["unreadCount"] == 3
    assert [e["node"]["title"] for e in first["inbox"]["edges"]] == ["News 2", "News 1"]
    assert first["inbox"]["edges"][0]["node"]["data"] == {"n": 2}
    after = first["inbox"]["pageInfo"]["endCursor"]
    rest = (await api.call(INBOX, {"first": 2, "after": after}, token))["me"]["inbox"]
    assert [e["node"]["title"] for e in rest["edges"]] == ["News 0"]

    newest = first["inbox"]["edges"][0]["node"]["id"]
    marked = await api.call(MARK_READ, {"input": {"ids": [newest]}}, token)
    assert marked["markInboxRead"] == {"__typename": "InboxRead", "unreadCount": 2}
    unread = (await api.call(INBOX, {"unreadOnly": True}, token))["me"]["inbox"]["edges"]
    assert [e["node"]["title"] for e in unread] == ["News 1", "News 0"]
    everything = await api.call(MARK_READ, {"input": {}}, token)
    assert everything["markInboxRead"]["unreadCount"] == 0
