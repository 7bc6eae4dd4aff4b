"""The layers stay apart: import-linter's contracts, and runtime checks of the domain and of the
console and the NFC station (HTTP clients of the API, which load nothing of the server)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FRAMEWORKS = [
    "strawberry",
    "starlette",
    "uvicorn",
    "textual",
    "nfc",
    "arq",
    "firebase_admin",
    "httpx",
]


def test_import_linter_contracts_hold() -> None:
    linter = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run([str(linter)], cwd=ROOT, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def modules_loaded_by(package: str, forbidden: list[str]) -> str:
    """The forbidden top-level modules importing every module of a package loads."""
    code = (
        f"import pkgutil, sys, importlib, {package}\n"
        f"for m in pkgutil.walk_packages({package}.__path__, '{package}.'):\n"
        "    importlib.import_module(m.name)\n"
        f"bad = sorted(n for n in sys.modules if n.split('.')[0] in {forbidden!r})\n"
        "print(','.join(bad))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                            check=True)  # fmt: skip
    return result.stdout.strip()


def test_importing_the_whole_domain_loads_no_framework() -> None:
    assert modules_loaded_by("loyalty", FRAMEWORKS) == ""


SERVER = ["loyalty", "schema", "api", "jobs", "strawberry", "starlette", "tortoise"]


def test_importing_the_whole_console_loads_nothing_of_the_server() -> None:
    assert modules_loaded_by("console", SERVER) == ""


def test_importing_the_whole_station_loads_nothing_of_the_server() -> None:
    assert modules_loaded_by("nfc_station", SERVER) == ""
