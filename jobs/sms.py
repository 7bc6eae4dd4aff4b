"""SMS senders behind the `SmsSender` port: Kavenegar's REST API, and the log for a club that
has no provider. `sms_sender(settings)` picks one."""

from __future__ import annotations

import logging
import re
import uuid
from collections import deque
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import httpx
from tenacity import AsyncRetrying, retry_if_result, stop_after_attempt, wait_exponential_jitter

from loyalty.messaging.channels import SmsOutcome, SmsResult, SmsSender
from loyalty.settings import Settings

KAVENEGAR_URL = "https://api.kavenegar.com"

log = logging.getLogger("loyalty.sms")

_E164 = re.compile(r"\+[1-9]\d{6,14}")

# Kavenegar's `return.status` codes (https://kavenegar.com/rest.html), in English for the logs.
KAVENEGAR_STATUSES = {
    400: "incomplete parameters",
    401: "account disabled",
    402: "operation failed",
    403: "invalid API key",
    404: "unknown method",
    405: "wrong HTTP method",
    406: "required parameters are empty",
    407: "access denied from this IP",
    409: "provider cannot answer now",
    411: "invalid receptor",
    412: "invalid sender line",
    413: "message empty or too long",
    414: "request too large",
    416: "caller IP does not match the account",
    417: "invalid send date",
    418: "not enough credit",
    419: "array sizes differ",
    420: "links in messages are restricted for this account",
    422: "message has characters that cannot be processed",
    424: "template not found or not approved",
    426: "method needs the advanced service",
    427: "this line needs an access level",
    428: "token cannot be sent by a call",
    429: "IP restricted",
    431: "invalid token structure",
    432: "token parameter missing from the template",
    451: "too many calls from this IP",
    500: "provider error",
    501: "a test account may only send to its owner's number",
    502: "bad gateway",
    503: "provider unavailable",
    504: "gateway timeout",
}
# Passing trouble: worth a quick retry inside the sender, then the job's own retry.
_TRANSIENT = {409, 500, 502, 503, 504}
# The provider asks us to slow down: retrying at once would make it worse.
_THROTTLED = {429, 451}
# A message's own status in `entries` that means it will not be delivered (failed at the
# operator, cancelled, or the receptor blocks advertising lines).
_UNDELIVERABLE_ENTRY_STATUSES = {6, 11, 13, 14}


class SmsConfigurationError(ValueError):
    """The settings name an SMS provider that cannot work as configured."""


def is_e164(phone: str) -> bool:
    return _E164.fullmatch(phone) is not None


def kavenegar_receptor(phone: str) -> str:
    """Kavenegar's form of an E.164 number: Iranian numbers in the national form its docs use
    (+989121234567 → 09121234567), others behind the international prefix (+4930… → 004930…)."""
    if not is_e164(phone):
        raise ValueError(f"not an E.164 phone number: {phone!r}")
    if phone.startswith("+98"):
        return "0" + phone[3:]
    return "00" + phone[1:]


def sms_sender(settings: Settings) -> SmsSender:
    """The sender the settings ask for; raises `SmsConfigurationError` at start-up, not at the
    first message, when the provider cannot work."""
    if settings.sms_provider == "log":
        return LogSender()
    if not settings.kavenegar_api_key:
        raise SmsConfigurationError(
            "LOYALTY_SMS_PROVIDER is kavenegar but LOYALTY_KAVENEGAR_API_KEY is not set"
        )
    return KavenegarSender(
        settings.kavenegar_api_key,
        line_number=settings.kavenegar_sender,
        base_url=settings.kavenegar_url,
    )


class LogSender:
    """Writes each SMS to the `loyalty.sms` log, and keeps the last ones in `sent`: the embedded
    default (and what tests read sign-in codes from)."""

    def __init__(self, keep: int = 1000) -> None:
        self.sent: deque[tuple[str, str]] = deque(maxlen=keep)

    async def send(self, phone: str, text: str, reference: int | None = None) -> SmsResult:
        if not is_e164(phone):
            return SmsResult(SmsOutcome.FAILED, error=f"not an E.164 phone number: {phone!r}")
        provider_id = f"log-{uuid.uuid4().hex}"
        log.info("SMS %s to %s: %s", provider_id, phone, text)
        self.sent.append((phone, text))
        return SmsResult(SmsOutcome.SENT, provider_id=provider_id)

    async def aclose(self) -> None:
        """Holds nothing; closed like any sender so callers need not know which one they have."""


@dataclass(frozen=True, slots=True)
class _Attempt:
    result: SmsResult
    retry_here: bool = False


