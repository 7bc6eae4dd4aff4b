"""Posting to the double-entry ledger.

Every change to points or credit is a journal transaction whose legs sum to zero per unit.
Member balances are cached on their accounts and changed only here, with a conditional
UPDATE that refuses to go below zero; that holds under concurrency on PostgreSQL (row locks)
and on SQLite (one writer), where SELECT ... FOR UPDATE would do nothing.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from tortoise.functions import Sum

from loyalty import sql
from loyalty.errors import InsufficientBalance
from loyalty.leaderboard import scores
from loyalty.models import Account, JournalTransaction, Posting, TransactionKind, Unit


class Purse(StrEnum):
    """A member's two accounts."""

    POINTS = "points"
    CREDIT = "credit"

    @property
    def unit(self) -> Unit:
        return Unit.POINTS if self is Purse.POINTS else Unit.RIAL


class SystemAccount(StrEnum):
    """The club's side of every leg. Their balances are the negated sum of what members hold."""

    POINTS_ISSUED = "points:issued"
    POINTS_REDEEMED = "points:redeemed"
    POINTS_ADJUSTMENT = "points:adjustment"
    CREDIT_TOPPED_UP = "credit:topped_up"
    CREDIT_SPENT = "credit:spent"
    CREDIT_ADJUSTMENT = "credit:adjustment"
    CREDIT_CASHBACK = "credit:cashback"
    CREDIT_PRIZES = "credit:prizes"
    POINTS_EXPIRED = "points:expired"

    @property
    def unit(self) -> Unit:
        return Unit.POINTS if self.value.startswith("points:") else Unit.RIAL


@dataclass(frozen=True, slots=True)
class Leg:
    account: Account
    amount: int


@dataclass(frozen=True, slots=True)
class Balances:
    points: int
    credit: int


_system_accounts: dict[SystemAccount, Account] = {}


def forget_cached_accounts() -> None:
    """Drop cached system accounts (tests that empty the database call this)."""
    _system_accounts.clear()


async def system_account(which: SystemAccount) -> Account:
    account = _system_accounts.get(which)
    if account is None:
        account, created = await Account.get_or_create(
            code=which.value, defaults={"unit": which.unit}
        )
        # A row created now belongs to the caller's database transaction, which may roll back;
        # cache it only once it is found already there.
        if not created:
            _system_accounts[which] = account
    return account


def member_account_code(member_id: int, purse: Purse) -> str:
    return f"member:{member_id}:{purse.value}"


async def open_member_accounts(member_id: int) -> dict[Purse, Account]:
    return {
        purse: await Account.create(
            code=member_account_code(member_id, purse), unit=purse.unit, member_id=member_id
        )
        for purse in Purse
    }


async def member_account(member_id: int, purse: Purse) -> Account:
    return await Account.get(code=member_account_code(member_id, purse))


async def balances(member_id: int) -> Balances:
    return (await balances_of([member_id]))[0]


async def balances_of(member_ids: list[int]) -> list[Balances]:
    """The balances of several members in one query, in the order given."""
    rows = await Account.filter(member_id__in=member_ids).values_list("code", "balance")
    by_code = dict(rows)
    return [
        Balances(
            points=by_code.get(member_account_code(member_id, Purse.POINTS), 0),
            credit=by_code.get(member_account_code(member_id, Purse.CREDIT), 0),
        )
        for member_id in member_ids
    ]


async def posted_total(**filters: object) -> int:
    """The sum of the postings that match `filters` (0 when none do)."""
    rows = (
        await Posting.filter(**filters)
        .annotate(total=Sum("amount"))
        .values_list("total", flat=True)
    )
    # A filter across a relation makes tortoise GROUP BY the posting: one row per posting then.
    return sum(int(row or 0) for row in rows)


def _check_balanced(legs: list[Leg]) -> None:
    totals: dict[Unit, int] = defaultdict(int)
    for leg in legs:
        if leg.amount == 0:
            raise ValueError("a leg of zero is meaningless")
        totals[leg.account.unit] += leg.amount
    unbalanced = {unit: total for unit, total in totals.items() if total != 0}
    if unbalanced:
        raise ValueError(f"legs do not sum to zero: {unbalanced}")


