"""The offers and campaigns report: the campaign report's own scenario (tests/campaigns), its
figures carried into the report, and the discounts used in the period."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from loyalty import clock, purchases
from loyalty.campaigns import sending
from loyalty.models import BenefitKind, CampaignRecipient, RecipientGroup, Role, RuleKind
from loyalty.programme import coupons, rules
from loyalty.programme.coupons import Benefit, CouponSpec
from loyalty.programme.rules import RuleSpec
from loyalty.reports import Period, scope_for
from loyalty.reports.offers import offers
from tests import factories
from tests.campaigns.conftest import manager, run_all, scheduled  # noqa: F401 - a fixture


async def test_discounts_and_campaign_uplift(manager) -> None:  # noqa: F811
    shop = await factories.branch()
    cashier = await factories.staff_actor(Role.CASHIER, shop.id)
    for n in range(4):
        await factories.member(f"M{n}", marketing_consent=True)
    offer = await rules.create(
        manager, RuleSpec("Ten off", RuleKind.DISCOUNT, {"basis_points": 1_000})
    )
    coupon = await coupons.create(
        manager, CouponSpec("Gift", Benefit(BenefitKind.AMOUNT_OFF, amount=50_000))
    )

    async def buy(member_id: int, amount: int, *codes: str, at: datetime | None = None) -> None:
        key = factories.key()
        await purchases.record(
            cashier, branch_id=shop.id, member_id=member_id, amount=amount,
            receipt_number=key, idempotency_key=key, coupon_codes=codes, occurred_at=at,
        )  # fmt: skip

    await buy(1, 5_000_000, at=datetime.now(UTC) - timedelta(days=3))  # before the period
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
    await buy(treated[0].member_id, 1_000_000, treated[0].voucher.code)  # type: ignore[attr-defined]
    await buy(treated[0].member_id, 500_000)  # type: ignore[attr-defined]
    await buy(treated[1].member_id, 300_000)  # type: ignore[attr-defined]
    await buy(held[0].member_id, 400_000)  # type: ignore[attr-defined]

    today = clock.local_date(datetime.now(UTC))
    report = await offers(manager, await scope_for(manager, Period(today, today)))
    [row] = report.campaigns
    assert (row.name, row.sent, row.treatment, row.holdout) == ("Autumn", 2, 2, 2)
    assert (row.vouchers_issued, row.vouchers_redeemed, row.revenue) == (2, 1, 1_800_000)
    assert (row.revenue_per_member, row.holdout_revenue_per_member) == (900_000, 200_000)
    assert (row.uplift_per_member, row.visits_uplift) == (700_000, 1.0)
    used = {(d.name, d.uses, d.redeemers, d.revenue) for d in report.discounts}
    # The offer is open to everyone: the four purchases of the day (not the one before).
    assert ("Ten off", 4, 3, 2_200_000) in used
    assert ("Gift", 1, 1, 1_000_000) in used
