"""The channels a message leaves by, as ports: the domain says what to send; the adapters in
`jobs/` (FCM through firebase-admin, an SMS provider's HTTP API) send it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from loyalty.notifications import Notification


class Channel(StrEnum):
    PUSH = "push"
    SMS = "sms"
    INBOX = "inbox"  # always: every push is kept in the inbox too


@dataclass(frozen=True, slots=True)
class Push:
    """One notification to one device."""

    token: str
    notification: Notification


class PushOutcome(StrEnum):
    SENT = "sent"
    # FCM says unregistered, invalid or another sender's: the device is forgotten.
    DEAD_TOKEN = "dead_token"
    RETRY = "retry"  # throttled or unavailable after the sender's own retries: try again later
    FAILED = "failed"  # refused for good (a bad or too big message): not retried


@dataclass(frozen=True, slots=True)
class PushResult:
    token: str
    outcome: PushOutcome
    retry_after: float | None = None  # seconds, when the service said so
    error: str = ""


class PushSender(Protocol):
    async def send(self, pushes: Sequence[Push]) -> list[PushResult]:
        """Send each push; one result per push, in the same order. Never raises for one
        push's failure."""
        ...


class SmsOutcome(StrEnum):
    SENT = "sent"
    RETRY = "retry"  # the provider is down or throttling: try again later
    FAILED = "failed"  # refused for good (a bad number, no credit, a wrong key)


@dataclass(frozen=True, slots=True)
class SmsResult:
    outcome: SmsOutcome
    provider_id: str = ""  # the provider's id of the message, when sent
    retry_after: float | None = None
    error: str = ""


class SmsSender(Protocol):
    async def send(self, phone: str, text: str, reference: int | None = None) -> SmsResult:
        """Send `text` to `phone` (E.164). `reference`: the club's number for this message, the
        same on every try, so a provider that knows it sends it once. Never raises for the
        provider's refusal."""
        ...

    async def aclose(self) -> None:
        """Let go of connections."""
        ...
