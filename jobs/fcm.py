"""Push through Firebase Cloud Messaging (HTTP v1) with firebase-admin.

`send_each` sends up to 500 messages a call, one HTTP request each; the calls run in a thread,
off the event loop, under the send quota (`jobs/rate_limit.py`). Throttled (429), unavailable
(503) and internal failures are sent again, only those, after an exponential backoff or the
`Retry-After` FCM gave, whichever is longer. firebase-admin's own retries are switched off: they
retry 500 and 503 but not 429, inside a request (out of the quota's sight), and would hide the
`Retry-After` from the caller when they give up.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import firebase_admin
from firebase_admin import credentials, exceptions, messaging
from redis.asyncio import Redis
from requests.adapters import HTTPAdapter
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_result,
    stop_after_attempt,
    wait_exponential_jitter,
)

from jobs.rate_limit import LocalQuota, RedisQuota, SendQuota
from loyalty.messaging.channels import Push, PushOutcome, PushResult, PushSender
from loyalty.notifications import Notification
from loyalty.settings import Settings

APP_NAME = "loyalty-push"  # api/firebase.py's "loyalty" app signs members in
GOOGLE_FCM = "https://fcm.googleapis.com"
BATCH = 500  # the most send_each takes in one call
HTTP_TIMEOUT = 30.0  # seconds per request: well inside the quota's window
QUOTA_WINDOW = 60.0  # FCM's quota is per minute

_DEAD = (messaging.UnregisteredError, messaging.SenderIdMismatchError)
_PASSING = (  # worth sending again soon
    exceptions.ResourceExhaustedError,  # 429, QuotaExceededError among them
    exceptions.UnavailableError,  # 503, or no connection
    exceptions.InternalError,  # 500
    exceptions.DeadlineExceededError,  # timed out
)


@dataclass(frozen=True, slots=True)
class _Passing:
    """A push that failed for now: it may go through if sent again."""

    index: int
    retry_after: float | None
    error: str


class FcmSender:
    """A `PushSender` over one firebase-admin app."""

    def __init__(
        self,
        app: firebase_admin.App,
        quota: SendQuota,
        *,
        fcm_url: str | None = None,
        retries: int = 5,
        backoff: float = 0.5,
        max_backoff: float = 30.0,
        longest_wait: float = 10.0,
    ) -> None:
        """`retries`: how many more times a passing failure is sent; `backoff`: the first wait
        (doubled each time, up to `max_backoff`); `longest_wait`: a `Retry-After` longer than
        this is handed back to the caller (RETRY) rather than waited for here."""
        if retries < 0 or backoff < 0 or longest_wait < 0:
            raise ValueError("retries, backoff and longest_wait must not be negative")
        self._app, self.quota = app, quota
        self._batch = min(BATCH, quota.limit)
        self._retries, self._longest_wait = retries, longest_wait
        self._backoff = wait_exponential_jitter(initial=backoff, max=max_backoff, jitter=backoff)
        _send_through(app, (fcm_url or GOOGLE_FCM).rstrip("/"), connections=self._batch)

    async def send(self, pushes: Sequence[Push]) -> list[PushResult]:
        results: list[PushResult | None] = [None] * len(pushes)
        messages: dict[int, messaging.Message] = {}
        for index, push in enumerate(pushes):
            if push.token.strip():
                messages[index] = fcm_message(push)
            else:
                results[index] = PushResult(push.token, PushOutcome.FAILED, error="no token")
        pending = list(messages)

        async def send_pending() -> list[_Passing]:
            nonlocal pending
            passing = await self._send_round(pushes, messages, pending, results)
            pending = [failure.index for failure in passing]
            return passing

        retrying = AsyncRetrying(
            stop=stop_after_attempt(self._retries + 1) | self._told_to_wait_long,
            wait=self._wait,
            retry=retry_if_result(bool),
            retry_error_callback=lambda state: state.outcome.result(),  # type: ignore[union-attr]
        )
        for failure in await retrying(send_pending):
            results[failure.index] = PushResult(
                pushes[failure.index].token,
                PushOutcome.RETRY,
                retry_after=failure.retry_after,
                error=failure.error,
            )
        assert all(results), "every push has a result"
        return results  # type: ignore[return-value]

    async def _send_round(
        self,
        pushes: Sequence[Push],
        messages: dict[int, messaging.Message],
        pending: list[int],
        results: list[PushResult | None],
    ) -> list[_Passing]:
        """Send the pending pushes, in batches; record the final outcomes in `results` and
        return the passing failures."""
        passing: list[_Passing] = []
        for start in range(0, len(pending), self._batch):
            batch = pending[start : start + self._batch]
            async with self.quota.sending(len(batch)):
                outcomes = await self._send_each([messages[index] for index in batch])
            for index, error in zip(batch, outcomes, strict=True):
                token = pushes[index].token
                if error is None:
                    results[index] = PushResult(token, PushOutcome.SENT)
                elif isinstance(error, _PASSING):
                    passing.append(_Passing(index, _retry_after(error), str(error)))
                elif isinstance(error, _DEAD) or _token_refused(error):
                    results[index] = PushResult(token, PushOutcome.DEAD_TOKEN, error=str(error))
                else:
                    results[index] = PushResult(token, PushOutcome.FAILED, error=str(error))
        return passing

    async def _send_each(
        self, messages: list[messaging.Message]
    ) -> list[exceptions.FirebaseError | None]:
        """Each message's error, or None when sent. A failure of the whole call (firebase-admin
        wraps its thread pool's) is every message's."""
        try:
            batch = await asyncio.to_thread(messaging.send_each, messages, app=self._app)
        except exceptions.FirebaseError as error:
            return [error] * len(messages)
        return [None if response.success else response.exception for response in batch.responses]

    def _wait(self, state: RetryCallState) -> float:
        return max(self._backoff(state), _longest_retry_after(state))

    def _told_to_wait_long(self, state: RetryCallState) -> bool:
        return _longest_retry_after(state) > self._longest_wait


def _longest_retry_after(state: RetryCallState) -> float:
    passing: list[_Passing] = state.outcome.result()  # type: ignore[union-attr]
    return max((failure.retry_after or 0.0 for failure in passing), default=0.0)


def fcm_message(push: Push) -> messaging.Message:
    """A notification for the system tray, with the payload for the app as data."""
    notification = push.notification
    return messaging.Message(
        token=push.token,
        notification=messaging.Notification(title=notification.title, body=notification.body),
        data=fcm_data(notification),
        android=messaging.AndroidConfig(priority="high"),
        apns=messaging.APNSConfig(
            # Shown at once (10) as an alert: APNs requires the push type since iOS 13.
            headers={"apns-priority": "10", "apns-push-type": "alert"},
            payload=messaging.APNSPayload(aps=messaging.Aps(sound="default")),
        ),
    )


def fcm_data(notification: Notification) -> dict[str, str]:
    """The payload of `mobile_contract/push/<type>.schema.json` as FCM data, whose values are
    strings: `data`, an object, goes JSON-encoded; the app decodes it to get the payload back."""
    return {
        key: value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
        for key, value in notification.payload().items()
    }


def _token_refused(error: exceptions.FirebaseError) -> bool:
    """FCM refuses a malformed token with INVALID_ARGUMENT, as it does a bad message; only the
    text, or a field violation on `message.token`, tells them apart."""
    if not isinstance(error, exceptions.InvalidArgumentError):
        return False
    if "registration token" in str(error):
        return True
    try:
        details = error.http_response.json()["error"]["details"]
    except (AttributeError, KeyError, TypeError, ValueError):
        return False
    return any(
        violation.get("field") == "message.token"
        for detail in details
        for violation in detail.get("fieldViolations", [])
    )


def _retry_after(error: exceptions.FirebaseError) -> float | None:
    """FCM's `Retry-After` (seconds or an HTTP date), in seconds."""
    response = error.http_response
    value = response.headers.get("Retry-After") if response is not None else None
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        return max(0.0, (parsedate_to_datetime(value) - datetime.now(UTC)).total_seconds())
    except (TypeError, ValueError):
        return None


