"""What a purchase earns. The hook the rules engine plugs into.

An `EarningRule` looks at a purchase in context and returns awards, each with the reason
the member and the cashier are shown. The core has one rule: points per Rial spent.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from loyalty.ledger import Purse
from loyalty.money import format_money, format_points


@dataclass(frozen=True, slots=True)
class PurchaseContext:
    member_id: int
    branch_id: int
    amount: int
    occurred_at: datetime


@dataclass(frozen=True, slots=True)
class Award:
    rule: str
    purse: Purse
    amount: int
    reason: str


class EarningRule(Protocol):
    def evaluate(self, context: PurchaseContext) -> Sequence[Award]: ...


@dataclass(frozen=True, slots=True)
class PointsPerRial:
    """`points` points for every whole `per_rial` Rials of the purchase."""

    points: int
    per_rial: int

    def evaluate(self, context: PurchaseContext) -> Sequence[Award]:
        earned = context.amount // self.per_rial * self.points
        if earned <= 0:
            return ()
        return (
            Award(
                rule="points_per_rial",
                purse=Purse.POINTS,
                amount=earned,
                reason=f"{format_points(self.points)} per {format_money(self.per_rial)} spent",
            ),
        )


def evaluate(rules: Sequence[EarningRule], context: PurchaseContext) -> list[Award]:
    return [award for rule in rules for award in rule.evaluate(context)]
