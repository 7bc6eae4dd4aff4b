"""What a game gives: points, credit, a voucher of a reward, or nothing ("try again").

Checked when a manager sets the game up; given through the ledger (points and credit) or as a
voucher code of the reward, the way redeeming a reward issues one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from loyalty import ledger, validation
from loyalty.errors import InvalidInput
from loyalty.ledger import Purse, SystemAccount
from loyalty.models import (
    BenefitKind,
    CouponCode,
    JournalTransaction,
    MemberStanding,
    PrizeKind,
    Reward,
    RewardKind,
    TransactionKind,
)
from loyalty.programme import coupons, expiry, explain, snapshot
from loyalty.programme.engine import CREDIT, POINTS, Line
from loyalty.programme.explain import Text


@dataclass(frozen=True, slots=True)
class PrizeSpec:
    """A prize as a manager writes it: `amount` is points or Rials of credit; a voucher names
    a voucher or free-product reward of the catalogue."""

    kind: PrizeKind
    amount: int = 0
    reward_id: int | None = None
    label: str = ""


async def cleaned(spec: PrizeSpec, field: str, *, try_again: bool) -> dict:
    """The prize's columns, checked: `field` names it in errors (e.g. prizes.2)."""
    kind = spec.kind
    if not isinstance(kind, PrizeKind) or (kind is PrizeKind.TRY_AGAIN and not try_again):
        raise InvalidInput("unknown prize kind", field=f"{field}.kind")
    amount, reward_id = 0, None
    if kind is PrizeKind.POINTS:
        amount = validation.positive_amount(
            spec.amount, field=f"{field}.amount", maximum=validation.MAX_POINTS
        )
    elif kind is PrizeKind.CREDIT:
        amount = validation.positive_amount(spec.amount, field=f"{field}.amount")
    elif kind is PrizeKind.VOUCHER:
        reward = await Reward.get_or_none(id=spec.reward_id) if spec.reward_id else None
        if reward is None or reward.kind is RewardKind.DISCOUNT:
            raise InvalidInput(
                "a voucher prize names a voucher or free-product reward of the catalogue",
                field=f"{field}.rewardId",
            )
        reward_id = reward.id
    return {
        "kind": kind,
        "amount": amount,
        "reward_id": reward_id,
        "label": validation.text(spec.label, field=f"{field}.label", max_length=100),
    }


def value(kind: PrizeKind, amount: int, reward: Reward | None, point_value: int) -> int:
    """What a prize costs the club in Rials, against a game's budget: credit at face value,
    points at the game's Rials a point; a voucher at the most it takes off (its amount, or a
    percent off's cap), else at its price in points."""
    if kind is PrizeKind.CREDIT:
        return amount
    if kind is PrizeKind.POINTS:
        return amount * point_value
    if kind is PrizeKind.VOUCHER and reward is not None:
        if reward.benefit is BenefitKind.AMOUNT_OFF:
            return reward.amount
        if reward.benefit is BenefitKind.PERCENT_OFF and reward.max_discount is not None:
            return reward.max_discount
        return reward.cost_points * point_value
    return 0


def describe(kind: PrizeKind, amount: int, reward: Reward | None, label: str = "") -> Text:
    """The prize in words: the manager's label if given."""
    if label:
        return Text(label, label)
    if kind is PrizeKind.POINTS:
        return explain.points(amount)
    if kind is PrizeKind.CREDIT:
        credit = explain.money(amount)
        return Text(f"{credit.en} of credit", f"{credit.fa} اعتبار")
    if kind is PrizeKind.VOUCHER:
        name = f": {reward.name}" if reward is not None else ""
        return Text(f"a voucher{name}", f"کوپن{name}")
    return Text("Try again", "دوباره امتحان کنید")


@dataclass(frozen=True, slots=True)
class Gift:
    transaction: JournalTransaction | None = None
    voucher: CouponCode | None = None


async def give(
    kind: PrizeKind,
    amount: int,
    reward: Reward | None,
    *,
    standing: MemberStanding,
    idempotency_key: str,
    request_hash: str,
    reason_code: str,
    reason: Text,
    at: datetime,
) -> Gift:
    """Give a prize to the member whose standing is locked by the caller's transaction.

    Points expire like earned points (they do not count towards tiers); credit comes from the
    club's prizes account.
    """
    member_id: int = standing.member_id  # type: ignore[attr-defined]
    if kind is PrizeKind.VOUCHER:
        assert reward is not None
        voucher = await coupons.issue_voucher(
            reward.coupon_id,  # type: ignore[attr-defined]
            member_id,
            at + timedelta(days=reward.voucher_days),
        )
        return Gift(voucher=voucher)
    if kind is PrizeKind.TRY_AGAIN:
        return Gift()
    accounts = ledger.member_accounts_of(
        member_id, standing.points_account_id, standing.credit_account_id
    )
    details = {
        "kind": TransactionKind.EARN,
        "member_id": member_id,
        "idempotency_key": idempotency_key,
        "request_hash": request_hash,
        "reason_code": reason_code,
        "reason": reason.en,
    }
    if kind is PrizeKind.CREDIT:
        line = Line(reason_code, CREDIT, amount, reason)
        transaction = await ledger.transfer_from(
            accounts[Purse.CREDIT],
            amount,
            SystemAccount.CREDIT_PRIZES,
            lines=[line.as_json()],
            **details,
        )
        return Gift(transaction=transaction)
    programme = await snapshot.current()
    expires = expiry.expires_at(programme.expiry_policy, at)  # type: ignore[arg-type]
    transaction = await ledger.transfer_from(
        accounts[Purse.POINTS],
        amount,
        SystemAccount.POINTS_ISSUED,
        lines=[Line(reason_code, POINTS, amount, reason).as_json()],
        points_expire_at=expires,
        **details,
    )
    if expires is not None and (
        standing.next_expiry_at is None or expires < standing.next_expiry_at
    ):
        await MemberStanding.filter(id=standing.id).update(next_expiry_at=expires)
        standing.next_expiry_at = expires
    return Gift(transaction=transaction)
