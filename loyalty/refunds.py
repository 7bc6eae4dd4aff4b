"""Refunds: all or part of a purchase, and what it earned taken back.

The policy:

- A refund takes back what the purchase earned the member, points and cash-back credit alike
  (both are legs of the purchase's one EARN transaction), in proportion to the share refunded.
  The share is floored on the running total: all refunds of a purchase so far owe
  `earned × refunded ÷ amount`, rounded down, and each refund takes the difference. So no
  refund takes a fraction more than is due, and the one that completes the purchase takes
  back exactly everything it earned.
- What a purchase earned includes what it kept back to repay an earlier debt (its
  `debt_recovery` lines): refunding it takes that back too, so the debt it repaid returns.
- Taken from what the member holds: if they already spent it, the refund takes what they hold
  and the shortfall becomes debt (`MemberStanding.points_debt` / `credit_debt`), kept back from
  their later purchase earnings (`purchases._apply_programme`). Balances never go below zero,
  and a debt is recovered only from earnings, never from later refunds or adjustments.
- The earning stops counting towards tiers at once, recovered or not: each reversal carries
  `tier_points` = minus the points due. A refund whose due the member cannot pay at all still
  writes its reversal (with no legs) for that record.
- Rules that depended on the purchase: a referral reward paid for it (an EARN of the referrer
  with this `purchase_id`, the referee's qualifying purchase) is reversed in full, the referral
  marked REVERSED, when the purchase becomes refunded in full (in one refund, or by the partial
  refund that completes it). While any part of the qualifying purchase stands, so does the
  reward. The referrer's shortfall becomes their debt the same way; the award still counts
  against the referral rule's cap, so refunding and buying again earns nothing more.
- A purchase refunded in full also gives back what the member used on it: the points paid for
  discount rewards (and the rewards' stock), and the uses of the coupon codes. A reward so
  returned still counts against its per-member limit. A partial refund returns neither: the
  discount stays on what the member kept.
- Stamps the purchase earned on stamp cards come back the same way, in the share refunded; a
  card that was filled since gives back its unused voucher, or is owed the stamps (see
  `loyalty.stamps.earning`).
- Each refund is one database transaction, under the member's standing lock (then the
  referrer's), so a refund and a purchase of the same member cannot race over the debt.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from tortoise.expressions import F

from loyalty import leaderboard, ledger, validation
from loyalty.actors import Actor
from loyalty.errors import DomainError, ErrorCode, NotFound
from loyalty.idempotency import check_key, derived_key, request_hash, run_once
from loyalty.ledger import Balances, Purse, SystemAccount
from loyalty.models import (
    Coupon,
    CouponCode,
    JournalTransaction,
    MemberStanding,
    Purchase,
    PurchaseDiscount,
    Referral,
    ReferralStatus,
    Reversal,
    Reward,
    RewardRedemption,
    Role,
    TransactionKind,
)
from loyalty.money import format_money
from loyalty.programme import explain
from loyalty.programme import standing as standings
from loyalty.programme.engine import CREDIT, POINTS, Line
from loyalty.programme.explain import Text
from loyalty.stamps import earning as stamps

TAKEN, OWED = "refund", "refund_owed"
NOTHING_OWED = Balances(points=0, credit=0)
_COUNTERPART = {POINTS: SystemAccount.POINTS_ISSUED, CREDIT: SystemAccount.CREDIT_CASHBACK}


@dataclass(frozen=True, slots=True)
class RefundResult:
    purchase: Purchase
    refund: Reversal
    reversed: list[JournalTransaction]
    balances: Balances | None
    replayed: bool
    # What this refund could not take from the member (already spent): now their debt.
    owed: Balances = NOTHING_OWED


async def refund(
    actor: Actor,
    *,
    purchase_id: int,
    idempotency_key: str,
    amount: int | None = None,
    reason: str = "",
) -> RefundResult:
    """Refund all or part of a purchase (`amount` None: what is left of it); what it earned
    comes back out as the module's policy says."""
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
    member_id: int | None = purchase.member_id  # type: ignore[attr-defined]

    async def write() -> Reversal:
        if amount is None and refund_amount == 0:
            # Refunding "the rest" of a purchase refunded in full, perhaps a moment ago.
            raise DomainError(
                "this purchase was already refunded in full",
                code=ErrorCode.REFUND_EXCEEDS_PURCHASE,
            )
        validation.positive_amount(refund_amount, field="amount")
        # The UPDATE holds the purchase's row: refunds of one purchase run one after the other.
        claimed = await Purchase.filter(
            id=purchase_id, refunded_amount__lte=purchase.amount - refund_amount
        ).update(refunded_amount=F("refunded_amount") + refund_amount)
        if not claimed:
            raise DomainError(
                f"refund of {format_money(refund_amount)} exceeds what is left to refund",
                code=ErrorCode.REFUND_EXCEEDS_PURCHASE,
            )
        total = int(
            await Purchase.get(id=purchase_id).values_list("refunded_amount", flat=True)  # type: ignore[arg-type]
        )
        reversal = await Reversal.create(
            idempotency_key=key,
            request_hash=digest,
            purchase_id=purchase_id,
            amount=refund_amount,
            reason=reason or "refund",
            staff_id=actor.staff_id,
        )
        if member_id is None:
            return reversal

        def share(value: int, refunded: int) -> int:
            return value * refunded // purchase.amount

        for earned in await JournalTransaction.filter(
            purchase_id=purchase_id, member_id=member_id, kind=TransactionKind.EARN
        ).order_by("id"):
            points, credit = earned_by(earned)
            await _take_back(
                actor,
                earned,
                reversal,
                digest,
                points=share(points, total) - share(points, total - refund_amount),
                credit=share(credit, total) - share(credit, total - refund_amount),
                heading="Refund of purchase",
            )
        await stamps.take_back(
            purchase, reversal, refunded_before=total - refund_amount, refunded_after=total
        )
        if total == purchase.amount:
            await _reverse_referral_reward(actor, purchase, reversal, digest)
            await _give_back_what_was_used(actor, purchase, reversal, digest)
        return reversal

    with leaderboard.collecting() as taken_back:
        reversal, replayed = await run_once(
            digest, lambda: Reversal.get_or_none(idempotency_key=key), write
        )
    if not replayed:
        await leaderboard.record_points(taken_back)
    await purchase.refresh_from_db()
    reversed_ = await JournalTransaction.filter(
        idempotency_key__startswith=derived_key("refund", reversal.id) + ":"
    ).order_by("id")
    if member_id is None:
        return RefundResult(purchase, reversal, reversed_, None, replayed)
    own = [txn for txn in reversed_ if txn.member_id == member_id]  # type: ignore[attr-defined]
    return RefundResult(
        purchase,
        reversal,
        reversed_,
        await ledger.balances(member_id),
        replayed,
        Balances(points=_owed(own, POINTS), credit=_owed(own, CREDIT)),
    )


