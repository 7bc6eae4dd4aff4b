"""What a campaign did: its progress while it sends, and afterwards its report.

Delivery counts come from the campaign's `Message` rows (their status and reason). The report
compares the treatment group with the holdout over the same period, from the start of the
send: visits and revenue (Rials spent less refunds) per member, and the uplift, the
difference of the two per member and their ratio. Only the treatment group got vouchers; an
attached offer (a discount rule) may be open to both groups, so its uses are counted in each.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from tortoise.functions import Count

from loyalty import sql
from loyalty.actors import Actor
from loyalty.campaigns import manage
from loyalty.campaigns.sending import source_of
from loyalty.models import Campaign, DiscountSource, Message, MessageStatus, RecipientGroup


@dataclass(frozen=True, slots=True)
class Delivery:
    sent: int
    scheduled: int  # waiting for their moment (the end of quiet hours)
    suppressed: int
    failed: int
    suppressed_by_reason: dict[str, int]


@dataclass(frozen=True, slots=True)
class Progress:
    audience: int
    treatment: int
    holdout: int
    chunks: int
    chunks_done: int
    delivery: Delivery


async def delivery(campaign_id: int) -> Delivery:
    rows = (
        await Message.filter(source=source_of(campaign_id))
        .annotate(n=Count("id"))
        .group_by("status", "reason")
        .values("status", "reason", "n")
    )
    by_status = {status: 0 for status in MessageStatus}
    reasons: dict[str, int] = {}
    for row in rows:
        status = MessageStatus(row["status"])
        by_status[status] += row["n"]
        if status is MessageStatus.SUPPRESSED:
            reasons[row["reason"]] = reasons.get(row["reason"], 0) + row["n"]
    return Delivery(
        sent=by_status[MessageStatus.SENT],
        scheduled=by_status[MessageStatus.SCHEDULED],
        suppressed=by_status[MessageStatus.SUPPRESSED],
        failed=by_status[MessageStatus.FAILED],
        suppressed_by_reason=reasons,
    )


async def progress(actor: Actor, campaign_id: int) -> Progress:
    campaign = await manage.get(actor, campaign_id)
    return Progress(
        audience=campaign.audience,
        treatment=campaign.audience - campaign.holdout,
        holdout=campaign.holdout,
        chunks=campaign.chunks,
        chunks_done=campaign.chunks_done,
        delivery=await delivery(campaign_id),
    )


@dataclass(frozen=True, slots=True)
class GroupResult:
    members: int
    visitors: int  # members who visited at least once
    visits: int
    revenue: int  # Rials
    offer_users: int  # members who got the attached offer's discount

    @property
    def visits_per_member(self) -> float:
        return self.visits / self.members if self.members else 0.0

    @property
    def revenue_per_member(self) -> int:
        """Rials, to the nearest."""
        return (2 * self.revenue + self.members) // (2 * self.members) if self.members else 0


@dataclass(frozen=True, slots=True)
class Uplift:
    """Treatment minus holdout, per member; and treatment over holdout (none: the holdout
    had none)."""

    visits_per_member: float
    revenue_per_member: int
    visits_ratio: float | None
    revenue_ratio: float | None


@dataclass(frozen=True, slots=True)
class Report:
    campaign: Campaign
    since: datetime | None  # the start of the send (none: not started)
    until: datetime
    delivery: Delivery
    vouchers_issued: int
    vouchers_redeemed: int
    treatment: GroupResult
    holdout: GroupResult

    @property
    def uplift(self) -> Uplift:
        t, h = self.treatment, self.holdout
        return Uplift(
            visits_per_member=t.visits_per_member - h.visits_per_member,
            revenue_per_member=t.revenue_per_member - h.revenue_per_member,
            visits_ratio=t.visits_per_member / h.visits_per_member if h.visits_per_member else None,
            revenue_ratio=t.revenue_per_member / h.revenue_per_member
            if h.revenue_per_member
            else None,
        )


_GROUPS = """
SELECT r."group" AS grp, COUNT(*) AS members
FROM campaign_recipient r WHERE r.campaign_id = ? GROUP BY r."group"
"""
_VISITS = """
SELECT r."group" AS grp, COUNT(p.id) AS visits, COUNT(DISTINCT p.member_id) AS visitors,
       COALESCE(SUM(p.amount - p.refunded_amount), 0) AS revenue
FROM campaign_recipient r
JOIN purchase p ON p.member_id = r.member_id AND p.occurred_at >= ? AND p.occurred_at < ?
WHERE r.campaign_id = ? GROUP BY r."group"
"""
_OFFER_USERS = """
SELECT r."group" AS grp, COUNT(DISTINCT d.member_id) AS users
FROM campaign_recipient r
JOIN purchase_discount d ON d.member_id = r.member_id AND d.source = ? AND d.source_id = ?
                         AND d.created_at >= ? AND d.created_at < ?
WHERE r.campaign_id = ? GROUP BY r."group"
"""
_VOUCHERS = """
SELECT COUNT(*) AS issued, COALESCE(SUM(CASE WHEN c.uses > 0 THEN 1 ELSE 0 END), 0) AS redeemed
FROM campaign_recipient r JOIN coupon_code c ON c.id = r.voucher_id
WHERE r.campaign_id = ?
"""


async def report(actor: Actor, campaign_id: int, until: datetime | None = None) -> Report:
    """The campaign's results from the start of its send until `until` (default: now)."""
    campaign = await manage.get(actor, campaign_id)
    until = (until or datetime.now(UTC)).astimezone(UTC)
    since = campaign.started_at
    members = {row["grp"]: int(row["members"]) for row in await sql.fetch(_GROUPS, [campaign_id])}
    visits: dict[str, dict] = {}
    offer_users: dict[str, int] = {}
    if since is not None:
        since = since.astimezone(UTC)
        visits = {row["grp"]: row for row in await sql.fetch(_VISITS, [since, until, campaign_id])}
        if campaign.offer_id is not None:  # type: ignore[attr-defined]
            rows = await sql.fetch(
                _OFFER_USERS,
                [DiscountSource.RULE.value, campaign.offer_id, since, until, campaign_id],  # type: ignore[attr-defined]
            )
            offer_users = {row["grp"]: int(row["users"]) for row in rows}
    [vouchers] = await sql.fetch(_VOUCHERS, [campaign_id])

    def group(name: RecipientGroup) -> GroupResult:
        seen = visits.get(name.value, {})
        return GroupResult(
            members=members.get(name.value, 0),
            visitors=int(seen.get("visitors", 0)),
            visits=int(seen.get("visits", 0)),
            revenue=int(seen.get("revenue", 0)),
            offer_users=offer_users.get(name.value, 0),
        )

    return Report(
        campaign=campaign,
        since=since,
        until=until,
        delivery=await delivery(campaign_id),
        vouchers_issued=int(vouchers["issued"]),
        vouchers_redeemed=int(vouchers["redeemed"]),
        treatment=group(RecipientGroup.TREATMENT),
        holdout=group(RecipientGroup.HOLDOUT),
    )
