"""FCM push through the real firebase-admin against the FCM stand-in (tests/standins/fcm.py):
OAuth and sends stay on loopback. The Redis tests run when LOYALTY_TEST_REDIS_URL is set."""

from __future__ import annotations

import asyncio
import json
import os
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import firebase_admin
import pytest
from firebase_admin import credentials
from jsonschema import Draft202012Validator
from redis.asyncio import Redis

from jobs.fcm import FcmSender, push_sender
from jobs.rate_limit import LocalQuota, RedisQuota, SendQuota
from loyalty import notifications
from loyalty.messaging.channels import Push, PushOutcome
from loyalty.models import Language
from loyalty.settings import Settings
from tests.standins.fcm import FcmStandin

REDIS_URL = os.environ.get("LOYALTY_TEST_REDIS_URL")
SCHEMAS = Path(__file__).resolve().parents[2] / "mobile_contract" / "push"
RECEIPT = notifications.points_earned(
    Language.FA, purchase_id=3412, receipt_number="THR-VANAK-000871",
    branch_name="کافه نارون — ونک", amount=2_450_000, points_earned=36, credit_earned=73_500,
    points_balance=1_204,
)  # fmt: skip


pytestmark = pytest.mark.usefixtures("loopback_only")


def _app(account: Path) -> firebase_admin.App:
    certificate = credentials.Certificate(str(account))
    return firebase_admin.initialize_app(certificate, name=f"test-push-{uuid.uuid4().hex[:8]}")


def _delete(app: firebase_admin.App) -> None:
    # Deleting closes the messaging service with asyncio.run: not on the test's event loop.
    deleting = threading.Thread(target=firebase_admin.delete_app, args=(app,))
    deleting.start()
    deleting.join()


@pytest.fixture
def app(account: Path) -> Iterator[firebase_admin.App]:
    made = _app(account)
    yield made
    _delete(made)


def _sender(
    app: firebase_admin.App, standin: FcmStandin, quota: SendQuota | None = None, **options
) -> FcmSender:
    options = {"retries": 3, "backoff": 0.05, "max_backoff": 0.2, **options}
    return FcmSender(app, quota or LocalQuota(100_000), fcm_url=standin.url, **options)


def _pushes(*tokens: str) -> list[Push]:
    return [Push(token, RECEIPT) for token in tokens]


async def test_a_push_carries_the_notification_and_the_payload_the_app_expects(
    app: firebase_admin.App, standin: FcmStandin
) -> None:
    [result] = await _sender(app, standin).send(_pushes("phone"))
    assert (result.token, result.outcome, result.error) == ("phone", PushOutcome.SENT, "")

    [received] = standin.received
    message = received.message
    assert message["token"] == "phone"
    assert message["notification"] == {"title": RECEIPT.title, "body": RECEIPT.body}
    assert message["android"]["priority"] == "high"
    assert message["apns"]["headers"] == {"apns-priority": "10", "apns-push-type": "alert"}
    # FCM data is strings only: the app decodes `data` to get the contract's payload.
    assert all(isinstance(value, str) for value in message["data"].values())
    payload = {**message["data"], "data": json.loads(message["data"]["data"])}
    assert payload == RECEIPT.payload()
    schema = json.loads((SCHEMAS / "points_earned.schema.json").read_text(encoding="utf-8"))
    Draft202012Validator(schema).validate(payload)
    assert standin.tokens_issued == 1


async def test_a_batch_over_500_is_split_and_all_of_it_sent(
    app: firebase_admin.App, standin: FcmStandin
) -> None:
    tokens = [f"phone-{n}" for n in range(1_203)]  # send_each refuses more than 500 a call
    results = await _sender(app, standin).send(_pushes(*tokens))
    assert [r.token for r in results] == tokens
    assert {r.outcome for r in results} == {PushOutcome.SENT}
    assert standin.delivered() == dict.fromkeys(tokens, 1)
    # One OAuth token for the lot (a few when the first requests all refresh at once).
    assert 1 <= standin.tokens_issued <= 10


