"""Tables as CSV (UTF-8 with a BOM, so Excel reads Persian right) and as an Excel workbook
(one sheet a table, right to left in Persian)."""

from __future__ import annotations

import csv
import io

from openpyxl import Workbook
from openpyxl.styles import Font

from loyalty.reports import Built
from loyalty.reports.export.labels import heading, title

_SHEET_NAME = 31  # Excel's limit


def csv_bytes(built: Built, language: str = "fa") -> bytes:
    """Every table one after another: its title, its header row, its rows, a blank line."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([heading(built, language)])
    for table in built.result.tables(language):
        writer.writerow([])
        writer.writerow([table.title.pick(language)])
        writer.writerow([title(c, language) for c in table.columns])
        writer.writerows(table.rows)
    return out.getvalue().encode("utf-8-sig")


def xlsx_bytes(built: Built, language: str = "fa") -> bytes:
    workbook = Workbook()
    workbook.remove(workbook.active)
    bold = Font(bold=True)
    for table in built.result.tables(language):
        sheet = workbook.create_sheet(table.key[:_SHEET_NAME])
        sheet.sheet_view.rightToLeft = language == "fa"
        sheet.append([heading(built, language)])
        sheet.append([table.title.pick(language)])
        sheet.append([title(c, language) for c in table.columns])
        for cell in sheet[3]:
            cell.font = bold
        for row in table.rows:
            sheet.append(list(row))
        for n, column in enumerate(table.columns, start=1):
            letter = sheet.cell(row=3, column=n).column_letter
            sheet.column_dimensions[letter].width = max(12, len(title(column, language)) + 4)
            if column.kind in ("rial", "points", "count"):
                for (cell,) in sheet.iter_rows(min_row=4, min_col=n, max_col=n):
                    cell.number_format = "#,##0"
            elif column.kind == "share":
                for (cell,) in sheet.iter_rows(min_row=4, min_col=n, max_col=n):
                    cell.number_format = "0.0%"
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