def earned_by(earned: JournalTransaction) -> tuple[int, int]:
    """Points and credit an EARN transaction gave, with what it kept back to repay a debt."""
    recovered = {POINTS: 0, CREDIT: 0}
    for raw in earned.lines:
        if raw.get("code") == "debt_recovery" and raw.get("purse") in recovered:
            recovered[raw["purse"]] -= raw["amount"]
    return earned.points + recovered[POINTS], earned.credit + recovered[CREDIT]


def _owed(transactions: list[JournalTransaction], purse: str) -> int:
    return -sum(
        raw["amount"]
        for txn in transactions
        for raw in txn.lines
        if raw.get("code") == OWED and raw.get("purse") == purse
    )


def _amount(purse: str, value: int) -> Text:
    return (
        explain.points(value)
        if purse == POINTS
        else explain.money(value) + Text(" of credit", " اعتبار")
    )


async def _take_back(
    actor: Actor,
    earned: JournalTransaction,
    reversal: Reversal,
    digest: str,
    *,
    points: int,
    credit: int,
    heading: str,
) -> None:
    """Take `points` and `credit` due back from the member who earned them, as far as they
    hold them; the rest becomes their debt. One REVERSAL transaction pointing at `earned`."""
    if points <= 0 and credit <= 0:
        return
    member_id: int = earned.member_id  # type: ignore[attr-defined]
    own = await standings.lock(member_id)
    held = await ledger.balances(member_id)
    accounts = ledger.member_accounts_of(member_id, own.points_account_id, own.credit_account_id)
    purses = {
        POINTS: (Purse.POINTS, points, held.points),
        CREDIT: (Purse.CREDIT, credit, held.credit),
    }
    legs: list[ledger.Leg] = []
    lines: list[Line] = []
    taken_words: list[str] = []
    owed_words: list[str] = []
    debt: dict[str, object] = {}
    for purse, (which, due, holds) in purses.items():
        if due <= 0:
            continue
        taken = min(due, holds)
        owed = due - taken
        if taken:
            legs += [
                ledger.Leg(accounts[which], -taken),
                ledger.Leg(await ledger.system_account(_COUNTERPART[purse]), taken),
            ]
            amount = _amount(purse, taken)
            lines.append(
                Line(
                    TAKEN,
                    purse,
                    -taken,
                    Text(f"{amount.en} taken back", f"{amount.fa} پس گرفته شد"),
                )
            )
            taken_words.append(amount.en)
        if owed:
            amount = _amount(purse, owed)
            lines.append(
                Line(
                    OWED,
                    purse,
                    -owed,
                    Text(
                        f"{amount.en} already spent: owed, kept back from later earnings",
                        f"{amount.fa} پیش‌تر خرج شده بود و از دریافتی‌های بعدی کسر می‌شود",
                    ),
                )
            )
            owed_words.append(amount.en)
            debt[f"{purse}_debt"] = F(f"{purse}_debt") + owed
    said = []
    if taken_words:
        said.append(" and ".join(taken_words) + " taken back")
    if owed_words:
        said.append(" and ".join(owed_words) + " owed (already spent)")
    await ledger.post(
        kind=TransactionKind.REVERSAL,
        member_id=member_id,
        legs=legs,
        idempotency_key=derived_key("refund", reversal.id, earned.id),
        request_hash=digest,
        reason_code=f"refund_{earned.reason_code}",
        reason=f"{heading}: {', '.join(said)}",
        purchase_id=earned.purchase_id,  # type: ignore[attr-defined]
        reverses_id=earned.id,
        staff_id=actor.staff_id,
        branch_id=earned.branch_id,  # type: ignore[attr-defined]
        lines=[line.as_json() for line in lines],
        tier_points=-points,
    )
    if debt:
        await MemberStanding.filter(id=own.id).update(**debt)


