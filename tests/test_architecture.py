"""The layers stay apart: import-linter's contracts, and a runtime check of the domain."""

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


def test_importing_the_whole_domain_loads_no_framework() -> None:
    code = (
        "import pkgutil, sys, importlib, loyalty\n"
        "for m in pkgutil.walk_packages(loyalty.__path__, 'loyalty.'):\n"
        "    importlib.import_module(m.name)\n"
        f"bad = sorted(n for n in sys.modules if n.split('.')[0] in {FRAMEWORKS!r})\n"
        "print(','.join(bad))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                            check=True)  # fmt: skip
    assert result.stdout.strip() == ""
