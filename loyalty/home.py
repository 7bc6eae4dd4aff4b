"""The member app's home screen, read in one go: what the member holds, where they stand, and
what is waiting for them."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from loyalty import inbox, leaderboard, ledger, members
from loyalty.ledger import Balances
from loyalty.models import Member
from loyalty.programme import expiry, offers, snapshot, tiers
from loyalty.programme import standing as standings
from loyalty.programme.offers import MemberOffer
from loyalty.programme.policies import ExpiryPolicy


@dataclass(frozen=True, slots=True)
class Home:
    member: Member
    balances: Balances
    tier: tiers.Progress
    offers: list[MemberOffer]
    expiring_soon: list[expiry.Expiring]
    unread: int
    rank: int | None  # all-time, club-wide; None: not on the board


async def _expiring_soon(
    member_id: int, next_expiry_at: datetime | None, horizon: datetime
) -> list[expiry.Expiring]:
    """Lots expiring by `horizon`. The standing knows when the member's next lot expires, so
    most homes need no ledger read."""
    if next_expiry_at is None or next_expiry_at > horizon:
        return []
    return [lot for lot in await expiry.schedule(member_id) if lot.expires_at <= horizon]


async def of(member_id: int, at: datetime | None = None) -> Home:
    at = at or datetime.now(UTC)
    programme = await snapshot.current()
    # "Soon" is the club's warning period before points expire.
    policy: ExpiryPolicy = programme.expiry_policy  # type: ignore[assignment]
    member, standing, balances, unread = await asyncio.gather(
        members.get(member_id),
        standings.get(member_id),
        ledger.balances(member_id),
        inbox.unread_count(member_id),
    )
    progress, found, expiring, rank = await asyncio.gather(
        tiers.progress_of(standing, programme, at),
        offers.for_member_now(programme, standing, balances.points, at),
        _expiring_soon(member_id, standing.next_expiry_at, at + timedelta(days=policy.warn_days)),
        leaderboard.rank_of(member_id, at=at),
    )
    return Home(member, balances, progress, found, expiring, unread, rank)
