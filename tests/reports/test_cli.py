"""`loyalty report` end to end on a demo club: every report in every format, into files."""

from __future__ import annotations

import csv
import io
import shutil
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import jdatetime
import pytest
from openpyxl import load_workbook

from tests.test_cli import loyalty


def _jalali(days_ago: int) -> str:
    day = jdatetime.date.fromgregorian(date=datetime.now(UTC).date() - timedelta(days=days_ago))
    return f"{day.year:04d}-{day.month:02d}-{day.day:02d}"


@pytest.fixture(scope="module")
def demo_club(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("reports") / "club.sqlite3"
    assert loyalty("db", "upgrade", database=path).returncode == 0
    loaded = loyalty("demo", "--members", "40", "--seed", "2", database=path)
    assert loaded.returncode == 0, loaded.stderr
    return path


@pytest.mark.parametrize("name", ["sales", "members", "points", "offers", "surveys"])
def test_every_report_in_every_format(demo_club: Path, tmp_path: Path, name: str) -> None:
    span = ("--from", _jalali(90), "--to", _jalali(0))
    for form in ("csv", "xlsx", "png", "html"):
        out = tmp_path / f"{name}.{form}"
        done = loyalty("report", name, *span, "--format", form, "--out", str(out),
                       database=demo_club)  # fmt: skip
        assert done.returncode == 0, done.stderr
        assert out.stat().st_size > 0
    rows = list(csv.reader(io.StringIO((tmp_path / f"{name}.csv").read_text("utf-8-sig"))))
    assert _jalali(90) in rows[0][0]
    load_workbook(tmp_path / f"{name}.xlsx")


def test_sales_of_a_branch_have_purchases(demo_club: Path, tmp_path: Path) -> None:
    out = tmp_path / "sales.csv"
    done = loyalty("report", "sales", "--from", _jalali(90), "--to", _jalali(0), "--branch",
                   "THR-VANAK", "--format", "csv", "--lang", "en", "--out", str(out),
                   database=demo_club)  # fmt: skip
    assert done.returncode == 0, done.stderr
    rows = list(csv.reader(io.StringIO(out.read_text("utf-8-sig"))))
    everyone = next(r for r in rows if r and r[0].endswith("all"))
    assert int(everyone[1]) > 0


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--from", "1405-13-01", "--to", "1405-01-02"], "not a day of the jalali calendar"),
        (["--from", "1405-02-01", "--to", "1405-01-02"], "to must not be before from"),
        (["--from", "1404-01-01", "--to", "1405-06-01"], "at most 366 days"),
        (["--from", "1405-01-01", "--to", "1405-01-02", "--branch", "NOPE"], "was not found"),
    ],
)
def test_bad_input_is_refused_clearly(demo_club: Path, args: list[str], says: str) -> None:
    done = loyalty("report", "sales", *args, "--format", "csv", "--out", "-", database=demo_club)
    assert done.returncode == 2
    assert says in done.stderr


def test_a_report_while_another_fills_the_roll_ups_says_so(demo_club: Path, tmp_path: Path) -> None:
    database = tmp_path / "club.sqlite3"
    for suffix in ("", "-wal"):
        if Path(f"{demo_club}{suffix}").exists():
            shutil.copy(f"{demo_club}{suffix}", f"{database}{suffix}")
    now = datetime.now(UTC)
    with sqlite3.connect(database) as db:  # the job's fill, 120 of 730 days done, going on
        db.execute("DELETE FROM rollup_state")
        db.execute(
            "INSERT INTO rollup_state (name, zone, refreshed_at, purchase_id, reversal_id, "
            "transaction_id, fill_first, fill_last, filled_through, filled_at) "
            "VALUES ('reports', 'Asia/Tehran', ?, 0, 0, 0, 20000, 20729, 20119, ?)",
            [str(now), str(now)],
        )
    done = loyalty("report", "sales", "--from", _jalali(9), "--to", _jalali(0), "--format", "csv",
                   "--out", "-", database=database)  # fmt: skip
    assert done.returncode == 75
    assert "reports are being prepared: 120 of 730 days" in done.stderr
