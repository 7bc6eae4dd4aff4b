"""A local HTTP server that speaks Kavenegar's `sms/send` protocol, for tests of the real adapter.

`POST|GET /v1/{API-KEY}/sms/send.json` with `receptor`, `message`, `sender`, `localid` as form
fields or query parameters; answers Kavenegar's JSON (`{"return": {...}, "entries": [...]}`)
with its status codes, the HTTP status equal to `return.status`. Failures are configurable: a
status for a receptor, statuses for the next calls, latency. It records every call and every
message it accepted.
"""

from __future__ import annotations

import asyncio
import itertools
import re
import threading
import time
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from urllib.parse import parse_qsl

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from tests.standins.server import serving

# Kavenegar's own wording for the statuses the stand-in answers with.
MESSAGES = {
    200: "تایید شد",
    400: "پارامترها ناقص هستند",
    403: "کد شناسائی API-Key معتبر نمی‌باشد",
    409: "سرور قادر به پاسخگوئی نیست بعدا تلاش کنید",
    411: "گیرنده نامعتبر است",
    412: "ارسال کننده نامعتبر است",
    413: "پیام خالی است و یا طول پیام بیش از حد مجاز می‌باشد",
    418: "اعتبار حساب شما کافی نیست",
    422: "داده ها به دلیل وجود کاراکتر نامناسب قابل پردازش نیست",
    451: "فراخوانی بیش از حد در بازه زمانی مشخص IP محدود شده",
    500: "خطای داخلی سرور",
    502: "Bad Gateway",
}
DEFAULT_LINE = "10004346"
# What Kavenegar takes as a receptor: 09…, 989…, or an international number behind 00.
_RECEPTOR = re.compile(r"(09\d{9}|989\d{9}|00[1-9]\d{6,14})")
_MAX_LATIN_LENGTH = 612
_MAX_PERSIAN_LENGTH = 268


@dataclass(frozen=True)
class Call:
    """One request as the stand-in received it."""

    api_key: str
    params: dict[str, str]
    status: int


@dataclass(frozen=True)
class Delivered:
    """One message the stand-in accepted."""

    messageid: int
    receptor: str
    message: str
    sender: str
    localid: str


@dataclass
class KavenegarStandIn:
    api_key: str = "test-api-key"
    url: str = ""  # set once the server listens
    latency: float = 0.0  # seconds before each answer
    calls: list[Call] = field(default_factory=list)
    delivered: list[Delivered] = field(default_factory=list)
    _status_for_receptor: dict[str, int] = field(default_factory=dict)
    _next_statuses: deque[int] = field(default_factory=deque)
    _message_ids: Iterator[int] = field(default_factory=lambda: itertools.count(8_792_343))
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def fail_receptor(self, receptor: str, status: int) -> None:
        """Answer every message to `receptor` (in Kavenegar's form, 0912…) with `status`."""
        with self._lock:
            self._status_for_receptor[receptor] = status

    def fail_next(self, *statuses: int) -> None:
        """Answer the next calls with these statuses, one each, then work normally."""
        with self._lock:
            self._next_statuses.extend(statuses)

    def reset(self) -> None:
        with self._lock:
            self.latency = 0.0
            self.calls.clear()
            self.delivered.clear()
            self._status_for_receptor.clear()
            self._next_statuses.clear()

    async def send(self, request: Request) -> JSONResponse:
        params = dict(request.query_params)
        if request.method == "POST":
            params.update(parse_qsl((await request.body()).decode("utf-8"), keep_blank_values=True))
        if self.latency:
            await asyncio.sleep(self.latency)
        api_key = request.path_params["api_key"]
        with self._lock:
            status, entries = self._answer(api_key, params)
            self.calls.append(Call(api_key, params, status))
        return JSONResponse(
            {"return": {"status": status, "message": MESSAGES.get(status, "")}, "entries": entries},
            status_code=status,
        )

    def _answer(self, api_key: str, params: dict[str, str]) -> tuple[int, list[dict] | None]:
        if self._next_statuses:
            return self._next_statuses.popleft(), None
        if api_key != self.api_key:
            return 403, None
        receptor, message = params.get("receptor", ""), params.get("message", "")
        if not receptor or "message" not in params:
            return 400, None
        if receptor in self._status_for_receptor:
            return self._status_for_receptor[receptor], None
        if not _RECEPTOR.fullmatch(receptor):
            return 411, None
        if not message or len(message) > _max_length(message):
            return 413, None
        localid = params.get("localid", "")
        earlier = next((d for d in self.delivered if localid and d.localid == localid), None)
        delivered = earlier or Delivered(
            messageid=next(self._message_ids),
            receptor=receptor,
            message=message,
            sender=params.get("sender") or DEFAULT_LINE,
            localid=localid,
        )
        if earlier is None:  # Kavenegar does not send a localid twice: it answers the first
            self.delivered.append(delivered)
        return 200, [_entry(delivered)]


def _max_length(message: str) -> int:
    return _MAX_LATIN_LENGTH if message.isascii() else _MAX_PERSIAN_LENGTH


def _entry(delivered: Delivered) -> dict:
    return {
        "messageid": delivered.messageid,
        "message": delivered.message,
        "status": 1,
        "statustext": "در صف ارسال",
        "sender": delivered.sender,
        "receptor": delivered.receptor,
        "date": int(time.time()),
        "cost": 120,
    }


@contextmanager
def running_kavenegar(api_key: str = "test-api-key") -> Iterator[KavenegarStandIn]:
    """The stand-in listening on a free loopback port, in a background thread."""
    stand_in = KavenegarStandIn(api_key=api_key)
    app = Starlette(
        routes=[Route("/v1/{api_key}/sms/send.json", stand_in.send, methods=["GET", "POST"])]
    )
    with serving(app, "Kavenegar stand-in") as url:
        stand_in.url = url
        yield stand_in