class KavenegarSender:
    """Sends through `POST {base_url}/v1/{API-KEY}/sms/send.json` (form-encoded `receptor`,
    `message`, `sender`, `localid`). One HTTP client per sender: close it with `aclose()`."""

    def __init__(
        self,
        api_key: str,
        *,
        line_number: str | None = None,
        base_url: str = KAVENEGAR_URL,
        timeout: float = 10.0,
        attempts: int = 3,
        backoff: float = 0.5,
    ) -> None:
        if not api_key:
            raise SmsConfigurationError("a Kavenegar API key is required")
        url = httpx.URL(base_url)
        if url.scheme not in ("http", "https") or not url.host:
            raise SmsConfigurationError(f"the Kavenegar URL is not an http(s) URL: {base_url!r}")
        if attempts < 1:
            raise ValueError(f"attempts must be at least 1, not {attempts}")
        self._path = f"/v1/{quote(api_key, safe='')}/sms/send.json"
        self._line_number = line_number
        self._attempts = attempts
        self._backoff = backoff
        self._client = httpx.AsyncClient(
            base_url=base_url, timeout=timeout, headers={"Accept": "application/json"}
        )

    async def aclose(self) -> None:
        await self._client.aclose()

    async def send(self, phone: str, text: str, reference: int | None = None) -> SmsResult:
        try:
            receptor = kavenegar_receptor(phone)
        except ValueError as error:
            return SmsResult(SmsOutcome.FAILED, error=str(error))
        # One localid for every attempt of this message (the caller's reference: every run of
        # the job too): Kavenegar does not send a localid it has already sent, so a retry after
        # a timeout (the message may have left) is safe.
        localid = reference if reference is not None else uuid.uuid4().int >> 66
        form = {"receptor": receptor, "message": text, "localid": str(localid)}
        if self._line_number:
            form["sender"] = self._line_number
        retrying = AsyncRetrying(
            stop=stop_after_attempt(self._attempts),
            wait=wait_exponential_jitter(
                initial=self._backoff, max=self._backoff * 8, jitter=self._backoff
            ),
            retry=retry_if_result(lambda attempt: attempt.retry_here),
            retry_error_callback=lambda state: state.outcome.result(),
        )
        attempt: _Attempt = await retrying(self._post, form)
        return attempt.result

    async def _post(self, form: dict[str, str]) -> _Attempt:
        try:
            response = await self._client.post(self._path, data=form)
        except httpx.TimeoutException as error:
            return _transient(f"kavenegar timed out: {type(error).__name__}")
        except httpx.TransportError as error:
            return _transient(f"kavenegar unreachable: {type(error).__name__} {error}")
        return _read(response)


def _read(response: httpx.Response) -> _Attempt:
    """Kavenegar answers with its status both as the HTTP status and in `return.status`."""
    try:
        body = response.json()
        status = int(body["return"]["status"])
        provider_message = str(body["return"]["message"])
    except (ValueError, KeyError, TypeError):
        # Not Kavenegar's JSON (a proxy's error page, a cut answer): judge by the HTTP status.
        if response.status_code == 200:
            return _transient("kavenegar answered 200 with an unreadable body")
        return _refused(response.status_code, "no Kavenegar answer", response)
    if status != 200:
        return _refused(status, provider_message, response)
    try:
        entry: dict[str, Any] = body["entries"][0]
        message_id = str(entry["messageid"])
    except (KeyError, IndexError, TypeError):
        return _transient("kavenegar accepted the message but sent no messageid")
    if entry.get("status") in _UNDELIVERABLE_ENTRY_STATUSES:
        return _Attempt(
            SmsResult(
                SmsOutcome.FAILED,
                provider_id=message_id,
                error=f"kavenegar message status {entry['status']}: {entry.get('statustext', '')}",
            )
        )
    return _Attempt(SmsResult(SmsOutcome.SENT, provider_id=message_id))


def _refused(status: int, provider_message: str, response: httpx.Response) -> _Attempt:
    reason = KAVENEGAR_STATUSES.get(status, "unknown status")
    error = f"kavenegar {status} {reason}: {provider_message}"
    if status in _THROTTLED:
        return _Attempt(
            SmsResult(SmsOutcome.RETRY, retry_after=_retry_after(response), error=error)
        )
    if status in _TRANSIENT or (status >= 500 and status not in KAVENEGAR_STATUSES):
        return _transient(error, retry_after=_retry_after(response))
    return _Attempt(SmsResult(SmsOutcome.FAILED, error=error))


def _transient(error: str, retry_after: float | None = None) -> _Attempt:
    return _Attempt(
        SmsResult(SmsOutcome.RETRY, retry_after=retry_after, error=error), retry_here=True
    )


def _retry_after(response: httpx.Response) -> float | None:
    try:
        return max(0.0, float(response.headers["retry-after"]))
    except (KeyError, ValueError):
        return None  # absent, or an HTTP date: the job's own backoff decides
