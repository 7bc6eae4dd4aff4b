"""What reaches whom: consent and the weekly cap hold back a campaign's messages (and their
vouchers); the report counts deliveries, redemptions, and the visits and revenue of the
treatment group against the holdout."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from loyalty import members, purchases
from loyalty.actors import SYSTEM
from loyalty.campaigns import report, sending
from loyalty.members import Profile
from loyalty.messaging import messages
from loyalty.models import (
    BenefitKind,
    Campaign,
    CampaignRecipient,
    CouponCode,
    InboxMessage,
    Message,
    MessagePurpose,
    RecipientGroup,
    Role,
    RuleKind,
)
from loyalty.notifications import Notification
from loyalty.programme import coupons, policies, rules
from loyalty.programme.coupons import Benefit, CouponSpec
from loyalty.programme.rules import RuleSpec
from tests import factories
from tests.campaigns.conftest import run_all, scheduled

HELLO = Notification("message", "Hello", "An earlier offer", "app://inbox")


async def test_consent_and_the_weekly_cap_hold_messages_and_vouchers_back(manager) -> None:
    await policies.save(manager, "messaging", {"quiet_from": "00:00:00",
                                               "quiet_until": "00:00:00",
                                               "marketing_per_week": 1})  # fmt: skip
    sara = await factories.member("Sara", marketing_consent=True)
    reza = await factories.member("Reza", marketing_consent=True)
    nima = await factories.member("Nima", marketing_consent=True)
    await messages.send(
        nima.id, HELLO, purpose=MessagePurpose.MARKETING, dedupe_key="earlier", source="journey:1"
    )
    coupon = await coupons.create(
        manager, CouponSpec("Gift", Benefit(BenefitKind.AMOUNT_OFF, amount=50_000))
    )
    campaign = await scheduled(manager, coupon_id=coupon.id, body="{name}، هدیه‌ی شما")
    assert await sending.start_due() == 1
    # Reza withdraws consent after the audience was chosen.
    await members.update_profile(SYSTEM, reza.id, Profile(marketing_consent=False))
    await run_all()

    sent = await Message.filter(source=f"campaign:{campaign.id}").order_by("member_id")
    assert [(m.member_id, m.status.value, m.reason) for m in sent] == [  # type: ignore[attr-defined]
        (sara.id, "sent", ""),
        (reza.id, "suppressed", "no marketing consent"),
        (nima.id, "suppressed", "weekly cap of 1 marketing messages reached"),
    ]
    [voucher] = await CouponCode.filter(coupon_id=coupon.id)
    assert voucher.member_id == sara.id  # type: ignore[attr-defined]
    assert voucher.code in sent[0].body and sent[0].body.startswith("Sara، هدیه‌ی شما")
    assert sent[0].title == "Sara جان" and sent[0].data["couponCode"] == voucher.code
    assert await InboxMessage.filter(member_id=reza.id).count() == 0
    recipients = await CampaignRecipient.filter(campaign_id=campaign.id).order_by("member_id")
    assert [r.voucher_id for r in recipients] == [voucher.id, None, None]  # type: ignore[attr-defined]

    done = await report.report(manager, campaign.id)
    assert (done.delivery.sent, done.delivery.suppressed) == (1, 2)
    assert done.delivery.suppressed_by_reason == {
        "no marketing consent": 1,
        "weekly cap of 1 marketing messages reached": 1,
    }
    assert (done.vouchers_issued, done.vouchers_redeemed) == (1, 0)


async def test_the_report_compares_the_treatment_group_with_the_holdout(manager) -> None:
    shop = await factories.branch()
    cashier = await factories.staff_actor(Role.CASHIER, shop.id)
    club = [await factories.member(f"M{n}", marketing_consent=True) for n in range(4)]
    offer = await rules.create(
        manager, RuleSpec("Ten off", RuleKind.DISCOUNT, {"basis_points": 1_000})
    )
    coupon = await coupons.create(
        manager, CouponSpec("Gift", Benefit(BenefitKind.AMOUNT_OFF, amount=50_000))
    )
    before = datetime.now(UTC) - timedelta(days=3)

    async def buy(member_id: int, amount: int, *codes: str, at: datetime | None = None) -> None:
        key = factories.key()
        await purchases.record(
            cashier, branch_id=shop.id, member_id=member_id, amount=amount,
            receipt_number=key, idempotency_key=key, coupon_codes=codes, occurred_at=at,
        )  # fmt: skip

    await buy(club[0].id, 5_000_000, at=before)  # before the campaign: not counted
    campaign = await scheduled(manager, holdout_percent=50, coupon_id=coupon.id, offer_id=offer.id)
    await sending.start_due()
    await run_all()
    groups = {
        group: await CampaignRecipient.filter(campaign_id=campaign.id, group=group)
        .order_by("member_id")
        .prefetch_related("voucher")
        for group in RecipientGroup
    }
    treated, held = groups[RecipientGroup.TREATMENT], groups[RecipientGroup.HOLDOUT]
    assert len(treated) == len(held) == 2
    await buy(treated[0].member_id, 1_000_000, treated[0].voucher.code)  # type: ignore[attr-defined]
    await buy(treated[0].member_id, 500_000)  # type: ignore[attr-defined]
    await buy(treated[1].member_id, 300_000)  # type: ignore[attr-defined]
    await buy(held[0].member_id, 400_000)  # type: ignore[attr-defined]

    done = await report.report(manager, campaign.id)
    assert done.since == (await Campaign.get(id=campaign.id)).started_at
    assert (done.delivery.sent, done.vouchers_issued, done.vouchers_redeemed) == (2, 2, 1)
    t, h = done.treatment, done.holdout
    assert (t.members, t.visitors, t.visits, t.revenue) == (2, 2, 3, 1_800_000)
    assert (h.members, h.visitors, h.visits, h.revenue) == (2, 1, 1, 400_000)
    assert (t.offer_users, h.offer_users) == (2, 1)  # the offer is open to everyone
    assert (t.visits_per_member, t.revenue_per_member) == (1.5, 900_000)
    assert (h.visits_per_member, h.revenue_per_member) == (0.5, 200_000)
    uplift = done.uplift
    assert (uplift.visits_per_member, uplift.revenue_per_member) == (1.0, 700_000)
    assert (uplift.visits_ratio, uplift.revenue_ratio) == (3.0, 4.5)
