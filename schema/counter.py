"""Staff operations at the counter and in the back office: purchases, credit, corrections."""

from datetime import datetime
from typing import Annotated

import strawberry
from strawberry.types import Info

from loyalty import history, purchases, refunds, wallet
from loyalty.programme.engine import Line
from loyalty.programme.explain import Text
from loyalty.purchases import LineItem
from schema.context import Context
from schema.errors import (
    INPUT,
    ConflictError,
    InsufficientBalanceError,
    NotFoundError,
    NotUsableError,
    RateLimitedError,
    result_union,
    returns_errors,
)
from schema.scalars import BigInt
from schema.types import (
    Balances,
    LedgerEntry,
    ProgrammeLine,
    Purchase,
    Purse,
    TierChange,
    in_language,
    parse_id,
)

KEY_DESCRIPTION = (
    "A key unique to this request (a UUID). Retrying with the same key and input returns "
    "the first result; the same key with other input is an IDEMPOTENCY_CONFLICT."
)


COUPON_CODES_DESCRIPTION = (
    "Coupon or voucher codes the member gives, used in this order. A code that cannot be used "
    "refuses the whole purchase (a NotUsableError says why); codes that do not exist "
    "count against guessing (RateLimitedError)."
)
REWARD_IDS_DESCRIPTION = (
    "Rewards the member redeems on this purchase (discount or free product): their points "
    "are spent with it."
)


@strawberry.input(description="One line of a receipt.")
class LineItemInput:
    sku: str = strawberry.field(description="The product's code.")
    amount: BigInt = strawberry.field(description="Rials for the whole line.")
    quantity: int = strawberry.field(default=1, description="How many.")
    category: str = strawberry.field(default="", description="The product's category.")
    name: str = strawberry.field(default="", description="The product's name.")


@strawberry.input(description="A purchase to record.")
class RecordPurchaseInput:
    branch_id: strawberry.ID = strawberry.field(description="Where it happened.")
    amount: BigInt = strawberry.field(description="Total in Rials.")
    receipt_number: str = strawberry.field(description="The branch's receipt number.")
    idempotency_key: str = strawberry.field(description=KEY_DESCRIPTION)
    member_id: strawberry.ID | None = strawberry.field(
        default=None, description="The member who bought; none for a non-member."
    )
    items: list[LineItemInput] = strawberry.field(default_factory=list, description="Lines.")
    occurred_at: datetime | None = strawberry.field(
        default=None, description="When it happened, if not now (offline stations)."
    )
    paid_with_credit: BigInt = strawberry.field(
        default=0, description="Rials of the amount paid from the member's credit."
    )
    coupon_codes: list[str] | None = strawberry.field(
        default=None, description=COUPON_CODES_DESCRIPTION
    )
    reward_ids: list[strawberry.ID] | None = strawberry.field(
        default=None, description=REWARD_IDS_DESCRIPTION
    )


@strawberry.input(description="A basket to price for a member, without recording anything.")
class QuotePurchaseInput:
    branch_id: strawberry.ID = strawberry.field(description="Where.")
    member_id: strawberry.ID = strawberry.field(description="The member.")
    amount: BigInt = strawberry.field(description="Total in Rials.")
    items: list[LineItemInput] = strawberry.field(default_factory=list, description="Lines.")
    paid_with_credit: BigInt = strawberry.field(
        default=0, description="Rials of the amount the member would pay from credit."
    )
    coupon_codes: list[str] | None = strawberry.field(
        default=None, description=COUPON_CODES_DESCRIPTION
    )
    reward_ids: list[strawberry.ID] | None = strawberry.field(
        default=None, description=REWARD_IDS_DESCRIPTION
    )


async def _unlocked(info: Info[Context, None], texts: list[Text]) -> list[str]:
    return [await in_language(info, text) for text in texts]


