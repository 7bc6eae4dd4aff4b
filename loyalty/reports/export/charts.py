"""A report's charts drawn with matplotlib, in DejaVu Sans, which matplotlib ships and which
covers the Arabic script. Matplotlib from 3.11 lays text out with libraqm (joined, right to
left); an older one draws glyphs left to right, unjoined, so Persian is shaped and reordered
for it first (done for the newer one too, that would reverse it again)."""

from __future__ import annotations

import io
import re

import arabic_reshaper
from bidi import get_display
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ft2font import FT2Font

from loyalty.programme.explain import Text
from loyalty.reports import Built
from loyalty.reports.export.labels import heading, title
from loyalty.reports.table import Table

WIDTH_INCHES = 10
HEIGHT_INCHES = 3.6
DPI = 100
MOST_BARS = 15  # the largest, of a long table
MOST_TICKS = 16

_LAYS_OUT_TEXT = hasattr(FT2Font, "_layout")
_ARABIC_SCRIPT = re.compile(r"[\u0600-\u06FF\uFB50-\uFDFF\uFE70-\uFEFF]")


def shaped(text: str) -> str:
    """Text as matplotlib must be given it to show Persian right."""
    if _LAYS_OUT_TEXT or not _ARABIC_SCRIPT.search(text):
        return text
    return get_display(arabic_reshaper.reshape(text))


def drawable(table: Table) -> bool:
    chart = table.chart
    if chart is None or not table.rows:
        return False
    keys = (chart.value,) if chart.kind == "heatmap" else chart.y
    return any(v for key in keys for v in table.values(key))


def _heatmap(ax: Axes, table: Table, language: str) -> None:
    chart = table.chart
    assert chart is not None
    rows: list[str] = list(dict.fromkeys(table.values(chart.y[0])))
    columns = list(dict.fromkeys(table.values(chart.x)))
    grid = [[0] * len(columns) for _ in rows]
    for y, x, value in zip(
        table.values(chart.y[0]), table.values(chart.x), table.values(chart.value), strict=True
    ):
        grid[rows.index(y)][columns.index(x)] = value
    image = ax.imshow(grid, aspect="auto", cmap="YlOrRd")
    ax.set_yticks(range(len(rows)), [shaped(r) for r in rows])
    ax.set_xticks(range(len(columns)), [str(c) for c in columns])
    ax.figure.colorbar(image, ax=ax)


def _series(ax: Axes, table: Table, language: str) -> None:
    chart = table.chart
    assert chart is not None
    names = {c.key: title(c, language) for c in table.columns}
    labels = [shaped(str(v)) for v in table.values(chart.x)]
    series = {key: table.values(key) for key in chart.y}
    if chart.kind == "bar" and len(labels) > MOST_BARS:
        order = sorted(range(len(labels)), key=lambda i: -(series[chart.y[0]][i] or 0))[:MOST_BARS]
        labels = [labels[i] for i in order]
        series = {k: [v[i] for i in order] for k, v in series.items()}
    positions = range(len(labels))
    width = 0.8 / len(series)
    for n, (key, values) in enumerate(series.items()):
        values = [v or 0 for v in values]
        if chart.kind == "line":
            ax.plot(positions, values, label=shaped(names[key]))
        else:
            ax.bar([p + n * width for p in positions], values, width, label=shaped(names[key]))
    step = max(1, len(labels) // MOST_TICKS)
    ax.set_xticks(list(positions)[::step], labels[::step], rotation=30, ha="right", fontsize=8)
    ax.ticklabel_format(axis="y", style="plain", useOffset=False)
    ax.yaxis.set_major_formatter("{x:,.0f}")
    if len(series) > 1:
        ax.legend(fontsize=8)


def draw(ax: Axes, table: Table, language: str) -> None:
    ax.set_title(shaped(table.title.pick(language)))
    assert table.chart is not None
    (_heatmap if table.chart.kind == "heatmap" else _series)(ax, table, language)


def _png(figure: Figure) -> bytes:
    out = io.BytesIO()
    figure.savefig(out, format="png", dpi=DPI)
    return out.getvalue()


def chart_png(table: Table, language: str = "fa") -> bytes:
    figure = Figure(figsize=(WIDTH_INCHES, HEIGHT_INCHES), dpi=DPI, layout="constrained")
    draw(figure.subplots(), table, language)
    return _png(figure)


def png_bytes(built: Built, language: str = "fa") -> bytes:
    """Every chart of the report, one under another, under the report's heading (a report
    with nothing to draw gives the heading alone)."""
    tables = [t for t in built.result.tables(language) if drawable(t)]
    figure = Figure(
        figsize=(WIDTH_INCHES, HEIGHT_INCHES * max(1, len(tables)) + 0.6),
        dpi=DPI,
        layout="constrained",
    )
    figure.suptitle(shaped(heading(built, language)))
    axes = figure.subplots(max(1, len(tables)), 1, squeeze=False)[:, 0]
    if not tables:
        axes[0].axis("off")
        nothing = Text("Nothing to draw in this period", "در این دوره نموداری برای نمایش نیست")
        axes[0].text(0.5, 0.5, shaped(nothing.pick(language)), ha="center", va="center")
    for ax, table in zip(axes, tables, strict=False):
        draw(ax, table, language)
    return _png(figure)
