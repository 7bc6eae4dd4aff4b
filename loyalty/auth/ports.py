"""Ports the auth services send through; adapters in `jobs/` and `api/` implement them."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Protocol

log = logging.getLogger("loyalty.sms")


class SmsSender(Protocol):
    async def send(self, phone: str, text: str) -> None: ...


@dataclass
class OutboxSmsSender:
    """The default sender: writes each message to the log and keeps the last ones in memory."""

    sent: list[tuple[str, str]] = field(default_factory=list)
    keep: int = 1000

    async def send(self, phone: str, text: str) -> None:
        log.info("SMS to %s: %s", phone, text)
        self.sent.append((phone, text))
        del self.sent[: -self.keep]
