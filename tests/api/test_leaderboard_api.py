"""The app's leaderboard screen and settings, through the contract's own operations."""

from __future__ import annotations

from pathlib import Path

from loyalty import purchases
from loyalty.models import Member, RuleKind
from loyalty.programme import rules
from loyalty.programme.rules import RuleSpec
from tests import factories as f
from tests.api.conftest import Api

OPERATIONS = Path(__file__).parent.parent.parent / "mobile_contract" / "operations"
LEADERBOARD = (OPERATIONS / "Leaderboard.graphql").read_text()
SETTINGS = (OPERATIONS / "UpdateLeaderboardSettings.graphql").read_text()
RANK = "query { me { id rank } }"


async def _club() -> tuple[int, object]:
    shop = await f.branch()
    boss = await f.manager()
    await rules.create(
        boss,
        RuleSpec("Points", RuleKind.POINTS_PER_AMOUNT, {"points": 1, "per_amount": 10_000}),  # type: ignore[arg-type]
    )
    return shop.id, await f.staff_actor()


async def _buy(cashier, shop: int, member_id: int, points: int) -> None:
    key = f.key()
    await purchases.record(
        cashier,
        branch_id=shop,
        member_id=member_id,
        amount=points * 10_000,
        receipt_number=key,
        idempotency_key=key,
    )


async def test_a_member_sees_the_best_and_where_they_stand(api: Api) -> None:
    shop, cashier = await _club()
    token, me = await api.member_token()
    await Member.filter(id=int(me)).update(first_name="Sara", last_name="Rezaei")
    others = [await f.member(name, last_name="Karimi") for name in ("Reza", "Mina", "Ali")]
    for member_id, points in zip((*(m.id for m in others), int(me)), (50, 40, 10, 30), strict=True):
        await _buy(cashier, shop, member_id, points)

    board = (await api.call(LEADERBOARD, {"period": "ALL_TIME", "first": 2}, token))["leaderboard"]
    assert board["period"] == "ALL_TIME" and board["branch"] is None
    assert board["rankedCount"] == 4
    assert board["entries"] == [
        {"rank": 1, "displayName": "Reza K.", "points": 50, "isMe": False},
        {"rank": 2, "displayName": "Mina K.", "points": 40, "isMe": False},
    ]
    assert board["me"] == {
        "rank": 3,
        "points": 30,
        "displayName": "Sara R.",
        "optedOut": False,
        "above": [
            {"rank": 1, "displayName": "Reza K.", "points": 50, "isMe": False},
            {"rank": 2, "displayName": "Mina K.", "points": 40, "isMe": False},
        ],
        "below": [{"rank": 4, "displayName": "Ali K.", "points": 10, "isMe": False}],
    }
    here = await api.call(
        LEADERBOARD, {"period": "MONTH", "branchId": str(shop), "neighbours": 0}, token
    )
    assert here["leaderboard"]["branch"]["id"] == str(shop)
    assert here["leaderboard"]["entries"][2]["isMe"] is True
    assert here["leaderboard"]["me"]["above"] == here["leaderboard"]["me"]["below"] == []
    assert (await api.call(RANK, token=token))["me"]["rank"] == 3


async def test_a_member_chooses_their_name_or_keeps_off_the_boards(api: Api) -> None:
    shop, cashier = await _club()
    token, me = await api.member_token()
    await _buy(cashier, shop, int(me), 10)

    named = await api.call(SETTINGS, {"input": {"displayName": "قهوه‌دوست"}}, token)
    assert named["updateLeaderboardSettings"] == {
        "__typename": "LeaderboardSettings",
        "displayName": "قهوه‌دوست",
        "optedOut": False,
        "shownAs": "قهوه‌دوست",
    }
    board = (await api.call(LEADERBOARD, {"period": "ALL_TIME"}, token))["leaderboard"]
    assert board["entries"][0]["displayName"] == "قهوه‌دوست"

    refused = await api.call(SETTINGS, {"input": {"displayName": "0912 123 4567"}}, token)
    assert refused["updateLeaderboardSettings"]["code"] == "INVALID_INPUT"
    assert refused["updateLeaderboardSettings"]["field"] == "displayName"

    off = await api.call(SETTINGS, {"input": {"optOut": True}}, token)
    assert off["updateLeaderboardSettings"]["optedOut"] is True
    board = (await api.call(LEADERBOARD, {"period": "ALL_TIME"}, token))["leaderboard"]
    assert board["entries"] == [] and board["rankedCount"] == 0
    assert board["me"]["rank"] is None and board["me"]["optedOut"] is True
    assert board["me"]["points"] == 10
    assert (await api.call(RANK, token=token))["me"]["rank"] is None


async def test_staff_see_the_boards_without_a_standing_and_strangers_see_nothing(
    api: Api,
) -> None:
    shop, cashier = await _club()
    sara = await f.member("Sara")
    await _buy(cashier, shop, sara.id, 10)
    staff = await api.staff_token()

    board = (await api.call(LEADERBOARD, {"period": "MONTH"}, staff))["leaderboard"]
    assert [e["displayName"] for e in board["entries"]] == ["Sara"]
    assert board["me"] is None
    as_staff = await api.call(SETTINGS, {"input": {"optOut": True}}, staff)
    assert as_staff["updateLeaderboardSettings"]["code"] == "AUTHENTICATION_FAILED"

    stranger = await api.post(LEADERBOARD, {"period": "ALL_TIME"})
    assert stranger["errors"][0]["extensions"]["code"] == "AUTHENTICATION_FAILED"
    too_many = await api.post(LEADERBOARD, {"period": "ALL_TIME", "first": 101}, staff)
    assert too_many["errors"][0]["extensions"]["code"] == "INVALID_INPUT"
    nowhere = await api.post(LEADERBOARD, {"period": "ALL_TIME", "branchId": "999999"}, staff)
    assert nowhere["errors"][0]["extensions"]["code"] == "NOT_FOUND"
