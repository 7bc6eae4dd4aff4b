"""Every report in every format opens: CSV parses back, the workbook reads back with
openpyxl, the PNG is a PNG of the expected size, the HTML page holds the tables."""

from __future__ import annotations

import csv
import io
import struct

import pytest
from openpyxl import load_workbook

from loyalty.reports import REPORTS, build
from loyalty.reports.export import FORMATS
from loyalty.reports.export.charts import DPI, HEIGHT_INCHES, WIDTH_INCHES, drawable
from tests.reports.conftest import Club


async def _sales(club: Club):  # type: ignore[no-untyped-def]
    return await build(club.manager, "sales", "1404-09-30", "1404-10-02")


async def test_csv_has_a_bom_and_parses_back(club: Club) -> None:
    data = FORMATS["csv"].write(await _sales(club), "fa")
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert "فروش" in rows[0][0]
    header = rows.index(["روز", "خرید", "درآمد", "مرجوعی", "تخفیف"])
    assert rows[header + 2] == ["1404-10-01", "2", "250000", "0", "0"]


async def test_workbook_reads_back(club: Club) -> None:
    built = await _sales(club)
    book = load_workbook(io.BytesIO(FORMATS["xlsx"].write(built, "en")))
    assert book.sheetnames == [t.key for t in built.result.tables()]
    sheet = book["by_month"]
    assert [c.value for c in sheet[3]] == ["Month", "Purchases", "Revenue", "Refunded", "Discounts"]
    assert [c.value for c in sheet[5]] == ["1404-10", 3, 300_000, 30_000, 0]


async def test_png_is_a_png_of_the_expected_size(club: Club) -> None:
    built = await _sales(club)
    data = FORMATS["png"].write(built, "fa")
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    charts = sum(1 for t in built.result.tables() if drawable(t))
    assert charts == 6  # every table but products
    assert width == WIDTH_INCHES * DPI
    assert height == round((HEIGHT_INCHES * charts + 0.6) * DPI)


async def test_html_is_one_page_with_the_tables(club: Club) -> None:
    built = await _sales(club)
    page = FORMATS["html"].write(built, "fa").decode()
    assert page.startswith("<!DOCTYPE html>") and 'dir="rtl"' in page
    assert page.count("<table>") == len(built.result.tables())
    assert page.count("data:image/png;base64,") == 6
    assert club.tehran.name in page and "۲۵۰٬۰۰۰" in page  # 1 Dey's revenue, Persian digits
    assert "http" not in page.replace("http-equiv", "")  # nothing fetched from elsewhere


@pytest.mark.parametrize("name", list(REPORTS))
async def test_every_report_exports_in_every_format(club: Club, name: str) -> None:
    built = await build(club.manager, name, "1404-09-30", "1404-10-02", None)
    for form in FORMATS.values():
        assert form.write(built, "fa")
        assert form.write(built, "en")