def member_accounts_of(member_id: int, points_account_id: int, credit_account_id: int):
    """A member's two accounts from their ids, without a query (the standing row holds them)."""
    return {
        Purse.POINTS: Account(
            id=points_account_id, unit=Unit.POINTS, member_id=member_id, balance=0
        ),
        Purse.CREDIT: Account(id=credit_account_id, unit=Unit.RIAL, member_id=member_id, balance=0),
    }


_TRANSACTION_COLUMNS = (
    "kind",
    "member_id",
    "idempotency_key",
    "request_hash",
    "reason_code",
    "reason",
    "purchase_id",
    "reverses_id",
    "branch_id",
    "staff_id",
    "points",
    "credit",
    "tier_points",
    "lines",
    "points_expire_at",
    "created_at",
)


@dataclass(frozen=True, slots=True)
class Posted:
    transaction: JournalTransaction
    # The balance after posting of every member account it touched or was asked to report.
    balances: dict[int, int]

    def balances_of(self, accounts: dict[Purse, Account]) -> Balances | None:
        if not all(a.id in self.balances for a in accounts.values()):
            return None
        return Balances(
            points=self.balances[accounts[Purse.POINTS].id],
            credit=self.balances[accounts[Purse.CREDIT].id],
        )


async def post(**details: Any) -> JournalTransaction:
    """Record one balanced transaction. Call inside a database transaction."""
    return (await post_reporting(**details)).transaction


async def post_reporting(
    *,
    kind: TransactionKind,
    member_id: int,
    legs: list[Leg],
    idempotency_key: str,
    request_hash: str,
    reason_code: str,
    reason: str,
    purchase_id: int | None = None,
    reverses_id: int | None = None,
    staff_id: int | None = None,
    branch_id: int | None = None,
    lines: list[dict] | None = None,
    tier_points: int = 0,
    points_expire_at: datetime | None = None,
    report: list[Account] | None = None,
    along: Sequence[sql.Statement] = (),
) -> Posted:
    """`post`, returning the new balances of the member accounts touched and of `report`.

    `along`: other writes of the caller's, independent of this one, that PostgreSQL runs in
    the same round trip (SQLite just before).
    """
    _check_balanced(legs)
    own = [leg for leg in legs if leg.account.member_id is not None]  # type: ignore[attr-defined]
    transaction = JournalTransaction(
        points=sum(leg.amount for leg in own if leg.account.unit is Unit.POINTS),
        credit=sum(leg.amount for leg in own if leg.account.unit is Unit.RIAL),
        tier_points=tier_points,
        lines=lines or [],
        points_expire_at=points_expire_at,
        kind=kind,
        member_id=member_id,
        idempotency_key=idempotency_key,
        request_hash=request_hash,
        reason_code=reason_code,
        reason=reason[:500],
        purchase_id=purchase_id,
        reverses_id=reverses_id,
        staff_id=staff_id,
        branch_id=branch_id,
        created_at=datetime.now(UTC),
    )
    deltas: dict[int, int] = {account.id: 0 for account in report or []}
    for leg in own:
        deltas[leg.account.id] = deltas.get(leg.account.id, 0) + leg.amount
    # Raw SQL: tortoise's create and bulk_create cost more CPU than the round trips they make.
    if sql.postgres():
        balances = await _post_in_one(transaction, legs, deltas, along)
    else:
        await sql.run_all(along)
        await sql.create(transaction, _TRANSACTION_COLUMNS)
        if legs:
            await sql.insert(
                "posting",
                ("transaction_id", "account_id", "amount"),
                [(transaction.id, leg.account.id, leg.amount) for leg in legs],
            )
        rows = await sql.fetch(*_balance_update(deltas)) if deltas else []
        balances = {int(row["id"]): int(row["balance"]) for row in rows}
    await _check_moved(balances, own, deltas)
    if tier_points:
        scores.note(scores.Earning(member_id, branch_id, tier_points, transaction.created_at))
    return Posted(transaction, balances)


