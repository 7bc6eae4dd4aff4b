"""Recording purchases (earning in the same database transaction) and refunding them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta

from tortoise.expressions import F

from loyalty import earning, history, ledger, validation
from loyalty.actors import Actor
from loyalty.earning import EarningRule, PurchaseContext
from loyalty.errors import Conflict, DomainError, ErrorCode, InvalidInput, NotFound
from loyalty.history import HistoryEntry
from loyalty.idempotency import check_key, derived_key, request_hash, run_once
from loyalty.ledger import Balances, SystemAccount
from loyalty.models import (
    Branch,
    JournalTransaction,
    Member,
    Purchase,
    PurchaseItem,
    Reversal,
    Role,
    TransactionKind,
)
from loyalty.money import format_money, format_points
from loyalty.settings import get_settings
from loyalty.wallet import COUNTER_ROLES

MAX_ITEMS = 200
# Offline stations replay what they recorded while the link was down, so the past is allowed.
MAX_AGE = timedelta(days=365)
CLOCK_SKEW = timedelta(minutes=5)


@dataclass(frozen=True, slots=True)
class LineItem:
    sku: str
    amount: int
    quantity: int = 1
    category: str = ""
    name: str = ""

    def cleaned(self) -> LineItem:
        if (
            isinstance(self.quantity, bool)
            or not isinstance(self.quantity, int)
            or not (1 <= self.quantity <= 100_000)
        ):
            raise InvalidInput("item quantity must be from 1 to 100,000", field="items.quantity")
        if isinstance(self.amount, bool) or not isinstance(self.amount, int) or self.amount < 0:
            raise InvalidInput(
                "item amount must be a whole number of Rials, not negative",
                field="items.amount",
                code=ErrorCode.INVALID_AMOUNT,
            )
        return LineItem(
            sku=validation.text(self.sku, field="items.sku", max_length=64, required=True),
            amount=self.amount,
            quantity=self.quantity,
            category=validation.text(self.category, field="items.category", max_length=64),
            name=validation.text(self.name, field="items.name", max_length=200),
        )


@dataclass(frozen=True, slots=True)
class PurchaseResult:
    purchase: Purchase
    items: list[PurchaseItem]
    earned: list[HistoryEntry]
    balances: Balances | None
    replayed: bool


@dataclass(frozen=True, slots=True)
class RefundResult:
    purchase: Purchase
    refund: Reversal
    reversed: list[JournalTransaction]
    balances: Balances | None
    replayed: bool


def default_rules() -> list[EarningRule]:
    settings = get_settings()
    return [earning.PointsPerRial(points=settings.earn_points, per_rial=settings.earn_per_rial)]


def _occurred_at(value: datetime | None, now: datetime) -> datetime:
    if value is None:
        return now
    if value.tzinfo is None:
        raise InvalidInput("occurredAt needs a time zone", field="occurredAt")
    if value > now + CLOCK_SKEW or value < now - MAX_AGE:
        raise InvalidInput(
            "occurredAt must be within the last year and not in the future", field="occurredAt"
        )
    return value.astimezone(UTC)


async def record(
    actor: Actor,
    *,
    branch_id: int,
    amount: int,
    receipt_number: str,
    idempotency_key: str,
    member_id: int | None = None,
    items: Sequence[LineItem] = (),
    occurred_at: datetime | None = None,
    rules: Sequence[EarningRule] | None = None,
) -> PurchaseResult:
    """Record a purchase and, for a member, what it earns, in one database transaction."""
    actor.require_staff(*COUNTER_ROLES)
    key = check_key(idempotency_key)
    validation.positive_amount(amount, field="amount")
    receipt = validation.text(receipt_number, field="receiptNumber", max_length=64, required=True)
    if len(items) > MAX_ITEMS:
        raise InvalidInput(f"at most {MAX_ITEMS} items", field="items")
    lines = [item.cleaned() for item in items]
    now = datetime.now(UTC)
    when = _occurred_at(occurred_at, now)
    # Unknown branches and members are caught by the foreign keys (see `explain_refusal`):
    # looking them up first would cost every purchase two more round trips.
    actor.require_branch(branch_id)
    digest = request_hash(
        {
            "op": "purchase",
            "branch": branch_id,
            "member": member_id,
            "amount": amount,
            "receipt": receipt,
            "items": [asdict(line) for line in lines],
            "occurred_at": occurred_at.isoformat() if occurred_at else None,
        }
    )
    awards = []
    if member_id is not None:
        context = PurchaseContext(
            member_id=member_id, branch_id=branch_id, amount=amount, occurred_at=when
        )
        awards = earning.evaluate(default_rules() if rules is None else rules, context)

    # What the write made, so a first (not replayed) request need not read it back.
    written_items: list[PurchaseItem] = []
    written_earned: list[HistoryEntry] = []

    async def write() -> Purchase:
        written_items.clear()
        written_earned.clear()
        purchase = await Purchase.create(
            branch_id=branch_id,
            receipt_number=receipt,
            member_id=member_id,
            amount=amount,
            occurred_at=when,
            recorded_by_id=actor.staff_id,
            idempotency_key=key,
            request_hash=digest,
        )
        if lines:
            written_items.extend(
                PurchaseItem(purchase_id=purchase.id, **asdict(line)) for line in lines
            )
            await PurchaseItem.bulk_create(written_items)
        for award in awards:
            transaction = await ledger.transfer(
                kind=TransactionKind.EARN,
                member_id=member_id,
                purse=award.purse,  # type: ignore[arg-type]
                amount=award.amount,
                counterpart=SystemAccount.POINTS_ISSUED
                if award.purse is ledger.Purse.POINTS
                else SystemAccount.CREDIT_CASHBACK,
                idempotency_key=derived_key("purchase", purchase.id, award.rule, award.purse),
                request_hash=digest,
                reason_code=award.rule,
                reason=award.reason,
                purchase_id=purchase.id,
                staff_id=actor.staff_id,
                branch_id=branch_id,
            )
            written_earned.append(
                history.transfer_entry(transaction, award.purse.unit, award.amount)
            )
        return purchase

    async def explain_refusal() -> None:
        if not await Branch.exists(id=branch_id):
            raise NotFound("branch", branch_id)
        if member_id is not None and not await Member.exists(id=member_id):
            raise NotFound("member", member_id)
        if await Purchase.exists(branch_id=branch_id, receipt_number=receipt):
            raise Conflict(
                f"receipt {receipt} was already recorded at this branch",
                code=ErrorCode.DUPLICATE_RECEIPT,
            )

    purchase, replayed = await run_once(
        digest,
        lambda: Purchase.get_or_none(idempotency_key=key),
        write,
        explain_refusal,
        look_first=False,
    )
    if replayed:
        items = await PurchaseItem.filter(purchase_id=purchase.id).order_by("id")
        earned = await history.entries(
            await JournalTransaction.filter(
                purchase_id=purchase.id, kind=TransactionKind.EARN
            ).values_list("id", flat=True)
        )
    else:
        items, earned = list(written_items), list(written_earned)
    balances = await ledger.balances(member_id) if member_id is not None else None
    return PurchaseResult(purchase, items, earned, balances, replayed)


async def refund(
    actor: Actor,
    *,
    purchase_id: int,
    idempotency_key: str,
    amount: int | None = None,
    reason: str = "",
) -> RefundResult:
    """Refund all or part of a purchase; what it earned comes back out in proportion.

    Points already spent cannot be taken back below zero: the reversal takes what the member
    holds and the reason records the shortfall. (The rules issue defines recovery from later
    earnings.)
    """
    actor.require_staff(Role.MANAGER, Role.CASHIER)
    key = check_key(idempotency_key)
    purchase = await Purchase.get_or_none(id=purchase_id)
    if purchase is None:
        raise NotFound("purchase", purchase_id)
    actor.require_branch(purchase.branch_id)  # type: ignore[attr-defined]
    refund_amount = purchase.amount - purchase.refunded_amount if amount is None else amount
    reason = validation.text(reason, field="reason", max_length=300)
    digest = request_hash(
        {"op": "refund", "purchase": purchase_id, "amount": amount, "reason": reason}
    )

    async def write() -> Reversal:
        if amount is None and refund_amount == 0:
            # Refunding "the rest" of a purchase refunded in full, perhaps a moment ago.
            raise DomainError(
                "this purchase was already refunded in full",
                code=ErrorCode.REFUND_EXCEEDS_PURCHASE,
            )
        validation.positive_amount(refund_amount, field="amount")
        claimed = await Purchase.filter(
            id=purchase_id, refunded_amount__lte=purchase.amount - refund_amount
        ).update(refunded_amount=F("refunded_amount") + refund_amount)
        if not claimed:
            raise DomainError(
                f"refund of {format_money(refund_amount)} exceeds what is left to refund",
                code=ErrorCode.REFUND_EXCEEDS_PURCHASE,
            )
        # Read after our UPDATE: it holds the row, so concurrent refunds are counted too.
        total_refunded = await Purchase.get(id=purchase_id).values_list(
            "refunded_amount", flat=True
        )
        reversal = await Reversal.create(
            idempotency_key=key,
            request_hash=digest,
            purchase_id=purchase_id,
            amount=refund_amount,
            reason=reason or "refund",
            staff_id=actor.staff_id,
        )
        for earned in await JournalTransaction.filter(
            purchase_id=purchase_id, kind=TransactionKind.EARN
        ).prefetch_related("postings__account"):
            await _reverse_in_proportion(
                actor,
                earned,
                reversal,
                int(total_refunded),
                purchase.amount,
                digest,  # type: ignore[arg-type]
            )
        return reversal

    reversal, replayed = await run_once(
        digest, lambda: Reversal.get_or_none(idempotency_key=key), write
    )
    await purchase.refresh_from_db()
    reversed_ = await JournalTransaction.filter(
        idempotency_key__startswith=derived_key("refund", reversal.id) + ":"
    ).order_by("id")
    balances = await ledger.balances(purchase.member_id) if purchase.member_id else None  # type: ignore[attr-defined]
    return RefundResult(purchase, reversal, reversed_, balances, replayed)


async def _reverse_in_proportion(
    actor: Actor,
    earned: JournalTransaction,
    reversal: Reversal,
    total_refunded: int,
    purchase_amount: int,
    digest: str,
) -> None:
    own, club = sorted(earned.postings, key=lambda p: p.account.member_id is None)  # type: ignore[attr-defined]
    already = -await ledger.posted_total(
        account_id=own.account.id, transaction__reverses_id=earned.id
    )
    # Floor keeps the cumulative reversal exact: a full refund takes back all that was earned.
    due = own.amount * total_refunded // purchase_amount - already
    taken = min(due, own.account.balance)
    if taken <= 0:
        return
    shortfall = "" if taken == due else f", {due - taken:,} not recovered (already spent)"
    await ledger.post(
        kind=TransactionKind.REVERSAL,
        member_id=earned.member_id,  # type: ignore[attr-defined]
        legs=[ledger.Leg(own.account, -taken), ledger.Leg(club.account, taken)],
        idempotency_key=derived_key("refund", reversal.id, earned.id),
        request_hash=digest,
        reason_code=f"refund_{earned.reason_code}",
        reason=f"Refund of purchase: {format_points(taken)} taken back{shortfall}",
        purchase_id=earned.purchase_id,
        reverses_id=earned.id,
        staff_id=actor.staff_id,  # type: ignore[attr-defined]
        branch_id=earned.branch_id,  # type: ignore[attr-defined]
    )
