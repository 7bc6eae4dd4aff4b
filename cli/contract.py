"""The app's operations run against a real server, compared with `mobile_contract/examples/`.

A run loads the demo club into a fresh SQLite database, starts `loyalty serve`, and sends every
operation of `mobile_contract/operations/` to the app's endpoint by its document id, as the app
does. It signs in as a demo member the app's way: an SMS code, read from the server's log, where
the development SMS sender writes it. Each example (`examples/<Operation>.json`) holds the
variables to send and the response they give; values that change from run to run are kept as
placeholders (see `normalise`).

Order: the operations in `examples/order.json` "first" (signing in), then every query, then
every mutation, each group alphabetically, then those in "last". A new operation needs only its
file and its example.
"""

from __future__ import annotations

import difflib
import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from graphql import OperationDefinitionNode, OperationType, parse

from api import trusted_documents as trusted
from loyalty.programme import coupons

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = trusted.CONTRACT / "examples"
ORDER = EXAMPLES / "order.json"

# The demo club the examples show: small, so a run takes seconds.
DEMO_MEMBERS = 30
DEMO_SEED = 1
# Settings that shape the answers, whatever the caller's environment says.
SETTINGS = {
    "LOYALTY_ENV": "development",
    "LOYALTY_TIMEZONE": "Asia/Tehran",
    "LOYALTY_CALENDAR": "jalali",
    "LOYALTY_CURRENCY_DISPLAY": "toman",
    "LOYALTY_PASSWORD_TIME_COST": "1",
    "LOYALTY_PASSWORD_MEMORY_KIB": "1024",
}

# Placeholders in responses, for what differs from run to run.
DATETIME = "<datetime>"  # a moment: the demo club is made relative to the day it is loaded
DATE = "<date>"  # a calendar date (birthdays move with the year too)
TOKEN = "<token>"  # a random value the server made: tokens, codes, committed seeds
RANDOM_FIELDS = frozenset(
    {"accessToken", "refreshToken", "referralCode", "referral_code", "seedHash"}
)
HASH = "<hash>"  # a digest of a request, which holds its moment (the data export shows it)
HASHED_FIELDS = frozenset({"request_hash"})
# A voucher's `code` when the server drew it (error codes are `code` too, and stay).
_DRAWN_CODE = re.compile(f"[{coupons.CODE_ALPHABET}]{{{coupons.CODE_LENGTH}}}")
_MOMENT = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?([+-]\d{2}:\d{2}|Z)")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")

# Placeholders in variables, filled in before sending.
SMS_CODE = "<sms-code>"  # the last sign-in code the server sent by SMS
REFRESH_TOKEN = "<refresh-token>"  # the refresh token of the current session
_SMS = re.compile(r"Your club sign-in code: (\d+)")


@dataclass(frozen=True, slots=True)
class Exchange:
    """One operation as run: the variables sent (with their placeholders) and the response."""

    variables: dict[str, Any]
    response: dict[str, Any]

    def as_json(self) -> str:
        example = {"variables": self.variables, "response": self.response}
        return json.dumps(example, indent=2, ensure_ascii=False) + "\n"


def operations(directory: Path = trusted.OPERATIONS) -> dict[str, str]:
    return {p.stem: p.read_text(encoding="utf-8") for p in sorted(directory.glob("*.graphql"))}


def example_names(directory: Path = EXAMPLES) -> set[str]:
    return {p.stem for p in directory.glob("*.json") if p != directory / ORDER.name}


def run_order(documents: dict[str, str], order: dict[str, list[str]]) -> list[str]:
    first, last = order.get("first", []), order.get("last", [])
    rest = [name for name in documents if name not in first and name not in last]

    def kind(name: str) -> OperationType:
        definitions = parse(documents[name]).definitions
        return next(d.operation for d in definitions if isinstance(d, OperationDefinitionNode))

    queries = [name for name in rest if kind(name) is OperationType.QUERY]
    mutations = [name for name in rest if name not in queries]
    return [name for name in [*first, *queries, *mutations, *last] if name in documents]