@strawberry.type(description="A purchase was recorded.")
class PurchaseRecorded:
    purchase: Purchase = strawberry.field(description="The purchase.")
    earned: list[LedgerEntry] = strawberry.field(
        description="The ledger entries it made: paying with credit, then what it earned."
    )
    points_earned: BigInt = strawberry.field(description="Total points earned.")
    balances: Balances | None = strawberry.field(description="The member's balances after.")
    replayed: bool = strawberry.field(description="True when this repeats an earlier request.")
    net_amount: BigInt = strawberry.field(
        description="Rials the member paid in money: the amount less discounts and credit."
    )
    discounts: list[ProgrammeLine] = strawberry.field(
        description="What was taken off: codes and rewards, then the rules, one line each."
    )
    lines: list[ProgrammeLine] = strawberry.field(
        description="What it earned and why, one line per rule: tell the customer."
    )
    tier_change: TierChange | None = strawberry.field(
        description="The member reached a new tier with this purchase."
    )
    unlocked_texts: strawberry.Private[list[Text]]

    @strawberry.field(description="Offers the member's next visits now qualify for: tell them.")
    async def unlocked(self, info: Info[Context, None]) -> list[str]:
        return await _unlocked(info, self.unlocked_texts)


@strawberry.type(description="What a basket would give a member now. Nothing was recorded.")
class PurchaseQuote:
    amount: BigInt = strawberry.field(description="Total in Rials.")
    net_amount: BigInt = strawberry.field(
        description="Rials the member would pay in money: the amount less discounts and credit."
    )
    points: BigInt = strawberry.field(description="Points it would earn.")
    credit: BigInt = strawberry.field(description="Rials of credit (cash-back) it would earn.")
    discounts: list[ProgrammeLine] = strawberry.field(
        description="What would be taken off: codes and rewards, then the rules, one line each."
    )
    lines: list[ProgrammeLine] = strawberry.field(
        description="What it would earn and why, one line per rule."
    )
    unlocked_texts: strawberry.Private[list[Text]]

    @strawberry.field(description="Offers this purchase would unlock for the next visits.")
    async def unlocked(self, info: Info[Context, None]) -> list[str]:
        return await _unlocked(info, self.unlocked_texts)


@strawberry.input(description="Credit paid in at the counter.")
class TopUpCreditInput:
    member_id: strawberry.ID = strawberry.field(description="The member.")
    amount: BigInt = strawberry.field(description="Rials.")
    idempotency_key: str = strawberry.field(description=KEY_DESCRIPTION)
    branch_id: strawberry.ID | None = strawberry.field(
        default=None, description="Where; defaults to the staff user's branch."
    )


@strawberry.input(description="Pay with credit or points at the counter.")
class SpendInput:
    member_id: strawberry.ID = strawberry.field(description="The member.")
    purse: Purse = strawberry.field(description="Pay with points or credit.")
    amount: BigInt = strawberry.field(description="Points, or Rials of credit.")
    idempotency_key: str = strawberry.field(description=KEY_DESCRIPTION)
    branch_id: strawberry.ID | None = strawberry.field(
        default=None, description="Where; defaults to the staff user's branch."
    )


@strawberry.input(description="A manager's correction of a balance.")
class AdjustBalanceInput:
    member_id: strawberry.ID = strawberry.field(description="The member.")
    purse: Purse = strawberry.field(description="Points or credit.")
    delta: BigInt = strawberry.field(description="Change: positive adds, negative takes away.")
    reason: str = strawberry.field(description="Why; shown in the member's history.")
    idempotency_key: str = strawberry.field(description=KEY_DESCRIPTION)


@strawberry.input(description="Undo a whole ledger transaction.")
class ReverseTransactionInput:
    transaction_id: strawberry.ID = strawberry.field(description="The ledger entry to undo.")
    reason: str = strawberry.field(description="Why.")
    idempotency_key: str = strawberry.field(description=KEY_DESCRIPTION)


@strawberry.input(description="Refund all or part of a purchase.")
class RefundPurchaseInput:
    purchase_id: strawberry.ID = strawberry.field(description="The purchase.")
    idempotency_key: str = strawberry.field(description=KEY_DESCRIPTION)
    amount: BigInt | None = strawberry.field(
        default=None, description="Rials to refund; all that is left when omitted."
    )
    reason: str = strawberry.field(default="", description="Why.")


