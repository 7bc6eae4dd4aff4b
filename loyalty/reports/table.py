"""What every report is: typed sections whose rows are dataclasses, each section also a table
(named columns, rows of plain values) that the exports and GraphQL show the same way."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any, Literal

from loyalty.programme.explain import Text

# How a column's values read: Rials, points, a count, a share (0-1), a number, or words.
Kind = Literal["text", "count", "rial", "points", "share", "number"]
ChartKind = Literal["bar", "line", "heatmap"]


def column(en: str, fa: str, kind: Kind = "count") -> Any:
    """A row field that is a table column, with its headings."""
    return field(metadata={"title": Text(en, fa), "kind": kind})


@dataclass(frozen=True, slots=True)
class Column:
    key: str
    title: Text
    kind: Kind


@dataclass(frozen=True, slots=True)
class Chart:
    """How a table is drawn: `x` along the bottom and `y` as bars or lines; a heat map puts
    `x` across, `y[0]` down and colours by `value`."""

    kind: ChartKind
    x: str
    y: tuple[str, ...]
    value: str = ""


@dataclass(frozen=True, slots=True)
class Table:
    key: str
    title: Text
    columns: list[Column]
    rows: list[tuple]
    chart: Chart | None = None

    def values(self, key: str) -> list:
        index = [c.key for c in self.columns].index(key)
        return [row[index] for row in self.rows]


def columns_of(row_type: type) -> list[Column]:
    return [Column(f.name, f.metadata["title"], f.metadata["kind"]) for f in fields(row_type)]


def table(key: str, title: Text, row_type: type, rows: list, chart: Chart | None = None) -> Table:
    names = [f.name for f in fields(row_type)]
    return Table(
        key, title, columns_of(row_type), [tuple(getattr(r, n) for n in names) for r in rows], chart
    )


def share(part: int, whole: int) -> float:
    return round(part / whole, 4) if whole else 0.0
