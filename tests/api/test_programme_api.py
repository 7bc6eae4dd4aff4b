"""The programme through GraphQL: managers configure it, the counter applies it, members read it."""

from __future__ import annotations

import re

from loyalty.ledger import Purse
from loyalty.models import Role
from tests import factories as f
from tests.api.conftest import Api

ERRORS = """
    ... on Error { code message }
    ... on InvalidInputError { field }
"""
RULE_FIELDS = """
    id name kind version active priority exclusiveGroup branchIds startsAt endsAt summary
    params {
      __typename
      ... on PointsPerAmountParams { points perAmount base multipliers { category sku percent } }
      ... on DiscountParams { basisPoints maxAmount }
      ... on CashbackParams { basisPoints base maxAmount }
      ... on EventPointsParams { event points capCount capPeriod }
    }
    conditions { minVisitNumber maxVisitNumber minBasket tierIds }
"""
CREATE_RULE = (
    "mutation($input: EarningRuleInput!) { createEarningRule(input: $input) { __typename"
    " ... on EarningRuleSaved { rule {" + RULE_FIELDS + "} }" + ERRORS + "} }"
)
UPDATE_RULE = (
    "mutation($input: UpdateEarningRuleInput!) { updateEarningRule(input: $input) { __typename"
    " ... on EarningRuleSaved { rule {" + RULE_FIELDS + "} }" + ERRORS + "} }"
)
SET_ACTIVE = (
    """
mutation($input: SetEarningRuleActiveInput!) {
  setEarningRuleActive(input: $input) {
    __typename ... on EarningRuleSaved { rule { id active version } }"""
    + ERRORS
    + "} }"
)
RULES = "query($all: Boolean!) { earningRules(includeInactive: $all) { id name active } }"
RULE = (
    "query($id: ID!) { earningRule(id: $id) { __typename ... on EarningRule {"
    + RULE_FIELDS
    + "}"
    + ERRORS
    + "} }"
)
CHANGES = """
query($entity: String, $id: String, $first: Int!, $after: String) {
  configChanges(entity: $entity, entityId: $id, first: $first, after: $after) {
    edges { node { entity entityId version action snapshot changedBy { username } } }
    pageInfo { hasNextPage endCursor }
  }
}"""
SAVE_TIER = (
    """
mutation($input: SaveTierInput!) {
  saveTier(input: $input) {
    __typename ... on TierSaved { tier { id name nameEn nameFa rank threshold version } }
"""
    + ERRORS
    + "} }"
)
TIER_POLICY = (
    """
mutation($input: TierPolicyInput!) {
  setTierPolicy(input: $input) {
    __typename
    ... on TierPolicySaved { policy { metric period windowDays reviewMonths graceDays version } }
"""
    + ERRORS
    + "} }"
)
EXPIRY_POLICY = (
    """
mutation($input: ExpiryPolicyInput!) {
  setExpiryPolicy(input: $input) {
    __typename ... on ExpiryPolicySaved { policy { mode months warnDays version } }
"""
    + ERRORS
    + "} }"
)
LINES = "{ code purse amount reason ruleId }"
QUOTE = (
    "query($input: QuotePurchaseInput!) { quotePurchase(input: $input) { __typename"
    " ... on PurchaseQuote { amount netAmount points credit unlocked discounts "
    + LINES
    + " lines "
    + LINES
    + " }"
    + ERRORS
    + "} }"
)
RECORD = (
    "mutation($input: RecordPurchaseInput!) { recordPurchase(input: $input) { __typename"
    " ... on PurchaseRecorded { netAmount pointsEarned unlocked balances { points credit }"
    " tierChange { reason qualifying fromTier { name } toTier { name } }"
    " discounts " + LINES + " lines " + LINES + " }" + ERRORS + "} }"
)
ME = (
    """
query {
  me {
    referralCode
    tier {
      current { name rank } nextTier { name threshold } metric qualifying neededForNext
      reviewAt graceUntil
    }
    history(first: 5) { edges { node { kind points pointsExpireAt lines """
    + LINES
    + """ } } }
  }
}"""
)
PROGRAMME_RULES = """
query($language: Language) {
  programmeRules(language: $language) { language sections { code title lines } }
}"""
AWARD = (
    """
mutation($input: AwardEventPointsInput!) {
  awardEventPoints(input: $input) {
    __typename
    ... on EventPointsAwarded { lines { code amount } entry { points } balances { points } }
"""
    + ERRORS
    + "} }"
)

