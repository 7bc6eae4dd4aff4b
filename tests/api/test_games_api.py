"""Games through GraphQL: managers set up a wheel and a lottery, members spin and buy tickets
with the app's own operations, and anyone can check a draw."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from loyalty.games import draws, lottery
from loyalty.ledger import Purse
from loyalty.models import Lottery, Role, WheelSeed
from tests import factories as f
from tests.api.conftest import Api

OPERATIONS = Path(__file__).resolve().parents[2] / "mobile_contract" / "operations"
WHEELS = (OPERATIONS / "Wheels.graphql").read_text(encoding="utf-8")
SPIN = (OPERATIONS / "SpinWheel.graphql").read_text(encoding="utf-8")
LOTTERIES = (OPERATIONS / "Lotteries.graphql").read_text(encoding="utf-8")
BUY = (OPERATIONS / "BuyLotteryTickets.graphql").read_text(encoding="utf-8")

CREATE_WHEEL = """
mutation($input: WheelInput!) {
  createWheel(input: $input) {
    __typename
    ... on WheelSaved {
      wheel { id status version seedHash totalWeight budget prizes { id label } }
    }
    ... on InvalidInputError { field }
    ... on Error { code message }
  }
}"""
ACTIVATE_WHEEL = """
mutation($id: ID!) {
  activateWheel(input: {id: $id}) {
    __typename
    ... on WheelSaved { wheel { status version } }
    ... on Error { code message }
  }
}"""
ROTATE = """
mutation($id: ID!) {
  rotateWheelSeed(input: {wheelId: $id}) {
    __typename
    ... on WheelSeedRotated { revealedSeed revealedSeedHash seedHash }
    ... on Error { code message }
  }
}"""
MY_SPINS = """
query { mySpins(first: 5) { edges { node { id number label proof { seed verified } } } } }
"""
WHEEL_SPINS = """
query($id: ID!) { wheelSpins(wheelId: $id) { edges { node { id kind } } } }
"""
CREATE_LOTTERY = """
mutation($input: LotteryInput!) {
  createLottery(input: $input) {
    __typename
    ... on LotterySaved { lottery { id status seedHash prizes { label winners } } }
    ... on InvalidInputError { field }
    ... on Error { code message }
  }
}"""
ACTIVATE_LOTTERY = """
mutation($id: ID!) {
  activateLottery(input: {id: $id}) {
    __typename
    ... on LotterySaved { lottery { status } }
    ... on Error { code message }
  }
}"""
DRAW = """
query($id: ID!) {
  lotteryDraw(lotteryId: $id) {
    seed seedHash ticketCount
    winners { place ticketNumber yours memberId paid prize { kind label } }
  }
}"""
MY_TICKETS = """
query { myTickets { edges { node { firstNumber lastNumber count lottery { name } } } } }
"""


async def test_a_wheel_set_up_spun_and_checked(api: Api) -> None:
    boss = await api.staff_token(Role.MANAGER)
    wheel = {
        "name": "گردونه‌ی یلدا",
        "costPoints": 50,
        "budget": 1_000_000,
        "prizes": [
            {"kind": "CREDIT", "amount": 1_000, "weight": 3},
            {"kind": "TRY_AGAIN", "weight": 1},
        ],
    }
    bad = await api.call(
        CREATE_WHEEL,
        {"input": {**wheel, "prizes": [{"kind": "POINTS", "amount": 1, "weight": 0}]}},
        boss,
    )
    assert bad["createWheel"]["field"] == "prizes.0.weight"
    made = (await api.call(CREATE_WHEEL, {"input": wheel}, boss))["createWheel"]["wheel"]
    assert (made["status"], made["totalWeight"], made["budget"]) == ("DRAFT", 4, 1_000_000)
    assert [p["label"] for p in made["prizes"]] == ["۱۰۰ تومان اعتبار", "دوباره امتحان کنید"]
    wheel_id = made["id"]
    seed = "ab" * 32
    await WheelSeed.filter(wheel_id=int(wheel_id)).update(
        seed=seed, seed_hash=draws.commitment(seed)
    )
    activated = await api.call(ACTIVATE_WHEEL, {"id": wheel_id}, boss)
    assert activated["activateWheel"]["wheel"]["status"] == "ACTIVE"

    token, member_id = await api.member_token()
    await f.give(int(member_id), Purse.POINTS, 120)
    [shown] = (await api.call(WHEELS, token=token))["wheels"]
    assert shown["seedHash"] == draws.commitment(seed) and shown["freeSpinAvailable"] is False
    spun = (await api.call(SPIN, {"wheelId": wheel_id, "idempotencyKey": "s-1"}, token))[
        "spinWheel"
    ]
    assert spun["__typename"] == "WheelSpun" and not spun["replayed"]
    proof = spun["spin"]["proof"]
    assert proof["seed"] is None and proof["verified"] is None
    assert proof["message"] == f"wheel:{wheel_id}:1" and proof["totalWeight"] == 4
    value = draws.draw(seed, proof["message"], 4)
    assert proof["draw"] == value
    again = (await api.call(SPIN, {"wheelId": wheel_id, "idempotencyKey": "s-1"}, token))[
        "spinWheel"
    ]
    assert again["replayed"] and again["spin"]["id"] == spun["spin"]["id"]
    second = await api.call(SPIN, {"wheelId": wheel_id, "idempotencyKey": "s-2"}, token)
    assert second["spinWheel"]["spin"]["number"] == 2
    poor = await api.call(SPIN, {"wheelId": wheel_id, "idempotencyKey": "s-3"}, token)
    assert poor["spinWheel"]["__typename"] == "InsufficientBalanceError"

    rotated = (await api.call(ROTATE, {"id": wheel_id}, boss))["rotateWheelSeed"]
    assert rotated["revealedSeed"] == seed and rotated["seedHash"] != rotated["revealedSeedHash"]
    edges = (await api.call(MY_SPINS, token=token))["mySpins"]["edges"]
    assert [e["node"]["number"] for e in edges] == [2, 1]
    assert all(e["node"]["proof"] == {"seed": seed, "verified": True} for e in edges)
    managed = (await api.call(WHEEL_SPINS, {"id": wheel_id}, boss))["wheelSpins"]["edges"]
    assert len(managed) == 2

    # Staff do not spin; members do not set wheels up; managers alone list every spin.
    cashier = await api.staff_token(Role.CASHIER)
    refused = await api.call(SPIN, {"wheelId": wheel_id, "idempotencyKey": "s-4"}, cashier)
    assert refused["spinWheel"]["code"] == "PERMISSION_DENIED"
    refused = await api.call(CREATE_WHEEL, {"input": wheel}, token)
    assert refused["createWheel"]["code"] == "PERMISSION_DENIED"
    body = await api.post(WHEEL_SPINS, {"id": wheel_id}, token)
    assert body["errors"][0]["extensions"]["code"] == "PERMISSION_DENIED"
    missing = await api.call(SPIN, {"wheelId": "999", "idempotencyKey": "s-5"}, token)
    assert missing["spinWheel"]["__typename"] == "NotFoundError"


async def test_a_lottery_bought_into_drawn_and_checked_by_anyone(api: Api) -> None:
    boss = await api.staff_token(Role.MANAGER)
    now = datetime.now(UTC)
    spec = {
        "name": "Nowruz",
        "salesStart": (now - timedelta(hours=1)).isoformat(),
        "salesEnd": (now + timedelta(hours=1)).isoformat(),
        "drawAt": (now + timedelta(hours=1)).isoformat(),
        "ticketPricePoints": 10,
        "maxTicketsPerMember": 5,
        "prizes": [{"kind": "CREDIT", "amount": 100_000, "winners": 2}],
    }
    made = (await api.call(CREATE_LOTTERY, {"input": spec}, boss))["createLottery"]["lottery"]
    assert made["status"] == "DRAFT" and made["prizes"][0]["winners"] == 2
    lottery_id = made["id"]
    await api.call(ACTIVATE_LOTTERY, {"id": lottery_id}, boss)

    token, member_id = await api.member_token()
    await f.give(int(member_id), Purse.POINTS, 100)
    bought = await api.call(
        BUY, {"lotteryId": lottery_id, "count": 3, "idempotencyKey": "t-1"}, token
    )
    tickets = bought["buyLotteryTickets"]
    assert (tickets["tickets"]["firstNumber"], tickets["tickets"]["lastNumber"]) == (1, 3)
    assert tickets["tickets"]["lottery"]["myTickets"] == 3 and tickets["balances"]["points"] == 70
    over = await api.call(
        BUY, {"lotteryId": lottery_id, "count": 3, "idempotencyKey": "t-2"}, token
    )
    assert over["buyLotteryTickets"]["code"] == "LIMIT_REACHED"
    assert over["buyLotteryTickets"]["__typename"] == "NotUsableError"
    [node] = [e["node"] for e in (await api.call(LOTTERIES, token=token))["lotteries"]["edges"]]
    assert (node["myTickets"], node["tickets"], node["seedHash"]) == (3, 3, made["seedHash"])
    mine = (await api.call(MY_TICKETS, token=token))["myTickets"]["edges"]
    assert [e["node"]["count"] for e in mine] == [3]

    assert (await api.call(DRAW, {"id": lottery_id}))["lotteryDraw"] is None
    row = await Lottery.get(id=int(lottery_id))
    await lottery.draw_due(row.draw_at)
    public = (await api.call(DRAW, {"id": lottery_id}))["lotteryDraw"]
    assert draws.commitment(public["seed"]) == public["seedHash"] == made["seedHash"]
    numbers = draws.winning_tickets(public["seed"], int(lottery_id), public["ticketCount"], 2)
    assert [w["ticketNumber"] for w in public["winners"]] == numbers
    assert all(w["paid"] and not w["yours"] and w["memberId"] is None for w in public["winners"])
    as_member = (await api.call(DRAW, {"id": lottery_id}, token))["lotteryDraw"]
    assert all(w["yours"] for w in as_member["winners"])
    as_boss = (await api.call(DRAW, {"id": lottery_id}, boss))["lotteryDraw"]
    assert {w["memberId"] for w in as_boss["winners"]} == {member_id}
