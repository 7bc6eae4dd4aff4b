"""Referral: a friend enrols with a member's code; the member is rewarded at the friend's second
purchase, once, within the rule's cap, and never for referring themselves."""

from __future__ import annotations

import pytest

from loyalty import ledger, members, purchases
from loyalty.actors import SYSTEM, Actor
from loyalty.errors import ErrorCode, InvalidInput
from loyalty.models import Card, Device, Member, Referral, ReferralStatus, Role, RuleKind
from loyalty.privacy.masking import masked
from loyalty.programme import referral, rules
from loyalty.programme.rules import RuleSpec
from tests import factories as f

REWARD = 250


class Club:
    def __init__(self, shop_id: int, cashier: Actor) -> None:
        self.shop_id, self.cashier = shop_id, cashier

    @classmethod
    async def open(cls, **cap: object) -> Club:
        shop = await f.branch()
        boss = await f.manager()
        for spec in (
            RuleSpec("Points", RuleKind.POINTS_PER_AMOUNT, {"points": 1, "per_amount": 10_000}),
            RuleSpec(
                "Referral",
                RuleKind.EVENT_POINTS,
                {"event": "referral", "points": REWARD, **cap},
            ),
        ):
            await rules.create(boss, spec)
        return cls(shop.id, await f.staff_actor(Role.CASHIER, shop.id))

    async def buy(self, member_id: int, times: int = 1) -> None:
        for _ in range(times):
            await purchases.record(
                self.cashier,
                branch_id=self.shop_id,
                member_id=member_id,
                amount=10_000,
                receipt_number=f.key()[:12],
                idempotency_key=f.key(),
            )


async def _friend_of(referrer_id: int, code: str | None = None) -> Member:
    code = code if code is not None else await referral.code_of(referrer_id)
    friend, created = await members.enrol(SYSTEM, f.phone(), referral_code=code)
    assert created
    return friend


async def _points(member_id: int) -> int:
    return (await ledger.balances(member_id)).points


async def test_the_referrer_is_rewarded_at_the_friends_second_purchase_only() -> None:
    club = await Club.open()
    ali = await f.member("Ali")
    sara = await _friend_of(ali.id)
    assert (await Referral.get(referee_id=sara.id)).status is ReferralStatus.PENDING

    await club.buy(sara.id)
    assert await _points(ali.id) == 0
    await club.buy(sara.id)
    assert await _points(ali.id) == REWARD
    done = await Referral.get(referee_id=sara.id)
    assert done.status is ReferralStatus.REWARDED and done.referrer_id == ali.id  # type: ignore[attr-defined]
    assert done.transaction_id is not None and done.decided_at is not None  # type: ignore[attr-defined]
    await club.buy(sara.id)  # the third does nothing
    assert await _points(ali.id) == REWARD
    assert [r.referee_id for r in await referral.made_by(ali.id)] == [sara.id]  # type: ignore[attr-defined]


async def test_a_code_is_read_as_people_type_it() -> None:
    ali = await f.member("Ali")
    code = await referral.code_of(ali.id)
    persian = code.translate(str.maketrans("23456789", "۲۳۴۵۶۷۸۹"))
    typed = f" {persian[:4].lower()}-{persian[4:]} "
    sara = await _friend_of(ali.id, typed)
    assert (await Referral.get(referee_id=sara.id)).referrer_id == ali.id  # type: ignore[attr-defined]


@pytest.mark.parametrize("code", ["NOSUCHCD", "!!", "x" * 40])
async def test_an_unknown_code_is_refused_and_enrols_nobody(code: str) -> None:
    await f.member("Ali")
    before = await f.row_counts()
    with pytest.raises(InvalidInput) as refused:
        await members.enrol(SYSTEM, f.phone(), referral_code=code)
    assert refused.value.field == "referralCode"
    assert refused.value.code is ErrorCode.CODE_NOT_VALID
    assert await f.row_counts() == before
    assert await Referral.all().count() == 0


async def test_a_blank_code_is_no_code() -> None:
    sara, created = await members.enrol(SYSTEM, f.phone(), referral_code="  ")
    assert created and not await Referral.exists(referee_id=sara.id)


