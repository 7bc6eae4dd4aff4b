"""Small builders for test data, all through the domain services."""

from __future__ import annotations

import itertools
import uuid

from loyalty import members, staff, wallet
from loyalty.actors import SYSTEM, Actor
from loyalty.ledger import Purse
from loyalty.members import Profile
from loyalty.models import (
    Account,
    Branch,
    JournalTransaction,
    Member,
    Posting,
    Purchase,
    PurchaseItem,
    Reversal,
    Role,
)

_phones = itertools.count(1_000_000)
PASSWORD = "correct horse battery"


def key() -> str:
    return uuid.uuid4().hex


def phone() -> str:
    return f"0912{next(_phones):07d}"


async def branch(code: str | None = None) -> Branch:
    code = code or f"B{uuid.uuid4().hex[:8]}"
    return await staff.create_branch(SYSTEM, code=code, name=f"Branch {code}")


async def staff_actor(role: Role = Role.CASHIER, branch_id: int | None = None) -> Actor:
    user = await staff.create_staff(
        SYSTEM,
        username=f"u{uuid.uuid4().hex[:10]}",
        password=PASSWORD,
        role=role,
        branch_id=branch_id,
    )
    return Actor.staff(user)


async def member(first_name: str = "Sara", **profile: object) -> Member:
    created, _ = await members.enrol(SYSTEM, phone(), Profile(first_name=first_name, **profile))  # type: ignore[arg-type]
    return created


async def manager() -> Actor:
    return await staff_actor(Role.MANAGER)


async def give(member_id: int, purse: Purse, amount: int) -> None:
    """Put `amount` into a member's purse: credit by a top-up, points by a manager's adjustment."""
    if purse is Purse.CREDIT:
        await wallet.top_up(SYSTEM, member_id=member_id, amount=amount, idempotency_key=key())
    else:
        await wallet.adjust(
            SYSTEM,
            member_id=member_id,
            purse=purse,
            delta=amount,
            reason="test funds",
            idempotency_key=key(),
        )


WRITTEN_MODELS = (Member, Account, JournalTransaction, Posting, Purchase, PurchaseItem, Reversal)


async def row_counts() -> dict[str, int]:
    """How many rows the tables a write touches hold, to prove a refused request wrote nothing."""
    return {model.__name__: await model.all().count() for model in WRITTEN_MODELS}