@strawberry.type(description="A ledger transaction was posted.")
class TransactionPosted:
    entry: LedgerEntry = strawberry.field(description="The new ledger entry.")
    balances: Balances = strawberry.field(description="The member's balances after.")
    replayed: bool = strawberry.field(description="True when this repeats an earlier request.")


@strawberry.type(description="A purchase was refunded.")
class PurchaseRefunded:
    purchase: Purchase = strawberry.field(description="The purchase, with its refunded amount.")
    reversed: list[LedgerEntry] = strawberry.field(description="What was taken back.")
    balances: Balances | None = strawberry.field(description="The member's balances after.")
    replayed: bool = strawberry.field(description="True when this repeats an earlier request.")


RecordPurchaseResult = result_union(
    "RecordPurchaseResult",
    "Result of recordPurchase.",
    PurchaseRecorded,
    NotFoundError,
    ConflictError,
    InsufficientBalanceError,
    NotUsableError,
    RateLimitedError,
)
QuotePurchaseResult = result_union(
    "QuotePurchaseResult",
    "Result of quotePurchase.",
    PurchaseQuote,
    NotFoundError,
    InsufficientBalanceError,
    NotUsableError,
    RateLimitedError,
)
LedgerResult = result_union(
    "LedgerResult",
    "Result of a change to a balance.",
    TransactionPosted,
    NotFoundError,
    ConflictError,
    InsufficientBalanceError,
)
RefundPurchaseResult = result_union(
    "RefundPurchaseResult",
    "Result of refundPurchase.",
    PurchaseRefunded,
    NotFoundError,
    ConflictError,
)


async def _entries(transactions: list) -> list[LedgerEntry]:
    return [LedgerEntry.from_domain(e) for e in await history.entries([t.id for t in transactions])]


def purchase_recorded(result: purchases.PurchaseResult) -> PurchaseRecorded:
    earned = [LedgerEntry.from_domain(e) for e in result.earned]
    bought = result.purchase
    return PurchaseRecorded(
        purchase=Purchase.from_model(bought, result.items),
        earned=earned,
        points_earned=sum(e.points for e in earned),
        balances=Balances.from_domain(result.balances) if result.balances else None,
        replayed=result.replayed,
        net_amount=bought.net_amount,
        discounts=_lines(result.discounts),
        lines=_lines(result.lines),
        tier_change=TierChange.from_model(result.tier_change) if result.tier_change else None,
        unlocked_texts=result.unlocked,
    )


async def posted(result: wallet.LedgerResult) -> TransactionPosted:
    return TransactionPosted(
        entry=(await _entries([result.transaction]))[0],
        balances=Balances.from_domain(result.balances),
        replayed=result.replayed,
    )


def _optional_id(value: strawberry.ID | None, field: str) -> int | None:
    return parse_id(value, field) if value is not None else None


def _ids(values: list[strawberry.ID] | None, field: str) -> list[int]:
    return [parse_id(v, f"{field}.{i}") for i, v in enumerate(values or [])]


def line_items(items: list[LineItemInput]) -> list[LineItem]:
    return [
        LineItem(sku=i.sku, amount=i.amount, quantity=i.quantity, category=i.category, name=i.name)
        for i in items
    ]


def _lines(lines: list[Line]) -> list[ProgrammeLine]:
    return [ProgrammeLine.from_domain(line) for line in lines]


@strawberry.type
class CounterQueries:
    @strawberry.field(description="Staff: what a basket would give a member now (a dry run).")
    @returns_errors
    async def quote_purchase(
        self,
        info: Info[Context, None],
        input: Annotated[QuotePurchaseInput, strawberry.argument(description=INPUT)],
    ) -> QuotePurchaseResult:
        quote = await purchases.quote(
            info.context.require_actor(),
            member_id=parse_id(input.member_id, "memberId"),
            branch_id=parse_id(input.branch_id, "branchId"),
            amount=input.amount,
            items=line_items(input.items),
            paid_with_credit=input.paid_with_credit,
            coupon_codes=input.coupon_codes or (),
            reward_ids=_ids(input.reward_ids, "rewardIds"),
        )
        return PurchaseQuote(
            amount=quote.amount,
            net_amount=quote.net_amount,
            points=quote.points,
            credit=quote.credit,
            discounts=_lines(quote.discounts),
            lines=_lines(quote.lines),
            unlocked_texts=quote.unlocked,
        )


