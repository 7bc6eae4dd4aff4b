"""A member's standing row: their history facts, tier and referral code, and their lock."""

from __future__ import annotations

import secrets

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from loyalty import ledger, sql
from loyalty.ledger import Purse
from loyalty.models import Account, MemberStanding

# No 0/O or 1/I: codes are read aloud and typed by people.
REFERRAL_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
REFERRAL_LENGTH = 8


def new_referral_code() -> str:
    return "".join(secrets.choice(REFERRAL_ALPHABET) for _ in range(REFERRAL_LENGTH))


async def open_for(member_id: int, accounts: dict[Purse, Account]) -> MemberStanding:
    """The standing row of a member just enrolled. Call inside the enrolment's transaction."""
    return await MemberStanding.create(
        member_id=member_id,
        points_account_id=accounts[Purse.POINTS].id,
        credit_account_id=accounts[Purse.CREDIT].id,
        referral_code=new_referral_code(),
    )


async def get(member_id: int) -> MemberStanding:
    """A member's standing, created for a member enrolled before standings existed."""
    standing = await MemberStanding.get_or_none(member_id=member_id)
    if standing is None:
        accounts = {purse: await ledger.member_account(member_id, purse) for purse in Purse}
        try:
            async with in_transaction():
                standing = await open_for(member_id, accounts)
        except IntegrityError:
            standing = await MemberStanding.get(member_id=member_id)
    return standing


async def lock(member_id: int) -> MemberStanding:
    """The member's standing, locked until the end of the current database transaction.

    PostgreSQL holds the row; SQLite has one writer, and the caller has already written.
    """
    # Raw SQL: the query builder costs more CPU than this round trip.
    lock = " FOR UPDATE" if sql.postgres() else ""
    rows = await sql.fetch(f"SELECT * FROM member_standing WHERE member_id = ?{lock}", [member_id])
    # Built as tortoise builds what its queries read.
    return MemberStanding._init_from_db(**rows[0]) if rows else await get(member_id)