async def test_the_same_phone_is_the_same_member_and_refers_nobody() -> None:
    """Phones are normalised and unique: enrolling again with one's own number, in another
    form, with one's own code returns the member already enrolled and records no referral."""
    ali = await f.member("Ali")
    again, created = await members.enrol(
        SYSTEM, "+98" + ali.phone[3:], referral_code=await referral.code_of(ali.id)
    )
    assert again.id == ali.id and not created
    assert await Referral.all().count() == 0
    with pytest.raises(InvalidInput):
        await referral.register(ali.id, await referral.code_of(ali.id))


async def test_a_shared_device_is_a_self_referral() -> None:
    club = await Club.open()
    ali = await f.member("Ali")
    sara = await _friend_of(ali.id)
    await Device.create(member_id=ali.id, token="fcm-token-old", active=False)
    await Device.create(member_id=ali.id, token="fcm-token-ali")
    await Device.create(member_id=sara.id, token="fcm-token-sara")
    await Device.create(member_id=sara.id, token="fcm-token-old")

    await club.buy(sara.id, times=2)

    assert await _points(ali.id) == 0
    rejected = await Referral.get(referee_id=sara.id)
    assert rejected.status is ReferralStatus.REJECTED
    assert rejected.note == "self-referral: a device is shared with the referrer"


async def test_the_same_card_is_a_self_referral() -> None:
    club = await Club.open()
    ali = await f.member("Ali")
    sara = await _friend_of(ali.id)
    await Card.create(member_id=ali.id, card_number="04A1B2C3D4")
    await Card.create(member_id=sara.id, card_number="04:a1:b2:c3:d4")

    await club.buy(sara.id, times=2)

    assert await _points(ali.id) == 0
    rejected = await Referral.get(referee_id=sara.id)
    assert rejected.status is ReferralStatus.REJECTED
    assert rejected.note == "self-referral: the same card is on record for the referrer"


async def test_different_devices_and_cards_do_not_block_the_reward() -> None:
    club = await Club.open()
    ali = await f.member("Ali")
    sara = await _friend_of(ali.id)
    await Device.create(member_id=ali.id, token="fcm-token-ali")
    await Device.create(member_id=sara.id, token="fcm-token-sara")
    await Card.create(member_id=ali.id, card_number="04A1B2C3D4")
    await Card.create(member_id=sara.id, card_number="04A1B2C3D5")
    await club.buy(sara.id, times=2)
    assert await _points(ali.id) == REWARD


async def test_referral_rewards_respect_the_rules_cap() -> None:
    club = await Club.open(cap_count=2, cap_period="year")
    ali = await f.member("Ali")
    friends = [await _friend_of(ali.id) for _ in range(3)]
    for friend in friends:
        await club.buy(friend.id, times=2)

    assert await _points(ali.id) == 2 * REWARD
    statuses = [(await Referral.get(referee_id=x.id)).status for x in friends]
    assert statuses == [ReferralStatus.REWARDED, ReferralStatus.REWARDED, ReferralStatus.REJECTED]
    capped = await Referral.get(referee_id=friends[2].id)
    assert "cap" in capped.note and capped.transaction_id is None  # type: ignore[attr-defined]


async def test_the_member_sees_the_friends_they_brought_and_what_it_earned_them() -> None:
    club = await Club.open(cap_count=5)
    ali = await f.member("Ali")
    friends = [await _friend_of(ali.id) for _ in range(3)]
    await members.update_profile(SYSTEM, friends[0].id, members.Profile(first_name="Sara"))
    await club.buy(friends[0].id, times=2)
    await club.buy(friends[1].id, times=2)

    results = await referral.results(ali.id)
    assert (results.invited, results.rewarded, results.pending) == (3, 2, 1)
    assert results.points == 2 * REWARD

    first = await referral.invited(ali.id, first=2)
    assert [i.status for i in first.items] == [ReferralStatus.PENDING, ReferralStatus.REWARDED]
    assert first.has_more and first.items[1].points == REWARD
    rest = await referral.invited(ali.id, first=2, before_id=first.items[-1].id)
    [oldest] = rest.items
    assert not rest.has_more and oldest.friend == f"Sara {masked(friends[0].phone)}"
    assert "*" in oldest.friend and friends[0].phone not in oldest.friend
