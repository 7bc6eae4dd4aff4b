"""Stamp cards through GraphQL: managers define them, the counter hears "stamp card: 7/10" and
"card complete", members follow their cards with the app's own operation."""

from __future__ import annotations

from pathlib import Path

from loyalty.models import Role
from tests import factories as f
from tests.api.conftest import Api

OPERATIONS = Path(__file__).resolve().parents[2] / "mobile_contract" / "operations"
MY_STAMP_CARDS = (OPERATIONS / "MyStampCards.graphql").read_text(encoding="utf-8")
MY_VOUCHERS = (OPERATIONS / "MyVouchers.graphql").read_text(encoding="utf-8")

CARD_FIELDS = """
    __typename
    ... on StampCardSaved {
      card { id name nameEn version active unit category sku stampsNeeded summary reward { id } }
    }
    ... on Error { code message }
    ... on InvalidInputError { field }
"""
CREATE = f"""
mutation($input: StampCardInput!) {{ createStampCard(input: $input) {{ {CARD_FIELDS} }} }}"""
UPDATE = f"""
mutation($input: UpdateStampCardInput!) {{ updateStampCard(input: $input) {{ {CARD_FIELDS} }} }}"""
SET_ACTIVE = f"""
mutation($input: SetStampCardActiveInput!) {{
  setStampCardActive(input: $input) {{ {CARD_FIELDS} }}
}}"""
CARDS = """
query($first: Int, $after: String, $all: Boolean) {
  stampCards(first: $first, after: $after, includeInactive: $all) {
    edges { node { id nameEn active } }
    pageInfo { hasNextPage endCursor }
  }
}"""
CREATE_REWARD = """
mutation($input: RewardInput!) {
  createReward(input: $input) { ... on RewardSaved { reward { id } } ... on Error { code } }
}"""
RECORD = """
mutation($input: RecordPurchaseInput!) {
  recordPurchase(input: $input) {
    __typename
    ... on PurchaseRecorded { purchase { id } unlocked replayed }
    ... on Error { code message }
  }
}"""
REFUND = """
mutation($input: RefundPurchaseInput!) {
  refundPurchase(input: $input) { __typename ... on Error { code message } }
}"""


async def _club(api: Api) -> dict:
    shop = await f.branch()
    boss = await api.staff_token(Role.MANAGER)
    reward = await api.call(
        CREATE_REWARD,
        {
            "input": {
                "name": "Free latte",
                "kind": "FREE_PRODUCT",
                "benefit": {"kind": "FREE_PRODUCT", "sku": "LATTE"},
                "costPoints": 5000,
                "active": False,
            }
        },
        boss,
    )
    member_token, member_id = await api.member_token()
    return {
        "shop": str(shop.id),
        "boss": boss,
        "cashier": await api.staff_token(Role.CASHIER, shop.id),
        "reward": reward["createReward"]["reward"]["id"],
        "member": member_id,
        "member_token": member_token,
    }


def _card(club: dict, **more: object) -> dict:
    return {
        "name": "Coffee",
        "nameFa": "قهوه",
        "earn": {"perItem": {"category": "coffee"}},
        "stampsNeeded": 10,
        "rewardId": club["reward"],
        **more,
    }


async def _buy(api: Api, club: dict, lattes: int, key: str | None = None) -> dict:
    key = key or f.key()
    data = await api.call(
        RECORD,
        {
            "input": {
                "branchId": club["shop"],
                "memberId": club["member"],
                "amount": 50_000 * lattes,
                "receiptNumber": key,
                "idempotencyKey": key,
                "items": [
                    {
                        "sku": "LATTE",
                        "category": "coffee",
                        "quantity": lattes,
                        "amount": 50_000 * lattes,
                    }
                ],
            }
        },
        club["cashier"],
    )
    return data["recordPurchase"]


async def test_a_manager_defines_cards_and_the_counter_hears_the_progress(api: Api) -> None:
    club = await _club(api)
    saved = (await api.call(CREATE, {"input": _card(club)}, club["boss"]))["createStampCard"]
    card = saved["card"]
    assert (card["name"], card["nameEn"], card["unit"], card["category"]) == (
        "قهوه",
        "Coffee",
        "ITEM",
        "coffee",
    )
    assert card["summary"] == "یک مهر برای هر coffee خریداری‌شده؛ ۱۰ مهر: یک LATTE رایگان"

    seven = await _buy(api, club, 7)
    assert seven["unlocked"][-1] == "کارت مهر قهوه: ۷ از ۱۰"
    full = await _buy(api, club, 4)
    assert full["unlocked"][-2:] == [
        "کارت مهر قهوه کامل شد: کوپن یک LATTE رایگان صادر شد",
        "کارت مهر قهوه: ۱ از ۱۰",
    ]
    vouchers = await api.call(MY_VOUCHERS, {}, club["member_token"])
    [voucher] = vouchers["myVouchers"]["edges"]
    assert voucher["node"]["benefit"]["kind"] == "FREE_PRODUCT"
    assert voucher["node"]["status"] == "USABLE"

    changed = await api.call(
        UPDATE,
        {"input": {**_card(club, stampsNeeded=5), "id": card["id"], "expectedVersion": 1}},
        club["boss"],
    )
    assert changed["updateStampCard"]["card"]["version"] == 2
    stale = await api.call(
        SET_ACTIVE,
        {"input": {"id": card["id"], "active": False, "expectedVersion": 1}},
        club["boss"],
    )
    assert stale["setStampCardActive"]["__typename"] == "VersionConflictError"
    off = await api.call(
        SET_ACTIVE,
        {"input": {"id": card["id"], "active": False, "expectedVersion": 2}},
        club["boss"],
    )
    assert off["setStampCardActive"]["card"]["active"] is False
    listed = await api.call(CARDS, {"all": False}, club["boss"])
    assert listed["stampCards"]["edges"] == []
    listed = await api.call(CARDS, {"all": True}, club["boss"])
    assert [e["node"]["id"] for e in listed["stampCards"]["edges"]] == [card["id"]]