async def _give_back_what_was_used(
    actor: Actor, purchase: Purchase, reversal: Reversal, digest: str
) -> None:
    """The purchase is refunded in full: the points paid for rewards on it come back, with the
    rewards' stock, and the codes used on it may be used again."""
    redemptions = await RewardRedemption.filter(purchase_id=purchase.id).prefetch_related(
        "reward", "transaction__postings__account"
    )
    for redemption in redemptions:
        spent: JournalTransaction = redemption.transaction  # type: ignore[assignment]
        reward: Reward = redemption.reward  # type: ignore[assignment]
        await ledger.post(
            kind=TransactionKind.REVERSAL,
            member_id=purchase.member_id,  # type: ignore[attr-defined]
            legs=[ledger.Leg(p.account, -p.amount) for p in spent.postings],
            idempotency_key=derived_key("refund", reversal.id, "reward", redemption.id),
            request_hash=digest,
            reason_code="refund_reward",
            reason=f"Points for {reward.name} given back: the purchase was refunded",
            purchase_id=purchase.id,
            reverses_id=spent.id,
            staff_id=actor.staff_id,
            branch_id=purchase.branch_id,  # type: ignore[attr-defined]
        )
        if reward.stock is not None:
            await Reward.filter(id=reward.id).update(stock=F("stock") + 1)
    codes = await PurchaseDiscount.filter(purchase_id=purchase.id, code_id__not_isnull=True)
    for used in codes:
        code = await CouponCode.get(id=used.code_id)  # type: ignore[attr-defined]
        await CouponCode.filter(id=code.id, uses__gt=0).update(uses=F("uses") - 1)
        await Coupon.filter(id=code.coupon_id, used_total__gt=0).update(  # type: ignore[attr-defined]
            used_total=F("used_total") - 1
        )


async def _reverse_referral_reward(
    actor: Actor, purchase: Purchase, reversal: Reversal, digest: str
) -> None:
    """The purchase that earned a referrer their reward is refunded in full: take it back."""
    referral = await Referral.get_or_none(purchase_id=purchase.id, status=ReferralStatus.REWARDED)
    if referral is None:
        return
    await Referral.filter(id=referral.id, status=ReferralStatus.REWARDED).update(
        status=ReferralStatus.REVERSED,
        note="the friend's qualifying purchase was refunded in full",
        decided_at=datetime.now(UTC),
    )
    reward = await JournalTransaction.get(id=referral.transaction_id)  # type: ignore[attr-defined]
    points, credit = earned_by(reward)
    await _take_back(
        actor,
        reward,
        reversal,
        digest,
        points=points,
        credit=credit,
        heading="Referral reward taken back (the friend's purchase was refunded)",
    )
