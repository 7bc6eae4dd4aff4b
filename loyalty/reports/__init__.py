"""The club's reports, by name: each a function of the actor and a scope (a period of
club-local days and perhaps a branch) giving a typed result that is also a list of tables.

`REPORTS` is the one list the CLI, GraphQL and the benchmark go through."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Protocol

from loyalty.actors import Actor
from loyalty.errors import InvalidInput
from loyalty.programme.explain import Text
from loyalty.reports import rollups
from loyalty.reports.members import members
from loyalty.reports.offers import offers
from loyalty.reports.period import Period
from loyalty.reports.points import points_and_credit
from loyalty.reports.sales import sales
from loyalty.reports.scope import Scope, scope_for
from loyalty.reports.surveys import surveys
from loyalty.reports.table import Table


class Tabular(Protocol):
    scope: Scope

    def tables(self, language: str = "fa") -> list[Table]: ...


@dataclass(frozen=True, slots=True)
class ReportKind:
    name: str
    title: Text
    build: Callable[[Actor, Scope], Awaitable[Tabular]]
    rolled_up: bool = False  # reads the roll-ups (loyalty.reports.rollups)


REPORTS: dict[str, ReportKind] = {
    kind.name: kind
    for kind in (
        ReportKind("sales", Text("Sales", "فروش"), sales, rolled_up=True),
        ReportKind("members", Text("Members", "اعضا"), members, rolled_up=True),
        ReportKind(
            "points",
            Text("Points and credit", "امتیاز و اعتبار"),
            points_and_credit,
            rolled_up=True,
        ),
        ReportKind("offers", Text("Offers, vouchers and campaigns", "پیشنهادها و کمپین‌ها"), offers),
        ReportKind("surveys", Text("Surveys and happy calls", "نظرسنجی و تماس رضایت"), surveys),
    )
}


@dataclass(frozen=True, slots=True)
class Built:
    kind: ReportKind
    result: Tabular

    @property
    def scope(self) -> Scope:
        return self.result.scope


async def build(
    actor: Actor,
    name: str,
    first: str,
    last: str,
    branch_code: str | None = None,
    *,
    wait: bool = False,
) -> Built:
    """A report by name, for dates written in the club's calendar (managers). With `wait`, a
    first fill of the roll-ups is waited for (the shell), not cut at the report's budget."""
    kind = REPORTS.get(name)
    if kind is None:
        raise InvalidInput(f"unknown report {name!r}; one of {', '.join(REPORTS)}", field="name")
    period = Period.written(first, last)
    scope = await scope_for(actor, period, branch_code)
    if wait and kind.rolled_up:
        await rollups.refresh()
    return Built(kind, await kind.build(actor, scope))


__all__ = ["REPORTS", "Built", "Period", "ReportKind", "Scope", "Table", "build", "scope_for"]
