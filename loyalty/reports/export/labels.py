"""What an export writes around the figures: headings in the chosen language, cells as text."""

from __future__ import annotations

from loyalty.programme.explain import Text, fa_number
from loyalty.reports import Built
from loyalty.reports.table import Column


def heading(built: Built, language: str) -> str:
    scope = built.scope
    where = scope.branch.name if scope.branch else Text("All branches", "همه شعبه‌ها").pick(language)
    return f"{built.kind.title.pick(language)} · {scope.period.text()} · {where}"


def title(column: Column, language: str) -> str:
    return column.title.pick(language) or column.key


def cell(value: object, column: Column, language: str) -> str:
    """A value as people read it: 1,250,000 (Persian digits in Persian), 12.5%."""
    if value is None:
        return "—"
    if column.kind == "share" and isinstance(value, float):
        text = f"{value * 100:.1f}%"
    elif isinstance(value, int) and column.kind != "number":
        text = f"{value:,}"
    else:
        text = str(value)
    return fa_number(text) if language == "fa" else text
