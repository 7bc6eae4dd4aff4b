"""The member app's side of referral and expiry: a friend's code at first sign-in, a staff
enrolment with a code, and the points that will expire."""

from __future__ import annotations

from pathlib import Path

from loyalty import purchases
from loyalty.models import Member, Referral, ReferralStatus, RuleKind
from loyalty.programme import policies, rules, standing
from loyalty.programme.rules import RuleSpec
from tests import factories as f
from tests.api.conftest import REQUEST_CODE, Api

SIGN_IN = """
mutation($phone: String!, $code: String!, $referral: String) {
  signInWithCode(input: {phone: $phone, code: $code, referralCode: $referral}) {
    __typename
    ... on MemberSession { member { id } newMember }
    ... on InvalidInputError { code field message }
  }
}"""
ENROL = """
mutation($phone: String!, $referral: String) {
  enrolMember(input: {phone: $phone, referralCode: $referral}) {
    __typename
    ... on MemberEnrolled { member { id } created }
    ... on InvalidInputError { code field message }
  }
}"""
REFERRALS = (
    Path(__file__).parents[2] / "mobile_contract" / "operations" / "Referrals.graphql"
).read_text()
EXPIRING = """
query { me { balances { points } expiringPoints { expiresAt points } } }"""


async def _code(api: Api, phone: str) -> str:
    await api.call(REQUEST_CODE, {"phone": phone})
    return api.sms.sent[-1][1].rsplit(": ", 1)[1]


async def test_a_friends_code_at_first_sign_in_records_the_referral(api: Api) -> None:
    friend = await f.member()
    friend_code = (await standing.get(friend.id)).referral_code
    code = await _code(api, "09121111111")

    wrong = await api.call(SIGN_IN, {"phone": "09121111111", "code": code, "referral": "NOPE2222"})
    assert wrong["signInWithCode"]["__typename"] == "InvalidInputError"
    assert wrong["signInWithCode"]["code"] == "CODE_NOT_VALID"
    assert wrong["signInWithCode"]["field"] == "referralCode"
    assert not await Member.exists(phone="+989121111111")

    # The one-time code was not spent on the refusal: it still signs the member in.
    signed = await api.call(
        SIGN_IN, {"phone": "09121111111", "code": code, "referral": friend_code.lower()}
    )
    session = signed["signInWithCode"]
    assert session["__typename"] == "MemberSession" and session["newMember"] is True
    referral = await Referral.get(referee_id=int(session["member"]["id"]))
    assert referral.referrer_id == friend.id and referral.status is ReferralStatus.PENDING


async def test_staff_enrol_a_member_with_a_referral_code(api: Api) -> None:
    friend = await f.member()
    friend_code = (await standing.get(friend.id)).referral_code
    token = await api.staff_token()

    refused = await api.call(ENROL, {"phone": "09122222222", "referral": "ZZZZ9999"}, token)
    assert refused["enrolMember"]["code"] == "CODE_NOT_VALID"
    assert not await Member.exists(phone="+989122222222")

    enrolled = await api.call(ENROL, {"phone": "09122222222", "referral": friend_code}, token)
    member_id = int(enrolled["enrolMember"]["member"]["id"])
    assert await Referral.filter(referrer_id=friend.id, referee_id=member_id).exists()


async def test_members_see_which_points_expire_when(api: Api) -> None:
    manager = await f.manager()
    await policies.save(manager, "expiry", {"mode": "months_after_earning", "months": 12})
    await rules.create(
        manager,
        RuleSpec("Points", RuleKind.POINTS_PER_AMOUNT, {"points": 1, "per_amount": 10_000}),
    )
    token, member_id = await api.member_token()
    shop = await f.branch()
    cashier = await f.staff_actor(branch_id=shop.id)
    bought = await purchases.record(
        cashier,
        branch_id=shop.id,
        member_id=int(member_id),
        amount=1_230_000,
        receipt_number="R-1",
        idempotency_key=f.key(),
    )

    me = (await api.call(EXPIRING, token=token))["me"]
    assert me["balances"]["points"] == 123
    [lot] = me["expiringPoints"]
    assert lot["points"] == 123
    [earning] = [e for e in bought.earned if e.points_expire_at is not None]
    assert lot["expiresAt"] == earning.points_expire_at.isoformat()


async def test_the_invite_screen_pages_through_the_friends_brought(api: Api) -> None:
    token, member_id = await api.member_token()
    code = (await standing.get(int(member_id))).referral_code
    for phone in ("09123000001", "09123000002", "09123000003"):
        await api.call(SIGN_IN, {"phone": phone, "code": await _code(api, phone), "referral": code})

    first = (await api.call(REFERRALS, {"first": 2}, token))["me"]
    assert first["referralCode"] == code
    assert first["referralResults"] == {"invited": 3, "rewarded": 0, "pending": 3, "points": 0}
    assert [e["node"]["friend"][-2:] for e in first["referrals"]["edges"]] == ["03", "02"]
    assert all("*" in e["node"]["friend"] for e in first["referrals"]["edges"])
    after = first["referrals"]["pageInfo"]["endCursor"]
    rest = (await api.call(REFERRALS, {"first": 2, "after": after}, token))["me"]
    assert [e["node"]["status"] for e in rest["referrals"]["edges"]] == ["PENDING"]
    assert rest["referrals"]["pageInfo"]["hasNextPage"] is False