def _send_through(app: firebase_admin.App, base_url: str, *, connections: int) -> None:
    """Send `app`'s messages to `base_url` (Google's, or a stand-in's), on a pool of kept-alive
    connections as large as a batch, without firebase-admin's retries (this module retries).

    firebase-admin has no setting for the FCM endpoint (no emulator switch for messaging), so
    this sets its messaging service's private `_fcm_url` and mounts an adapter on its private
    HTTP session; the tests against the stand-in pin both.
    """
    service = messaging._get_messaging_service(app)
    service._fcm_url = f"{base_url}/v1/projects/{app.project_id}/messages:send"
    adapter = HTTPAdapter(pool_connections=1, pool_maxsize=connections, max_retries=0)
    service._client.session.mount(base_url, adapter)


def push_sender(settings: Settings, redis: Redis | None = None) -> PushSender | None:
    """FCM push when Firebase credentials are set, under a quota shared through `redis` when
    given; None otherwise (notifications then stay in the members' inboxes)."""
    if not settings.firebase_credentials:
        return None
    app = _push_app(settings)
    limit = settings.push_quota_per_minute
    quota: SendQuota = (
        RedisQuota(redis, f"loyalty:fcm-quota:{app.project_id}", limit, window=QUOTA_WINDOW)
        if redis is not None
        else LocalQuota(limit, window=QUOTA_WINDOW)
    )
    return FcmSender(app, quota, fcm_url=settings.fcm_url, retries=settings.push_retries)


def _push_app(settings: Settings) -> firebase_admin.App:
    """The firebase-admin app for these settings, made once per process. Its name carries the
    settings, so other settings (in tests) get their own app instead of a stale one."""
    assert settings.firebase_credentials
    configured = json.dumps(
        [settings.firebase_credentials, settings.firebase_project_id, settings.fcm_url]
    )
    name = f"{APP_NAME}-{hashlib.sha256(configured.encode()).hexdigest()[:12]}"
    try:
        return firebase_admin.get_app(name)
    except ValueError:
        options: dict[str, object] = {"httpTimeout": HTTP_TIMEOUT}
        if settings.firebase_project_id:
            options["projectId"] = settings.firebase_project_id
        certificate = credentials.Certificate(settings.firebase_credentials)
        return firebase_admin.initialize_app(certificate, options, name=name)
