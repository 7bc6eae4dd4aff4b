"""Referral: a member's code brings a friend; the referrer is rewarded (by the `referral` event
rules, within their caps) when the friend completes their second purchase.

Self-referral earns nothing. When the friend's qualifying purchase is made, the referral is
REJECTED, with a note saying why, if the two members look like one person:

- the same phone: a phone is a member's identity (unique, stored normalised), so enrolling
  again with one's own number in any form returns the member already enrolled and records no
  referral; using one's own code is refused at enrolment;
- a shared device: any push token ever registered on a device of both (`Device` rows, active
  or not);
- the same card: a card number on record for both, compared without case or separators. Cards
  keep no history of who held them before, so a card moved from one member to the other
  before the qualifying purchase cannot be seen.

A referral the rules give nothing for (no referral rule in force, or the referrer reached its
cap) is REJECTED with a note too. Only the second purchase qualifies: a later one never does.
Refunding the qualifying purchase in full reverses the reward (see `loyalty.refunds`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime

from loyalty.actors import Actor
from loyalty.errors import ErrorCode, InvalidInput
from loyalty.history import Page, page_size
from loyalty.models import (
    Card,
    Device,
    JournalTransaction,
    MemberStanding,
    Purchase,
    Referral,
    ReferralStatus,
)
from loyalty.privacy.masking import masked
from loyalty.programme import events, standing

QUALIFYING_PURCHASE = 2
# Codes are often typed on a Persian keyboard.
_DIGITS = str.maketrans("۰۱۲۳۴۵۶۷۸۹٠١٢٣٤٥٦٧٨٩", "01234567890123456789")
_NOT_CODE = re.compile(r"[\s\-_]")
_CODE = re.compile(f"[{standing.REFERRAL_ALPHABET}]{{1,16}}")
_NOT_CARD = re.compile(r"[^0-9A-Z]")


def clean_code(code: str | None) -> str | None:
    """A referral code as typed (any case, spaces, dashes, Persian digits); None if blank."""
    cleaned = _NOT_CODE.sub("", (code or "").translate(_DIGITS)).upper()
    return cleaned or None


async def referrer_for(code: str) -> MemberStanding:
    """The standing of the member whose referral code this is."""
    cleaned = clean_code(code)
    referrer = (
        await MemberStanding.get_or_none(referral_code=cleaned)
        if cleaned and _CODE.fullmatch(cleaned)
        else None
    )
    if referrer is None:
        raise InvalidInput(
            f"{code[:20]!r} is not a member's referral code",
            field="referralCode",
            code=ErrorCode.CODE_NOT_VALID,
        )
    return referrer


async def register(referee_id: int, code: str) -> Referral:
    """Record who referred a member just enrolled. Call inside the enrolment's transaction."""
    referrer = await referrer_for(code)
    if referrer.member_id == referee_id:  # type: ignore[attr-defined]
        raise InvalidInput("a member cannot refer themselves", field="referralCode")
    return await Referral.create(
        referrer_id=referrer.member_id,  # type: ignore[attr-defined]
        referee_id=referee_id,
    )


async def code_of(member_id: int) -> str:
    """The member's own referral code, to give to friends."""
    return (await standing.get(member_id)).referral_code


async def made_by(member_id: int) -> list[Referral]:
    """The referrals a member made, newest first."""
    return await Referral.filter(referrer_id=member_id).order_by("-id")


@dataclass(frozen=True, slots=True)
class Invited:
    """A friend a member brought, as the member sees it."""

    id: int
    # The friend's first name and masked phone: the member knows whom they invited; the
    # friend's number stays private.
    friend: str
    status: ReferralStatus
    joined_at: datetime
    decided_at: datetime | None
    points: int  # what the member was given for it


@dataclass(frozen=True, slots=True)
class Results:
    invited: int
    rewarded: int
    pending: int
    points: int


async def invited(
    member_id: int, *, first: int = 20, before_id: int | None = None
) -> Page[Invited]:
    """The friends a member brought, newest first, a page at a time."""
    query = Referral.filter(referrer_id=member_id)
    if before_id is not None:
        query = query.filter(id__lt=before_id)
    size = page_size(first)
    rows = await query.order_by("-id").limit(size + 1).prefetch_related("referee", "transaction")
    return Page(
        [
            Invited(
                id=r.id,
                friend=f"{r.referee.first_name} {masked(r.referee.phone)}".strip(),
                status=r.status,
                joined_at=r.created_at,
                decided_at=r.decided_at,
                points=r.transaction.points if r.transaction else 0,
            )
            for r in rows[:size]
        ],
        len(rows) > size,
    )


async def results(member_id: int) -> Results:
    """What the member's referrals came to: friends brought, rewarded, still pending, and the
    points they earned (less any a refund reversed)."""
    rows = await Referral.filter(referrer_id=member_id).values_list("status", "transaction_id")
    statuses = [status for status, _ in rows]
    kept = [txn for status, txn in rows if status == ReferralStatus.REWARDED and txn]
    points = await JournalTransaction.filter(id__in=kept).values_list("points", flat=True)
    return Results(
        invited=len(rows),
        rewarded=statuses.count(ReferralStatus.REWARDED),
        pending=statuses.count(ReferralStatus.PENDING),
        points=sum(points),
    )


def _card_key(number: str) -> str:
    return _NOT_CARD.sub("", number.upper())


async def same_person(referrer_id: int, referee_id: int) -> str | None:
    """Why two members look like one person (a note for the referral), or None."""
    shared = await Device.filter(
        member_id=referee_id,
        token__in=await Device.filter(member_id=referrer_id).values_list("token", flat=True),
    ).exists()
    if shared:
        return "self-referral: a device is shared with the referrer"
    referrer_cards, referee_cards = [
        {
            _card_key(number)
            for number in await Card.filter(member_id=m).values_list("card_number", flat=True)
        }
        for m in (referrer_id, referee_id)
    ]
    if referrer_cards & referee_cards:
        return "self-referral: the same card is on record for the referrer"
    return None


async def after_purchase(
    actor: Actor, member_id: int, visit_number: int, purchase: Purchase, digest: str
) -> None:
    """Reward the referrer once the referee's qualifying purchase is made (same transaction)."""
    if visit_number != QUALIFYING_PURCHASE:
        return
    referral = await Referral.get_or_none(referee_id=member_id, status=ReferralStatus.PENDING)
    if referral is None:
        return
    referrer_id: int = referral.referrer_id  # type: ignore[attr-defined]
    now = datetime.now(UTC)
    why_not = await same_person(referrer_id, member_id)
    if why_not is not None:
        await Referral.filter(id=referral.id).update(
            status=ReferralStatus.REJECTED, purchase_id=purchase.id, note=why_not, decided_at=now
        )
        return
    result = await events.award(
        actor,
        member_id=referrer_id,
        event="referral",
        reference=f"referee:{member_id}",
        purchase_id=purchase.id,
    )
    if result.transaction is None:
        await Referral.filter(id=referral.id).update(
            status=ReferralStatus.REJECTED,
            purchase_id=purchase.id,
            note="no reward: no referral rule in force, or the referrer reached its cap",
            decided_at=now,
        )
        return
    await Referral.filter(id=referral.id).update(
        status=ReferralStatus.REWARDED,
        purchase_id=purchase.id,
        transaction_id=result.transaction.id,
        decided_at=now,
    )