async def test_the_member_follows_their_cards(api: Api) -> None:
    club = await _club(api)
    saved = await api.call(CREATE, {"input": _card(club)}, club["boss"])
    card_id = saved["createStampCard"]["card"]["id"]
    bought = await _buy(api, club, 12)
    await _buy(api, club, 1)
    await api.call(
        REFUND,
        {"input": {"purchaseId": bought["purchase"]["id"], "idempotencyKey": f.key()}},
        club["cashier"],
    )
    data = await api.call(MY_STAMP_CARDS, {"eventsFirst": 2}, club["member_token"])
    [mine] = data["myStampCards"]
    assert mine["card"]["id"] == card_id
    assert mine["card"]["reward"]["benefit"]["kind"] == "FREE_PRODUCT"
    # 12 + 1 stamps, a card filled (its voucher unused), then the 12 refunded: the voucher is
    # withdrawn and 1 stamp is left.
    assert (mine["stamps"], mine["needed"], mine["owed"], mine["completed"]) == (1, 10, 0, 0)
    events = mine["events"]
    assert [(e["node"]["reason"], e["node"]["delta"]) for e in events["edges"]] == [
        ("REFUNDED", -12),
        ("WITHDRAWN", 10),
    ]
    assert events["pageInfo"]["hasNextPage"]
    more = await api.call(
        MY_STAMP_CARDS,
        {"eventsFirst": 10, "eventsAfter": events["pageInfo"]["endCursor"]},
        club["member_token"],
    )
    rest = more["myStampCards"][0]["events"]["edges"]
    assert [(e["node"]["reason"], e["node"]["delta"]) for e in rest] == [
        ("EARNED", 1),
        ("COMPLETED", -10),
        ("EARNED", 12),
    ]
    assert rest[-1]["node"]["purchaseId"] == bought["purchase"]["id"]


async def test_a_replayed_purchase_tells_the_same_and_stamps_once(api: Api) -> None:
    club = await _club(api)
    await api.call(CREATE, {"input": _card(club)}, club["boss"])
    first = await _buy(api, club, 3, key="same-key")
    again = await _buy(api, club, 3, key="same-key")
    assert (first["replayed"], again["replayed"]) == (False, True)
    assert again["unlocked"] == first["unlocked"] == ["کارت مهر قهوه: ۳ از ۱۰"]
    data = await api.call(MY_STAMP_CARDS, {}, club["member_token"])
    assert data["myStampCards"][0]["stamps"] == 3


async def test_bad_definitions_name_the_field_and_only_managers_define(api: Api) -> None:
    club = await _club(api)
    cases = [
        (_card(club, earn={}), "earn"),
        (_card(club, earn={"perItem": {}, "perPurchase": {}}), "earn"),
        (_card(club, earn={"perItem": {"category": "coffee", "sku": "LATTE"}}), "earn.perItem"),
        (_card(club, earn={"perPurchase": {"minAmount": -5}}), "earn.perPurchase.minAmount"),
        (_card(club, stampsNeeded=0), "stampsNeeded"),
        (_card(club, rewardId="x"), "rewardId"),
        (_card(club, rewardId="999"), "rewardId"),
        (_card(club, branchIds=["1", "nope"]), "branchIds.1"),
        (_card(club, maxStampsPerPurchase=0), "maxStampsPerPurchase"),
    ]
    for card, field in cases:
        refused = (await api.call(CREATE, {"input": card}, club["boss"]))["createStampCard"]
        assert (refused["__typename"], refused["field"]) == ("InvalidInputError", field), refused
    for token in (club["cashier"], club["member_token"]):
        denied = (await api.call(CREATE, {"input": _card(club)}, token))["createStampCard"]
        assert denied["code"] == "PERMISSION_DENIED"
    assert (await api.call(CARDS, {"all": True}, club["boss"]))["stampCards"]["edges"] == []
    body = await api.post(MY_STAMP_CARDS, {}, club["cashier"])
    assert body["errors"][0]["extensions"]["code"] == "AUTHENTICATION_FAILED"
    missing = await api.call(SET_ACTIVE, {"input": {"id": "999", "active": False}}, club["boss"])
    assert missing["setStampCardActive"]["__typename"] == "NotFoundError"