SPEND_RULE = {
    "name": "Points for spending",
    "params": {
        "pointsPerAmount": {
            "points": 10,
            "perAmount": 100_000,
            "multipliers": [{"category": "coffee", "percent": 200}],
        }
    },
}


async def test_a_manager_configures_earning_rules_with_versions_and_an_audit_trail(
    api: Api,
) -> None:
    manager = await api.staff_token(Role.MANAGER)
    shop = await f.branch()
    created = (
        await api.call(
            CREATE_RULE,
            {"input": {**SPEND_RULE, "branchIds": [str(shop.id)], "priority": 5}},
            manager,
        )
    )["createEarningRule"]
    rule = created["rule"]
    assert created["__typename"] == "EarningRuleSaved"
    assert rule["kind"] == "POINTS_PER_AMOUNT" and rule["version"] == 1
    assert rule["params"] == {
        "__typename": "PointsPerAmountParams",
        "points": 10,
        "perAmount": 100_000,
        "base": "NET",
        "multipliers": [{"category": "coffee", "sku": "", "percent": 200}],
    }
    assert rule["branchIds"] == [str(shop.id)]
    assert rule["summary"].startswith("۱۰ امتیاز به ازای هر ۱۰٬۰۰۰ تومان")  # staff read Persian

    one = (await api.call(RULE, {"id": rule["id"]}, manager))["earningRule"]
    assert one == {"__typename": "EarningRule", **rule}

    changed = {
        "id": rule["id"],
        "expectedVersion": 1,
        "name": "Back after a month",
        "params": {"discount": {"basisPoints": 1_000, "maxAmount": 500_000}},
        "conditions": {"minVisitNumber": 2},
    }
    refused = (await api.call(UPDATE_RULE, {"input": changed}, manager))["updateEarningRule"]
    assert refused["code"] == "INVALID_INPUT" and refused["field"] == "kind"
    changed["params"] = {"pointsPerAmount": {"points": 20, "perAmount": 100_000}}
    updated = (await api.call(UPDATE_RULE, {"input": changed}, manager))["updateEarningRule"]
    assert updated["rule"]["version"] == 2
    assert updated["rule"]["conditions"]["minVisitNumber"] == 2
    assert updated["rule"]["branchIds"] == []  # a new definition, whole

    stale = (await api.call(UPDATE_RULE, {"input": changed}, manager))["updateEarningRule"]
    assert stale["__typename"] == "VersionConflictError" and stale["code"] == "VERSION_CONFLICT"

    off = (await api.call(SET_ACTIVE, {"input": {"id": rule["id"], "active": False}}, manager))[
        "setEarningRuleActive"
    ]
    assert off["rule"] == {"id": rule["id"], "active": False, "version": 3}
    assert (await api.call(RULES, {"all": False}, manager))["earningRules"] == []
    listed = (await api.call(RULES, {"all": True}, manager))["earningRules"]
    assert [r["id"] for r in listed] == [rule["id"]]

    page = (await api.call(CHANGES, {"entity": "rule", "id": rule["id"], "first": 2}, manager))[
        "configChanges"
    ]
    nodes = [e["node"] for e in page["edges"]]
    assert [(n["version"], n["action"]) for n in nodes] == [(3, "update"), (2, "update")]
    assert nodes[0]["snapshot"]["active"] is False and nodes[0]["changedBy"]["username"]
    assert page["pageInfo"]["hasNextPage"] is True
    rest = (
        await api.call(
            CHANGES,
            {
                "entity": "rule",
                "id": rule["id"],
                "first": 2,
                "after": page["pageInfo"]["endCursor"],
            },
            manager,
        )
    )["configChanges"]
    assert [e["node"]["version"] for e in rest["edges"]] == [1]
    assert rest["pageInfo"]["hasNextPage"] is False

    missing = (await api.call(RULE, {"id": "999999"}, manager))["earningRule"]
    assert missing["code"] == "NOT_FOUND"


