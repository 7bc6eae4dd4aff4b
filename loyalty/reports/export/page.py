"""A report as one self-contained HTML page: its heading (report, period, branch), and each
table with its chart embedded as a PNG; right to left in Persian."""

from __future__ import annotations

import base64
from html import escape

from loyalty.reports import Built
from loyalty.reports.export.charts import chart_png, drawable
from loyalty.reports.export.labels import cell, heading, title
from loyalty.reports.table import Table

_STYLE = """
body { font-family: Vazirmatn, Tahoma, "DejaVu Sans", sans-serif; margin: 2rem; color: #222; }
h1 { font-size: 1.4rem; } h2 { font-size: 1.1rem; margin-top: 2rem; }
table { border-collapse: collapse; margin: .5rem 0; font-size: .9rem; }
th, td { border: 1px solid #ccc; padding: .25rem .6rem; }
th { background: #f2f2f2; } td.n { text-align: end; font-variant-numeric: tabular-nums; }
img { max-width: 100%; }
"""


def _table(table: Table, language: str) -> str:
    head = "".join(f"<th>{escape(title(c, language))}</th>" for c in table.columns)
    body = "".join(
        "<tr>"
        + "".join(
            f'<td class="{"" if c.kind == "text" else "n"}">{escape(cell(v, c, language))}</td>'
            for v, c in zip(row, table.columns, strict=True)
        )
        + "</tr>"
        for row in table.rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _section(table: Table, language: str) -> str:
    parts = [f'<section id="{escape(table.key)}"><h2>{escape(table.title.pick(language))}</h2>']
    if drawable(table):
        encoded = base64.b64encode(chart_png(table, language)).decode()
        alt = escape(table.title.pick(language))
        parts.append(f'<img alt="{alt}" src="data:image/png;base64,{encoded}">')
    parts.append(_table(table, language) + "</section>")
    return "".join(parts)


def html_bytes(built: Built, language: str = "fa") -> bytes:
    direction = "rtl" if language == "fa" else "ltr"
    top = escape(heading(built, language))
    sections = "".join(_section(t, language) for t in built.result.tables(language))
    return (
        f'<!DOCTYPE html><html lang="{language}" dir="{direction}"><head><meta charset="utf-8">'
        f"<title>{top}</title><style>{_STYLE}</style></head>"
        f"<body><h1>{top}</h1>{sections}</body></html>"
    ).encode()