@strawberry.type
class CounterMutations:
    @strawberry.mutation(description="Record a purchase; a member earns in the same step.")
    @returns_errors
    async def record_purchase(
        self,
        info: Info[Context, None],
        input: Annotated[RecordPurchaseInput, strawberry.argument(description=INPUT)],
    ) -> RecordPurchaseResult:
        actor = info.context.require_actor()
        result = await purchases.record(
            actor,
            branch_id=parse_id(input.branch_id, "branchId"),
            member_id=_optional_id(input.member_id, "memberId"),
            amount=input.amount,
            receipt_number=input.receipt_number,
            idempotency_key=input.idempotency_key,
            items=line_items(input.items),
            occurred_at=input.occurred_at,
            paid_with_credit=input.paid_with_credit,
            coupon_codes=input.coupon_codes or (),
            reward_ids=_ids(input.reward_ids, "rewardIds"),
        )
        return purchase_recorded(result)

    @strawberry.mutation(description="Add credit the member paid for at the counter.")
    @returns_errors
    async def top_up_credit(
        self,
        info: Info[Context, None],
        input: Annotated[TopUpCreditInput, strawberry.argument(description=INPUT)],
    ) -> LedgerResult:
        result = await wallet.top_up(
            info.context.require_actor(),
            member_id=parse_id(input.member_id, "memberId"),
            amount=input.amount,
            idempotency_key=input.idempotency_key,
            branch_id=_optional_id(input.branch_id, "branchId"),
        )
        return await posted(result)

    @strawberry.mutation(description="Pay with credit or points at the counter.")
    @returns_errors
    async def spend_at_counter(
        self,
        info: Info[Context, None],
        input: Annotated[SpendInput, strawberry.argument(description=INPUT)],
    ) -> LedgerResult:
        result = await wallet.spend(
            info.context.require_actor(),
            member_id=parse_id(input.member_id, "memberId"),
            purse=input.purse,
            amount=input.amount,
            idempotency_key=input.idempotency_key,
            branch_id=_optional_id(input.branch_id, "branchId"),
        )
        return await posted(result)

    @strawberry.mutation(description="Manager: correct a balance, with a reason.")
    @returns_errors
    async def adjust_balance(
        self,
        info: Info[Context, None],
        input: Annotated[AdjustBalanceInput, strawberry.argument(description=INPUT)],
    ) -> LedgerResult:
        result = await wallet.adjust(
            info.context.require_actor(),
            member_id=parse_id(input.member_id, "memberId"),
            purse=input.purse,
            delta=input.delta,
            reason=input.reason,
            idempotency_key=input.idempotency_key,
        )
        return await posted(result)

    @strawberry.mutation(description="Manager: undo a whole ledger transaction.")
    @returns_errors
    async def reverse_transaction(
        self,
        info: Info[Context, None],
        input: Annotated[ReverseTransactionInput, strawberry.argument(description=INPUT)],
    ) -> LedgerResult:
        result = await wallet.reverse(
            info.context.require_actor(),
            transaction_id=parse_id(input.transaction_id, "transactionId"),
            reason=input.reason,
            idempotency_key=input.idempotency_key,
        )
        return await posted(result)

    @strawberry.mutation(
        description="Refund a purchase: what it earned comes back out in proportion."
    )
    @returns_errors
    async def refund_purchase(
        self,
        info: Info[Context, None],
        input: Annotated[RefundPurchaseInput, strawberry.argument(description=INPUT)],
    ) -> RefundPurchaseResult:
        result = await refunds.refund(
            info.context.require_actor(),
            purchase_id=parse_id(input.purchase_id, "purchaseId"),
            amount=input.amount,
            reason=input.reason,
            idempotency_key=input.idempotency_key,
        )
        items = await result.purchase.items.all()
        return PurchaseRefunded(
            purchase=Purchase.from_model(result.purchase, items),
            reversed=await _entries(result.reversed),
            balances=Balances.from_domain(result.balances) if result.balances else None,
            replayed=result.replayed,
        )