async def test_invalid_rules_are_refused_with_the_input_path(api: Api) -> None:
    manager = await api.staff_token(Role.MANAGER)

    async def refusal(rule: dict) -> tuple[str, str]:
        result = (await api.call(CREATE_RULE, {"input": rule}, manager))["createEarningRule"]
        assert result["__typename"] == "InvalidInputError", result
        return result["field"], result["message"]

    field, message = await refusal(
        {"name": "x", "params": {"pointsPerAmount": {"points": 1, "perAmount": 0}}}
    )
    assert field == "params.pointsPerAmount.perAmount" and message.startswith(field)
    both = {"pointsPerAmount": {"points": 1, "perAmount": 1}, "discount": {"basisPoints": 1}}
    assert (await refusal({"name": "x", "params": both}))[0] == "params"
    assert (await refusal({"name": "x", "params": {}}))[0] == "params"
    multiplier = {"category": "tea", "sku": "T1", "percent": 150}
    assert (
        await refusal(
            {
                "name": "x",
                "params": {
                    "pointsPerAmount": {"points": 1, "perAmount": 1, "multipliers": [multiplier]}
                },
            }
        )
    )[0] == "params.pointsPerAmount.multipliers.0"
    assert (
        await refusal(
            {
                "name": "x",
                "params": {"cashback": {"basisPoints": 20_000}},
            }
        )
    )[0] == "params.cashback.basisPoints"
    assert (
        await refusal(
            {
                "name": "x",
                "params": {"discount": {"basisPoints": 500}},
                "conditions": {"minSpendInWindow": 1_000},
            }
        )
    )[0] == "conditions"
    assert (
        await refusal(
            {"name": "x", "params": {"discount": {"basisPoints": 500}}, "branchIds": ["77777"]}
        )
    )[0] == "branchIds"
    assert (await refusal({"name": " ", "params": {"discount": {"basisPoints": 500}}}))[0] == "name"
    assert (await api.call(RULES, {"all": True}, manager))["earningRules"] == []


