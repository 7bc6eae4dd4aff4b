"""Referral: a member's code brings a friend; the referrer is rewarded (by the `referral` event
rules) when the friend completes their second purchase."""

from __future__ import annotations

from datetime import UTC, datetime

from loyalty.actors import Actor
from loyalty.errors import InvalidInput, NotFound
from loyalty.models import MemberStanding, Purchase, Referral, ReferralStatus
from loyalty.programme import events

QUALIFYING_PURCHASE = 2


async def register(referee_id: int, code: str) -> Referral:
    """Record who referred a member just enrolled. Call inside the enrolment's transaction."""
    code = (code or "").strip().upper()
    referrer = await MemberStanding.get_or_none(referral_code=code)
    if referrer is None:
        raise NotFound("referral code", code)
    if referrer.member_id == referee_id:  # type: ignore[attr-defined]
        raise InvalidInput("a member cannot refer themselves", field="referralCode")
    return await Referral.create(
        referrer_id=referrer.member_id,  # type: ignore[attr-defined]
        referee_id=referee_id,
    )


async def after_purchase(
    actor: Actor, member_id: int, visit_number: int, purchase: Purchase, digest: str
) -> None:
    """Reward the referrer once the referee's qualifying purchase is made (same transaction)."""
    if visit_number != QUALIFYING_PURCHASE:
        return
    referral = await Referral.get_or_none(referee_id=member_id, status=ReferralStatus.PENDING)
    if referral is None:
        return
    result = await events.award(
        actor,
        member_id=referral.referrer_id,  # type: ignore[attr-defined]
        event="referral",
        reference=f"referee:{member_id}",
        purchase_id=purchase.id,
    )
    await Referral.filter(id=referral.id).update(
        status=ReferralStatus.REWARDED,
        purchase_id=purchase.id,
        transaction_id=result.transaction.id if result.transaction else None,
        decided_at=datetime.now(UTC),
    )
