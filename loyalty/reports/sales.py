"""Sales: revenue and purchases, members against walk-ins, by branch, category and product, by
day and month, and by weekday and hour.

Revenue is net of refunds: a purchase's refunded Rials are taken off the purchase itself, on
the day it was made (not the day of the refund), so a period's figures do not change sign when
refunds land later. A product's or category's revenue takes off its lines' share of the refund
(each line in proportion to the purchase, rounded down). Discounts the club gave are shown
apart; revenue is what the purchases were worth before them, as campaign reports count it.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from loyalty import sql
from loyalty.actors import Actor
from loyalty.analysis import dialect
from loyalty.models import Branch, Role
from loyalty.programme.explain import Text
from loyalty.reports import rollups
from loyalty.reports.period import day_label, month_label, weekday_name, weekdays
from loyalty.reports.scope import Scope
from loyalty.reports.table import Chart, Table, column, share, table


@dataclass(slots=True)
class Figures:
    """Running sums of purchases (revenue net of refunds)."""

    purchases: int = 0
    revenue: int = 0
    refunded: int = 0
    discount: int = 0

    def add(self, purchases: int, amount: int, refunded: int, discount: int) -> None:
        self.purchases += purchases
        self.revenue += amount - refunded
        self.refunded += refunded
        self.discount += discount


@dataclass(frozen=True, slots=True)
class BuyerRow:
    buyers: str = column("Buyers", "خریداران", "text")
    purchases: int = column("Purchases", "خرید")
    revenue: int = column("Revenue", "درآمد", "rial")
    revenue_share: float = column("Share of revenue", "سهم از درآمد", "share")
    average_purchase: int = column("Average purchase", "میانگین خرید", "rial")


@dataclass(frozen=True, slots=True)
class LabelledRow:
    label: str = column("", "", "text")
    purchases: int = column("Purchases", "خرید")
    revenue: int = column("Revenue", "درآمد", "rial")
    refunded: int = column("Refunded", "مرجوعی", "rial")
    discount: int = column("Discounts", "تخفیف", "rial")


@dataclass(frozen=True, slots=True)
class ProductRow:
    category: str = column("Category", "دسته", "text")
    sku: str = column("SKU", "کد کالا", "text")
    name: str = column("Product", "کالا", "text")
    quantity: int = column("Quantity", "تعداد")
    revenue: int = column("Revenue", "درآمد", "rial")


@dataclass(frozen=True, slots=True)
class CategoryRow:
    category: str = column("Category", "دسته", "text")
    quantity: int = column("Quantity", "تعداد")
    revenue: int = column("Revenue", "درآمد", "rial")


@dataclass(frozen=True, slots=True)
class HourRow:
    weekday: str = column("Weekday", "روز هفته", "text")
    hour: int = column("Hour", "ساعت", "number")
    purchases: int = column("Purchases", "خرید")
    revenue: int = column("Revenue", "درآمد", "rial")


@dataclass(frozen=True, slots=True)
class SalesReport:
    scope: Scope
    buyers: list[BuyerRow]  # members, non-members, all
    by_branch: list[LabelledRow]
    by_day: list[LabelledRow]
    by_month: list[LabelledRow]
    by_weekday_hour: list[HourRow]  # every weekday (club order) x hour 0-23
    by_category: list[CategoryRow]
    by_product: list[ProductRow]

    def tables(self, language: str = "fa") -> list[Table]:
        label = lambda en, fa: Text(en, fa)  # noqa: E731
        return [
            table("buyers", label("Members and non-members", "اعضا و غیراعضا"), BuyerRow,
                  self.buyers, Chart("bar", "buyers", ("revenue",))),
            _labelled("by_branch", label("By branch", "بر اساس شعبه"), "Branch", "شعبه",
                      self.by_branch, "bar"),
            _labelled("by_day", label("By day", "روزانه"), "Day", "روز", self.by_day, "line"),
            _labelled("by_month", label("By month", "ماهانه"), "Month", "ماه", self.by_month,
                      "bar"),
            table("by_weekday_hour", label("By weekday and hour", "روز هفته و ساعت"), HourRow,
                  self.by_weekday_hour, Chart("heatmap", "hour", ("weekday",), "purchases")),
            table("by_category", label("By category", "بر اساس دسته"), CategoryRow,
                  self.by_category, Chart("bar", "category", ("revenue",))),
            table("by_product", label("By product", "بر اساس کالا"), ProductRow, self.by_product),
        ]  # fmt: skip


def _labelled(
    key: str, title: Text, en: str, fa: str, rows: list[LabelledRow], chart: str
) -> Table:
    made = table(key, title, LabelledRow, rows, Chart(chart, "label", ("revenue",)))  # type: ignore[arg-type]
    first = made.columns[0]
    made.columns[0] = type(first)(first.key, Text(en, fa), first.kind)
    return made


# From the roll-ups (loyalty/reports/rollups.py), refreshed first: hours and days, not
# purchases, so a year costs what a month does times twelve, whatever the club's size.
_BY_HOUR = """
SELECT hour, is_member, SUM(purchases) AS purchases, SUM(amount) AS amount,
       SUM(refunded) AS refunded, SUM(discount) AS discount