async def test_tiers_and_policies_round_trip(api: Api) -> None:
    manager = await api.staff_token(Role.MANAGER)
    bronze = (
        await api.call(SAVE_TIER, {"input": {"name": "Bronze", "rank": 0, "threshold": 0}}, manager)
    )["saveTier"]["tier"]
    silver = (
        await api.call(
            SAVE_TIER,
            {"input": {"name": "Silver", "nameFa": "نقره‌ای", "rank": 1, "threshold": 1_000}},
            manager,
        )
    )["saveTier"]["tier"]
    assert silver["name"] == "نقره‌ای" and silver["nameEn"] == "Silver"
    ladder = {"name": "Gold", "rank": 2, "threshold": 500}
    below = (await api.call(SAVE_TIER, {"input": ladder}, manager))["saveTier"]
    assert below["field"] == "threshold"
    renamed = {"id": silver["id"], "expectedVersion": 1, "name": "Silver+", "rank": 1}
    saved = (await api.call(SAVE_TIER, {"input": {**renamed, "threshold": 2_000}}, manager))[
        "saveTier"
    ]
    assert saved["tier"]["version"] == 2 and saved["tier"]["threshold"] == 2_000
    stale = (await api.call(SAVE_TIER, {"input": {**renamed, "threshold": 3_000}}, manager))[
        "saveTier"
    ]
    assert stale["code"] == "VERSION_CONFLICT"
    tiers = (await api.call("{ tiers { id rank } }", token=manager))["tiers"]
    assert [t["id"] for t in tiers] == [bronze["id"], silver["id"]]

    bad = (await api.call(TIER_POLICY, {"input": {"windowDays": 0}}, manager))["setTierPolicy"]
    assert bad["__typename"] == "InvalidInputError" and bad["field"] == "windowDays"
    policy = {"metric": "SPEND", "period": "CALENDAR_YEAR", "graceDays": 10, "expectedVersion": 0}
    saved = (await api.call(TIER_POLICY, {"input": policy}, manager))["setTierPolicy"]["policy"]
    assert saved == {
        "metric": "SPEND",
        "period": "CALENDAR_YEAR",
        "windowDays": 365,
        "reviewMonths": 12,
        "graceDays": 10,
        "version": 1,
    }
    again = (await api.call(TIER_POLICY, {"input": policy}, manager))["setTierPolicy"]
    assert again["code"] == "VERSION_CONFLICT"
    read = await api.call(
        "{ tierPolicy { metric version } expiryPolicy { mode version } }", None, manager
    )
    assert read == {
        "tierPolicy": {"metric": "SPEND", "version": 1},
        "expiryPolicy": {"mode": "NEVER", "version": 0},
    }
    expiry = {"mode": "MONTHS_AFTER_EARNING", "months": 6}
    saved = (await api.call(EXPIRY_POLICY, {"input": expiry}, manager))["setExpiryPolicy"]
    assert saved["policy"] == {
        "mode": "MONTHS_AFTER_EARNING",
        "months": 6,
        "warnDays": 30,
        "version": 1,
    }
    settings = (await api.call(CHANGES, {"entity": "setting", "first": 10}, manager))[
        "configChanges"
    ]
    assert [e["node"]["entityId"] for e in settings["edges"]] == ["expiry", "tiers"]


async def test_only_managers_configure_the_programme(api: Api) -> None:
    cashier = await api.staff_token(Role.CASHIER)
    member, _ = await api.member_token()
    rule = {"input": SPEND_RULE}
    refused = (await api.call(CREATE_RULE, rule, cashier))["createEarningRule"]
    assert refused["__typename"] == "PermissionDeniedError"
    refused = (await api.call(CREATE_RULE, rule, member))["createEarningRule"]
    assert refused["__typename"] == "PermissionDeniedError"
    refused = (await api.call(CREATE_RULE, rule))["createEarningRule"]
    assert refused["__typename"] == "AuthenticationError"
    tier = {"input": {"name": "Bronze", "rank": 0, "threshold": 0}}
    assert (await api.call(SAVE_TIER, tier, cashier))["saveTier"]["code"] == "PERMISSION_DENIED"
    policy = {"input": {"graceDays": 1}}
    assert (await api.call(TIER_POLICY, policy, cashier))["setTierPolicy"]["code"] == (
        "PERMISSION_DENIED"
    )
    for query, variables in [
        (RULES, {"all": True}),
        ("{ tiers { id } }", None),
        ("{ tierPolicy { version } }", None),
        (CHANGES, {"first": 5}),
    ]:
        body = await api.post(query, variables, cashier)
        assert body["errors"][0]["extensions"]["code"] == "PERMISSION_DENIED", body
    manager = await api.staff_token(Role.MANAGER)
    assert (await api.call(RULES, {"all": True}, manager))["earningRules"] == []


async def _programme(api: Api, manager: str) -> None:
    """10 points a 100,000 Rials net, 10% off, 5% cash-back rising to 15% from visit 2."""
    for rule in [
        SPEND_RULE,
        {
            "name": "Cash-back",
            "params": {"cashback": {"basisPoints": 500}},
            "exclusiveGroup": "cashback",
        },
        {"name": "Ten off", "params": {"discount": {"basisPoints": 1_000}}, "priority": 9},
        {
            "name": "Regulars",
            "params": {"cashback": {"basisPoints": 1_500}},
            "conditions": {"minVisitNumber": 2},
            "exclusiveGroup": "cashback",
            "priority": 5,
        },
    ]:
        saved = (await api.call(CREATE_RULE, {"input": rule}, manager))["createEarningRule"]
        assert saved["__typename"] == "EarningRuleSaved", saved
    for tier in [
        {"name": "Bronze", "nameFa": "برنزی", "rank": 0, "threshold": 0},
        {"name": "Silver", "nameFa": "نقره‌ای", "rank": 1, "threshold": 100},
        {"name": "Gold", "nameFa": "طلایی", "rank": 2, "threshold": 10_000},
    ]:
        assert (await api.call(SAVE_TIER, {"input": tier}, manager))["saveTier"]["tier"]


