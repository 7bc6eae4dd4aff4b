"""What an operator sees while calling: the member's card (who they are, what they hold, what
they bought, earlier calls and their answers, complaints, messages sent, offers to mention),
the purchase the call is about, and the script. Its lists are the first pages of the member's
360° view (loyalty/memberview.py)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime

from loyalty import ledger, memberview
from loyalty.actors import Actor
from loyalty.happycalls import complaints, queue
from loyalty.ledger import Balances
from loyalty.models import (
    Complaint,
    HappyCall,
    Member,
    Message,
    Purchase,
    Survey,
)
from loyalty.programme import offers, snapshot, tiers
from loyalty.programme import standing as standings
from loyalty.programme.explain import Text, name_of
from loyalty.programme.offers import MemberOffer

# How many of each the card shows, newest first.
SHOWN = 5


@dataclass(frozen=True, slots=True)
class CallCard:
    member: Member
    tier_name: Text | None
    balances: Balances
    # With their branch and items fetched.
    recent_purchases: list[Purchase]
    earlier_calls: list[memberview.EarlierCall]
    # With their follow-ups (and who made them), who raised them and their branch fetched.
    complaints: list[Complaint]
    recent_messages: list[Message]
    offers: list[MemberOffer]


async def purchase_of(call: HappyCall) -> Purchase:
    """The purchase the call is about, with its branch and items."""
    return await Purchase.get(id=call.purchase_id).prefetch_related("branch", "items")  # type: ignore[attr-defined]


async def script_of(call: HappyCall) -> Survey:
    """The CALL survey the operator reads out."""
    return await Survey.get(id=call.survey_id)  # type: ignore[attr-defined]


async def _tier_and_offers(
    member_id: int, points: int, at: datetime
) -> tuple[Text | None, list[MemberOffer]]:
    """The member's tier's name (as the app shows it) and the offers they can get."""
    programme, standing = await snapshot.current(), await standings.get(member_id)
    progress, found = await asyncio.gather(
        tiers.progress_of(standing, programme, at),
        offers.for_member_now(programme, standing, points, at),
    )
    tier = progress.tier
    return (name_of(tier) if tier else None), found


async def card(actor: Actor, call_id: int, at: datetime | None = None) -> CallCard:
    """The card of the member a call is to (operators, supervisors, managers)."""
    call = await queue.get(actor, call_id)
    now = at or datetime.now(UTC)
    member_id = call.member_id  # type: ignore[attr-defined]
    member, balances = await Member.get(id=member_id), await ledger.balances(member_id)
    (tier_name, found), purchases, earlier, raised, messages = await asyncio.gather(
        _tier_and_offers(member_id, balances.points, now),
        # By when they happened (a purchase kept offline is recorded late), not as recorded.
        Purchase.filter(member_id=member_id)
        .order_by("-occurred_at", "-id")
        .limit(SHOWN)
        .prefetch_related("branch", "items"),
        memberview.calls(member_id, first=SHOWN),
        complaints.of_member(member_id, now),
        memberview.messages(member_id, first=SHOWN, sent_only=True),
    )
    return CallCard(
        member,
        tier_name,
        balances,
        purchases,
        earlier.items,
        raised,
        messages.items,
        found,
    )
