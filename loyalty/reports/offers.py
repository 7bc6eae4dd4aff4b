"""Offers, vouchers and campaigns: the discounts used in the period (offers, coupon codes and
rewards) with the revenue of the purchases they were used on, and each campaign started in the
period with its delivery, vouchers and uplift against its holdout (loyalty.campaigns.report,
measured up to the end of the period). Campaigns go to the whole club: a branch's report
shows its discounts and every campaign."""

from __future__ import annotations

from dataclasses import dataclass

from loyalty import sql
from loyalty.actors import Actor
from loyalty.campaigns import report as campaign_report
from loyalty.models import Campaign, Coupon, DiscountSource, EarningRule, Reward, Role
from loyalty.programme.explain import Text
from loyalty.reports.scope import Scope
from loyalty.reports.table import Chart, Table, column, table


@dataclass(frozen=True, slots=True)
class DiscountRow:
    kind: str = column("Kind", "نوع", "text")
    name: str = column("Offer", "پیشنهاد", "text")
    uses: int = column("Uses", "استفاده")
    redeemers: int = column("Members", "اعضا")
    discount: int = column("Discount given", "تخفیف داده‌شده", "rial")
    revenue: int = column("Revenue of the purchases", "درآمد خریدها", "rial")


@dataclass(frozen=True, slots=True)
class CampaignRow:
    name: str = column("Campaign", "کمپین", "text")
    sent: int = column("Sent", "ارسال‌شده")
    treatment: int = column("Treatment", "گروه هدف")
    holdout: int = column("Holdout", "گروه کنترل")
    vouchers_issued: int = column("Vouchers issued", "کوپن صادرشده")
    vouchers_redeemed: int = column("Vouchers redeemed", "کوپن استفاده‌شده")
    revenue: int = column("Revenue of the treatment", "درآمد گروه هدف", "rial")
    revenue_per_member: int = column("Revenue per member", "درآمد هر عضو", "rial")
    holdout_revenue_per_member: int = column("Holdout's per member", "درآمد هر عضو کنترل", "rial")
    uplift_per_member: int = column("Uplift per member", "افزایش هر عضو", "rial")
    visits_uplift: float = column("Visits uplift per member", "افزایش مراجعه هر عضو", "number")


@dataclass(frozen=True, slots=True)
class OffersReport:
    scope: Scope
    discounts: list[DiscountRow]
    campaigns: list[CampaignRow]

    def tables(self, language: str = "fa") -> list[Table]:
        return [
            table("discounts", Text("Offers, vouchers and rewards used", "پیشنهادها و کوپن‌ها"),
                  DiscountRow, self.discounts, Chart("bar", "name", ("discount", "revenue"))),
            table("campaigns", Text("Campaigns", "کمپین‌ها"), CampaignRow, self.campaigns,
                  Chart("bar", "name", ("revenue_per_member", "holdout_revenue_per_member"))),
        ]  # fmt: skip


_DISCOUNTS = """
SELECT d.source AS source, d.source_id AS source_id, COUNT(*) AS uses,
       COUNT(DISTINCT d.member_id) AS redeemers, SUM(d.amount) AS discount,
       SUM(p.amount - p.refunded_amount) AS revenue
FROM purchase p JOIN purchase_discount d ON d.purchase_id = p.id
WHERE p.occurred_at >= ? AND p.occurred_at < ?{branch}
GROUP BY d.source, d.source_id
"""
_KINDS = {
    DiscountSource.RULE: ("offer / پیشنهاد", EarningRule),
    DiscountSource.COUPON: ("coupon / کوپن", Coupon),
    DiscountSource.REWARD: ("reward / جایزه", Reward),
}


async def offers(actor: Actor, scope: Scope) -> OffersReport:
    actor.require_staff(Role.MANAGER)
    period = scope.period
    params: list = [period.since, period.until]
    rows = await sql.fetch(
        _DISCOUNTS.format(branch=scope.branch_filter("p.branch_id", params)), params
    )
    names: dict[tuple[str, int], str] = {}
    for source, (_, model) in _KINDS.items():
        ids = [r["source_id"] for r in rows if r["source"] == source.value]
        for found in await model.filter(id__in=ids):
            names[(source.value, found.id)] = found.name
    discounts = [
        DiscountRow(
            _KINDS[DiscountSource(r["source"])][0],
            names.get((r["source"], r["source_id"]), f"#{r['source_id']}"),
            int(r["uses"]),
            int(r["redeemers"]),
            int(r["discount"]),
            int(r["revenue"]),
        )
        for r in sorted(rows, key=lambda r: -int(r["uses"]))
    ]
    started = await Campaign.filter(
        started_at__gte=period.since, started_at__lt=period.until
    ).order_by("started_at")
    campaigns = []
    for campaign in started:
        found = await campaign_report.report(actor, campaign.id, until=period.until)
        uplift = found.uplift
        campaigns.append(
            CampaignRow(
                campaign.name,
                found.delivery.sent,
                found.treatment.members,
                found.holdout.members,
                found.vouchers_issued,
                found.vouchers_redeemed,
                found.treatment.revenue,
                found.treatment.revenue_per_member,
                found.holdout.revenue_per_member,
                uplift.revenue_per_member,
                round(uplift.visits_per_member, 3),
            )
        )
    return OffersReport(scope, discounts, campaigns)