FROM sales_hour
WHERE hour >= ? AND hour < ?{branch}
GROUP BY hour, is_member
"""
_BY_BRANCH = """
SELECT branch_id, SUM(purchases) AS purchases, SUM(amount) AS amount,
       SUM(refunded) AS refunded, SUM(discount) AS discount
FROM sales_hour
WHERE hour >= ? AND hour < ?{branch}
GROUP BY branch_id
"""
_BY_ITEM = """
SELECT category, sku, MAX(name) AS name, SUM(quantity) AS quantity, SUM(revenue) AS revenue
FROM sales_item_day
WHERE day >= ? AND day <= ?{branch}
GROUP BY category, sku
"""


def _figures(row: dict) -> tuple[int, int, int, int]:
    return int(row["purchases"]), int(row["amount"]), int(row["refunded"]), int(row["discount"])


async def sales(actor: Actor, scope: Scope) -> SalesReport:
    actor.require_staff(Role.MANAGER)
    await rollups.refresh(rollups.REPORT_BUDGET)
    period = scope.period
    params: list = list(rollups.hours_of(period.first, period.last))
    branch = scope.branch_filter("branch_id", params)
    buyers = {0: Figures(), 1: Figures()}
    by_day: dict = {day: Figures() for day in period.days}
    by_month: dict[str, Figures] = {month_label(day): Figures() for day in period.days}
    by_hour: dict[tuple[int, int], Figures] = defaultdict(Figures)
    for row in await sql.fetch(_BY_HOUR.format(branch=branch), params):
        day, hour = dialect.date_of(int(row["hour"]) // 24), int(row["hour"]) % 24
        figures = _figures(row)
        for target in (
            buyers[int(row["is_member"])],
            by_day[day],
            by_month[month_label(day)],
            by_hour[(day.weekday(), hour)],
        ):
            target.add(*figures)
    by_branch: dict[int, Figures] = defaultdict(Figures)
    for row in await sql.fetch(_BY_BRANCH.format(branch=branch), params):
        by_branch[row["branch_id"]].add(*_figures(row))
    names = {b.id: b.name for b in await Branch.filter(id__in=list(by_branch))}
    day_params: list = [*period.day_numbers]
    items = await sql.fetch(
        _BY_ITEM.format(branch=scope.branch_filter("branch_id", day_params)), day_params
    )
    categories: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for item in items:
        categories[item["category"]][0] += int(item["quantity"])
        categories[item["category"]][1] += int(item["revenue"])
    return SalesReport(
        scope=scope,
        buyers=_buyers(buyers[1], buyers[0]),
        by_branch=[
            _row(names.get(b, str(b)), f)
            for b, f in sorted(by_branch.items(), key=lambda i: -i[1].revenue)
        ],
        by_day=[_row(day_label(day), f) for day, f in by_day.items()],
        by_month=[_row(month, f) for month, f in by_month.items()],
        by_weekday_hour=[
            HourRow(weekday_name(w), h, by_hour[(w, h)].purchases, by_hour[(w, h)].revenue)
            for w in weekdays()
            for h in range(24)
        ],
        by_category=sorted(
            (CategoryRow(c or "—", q, r) for c, (q, r) in categories.items()),
            key=lambda r: -r.revenue,
        ),
        by_product=sorted(
            (
                ProductRow(
                    i["category"] or "—", i["sku"], i["name"], int(i["quantity"]), int(i["revenue"])
                )
                for i in items
            ),
            key=lambda r: -r.revenue,
        ),
    )


def _row(label: str, f: Figures) -> LabelledRow:
    return LabelledRow(label, f.purchases, f.revenue, f.refunded, f.discount)


def _buyers(members: Figures, others: Figures) -> list[BuyerRow]:
    total = members.revenue + others.revenue

    def row(label: str, purchases: int, revenue: int) -> BuyerRow:
        average = revenue // purchases if purchases else 0
        return BuyerRow(label, purchases, revenue, share(revenue, total), average)

    return [
        row("اعضا / members", members.purchases, members.revenue),
        row("غیراعضا / non-members", others.purchases, others.revenue),
        row("همه / all", members.purchases + others.purchases, total),
    ]
