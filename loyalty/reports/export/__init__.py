"""A built report as a file: CSV, an Excel workbook, its charts as a PNG, or an HTML page.

Each writer is imported when used: listing the formats loads neither openpyxl nor matplotlib."""

from __future__ import annotations

from dataclasses import dataclass
from importlib import import_module

from loyalty.reports import Built


@dataclass(frozen=True, slots=True)
class Format:
    name: str
    extension: str
    media_type: str
    writer: str  # module.function under loyalty.reports.export

    def write(self, built: Built, language: str = "fa") -> bytes:
        module, function = self.writer.rsplit(".", 1)
        return getattr(import_module(f"loyalty.reports.export.{module}"), function)(built, language)


FORMATS: dict[str, Format] = {
    f.name: f
    for f in (
        Format("csv", "csv", "text/csv; charset=utf-8", "tabular.csv_bytes"),
        Format(
            "xlsx",
            "xlsx",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "tabular.xlsx_bytes",
        ),
        Format("png", "png", "image/png", "charts.png_bytes"),
        Format("html", "html", "text/html; charset=utf-8", "page.html_bytes"),
    )
}
