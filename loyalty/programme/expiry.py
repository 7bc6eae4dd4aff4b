"""Points expiry, by lot: each earning expires on its own date.

A lot is the points one earning (an EARN transaction) gave, less what refunds took back from it
(reversals that point at it). Lots are never touched when points are spent: each time the lots
are needed they are rebuilt from the member's journal, and every debit (spends, adjustments
down, earlier expiries, other reversals) is charged to them in order, the lot that expires
soonest first. Under one expiry policy that is the oldest lot; if the policy changes, points
about to go are still the first used. Points that never expire are used last: those of
earnings made while the policy was "never", and credits that are not earnings (a manager's
adjustment up, a reversed spend or expiry).

An expiry charges the lots that are due like any debit, so running it again finds nothing more
to expire, and a balance never goes below zero: what the lots still hold sums to the balance.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import NamedTuple

from tortoise.transactions import in_transaction

from loyalty import clock, ledger
from loyalty.idempotency import derived_key, request_hash
from loyalty.ledger import Purse, SystemAccount
from loyalty.models import JournalTransaction, MemberStanding, TransactionKind
from loyalty.money import format_points
from loyalty.programme import explain, standing
from loyalty.programme.engine import POINTS, Line
from loyalty.programme.explain import Text
from loyalty.programme.policies import ExpiryPolicy

_NEVER = datetime.max.replace(tzinfo=UTC)
# Beyond this many lots an expiry's reason names the first and last earning dates only.
_DATES_NAMED = 3


def expires_at(policy: ExpiryPolicy, earned_at: datetime) -> datetime | None:
    """When points earned at `earned_at` expire under `policy` (None: never)."""
    if policy.mode == "months_after_earning":
        return clock.add_months(earned_at, policy.months)
    if policy.mode == "end_of_following_year":
        return clock.start_of_year(earned_at, years_later=2)
    return None


class Expiring(NamedTuple):
    expires_at: datetime
    points: int


@dataclass(slots=True)
class _Lot:
    transaction_id: int
    points: int  # still held
    expires_at: datetime | None
    earned_at: datetime


@dataclass(frozen=True, slots=True)
class ExpiryRun:
    members: int  # members who lost points
    points: int


async def _held_lots(member_id: int) -> tuple[list[_Lot], int]:
    """The lots that still hold points, soonest to expire first, and the member's newest
    transaction id (the state they were built from)."""
    rows = (
        await JournalTransaction.filter(member_id=member_id)
        .exclude(points=0)
        .order_by("id")
        .values_list(
            "id",
            "points",
            "reverses_id",
            "points_expire_at",
            "created_at",
            "purchase__occurred_at",
        )
    )
    lots: dict[int, _Lot] = {}
    debits = 0
    for txn_id, points, reverses_id, expires, created_at, bought_at in rows:
        if points < 0 and reverses_id in lots:
            lots[reverses_id].points += points
        elif points > 0:
            # A purchase recorded offline earned when it was made, as its expiry date says.
            lots[txn_id] = _Lot(txn_id, points, expires, bought_at or created_at)
        else:
            debits -= points
    for lot in lots.values():
        # A refund may take back more than the lot holds (the earning repaid a debt): the rest
        # is charged like any debit.
        if lot.points < 0:
            debits -= lot.points
            lot.points = 0
    ordered = sorted(lots.values(), key=lambda lot: (lot.expires_at or _NEVER, lot.transaction_id))
    for lot in ordered:
        used = min(debits, lot.points)
        lot.points -= used
        debits -= used
    return [lot for lot in ordered if lot.points > 0], (rows[-1][0] if rows else 0)


async def schedule(member_id: int) -> list[Expiring]:
    """What the member's points expire when: each lot still held that has an expiry date,
    soonest first. A lot whose date has passed is listed until the scheduled job expires it."""
    lots, _ = await _held_lots(member_id)
    return [Expiring(lot.expires_at, lot.points) for lot in lots if lot.expires_at is not None]


def _earned_on(lots: list[_Lot]) -> str:
    days = sorted({clock.format_date(lot.earned_at) for lot in lots})
    return ", ".join(days) if len(days) <= _DATES_NAMED else f"{days[0]} to {days[-1]}"


def _lines(lots: list[_Lot]) -> list[dict]:
    return [
        Line(
            "expiry",
            POINTS,
            -lot.points,
            Text(
                f"{format_points(lot.points)} earned {clock.format_date(lot.earned_at)} expired",
                f"{explain.points(lot.points).fa} کسب‌شده در "
                f"{explain.fa_number(clock.format_date(lot.earned_at))} منقضی شد",
            ),
        ).as_json()
        for lot in lots
    ]


async def expire_member(member_id: int, at: datetime | None = None) -> JournalTransaction | None:
    """Expire the member's lots due by `at` in one EXPIRE transaction (None: nothing was due),
    and move `next_expiry_at` on to their next lot's date."""
    at = at or datetime.now(UTC)
    async with in_transaction():
        own = await standing.lock(member_id)
        lots, newest_id = await _held_lots(member_id)
        due = [lot for lot in lots if lot.expires_at is not None and lot.expires_at <= at]
        upcoming = [lot.expires_at for lot in lots if lot.expires_at is not None]
        upcoming = [when for when in upcoming if when > at]
        await MemberStanding.filter(id=own.id).update(next_expiry_at=min(upcoming, default=None))
        if not due:
            return None
        total = sum(lot.points for lot in due)
        accounts = ledger.member_accounts_of(
            member_id, own.points_account_id, own.credit_account_id
        )
        return await ledger.transfer_from(
            accounts[Purse.POINTS],
            -total,
            SystemAccount.POINTS_EXPIRED,
            kind=TransactionKind.EXPIRE,
            member_id=member_id,
            # Keyed by the journal state it was computed from: two runs that raced on the
            # same state cannot both post.
            idempotency_key=derived_key("expire", member_id, newest_id),
            request_hash=request_hash({"op": "expire", "member": member_id, "points": total}),
            reason_code="expire",
            reason=f"{format_points(total)} expired (earned {_earned_on(due)})",
            lines=_lines(due),
        )


async def expire_due(at: datetime | None = None, batch: int = 500) -> ExpiryRun:
    """Expire what is due for every member whose next expiry date has come (the scheduled job)."""
    at = at or datetime.now(UTC)
    members = points = 0
    after = 0
    while True:
        due = (
            await MemberStanding.filter(next_expiry_at__lte=at, member_id__gt=after)
            .order_by("member_id")
            .limit(batch)
            .values_list("member_id", flat=True)
        )
        if not due:
            return ExpiryRun(members, points)
        for member_id in due:
            expired = await expire_member(member_id, at)
            if expired is not None:
                members += 1
                points -= expired.points
        after = due[-1]
