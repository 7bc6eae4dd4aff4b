"""Proof that the ledger is whole: every transaction balances and cached balances are true,
and so are the stamps cached on stamp cards."""

from __future__ import annotations

from dataclasses import dataclass, field

from tortoise import connections


@dataclass(frozen=True, slots=True)
class Mismatch:
    account_id: int
    cached: int
    summed: int


@dataclass(frozen=True, slots=True)
class Unbalanced:
    transaction_id: int
    unit: str
    total: int


@dataclass(frozen=True, slots=True)
class StampMismatch:
    """A member's stamp card whose cached count or completions differ from its events."""

    member_id: int
    card_id: int
    stamps: int
    summed: int
    completed: int
    counted: int


@dataclass(frozen=True, slots=True)
class ReconcileReport:
    accounts_checked: int
    transactions_checked: int
    mismatches: list[Mismatch] = field(default_factory=list)
    unbalanced: list[Unbalanced] = field(default_factory=list)
    stamp_mismatches: list[StampMismatch] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.mismatches and not self.unbalanced and not self.stamp_mismatches


_MISMATCHED = """
SELECT a.id AS account_id, a.balance AS cached, COALESCE(SUM(p.amount), 0) AS summed
FROM account a LEFT JOIN posting p ON p.account_id = a.id
WHERE a.member_id IS NOT NULL
GROUP BY a.id, a.balance
HAVING a.balance <> COALESCE(SUM(p.amount), 0)
"""
_UNBALANCED = """
SELECT p.transaction_id AS transaction_id, a.unit AS unit, SUM(p.amount) AS total
FROM posting p JOIN account a ON a.id = p.account_id
GROUP BY p.transaction_id, a.unit
HAVING SUM(p.amount) <> 0
"""
_STAMPS = """
SELECT s.member_id AS member_id, s.card_id AS card_id, s.stamps AS stamps,
       COALESCE(SUM(e.delta), 0) AS summed, s.completed AS completed,
       COALESCE(SUM(CASE e.reason WHEN 'completed' THEN 1 WHEN 'withdrawn' THEN -1 ELSE 0 END), 0)
         AS counted
FROM stamp_progress s
LEFT JOIN stamp_event e ON e.member_id = s.member_id AND e.card_id = s.card_id
GROUP BY s.id, s.member_id, s.card_id, s.stamps, s.completed
HAVING s.stamps <> COALESCE(SUM(e.delta), 0) OR s.completed <> COALESCE(
  SUM(CASE e.reason WHEN 'completed' THEN 1 WHEN 'withdrawn' THEN -1 ELSE 0 END), 0)
"""
_COUNTS = """
SELECT (SELECT COUNT(*) FROM account WHERE member_id IS NOT NULL) AS accounts,
       (SELECT COUNT(*) FROM journal_transaction) AS transactions
"""


async def reconcile() -> ReconcileReport:
    db = connections.get("default")
    counts = (await db.execute_query_dict(_COUNTS))[0]
    return ReconcileReport(
        accounts_checked=int(counts["accounts"]),
        transactions_checked=int(counts["transactions"]),
        mismatches=[
            Mismatch(int(r["account_id"]), int(r["cached"]), int(r["summed"]))
            for r in await db.execute_query_dict(_MISMATCHED)
        ],
        unbalanced=[
            Unbalanced(int(r["transaction_id"]), str(r["unit"]), int(r["total"]))
            for r in await db.execute_query_dict(_UNBALANCED)
        ],
        stamp_mismatches=[
            StampMismatch(**{column: int(value) for column, value in r.items()})
            for r in await db.execute_query_dict(_STAMPS)
        ],
    )
