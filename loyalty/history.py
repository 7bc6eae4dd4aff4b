"""What a member sees of their own ledger and purchases, newest first, a page at a time."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Generic, TypeVar

from tortoise.queryset import QuerySet

from loyalty.models import JournalTransaction, Purchase, TransactionKind
from loyalty.programme.engine import Line

MAX_PAGE = 100
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    id: int
    kind: TransactionKind
    reason: str
    reason_code: str
    points: int
    credit: int
    created_at: datetime
    purchase_id: int | None
    branch_id: int | None
    # One line per rule behind it (for earnings): what it gave and why, in both languages.
    lines: tuple[Line, ...] = ()
    points_expire_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    items: list[T]
    has_more: bool


def page_size(first: int) -> int:
    return max(1, min(first, MAX_PAGE))


async def paged(query: QuerySet, first: int, before_id: int | None) -> Page:
    """Newest first, keyset by id."""
    size = page_size(first)
    if before_id is not None:
        query = query.filter(id__lt=before_id)
    rows = await query.order_by("-id").limit(size + 1)
    return Page(rows[:size], len(rows) > size)


def entry_of(txn: JournalTransaction) -> HistoryEntry:
    return HistoryEntry(
        id=txn.id,
        kind=txn.kind,
        reason=txn.reason,
        reason_code=txn.reason_code,
        points=txn.points,
        credit=txn.credit,
        created_at=txn.created_at,
        purchase_id=txn.purchase_id,  # type: ignore[attr-defined]
        branch_id=txn.branch_id,  # type: ignore[attr-defined]
        lines=tuple(Line.from_json(raw) for raw in txn.lines if raw.get("purse") != "unlocked"),
        points_expire_at=txn.points_expire_at,
    )


async def entries(transaction_ids: list[int]) -> list[HistoryEntry]:
    """The given transactions as history entries, oldest first."""
    rows = await JournalTransaction.filter(id__in=transaction_ids).order_by("id")
    return [entry_of(txn) for txn in rows]


async def transactions(
    member_id: int, *, first: int = 20, before_id: int | None = None
) -> Page[HistoryEntry]:
    """Keyset pagination by id: stable while new transactions arrive."""
    size = page_size(first)
    query = JournalTransaction.filter(member_id=member_id)
    if before_id is not None:
        query = query.filter(id__lt=before_id)
    rows = await query.order_by("-id").limit(size + 1)
    entries = [entry_of(txn) for txn in rows[:size]]
    return Page(entries, len(rows) > size)


async def purchases(
    member_id: int, *, first: int = 20, before_id: int | None = None
) -> Page[Purchase]:
    size = page_size(first)
    query = Purchase.filter(member_id=member_id)
    if before_id is not None:
        query = query.filter(id__lt=before_id)
    rows = await query.order_by("-id").limit(size + 1).prefetch_related("items", "branch")
    return Page(rows[:size], len(rows) > size)
