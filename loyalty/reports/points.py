"""Points and credit: what was issued, redeemed and expired in the period, and what the club
owes at its end.

Figures come from the ledger's system accounts (each the negated sum of what members got from
it), so reversals count against what they reverse: points issued are net of earnings taken
back. Outstanding balances are the members' accounts as they stood at the end of the period:
their cached balances now, less what was posted to them since. The liability is the points
outstanding at a point's value (the `liability` policy) plus the credit outstanding. Balances
are the club's, not a branch's: a branch's report shows its own movements and the club's
liability.
"""

from __future__ import annotations

from dataclasses import dataclass

from loyalty import sql
from loyalty.actors import Actor
from loyalty.analysis import dialect
from loyalty.ledger import SystemAccount
from loyalty.models import BenefitKind, Reward, Role, Unit
from loyalty.programme import policies
from loyalty.programme.explain import Text
from loyalty.reports import rollups
from loyalty.reports.scope import Scope
from loyalty.reports.table import Chart, Table, column, table


@dataclass(frozen=True, slots=True)
class MovementRow:
    movement: str = column("Movement", "گردش", "text")
    unit: str = column("Unit", "واحد", "text")
    amount: int = column("Amount", "مقدار", "number")


@dataclass(frozen=True, slots=True)
class LiabilityRow:
    points_outstanding: int = column("Points outstanding", "امتیاز مانده", "points")
    point_value: int = column("A point's value", "ارزش هر امتیاز", "rial")
    points_liability: int = column("Points liability", "بدهی امتیاز", "rial")
    credit_outstanding: int = column("Credit outstanding", "اعتبار مانده", "rial")
    liability: int = column("Total liability", "کل بدهی", "rial")


# What each system account's movements are called; its sign flipped so members' gains read
# positive (points issued) and their uses too (points redeemed).
_MOVEMENTS: list[tuple[SystemAccount, str, int]] = [
    (SystemAccount.POINTS_ISSUED, "points issued / امتیاز صادرشده", -1),
    (SystemAccount.POINTS_REDEEMED, "points redeemed / امتیاز خرج‌شده", 1),
    (SystemAccount.POINTS_EXPIRED, "points expired / امتیاز منقضی", 1),
    (SystemAccount.POINTS_ADJUSTMENT, "points adjusted / اصلاح امتیاز", -1),
    (SystemAccount.CREDIT_TOPPED_UP, "credit topped up / شارژ اعتبار", -1),
    (SystemAccount.CREDIT_CASHBACK, "cash-back / بازگشت نقدی", -1),
    (SystemAccount.CREDIT_PRIZES, "credit prizes / جایزه اعتبار", -1),
    (SystemAccount.CREDIT_SPENT, "credit spent / اعتبار خرج‌شده", 1),
    (SystemAccount.CREDIT_ADJUSTMENT, "credit adjusted / اصلاح اعتبار", -1),
]


@dataclass(frozen=True, slots=True)
class PointsReport:
    scope: Scope
    movements: list[MovementRow]
    liability: LiabilityRow

    def tables(self, language: str = "fa") -> list[Table]:
        return [
            table("points", Text("Points in the period", "گردش امتیاز"), MovementRow,
                  [m for m in self.movements if m.unit == Unit.POINTS.value],
                  Chart("bar", "movement", ("amount",))),
            table("credit", Text("Credit in the period", "گردش اعتبار"), MovementRow,
                  [m for m in self.movements if m.unit == Unit.RIAL.value],
                  Chart("bar", "movement", ("amount",))),
            table("liability", Text("Liability at the end", "بدهی در پایان دوره"),
                  LiabilityRow, [self.liability]),
        ]  # fmt: skip


# From the ledger roll-up (loyalty/reports/rollups.py), refreshed first: days, not postings.
_MOVED = """
SELECT code, SUM(amount) AS amount FROM ledger_day
WHERE day >= ? AND day <= ?{branch}
GROUP BY code
"""
_HELD_NOW = """
SELECT a.unit AS unit, SUM(a.balance) AS amount FROM account a
WHERE a.member_id IS NOT NULL GROUP BY a.unit
"""
# What members were posted since is what the system accounts were posted, negated: every
# transaction's legs sum to zero (the reconcile job checks it).
_SYSTEM_POSTED_AFTER = """
SELECT unit, SUM(amount) AS amount FROM ledger_day WHERE day > ? GROUP BY unit
"""


async def point_value() -> int:
    """Rials a point is worth: the `liability` policy's, else the catalogue's."""
    policy, _ = await policies.load("liability")
    if policy.point_value:  # type: ignore[attr-defined]
        return policy.point_value  # type: ignore[attr-defined]
    rewards = await Reward.filter(
        active=True, benefit=BenefitKind.AMOUNT_OFF, cost_points__gt=0, amount__gt=0
    )
    if not rewards:
        return 0
    return round(sum(r.amount / r.cost_points for r in rewards) / len(rewards))


async def outstanding(scope: Scope) -> dict[Unit, int]:
    """What members held at the end of the period, per unit."""
    held = {Unit(r["unit"]): int(r["amount"]) for r in await sql.fetch(_HELD_NOW, [])}
    last = dialect.day_number_of(scope.period.last)
    for row in await sql.fetch(_SYSTEM_POSTED_AFTER, [last]):
        held[Unit(row["unit"])] = held.get(Unit(row["unit"]), 0) + int(row["amount"])
    return held


async def points_and_credit(actor: Actor, scope: Scope) -> PointsReport:
    actor.require_staff(Role.MANAGER)
    await rollups.refresh(rollups.REPORT_BUDGET)
    period = scope.period
    params: list = [*period.day_numbers]
    branch = scope.branch_filter("branch_id", params)
    moved = {
        r["code"]: int(r["amount"]) for r in await sql.fetch(_MOVED.format(branch=branch), params)
    }
    held = await outstanding(scope)
    value = await point_value()
    points, credit = held.get(Unit.POINTS, 0), held.get(Unit.RIAL, 0)
    return PointsReport(
        scope=scope,
        movements=[
            MovementRow(name, account.unit.value, sign * moved.get(account.value, 0))
            for account, name, sign in _MOVEMENTS
        ],
        liability=LiabilityRow(points, value, points * value, credit, points * value + credit),
    )