async def _post_in_one(
    transaction: JournalTransaction,
    legs: list[Leg],
    deltas: dict[int, int],
    along: Sequence[sql.Statement],
) -> dict[int, int]:
    """PostgreSQL: the caller's other writes, the transaction, its postings and the balances,
    in one statement; the transaction's id is set, the new balances returned."""
    values = [sql.column_value(transaction, column) for column in _TRANSACTION_COLUMNS]
    clauses = [
        f"created AS (INSERT INTO journal_transaction ({', '.join(_TRANSACTION_COLUMNS)}) "
        f"VALUES {sql.placeholders(1, len(_TRANSACTION_COLUMNS))} RETURNING id)"
    ]
    if legs:
        postings = ", ".join(["((SELECT id FROM created), ?, ?)"] * len(legs))
        clauses.append(
            f"legs AS (INSERT INTO posting (transaction_id, account_id, amount) VALUES {postings})"
        )
        values += [v for leg in legs for v in (leg.account.id, leg.amount)]
    select = "SELECT created.id AS transaction_id, NULL AS id, NULL AS balance FROM created"
    if deltas:
        update, params = _balance_update(deltas)
        clauses.append(f"moved AS ({update})")
        values += params
        select = (
            "SELECT created.id AS transaction_id, moved.id, moved.balance "
            "FROM created LEFT JOIN moved ON true"
        )
    rows = await sql.fetch(*sql.with_first(along, (f"WITH {', '.join(clauses)} {select}", values)))
    transaction.id = int(rows[0]["transaction_id"])
    transaction._saved_in_db = True
    return {int(row["id"]): int(row["balance"]) for row in rows if row["id"] is not None}


def _balance_update(deltas: dict[int, int]) -> sql.Statement:
    """Add each delta to its account, none below zero, returning the new balances.

    The conditional UPDATE is what keeps balances whole under concurrency: PostgreSQL locks
    the rows, SQLite has one writer.
    """
    case = " ".join("WHEN ? THEN CAST(? AS BIGINT)" for _ in deltas)
    pairs = [value for item in deltas.items() for value in item]
    ids = list(deltas)
    return (
        f"UPDATE account SET balance = balance + CASE id {case} END "
        f"WHERE id IN ({', '.join('?' for _ in ids)}) AND balance + CASE id {case} END >= 0 "
        "RETURNING id, balance",
        [*pairs, *ids, *pairs],
    )


async def _check_moved(balances: dict[int, int], own: list[Leg], deltas: dict[int, int]) -> None:
    """Refuse (rolling it all back) if a member account would have gone below zero."""
    for leg in own:
        if leg.account.id not in balances:
            available = await Account.get(id=leg.account.id).values_list("balance", flat=True)
            wanted = -deltas[leg.account.id]
            raise InsufficientBalance(leg.account.unit.value, int(available), wanted)  # type: ignore[arg-type]


async def transfer_from(
    own: Account, amount: int, counterpart: SystemAccount, **details: object
) -> JournalTransaction:
    """Like `transfer`, for a member account already in hand."""
    other = await system_account(counterpart)
    return await post(legs=[Leg(own, amount), Leg(other, -amount)], **details)  # type: ignore[arg-type]


async def transfer(
    *,
    kind: TransactionKind,
    member_id: int,
    purse: Purse,
    amount: int,
    counterpart: SystemAccount,
    idempotency_key: str,
    request_hash: str,
    reason_code: str,
    reason: str,
    purchase_id: int | None = None,
    reverses_id: int | None = None,
    staff_id: int | None = None,
    branch_id: int | None = None,
) -> JournalTransaction:
    """Move `amount` into (positive) or out of (negative) a member's purse."""
    return await transfer_from(
        await member_account(member_id, purse),
        amount,
        counterpart,
        kind=kind,
        member_id=member_id,
        idempotency_key=idempotency_key,
        request_hash=request_hash,
        reason_code=reason_code,
        reason=reason,
        purchase_id=purchase_id,
        reverses_id=reverses_id,
        staff_id=staff_id,
        branch_id=branch_id,
    )