async def test_the_counter_quotes_what_recording_then_gives(api: Api) -> None:
    manager = await api.staff_token(Role.MANAGER)
    await _programme(api, manager)
    shop = await f.branch()
    cashier = await api.staff_token(Role.CASHIER, shop.id)
    member = await f.member()
    await f.give(member.id, Purse.CREDIT, 200_000)
    basket = {
        "branchId": str(shop.id),
        "memberId": str(member.id),
        "amount": 2_000_000,
        "paidWithCredit": 200_000,
        "items": [{"sku": "C1", "category": "coffee", "amount": 1_000_000}],
    }
    before = await f.row_counts()
    quote = (await api.call(QUOTE, {"input": basket}, cashier))["quotePurchase"]
    assert await f.row_counts() == before  # a dry run writes nothing
    assert quote["__typename"] == "PurchaseQuote"
    # 10% off 2,000,000 = 200,000; net = 2,000,000 - 200,000 - 200,000 credit = 1,600,000.
    assert quote["netAmount"] == 1_600_000
    assert [(d["code"], d["amount"]) for d in quote["discounts"]] == [("discount", 200_000)]
    # Coffee (half the basket) counts double: 1,600,000 × 1.5 / 100,000 × 10 = 240 points.
    assert [(line["code"], line["purse"], line["amount"]) for line in quote["lines"]] == [
        ("points_per_amount", "POINTS", 240),
        ("cashback", "CREDIT", 80_000),
    ]
    assert quote["points"] == 240 and quote["credit"] == 80_000
    assert quote["unlocked"] and "مراجعه" in quote["unlocked"][0]

    recorded = (
        await api.call(
            RECORD, {"input": {**basket, "receiptNumber": "R1", "idempotencyKey": f.key()}}, cashier
        )
    )["recordPurchase"]
    assert recorded["__typename"] == "PurchaseRecorded", recorded
    assert recorded["netAmount"] == quote["netAmount"]
    assert recorded["discounts"] == quote["discounts"]
    # Silver is reached with this purchase: its multiplier applies from the next one.
    assert recorded["lines"] == quote["lines"]
    assert recorded["unlocked"][0] == "به سطح نقره‌ای خوش آمدید"
    assert recorded["unlocked"][1:] == quote["unlocked"]
    assert recorded["tierChange"] == {
        "reason": "UPGRADE",
        "qualifying": 240,
        "fromTier": None,
        "toTier": {"name": "نقره‌ای"},
    }
    assert recorded["balances"] == {"points": 240, "credit": 80_000}

    short = {**basket, "paidWithCredit": 900_000, "receiptNumber": "R2", "idempotencyKey": f.key()}
    refused = (await api.call(RECORD, {"input": short}, cashier))["recordPurchase"]
    assert refused["code"] == "INSUFFICIENT_BALANCE"
    unknown = await api.call(QUOTE, {"input": {**basket, "memberId": "999999"}}, cashier)
    assert unknown["quotePurchase"]["code"] == "NOT_FOUND"