def normalise(value: Any, key: str | None = None) -> Any:
    """The response with its run-to-run values replaced by placeholders."""
    if isinstance(value, dict):
        return {k: normalise(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [normalise(v) for v in value]
    if isinstance(value, str):
        if key in RANDOM_FIELDS or (key == "code" and _DRAWN_CODE.fullmatch(value)):
            return TOKEN
        if key in HASHED_FIELDS:
            return HASH
        if _MOMENT.fullmatch(value):
            return DATETIME
        if _DATE.fullmatch(value):
            return DATE
    return value


def _sessions(value: Any) -> Iterator[dict[str, Any]]:
    """Every pair of tokens in a response (a sign-in's, a refresh's)."""
    if isinstance(value, dict):
        if "accessToken" in value and "refreshToken" in value:
            yield value
        for v in value.values():
            yield from _sessions(v)
    elif isinstance(value, list):
        for v in value:
            yield from _sessions(v)


def _fill(value: Any, filled: dict[str, str]) -> Any:
    if isinstance(value, dict):
        return {k: _fill(v, filled) for k, v in value.items()}
    if isinstance(value, list):
        return [_fill(v, filled) for v in value]
    return filled.get(value, value) if isinstance(value, str) else value


def _demo_moment(zone: ZoneInfo) -> str:
    """The last second of yesterday in the club's zone. The demo plans visits by day and hour
    up to the moment it is loaded; loaded at a fixed time of day, it is the same club on every
    day of the year (loaded at any hour, visits "later today" would move)."""
    midnight = datetime.now(zone).replace(hour=0, minute=0, second=0, microsecond=0)
    return (midnight - timedelta(seconds=1)).isoformat()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Server:
    def __init__(self, port: int, log: Path) -> None:
        self.url = f"http://127.0.0.1:{port}"
        self.log = log

    def sms_code(self) -> str | None:
        codes = _SMS.findall(self.log.read_text(encoding="utf-8", errors="replace"))
        return codes[-1] if codes else None

    def post(self, path: str, body: object, token: str | None = None) -> dict[str, Any]:
        headers = {"content-type": "application/json"}
        if token:
            headers["authorization"] = f"Bearer {token}"
        request = urllib.request.Request(
            self.url + path, json.dumps(body).encode(), headers, method="POST"
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return json.loads(response.read())
        except urllib.error.HTTPError as refused:  # 4xx answers are GraphQL errors too
            return json.loads(refused.read())


def _loyalty(env: dict[str, str], cwd: Path, *args: str) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "cli.main", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    if done.returncode != 0:
        raise RuntimeError(f"`loyalty {' '.join(args)}` failed:\n{done.stdout}{done.stderr}")


@contextmanager
def _serving(env: dict[str, str], cwd: Path) -> Iterator[Server]:
    port = _free_port()
    server = Server(port, cwd / "serve.log")
    with server.log.open("w") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "cli.main", "serve", "--port", str(port), "--no-access-log",
             "--log-level", "warning"],
            cwd=cwd, env=env, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(server.url + "/healthz", timeout=2):
                    break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(
                        f"the server did not start:\n{server.log.read_text()}"
                    ) from None
                time.sleep(0.2)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _load_json(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}


def run_examples(progress: Callable[[str], None] = lambda line: None) -> dict[str, Exchange]:
    """Run every operation on a fresh demo club; the exchanges, by operation name."""
    documents = operations()
    order = run_order(documents, _load_json(ORDER))
    with tempfile.TemporaryDirectory(prefix="loyalty-examples-") as tmp:
        cwd = Path(tmp)  # no .env of the caller's is read there
        manifest = cwd / "trusted-documents.json"
        manifest.write_text(trusted.manifest_json(trusted.manifest_from()), encoding="utf-8")
        env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith("LOYALTY_") and key != "FIREBASE_AUTH_EMULATOR_HOST"
        }
        env.update(
            SETTINGS,
            LOYALTY_DATABASE_URL=f"sqlite://{cwd / 'club.sqlite3'}",
            LOYALTY_TRUSTED_DOCUMENTS=str(manifest),
            PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")])),
        )
        progress("loading the demo club")
        _loyalty(env, cwd, "db", "upgrade")
        moment = _demo_moment(ZoneInfo(SETTINGS["LOYALTY_TIMEZONE"]))
        _loyalty(env, cwd, "demo", "--members", str(DEMO_MEMBERS), "--seed", str(DEMO_SEED),
                 "--at", moment)  # fmt: skip
        with _serving(env, cwd) as server:
            exchanges: dict[str, Exchange] = {}
            access: str | None = None
            refresh = ""
            for name in order:
                progress(f"running {name}")
                variables = _load_json(EXAMPLES / f"{name}.json").get("variables", {})
                filled = {SMS_CODE: server.sms_code() or "", REFRESH_TOKEN: refresh}
                body = {
                    "documentId": trusted.document_id(documents[name]),
                    "variables": _fill(variables, filled),
                }
                response = server.post("/app/graphql", body, access)
                for tokens in _sessions(response):
                    access, refresh = tokens["accessToken"], tokens["refreshToken"]
                exchanges[name] = Exchange(variables, normalise(response))
    return exchanges


def missing_examples(
    operations_dir: Path = trusted.OPERATIONS, examples: Path = EXAMPLES
) -> list[str]:
    """Operations without an example, and examples without an operation."""
    names, have = set(operations(operations_dir)), example_names(examples)
    hint = "run `loyalty contract examples --write`, then check its variables"
    return [
        *(f"{name}: no example ({hint})" for name in sorted(names - have)),
        *(f"examples/{name}.json: no such operation" for name in sorted(have - names)),
    ]


def stale_examples(run: dict[str, Exchange], examples: Path = EXAMPLES) -> list[str]:
    """The examples that differ from what the server answered, with the difference (missing
    ones are `missing_examples`')."""
    problems = []
    for name, exchange in run.items():
        path = examples / f"{name}.json"
        if not path.exists():
            continue
        expected = json.loads(path.read_text(encoding="utf-8"))
        if expected != {"variables": exchange.variables, "response": exchange.response}:
            diff = difflib.unified_diff(
                json.dumps(expected, indent=2, ensure_ascii=False).splitlines(),
                exchange.as_json().splitlines(),
                f"examples/{name}.json", "the live server", lineterm="", n=2,
            )  # fmt: skip
            problems.append(f"{name}: the server answers otherwise\n" + "\n".join(diff))
    return problems


def write_examples(run: dict[str, Exchange], examples: Path = EXAMPLES) -> None:
    examples.mkdir(exist_ok=True)
    for name, exchange in run.items():
        (examples / f"{name}.json").write_text(exchange.as_json(), encoding="utf-8")
