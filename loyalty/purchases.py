"""Recording purchases (earning in the same database transaction) and refunding them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, astuple, dataclass, field, replace
from datetime import UTC, datetime, timedelta

from loyalty import history, leaderboard, ledger, members, sql, validation
from loyalty.actors import Actor
from loyalty.errors import Conflict, ErrorCode, InvalidInput, NotFound
from loyalty.games import lottery
from loyalty.history import HistoryEntry
from loyalty.idempotency import check_key, derived_key, request_hash, run_once
from loyalty.ledger import Balances, Purse, SystemAccount
from loyalty.models import (
    Branch,
    DiscountSource,
    JournalTransaction,
    Member,
    MemberStanding,
    Purchase,
    PurchaseDiscount,
    PurchaseItem,
    RuleKind,
    TierChange,
    TransactionKind,
)
from loyalty.money import format_money
from loyalty.programme import coupons, engine, expiry, explain, referral, rewards, snapshot, tiers
from loyalty.programme import standing as standings
from loyalty.programme.coupons import Cart, Given
from loyalty.programme.engine import CREDIT, DISCOUNT, POINTS, Line
from loyalty.programme.explain import Text
from loyalty.programme.facts import gather
from loyalty.programme.snapshot import Programme
from loyalty.stamps import earning as stamps
from loyalty.wallet import COUNTER_ROLES

UNLOCKED = "unlocked"

_PURCHASE_COLUMNS = (
    "branch_id",
    "receipt_number",
    "member_id",
    "amount",
    "refunded_amount",
    "discount",
    "paid_with_credit",
    "occurred_at",
    "recorded_by_id",
    "idempotency_key",
    "request_hash",
    "created_at",
)
# LineItem's fields, in order, after the purchase.
_ITEM_COLUMNS = ("purchase_id", "sku", "amount", "quantity", "category", "name")
_DISCOUNT_COLUMNS = (
    "purchase_id",
    "member_id",
    "source",
    "source_id",
    "code_id",
    "amount",
    "sku",
    "reason",
    "reason_fa",
    "created_at",
)

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
    # What the programme gave, one line per rule, and offers the next visit unlocks.
    discounts: list[Line] = field(default_factory=list)
    lines: list[Line] = field(default_factory=list)
    unlocked: list[Text] = field(default_factory=list)
    tier_change: TierChange | None = None


@dataclass(frozen=True, slots=True)
class Quote:
    """What a basket would earn and be discounted, written nowhere. `points` and `credit` are
    what the member's balances would gain (after any kept back towards a refund's debt)."""

    amount: int
    net_amount: int
    discounts: list[Line]
    lines: list[Line]
    points: int
    credit: int
    unlocked: list[Text]


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


def _cleaned_items(items: Sequence[LineItem]) -> list[LineItem]:
    if len(items) > MAX_ITEMS:
        raise InvalidInput(f"at most {MAX_ITEMS} items", field="items")
    return [item.cleaned() for item in items]


def _basket(
    amount: int, branch_id: int, lines: Sequence[LineItem], paid_with_credit: int
) -> engine.Basket:
    validation.positive_amount(amount, field="amount")
    if paid_with_credit:
        validation.positive_amount(paid_with_credit, field="paidWithCredit")
        if paid_with_credit > amount:
            raise InvalidInput(
                "paidWithCredit cannot be more than the amount",
                field="paidWithCredit",
                code=ErrorCode.INVALID_AMOUNT,
            )
    return engine.Basket(
        amount=amount,
        branch_id=branch_id,
        items=tuple(engine.Item(line.sku, line.category, line.amount) for line in lines),
        paid_with_credit=paid_with_credit,
    )


def _check_credit_fits(basket: engine.Basket, outcome: engine.Outcome) -> None:
    """Credit pays what is due after discounts, never more (the rest would be lost)."""
    due = max(0, basket.amount - basket.discount_given) - outcome.discount
    if basket.paid_with_credit > due:
        raise InvalidInput(
            f"paidWithCredit is more than the {format_money(due)} due after discounts",
            field="paidWithCredit",
            code=ErrorCode.INVALID_AMOUNT,
        )


async def quote(
    actor: Actor,
    *,
    member_id: int,
    branch_id: int,
    amount: int,
    items: Sequence[LineItem] = (),
    paid_with_credit: int = 0,
    coupon_codes: Sequence[str] = (),
    reward_ids: Sequence[int] = (),
) -> Quote:
    """A dry run: what this basket would earn this member now. Nothing is written but a
    failed code look-up, which counts against guessing here as at checkout."""
    actor.require_staff(*COUNTER_ROLES)
    actor.require_branch(branch_id)
    lines = _cleaned_items(items)
    basket = _basket(amount, branch_id, lines, paid_with_credit)
    if not await Branch.exists(id=branch_id):
        raise NotFound("branch", branch_id)
    await members.get(member_id)
    programme = await snapshot.current()
    now = datetime.now(UTC)
    standing = await standings.get(member_id)
    checkout = rewards.Checkout(
        Cart.of(amount, lines), await coupons.look_up(actor, coupon_codes), reward_ids
    )
    given = await rewards.at_checkout(standing, checkout, now)
    basket = replace(basket, discount_given=sum(g.amount for g in given))
    facts = await gather(
        programme, standing, now, engine.rules_in_force(programme, now, basket.branch_id)
    )
    outcome = engine.evaluate(programme, basket, facts)
    _check_credit_fits(basket, outcome)
    awards, recovered_points, recovered_credit = _with_recovery(standing, outcome)
    return Quote(
        amount=amount,
        net_amount=outcome.net_amount,
        discounts=[g.line for g in given] + outcome.discounts,
        lines=awards,
        points=outcome.points - recovered_points,
        credit=outcome.credit - recovered_credit,
        unlocked=engine.unlocked(programme, branch_id, facts, facts.after_visit(amount)),
    )


@dataclass(slots=True)
class _Written:
    """What the write made, so a first (not replayed) request need not read it back."""

    items: list[PurchaseItem] = field(default_factory=list)
    earned: list[HistoryEntry] = field(default_factory=list)
    discounts: list[Line] = field(default_factory=list)
    lines: list[Line] = field(default_factory=list)
    unlocked: list[Text] = field(default_factory=list)
    tier_change: TierChange | None = None
    # The member's balances after the purchase, when its earnings reported them.
    balances: Balances | None = None


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
    paid_with_credit: int = 0,
    coupon_codes: Sequence[str] = (),
    reward_ids: Sequence[int] = (),
) -> PurchaseResult:
    """Record a purchase and apply the programme to it, in one database transaction.

    `coupon_codes` and `reward_ids` (the member's) are used on it, in that order; if one
    cannot be, the whole purchase is refused and nothing changes.
    """
    actor.require_staff(*COUNTER_ROLES)
    key = check_key(idempotency_key)
    receipt = validation.text(receipt_number, field="receiptNumber", max_length=64, required=True)
    lines = _cleaned_items(items)
    basket = _basket(amount, branch_id, lines, paid_with_credit)
    if paid_with_credit and member_id is None:
        raise InvalidInput("only a member can pay with credit", field="paidWithCredit")
    if (coupon_codes or reward_ids) and member_id is None:
        raise InvalidInput("codes and rewards are for members: name the member", field="memberId")
    now = datetime.now(UTC)
    when = _occurred_at(occurred_at, now)
    # Unknown branches and members are caught by the foreign keys (see `explain_refusal`):
    # looking them up first would cost every purchase two more round trips.
    actor.require_branch(branch_id)
    checkout = None
    if coupon_codes or reward_ids:
        # Outside the purchase's transaction: a failed look-up counts as a guess even though
        # the purchase is refused.
        codes = await coupons.look_up(actor, coupon_codes)
        checkout = rewards.Checkout(Cart.of(amount, lines), codes, reward_ids)
    digest = request_hash(
        {
            "op": "purchase",
            "branch": branch_id,
            "member": member_id,
            "amount": amount,
            "receipt": receipt,
            "items": [asdict(line) for line in lines],
            "occurred_at": occurred_at.isoformat() if occurred_at else None,
            "paid_with_credit": paid_with_credit,
            **(
                {"coupons": [c.code for c in checkout.codes], "rewards": list(reward_ids)}
                if checkout
                else {}
            ),
        }
    )
    programme = await snapshot.current()
    written = _Written()

    async def write() -> Purchase:
        nonlocal written
        written = _Written()
        purchase = Purchase(
            branch_id=branch_id,
            receipt_number=receipt,
            member_id=member_id,
            amount=amount,
            paid_with_credit=paid_with_credit,
            occurred_at=when,
            recorded_by_id=actor.staff_id,
            idempotency_key=key,
            request_hash=digest,
            created_at=datetime.now(UTC),
        )
        # Raw SQL here and below: tortoise's query building costs more CPU than a round trip.
        await sql.create(purchase, _PURCHASE_COLUMNS)
        if lines:
            written.items = [
                PurchaseItem(purchase_id=purchase.id, **asdict(line)) for line in lines
            ]
            await sql.insert(
                "purchase_item",
                _ITEM_COLUMNS,
                [(purchase.id, *astuple(line)) for line in lines],
            )
        if member_id is not None:
            await _apply_programme(actor, programme, purchase, basket, digest, written, checkout)
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

    with leaderboard.collecting() as earned:
        purchase, replayed = await run_once(
            digest,
            lambda: Purchase.get_or_none(idempotency_key=key),
            write,
            explain_refusal,
            look_first=False,
        )
    if replayed:
        written = await _read_back(purchase)
    else:
        await leaderboard.record_points(earned)
    balances = written.balances
    if balances is None and member_id is not None:
        balances = await ledger.balances(member_id)
    return PurchaseResult(
        purchase,
        written.items,
        written.earned,
        balances,
        replayed,
        discounts=written.discounts,
        lines=written.lines,
        unlocked=written.unlocked,
        tier_change=written.tier_change,
    )


async def _apply_programme(
    actor: Actor,
    programme: Programme,
    purchase: Purchase,
    basket: engine.Basket,
    digest: str,
    written: _Written,
    checkout: rewards.Checkout | None = None,
) -> None:
    """Codes and rewards, discounts, payment with credit, earnings, standing, tier and
    referral of one purchase."""
    member_id: int = purchase.member_id  # type: ignore[attr-defined,assignment]
    when = purchase.occurred_at
    standing = await standings.lock(member_id)
    given: list[Given] = []
    if checkout is not None:
        given = await rewards.at_checkout(standing, checkout, when)
        spent = await rewards.redeem_at_checkout(
            purchase, standing, given, request_hash=digest, staff_id=actor.staff_id
        )
        written.earned += [history.entry_of(txn) for txn in spent]
        written.discounts = [g.line for g in given]
        # Earning "net of discounts" is net of these too.
        basket = replace(basket, discount_given=sum(g.amount for g in given))
    facts = await gather(
        programme, standing, when, engine.rules_in_force(programme, when, basket.branch_id)
    )
    outcome = engine.evaluate(programme, basket, facts)
    _check_credit_fits(basket, outcome)
    accounts = ledger.member_accounts_of(
        member_id, standing.points_account_id, standing.credit_account_id
    )
    common = {
        "member_id": member_id,
        "request_hash": digest,
        "purchase_id": purchase.id,
        "staff_id": actor.staff_id,
        "branch_id": basket.branch_id,
    }
    if basket.paid_with_credit:
        spent = await ledger.transfer_from(
            accounts[Purse.CREDIT],
            -basket.paid_with_credit,
            SystemAccount.CREDIT_SPENT,
            kind=TransactionKind.SPEND,
            idempotency_key=derived_key("purchase", purchase.id, "credit"),
            reason_code="pay_with_credit",
            reason=f"Paid {format_money(basket.paid_with_credit)} of the purchase with credit",
            **common,
        )
        written.earned.append(history.entry_of(spent))
    # Writes that depend on nothing written after them: they go with the earning, in one
    # round trip on PostgreSQL.
    along: list[sql.Statement] = []
    if given or outcome.discounts:
        along += _discount_writes(purchase, given, outcome.discounts)
        written.discounts += outcome.discounts

    points, credit = outcome.points, outcome.credit
    awards, recovered_points, recovered_credit = _with_recovery(standing, outcome)

    tier_change = None
    tier_before = standing.tier_id  # type: ignore[attr-defined]
    expires = None
    legs: list[ledger.Leg] = []
    if points - recovered_points:
        expires = expiry.expires_at(programme.expiry_policy, when)  # type: ignore[arg-type]
        issued = await ledger.system_account(SystemAccount.POINTS_ISSUED)
        legs += [
            ledger.Leg(accounts[Purse.POINTS], points - recovered_points),
            ledger.Leg(issued, recovered_points - points),
        ]
    if credit - recovered_credit:
        cashback = await ledger.system_account(SystemAccount.CREDIT_CASHBACK)
        legs += [
            ledger.Leg(accounts[Purse.CREDIT], credit - recovered_credit),
            ledger.Leg(cashback, recovered_credit - credit),
        ]
    along.append(
        _standing_update(
            standing, purchase, basket, points, recovered_points, recovered_credit, expires
        )
    )
    if outcome.events:
        along.append(
            sql.insert_statement(
                "event_award",
                ("member_id", "event", "reference", "rule_id", "points", "created_at"),
                [
                    # One award per rule: two visit rules may both fire on one purchase.
                    (
                        member_id,
                        "visit",
                        f"purchase:{purchase.id}:rule:{rule.id}",
                        rule.id,
                        rule.params.points,  # type: ignore[union-attr]
                        when,
                    )
                    for rule in outcome.events
                ],
            )
        )
    earn_lines = [line.as_json() for line in awards]
    earn = None
    # Written even when a debt took all it earned: its lines, tier points and what it recovered
    # are what a later refund of this purchase gives back.
    if awards:
        posted = await ledger.post_reporting(
            kind=TransactionKind.EARN,
            legs=legs,
            idempotency_key=derived_key("purchase", purchase.id, "earn"),
            reason_code="earn",
            reason="; ".join(line.text.en for line in awards)[:500],
            lines=earn_lines,
            tier_points=points,
            points_expire_at=expires,
            report=list(accounts.values()),
            along=along,
            **common,
        )
        earn = posted.transaction
        written.balances = posted.balances_of(accounts)
        written.earned.append(history.entry_of(earn))
    else:
        await sql.run_all(along)
    tier_change = await tiers.upgrade_if_reached(standing, programme, when, purchase.id)
    await referral.after_purchase(actor, member_id, facts.visit_number, purchase, digest)
    await lottery.on_purchase(programme, purchase)
    after = facts.after_visit(basket.amount)
    if tier_change is not None:
        new_tier = programme.tier(tier_change.to_tier_id)  # type: ignore[attr-defined]
        after = replace(after, tier_id=new_tier.id, tier_rank=new_tier.rank)
    written.unlocked = engine.unlocked(programme, basket.branch_id, facts, after)
    written.unlocked += await stamps.after_purchase(programme, purchase, written.items, given)
    if tier_change is not None and tier_before != tier_change.to_tier_id:  # type: ignore[attr-defined]
        new_tier = programme.tier(tier_change.to_tier_id)  # type: ignore[attr-defined]
        written.unlocked.insert(
            0,
            Text(
                f"Welcome to the {new_tier.name} tier",
                f"به سطح {new_tier.name_fa or new_tier.name} خوش آمدید",
            ),
        )
    if written.unlocked and earn is not None:
        # Kept with the earnings so a replayed request tells the same news (rarely written).
        unlocked = [Line("unlocked", UNLOCKED, 0, text).as_json() for text in written.unlocked]
        await JournalTransaction.filter(id=earn.id).update(lines=earn_lines + unlocked)
    written.lines = awards
    written.tier_change = tier_change


def _discount_writes(
    purchase: Purchase, given: list[Given], by_rules: list[Line]
) -> list[sql.Statement]:
    """The purchase's discounts, from codes and rewards then from rules: their rows, and their
    total on the purchase."""
    now = datetime.now(UTC)
    member_id = purchase.member_id  # type: ignore[attr-defined]
    rows = [
        (purchase.id, member_id, g.source.value, g.source_id, g.code.id if g.code else None,
         g.amount, g.sku, g.text.en[:300], g.text.fa[:300], now)
        for g in given
    ] + [
        (purchase.id, member_id, DiscountSource.RULE.value, line.rule_id or 0, None,
         line.amount, "", line.text.en[:300], line.text.fa[:300], now)
        for line in by_rules
    ]  # fmt: skip
    purchase.discount = sum(g.amount for g in given) + sum(line.amount for line in by_rules)
    return [
        sql.insert_statement("purchase_discount", _DISCOUNT_COLUMNS, rows),
        ("UPDATE purchase SET discount = ? WHERE id = ?", [purchase.discount, purchase.id]),
    ]


def _with_recovery(
    standing: MemberStanding, outcome: engine.Outcome
) -> tuple[list[Line], int, int]:
    """The award lines, with what this earning keeps back towards debts left by refunds, and
    how many points and Rials of credit that is."""
    awards = list(outcome.awards)
    points = min(standing.points_debt, max(outcome.points, 0))
    credit = min(standing.credit_debt, outcome.credit)
    if points:
        awards.append(_recovery_line(POINTS, points))
    if credit:
        awards.append(_recovery_line(CREDIT, credit))
    return awards, points, credit


def _recovery_line(purse: str, amount: int) -> Line:
    what = explain.points(amount) if purse == POINTS else explain.money(amount)
    return Line(
        "debt_recovery",
        purse,
        -amount,
        Text(
            f"{what.en} kept back towards an earlier refund",
            f"{what.fa} بابت بازپرداخت یک مرجوعی قبلی کسر شد",
        ),
    )


def _standing_update(
    standing: MemberStanding,
    purchase: Purchase,
    basket: engine.Basket,
    points: int,
    recovered_points: int,
    recovered_credit: int,
    expires: datetime | None,
) -> sql.Statement:
    """Bring the standing up to date with this purchase: in hand now, and the UPDATE that
    writes it."""
    when = purchase.occurred_at
    sets = ["visit_count = visit_count + 1", "spend_total = spend_total + ?"]
    params: list[object] = [basket.amount]

    def add(assignment: str, value: object) -> None:
        sets.append(assignment)
        params.append(value)

    if points > 0:
        add("tier_points_total = tier_points_total + ?", points)
    standing.spend_total += basket.amount
    standing.tier_points_total += max(points, 0)
    # Offline stations replay older purchases: first and last visit keep their order.
    if standing.first_visit_at is None or when < standing.first_visit_at:
        add("first_visit_at = ?", when)
    if standing.last_visit_at is None or when > standing.last_visit_at:
        add("last_visit_at = ?", when)
    if recovered_points:
        add("points_debt = points_debt - ?", recovered_points)
    if recovered_credit:
        add("credit_debt = credit_debt - ?", recovered_credit)
    if expires is not None and (
        standing.next_expiry_at is None or expires < standing.next_expiry_at
    ):
        add("next_expiry_at = ?", expires)
    # Raw SQL: tortoise's update with F() expressions costs more CPU than its round trip.
    return f"UPDATE member_standing SET {', '.join(sets)} WHERE id = ?", [*params, standing.id]


def _discount_line(discount: PurchaseDiscount) -> Line:
    """A discount as it was given: a rule's line names the rule, a code's or reward's its kind."""
    by_rule = discount.source is DiscountSource.RULE
    return Line(
        RuleKind.DISCOUNT.value if by_rule else discount.source.value,
        DISCOUNT,
        discount.amount,
        Text(discount.reason, discount.reason_fa or discount.reason),
        discount.source_id if by_rule else None,
    )


async def _read_back(purchase: Purchase) -> _Written:
    """What a purchase recorded earlier gave, for a replayed request."""
    transactions = (
        await JournalTransaction.filter(
            purchase_id=purchase.id,
            member_id=purchase.member_id,  # type: ignore[attr-defined]
        )
        .exclude(kind=TransactionKind.REVERSAL)
        .order_by("id")
    )
    earned = [history.entry_of(txn) for txn in transactions]
    lines = [Line.from_json(raw) for txn in transactions for raw in txn.lines]
    discounts = await PurchaseDiscount.filter(purchase_id=purchase.id).order_by("id")
    return _Written(
        items=await PurchaseItem.filter(purchase_id=purchase.id).order_by("id"),
        earned=earned,
        discounts=[_discount_line(d) for d in discounts],
        lines=[line for line in lines if line.purse != UNLOCKED],
        unlocked=[line.text for line in lines if line.purse == UNLOCKED],
        tier_change=await TierChange.get_or_none(purchase_id=purchase.id),
    )