async def test_a_member_sees_tier_progress_and_why_they_earned(api: Api) -> None:
    manager = await api.staff_token(Role.MANAGER)
    await _programme(api, manager)
    await api.call(EXPIRY_POLICY, {"input": {"mode": "MONTHS_AFTER_EARNING"}}, manager)
    token, member_id = await api.member_token()
    fresh = (await api.call(ME, token=token))["me"]
    assert re.fullmatch("[A-Z2-9]{8}", fresh["referralCode"])
    assert fresh["tier"] == {
        "current": {"name": "برنزی", "rank": 0},
        "nextTier": {"name": "نقره‌ای", "threshold": 100},
        "metric": "POINTS_EARNED",
        "qualifying": 0,
        "neededForNext": 100,
        "reviewAt": None,
        "graceUntil": None,
    }

    shop = await f.branch()
    cashier = await api.staff_token(Role.CASHIER, shop.id)
    purchase = {
        "branchId": str(shop.id),
        "memberId": member_id,
        "amount": 500_000,
        "receiptNumber": "R1",
        "idempotencyKey": f.key(),
    }
    assert (await api.call(RECORD, {"input": purchase}, cashier))["recordPurchase"]["lines"]
    me = (await api.call(ME, token=token))["me"]
    # 450,000 net after 10% off: 40 points.
    assert me["tier"]["qualifying"] == 40 and me["tier"]["neededForNext"] == 60
    assert me["tier"]["current"]["rank"] == 0 and me["tier"]["reviewAt"]  # placed in Bronze
    earned = me["history"]["edges"][0]["node"]
    assert earned["kind"] == "EARN" and earned["points"] == 40 and earned["pointsExpireAt"]
    assert [(line["code"], line["purse"], line["amount"]) for line in earned["lines"]] == [
        ("points_per_amount", "POINTS", 40),
        ("cashback", "CREDIT", 22_500),
    ]
    assert earned["lines"][0]["reason"].startswith("۱۰ امتیاز به ازای هر")


async def test_programme_rules_are_public_in_both_languages(api: Api) -> None:
    manager = await api.staff_token(Role.MANAGER)
    await _programme(api, manager)
    english = (await api.call(PROGRAMME_RULES, {"language": "EN"}))["programmeRules"]
    assert english["language"] == "EN"
    sections = {s["code"]: s for s in english["sections"]}
    assert list(sections) == ["earning", "offers", "tiers", "expiry"]
    assert sections["earning"]["lines"][0] == ("15% cash-back as credit, from your 2nd visit on")
    assert sections["offers"]["lines"] == ["10% off the purchase"]
    assert "Silver: 100 points earned in the last 365 days" in sections["tiers"]["lines"]
    persian = (await api.call(PROGRAMME_RULES))["programmeRules"]
    assert persian["language"] == "FA" and persian["sections"][0]["title"] == "کسب امتیاز و اعتبار"
    assert not any(re.search("[0-9]", line) for s in persian["sections"] for line in s["lines"])


async def test_staff_award_event_points_once_per_reference(api: Api) -> None:
    manager = await api.staff_token(Role.MANAGER)
    review = {
        "name": "Reviews",
        "params": {"eventPoints": {"event": "REVIEW", "points": 50, "capCount": 2}},
    }
    await api.call(CREATE_RULE, {"input": review}, manager)
    operator = await api.staff_token(Role.OPERATOR)
    member = await f.member()
    award = {"memberId": str(member.id), "event": "REVIEW", "reference": "review-1"}
    given = (await api.call(AWARD, {"input": award}, operator))["awardEventPoints"]
    assert given == {
        "__typename": "EventPointsAwarded",
        "lines": [{"code": "event_points", "amount": 50}],
        "entry": {"points": 50},
        "balances": {"points": 50},
    }
    again = (await api.call(AWARD, {"input": award}, operator))["awardEventPoints"]
    assert again["code"] == "ALREADY_EXISTS"
    second = {**award, "reference": "review-2"}
    assert (await api.call(AWARD, {"input": second}, operator))["awardEventPoints"]["entry"]
    third = {**award, "reference": "review-3"}
    capped = (await api.call(AWARD, {"input": third}, operator))["awardEventPoints"]
    assert capped["lines"] == [] and capped["entry"] is None
    assert capped["balances"]["points"] == 100
    member_token, _ = await api.member_token()
    refused = (await api.call(AWARD, {"input": award}, member_token))["awardEventPoints"]
    assert refused["code"] == "PERMISSION_DENIED"