async def test_each_answer_of_fcm_has_its_outcome(
    app: firebase_admin.App, standin: FcmStandin
) -> None:
    standin.dead_tokens.add("uninstalled")
    standin.invalid_tokens.add("garbled")
    standin.foreign_tokens.add("other-project")
    standin.fail("refused", 400)  # a bad message, not a bad token
    too_big = notifications.message(Language.FA, title="بلند", body="ب" * 2_000)
    pushes = [*_pushes("ok", "uninstalled", "garbled", "other-project", "refused", ""),
              Push("long", too_big)]  # fmt: skip

    results = await _sender(app, standin).send(pushes)

    assert [(r.token, r.outcome) for r in results] == [
        ("ok", PushOutcome.SENT),
        ("uninstalled", PushOutcome.DEAD_TOKEN),
        ("garbled", PushOutcome.DEAD_TOKEN),
        ("other-project", PushOutcome.DEAD_TOKEN),
        ("refused", PushOutcome.FAILED),
        ("", PushOutcome.FAILED),
        ("long", PushOutcome.FAILED),
    ]
    errors = {r.token: r.error for r in results}
    assert "not a valid FCM registration token" in errors["garbled"]
    assert "invalid argument" in errors["refused"]
    assert errors[""] == "no token"
    assert "too big" in errors["long"]
    assert all(r.retry_after is None for r in results)
    assert "" not in {r.token for r in standin.received}  # refused before sending
    assert standin.delivered() == {"ok": 1}


async def test_a_throttled_push_waits_for_retry_after_and_only_it_is_sent_again(
    app: firebase_admin.App, standin: FcmStandin
) -> None:
    standin.fail("busy", 429)
    started = time.monotonic()
    results = await _sender(app, standin).send(_pushes("calm", "busy", "quiet"))
    assert {r.outcome for r in results} == {PushOutcome.SENT}
    assert time.monotonic() - started >= standin.retry_after
    assert [r.token for r in standin.received].count("busy") == 2
    assert standin.delivered() == {"calm": 1, "busy": 1, "quiet": 1}


async def test_unavailable_and_internal_errors_are_retried(
    app: firebase_admin.App, standin: FcmStandin
) -> None:
    standin.fail("flaky", 503, 500, 503)
    [result] = await _sender(app, standin, retries=3).send(_pushes("flaky"))
    assert result.outcome is PushOutcome.SENT
    assert standin.delivered() == {"flaky": 1} and len(standin.received) == 4


async def test_a_push_still_failing_after_the_retries_is_given_back_to_retry(
    app: firebase_admin.App, standin: FcmStandin
) -> None:
    standin.fail("down", 503, 503, 503)
    standin.fail("throttled", 429, 429, 429)
    results = await _sender(app, standin, retries=2).send(_pushes("down", "throttled", "ok"))
    down, throttled, ok = results
    assert (down.outcome, down.retry_after) == (PushOutcome.RETRY, None)
    assert "unavailable" in down.error
    assert (throttled.outcome, throttled.retry_after) == (PushOutcome.RETRY, 1.0)
    assert ok.outcome is PushOutcome.SENT
    assert standin.delivered() == {"ok": 1}


async def test_a_long_retry_after_is_handed_back_at_once(
    app: firebase_admin.App, standin: FcmStandin
) -> None:
    standin.retry_after = 120
    standin.fail("throttled", 429)
    started = time.monotonic()
    [result] = await _sender(app, standin, longest_wait=10).send(_pushes("throttled"))
    assert (result.outcome, result.retry_after) == (PushOutcome.RETRY, 120.0)
    assert time.monotonic() - started < 5 and len(standin.received) == 1


async def test_random_failures_lose_nothing_and_send_nothing_twice(
    app: firebase_admin.App, standin: FcmStandin
) -> None:
    standin.throttled_share = standin.unavailable_share = 0.2
    standin.retry_after = 0
    tokens = [f"phone-{n}" for n in range(1_000)]
    results = await _sender(app, standin, retries=2, backoff=0.01).send(_pushes(*tokens))

    delivered = standin.delivered()
    assert max(delivered.values()) == 1
    for result in results:
        assert result.outcome in (PushOutcome.SENT, PushOutcome.RETRY)
        assert delivered[result.token] == (result.outcome is PushOutcome.SENT)
    assert sum(r.outcome is PushOutcome.SENT for r in results) > 950
    assert len(standin.received) <= 3 * len(tokens)


async def test_a_share_of_dead_tokens_and_the_stats_a_benchmark_reads(
    app: firebase_admin.App, standin: FcmStandin
) -> None:
    standin.dead_share = 0.1
    tokens = [f"phone-{n}" for n in range(300)]
    dead = {token for token in tokens if standin.is_dead(token)}
    assert 10 < len(dead) < 60  # about a tenth, the same tokens every time
    results = await _sender(app, standin).send(_pushes(*tokens, tokens[0]))
    assert {r.token for r in results if r.outcome is PushOutcome.DEAD_TOKEN} == dead
    stats = standin.stats()
    assert stats["requests"] == 301 and stats["by_status"]["404"] == len(dead) + (tokens[0] in dead)
    assert stats["tokens_delivered"] == 300 - len(dead)
    assert stats["duplicates"] == (0 if tokens[0] in dead else 1)


async def test_the_quota_is_never_exceeded_in_any_window(
    app: firebase_admin.App, standin: FcmStandin
) -> None:
    standin.latency = 0.02
    quota = LocalQuota(30, window=1.0, buckets=20)
    started = time.monotonic()
    tokens = [f"phone-{n}" for n in range(100)]
    results = await _sender(app, standin, quota).send(_pushes(*tokens))
    assert {r.outcome for r in results} == {PushOutcome.SENT}
    assert standin.busiest(1.0) <= 30
    assert time.monotonic() - started >= 3.0  # four windows' worth: it did wait


async def test_two_senders_on_one_redis_share_the_quota(standin: FcmStandin, account: Path) -> None:
    if not REDIS_URL:
        pytest.skip("LOYALTY_TEST_REDIS_URL is not set")
    key = f"test:fcm-quota:{uuid.uuid4().hex[:10]}"
    clients = [Redis.from_url(REDIS_URL) for _ in range(2)]  # as two worker processes
    apps = [_app(account) for _ in range(2)]
    try:
        senders = [
            _sender(app, standin, RedisQuota(client, key, 40, window=1.0, buckets=20))
            for app, client in zip(apps, clients, strict=True)
        ]
        batches = [_pushes(*(f"worker-{w}-{n}" for n in range(60))) for w in range(2)]
        started = time.monotonic()
        results = await asyncio.gather(*(s.send(b) for s, b in zip(senders, batches, strict=True)))
        assert all(r.outcome is PushOutcome.SENT for done in results for r in done)
        assert standin.busiest(1.0) <= 40
        assert time.monotonic() - started >= 2.0
        assert len(standin.delivered()) == 120
    finally:
        await clients[0].delete(key)
        for client in clients:
            await client.aclose()
        for app in apps:
            _delete(app)


async def test_the_factory_needs_credentials_and_sends_where_the_settings_say(
    standin: FcmStandin, account: Path
) -> None:
    assert push_sender(Settings(firebase_credentials=None)) is None

    settings = Settings(firebase_credentials=str(account), fcm_url=standin.url)
    sender = push_sender(settings)
    assert isinstance(sender, FcmSender) and isinstance(sender.quota, LocalQuota)
    assert sender.quota.limit == 600_000 and sender.quota.window == 60
    [result] = await sender.send(_pushes("phone"))
    assert result.outcome is PushOutcome.SENT and standin.delivered() == {"phone": 1}
    assert push_sender(settings).quota is not sender.quota  # type: ignore[union-attr]

    if REDIS_URL:
        client = Redis.from_url(REDIS_URL)
        shared = push_sender(settings.model_copy(update={"push_quota_per_minute": 1_000}), client)
        assert isinstance(shared, FcmSender) and isinstance(shared.quota, RedisQuota)
        assert shared.quota.key == f"loyalty:fcm-quota:{standin.project}"
        assert shared.quota.limit == 1_000
        await client.aclose()
