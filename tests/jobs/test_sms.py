"""The SMS senders: the Kavenegar adapter against a local stand-in speaking its protocol, the
log sender, and the factory."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Iterator

import pytest

from jobs.sms import (
    KavenegarSender,
    LogSender,
    SmsConfigurationError,
    kavenegar_receptor,
    sms_sender,
)
from loyalty.messaging.channels import SmsOutcome
from loyalty.settings import Settings
from tests.standins.kavenegar import DEFAULT_LINE, KavenegarStandIn, running_kavenegar

PHONE = "+989121234567"
RECEPTOR = "09121234567"
LINE = "10008663"


@pytest.fixture(scope="module")
def kavenegar_server() -> Iterator[KavenegarStandIn]:
    with running_kavenegar() as stand_in:
        yield stand_in


@pytest.fixture
def kavenegar(kavenegar_server: KavenegarStandIn) -> KavenegarStandIn:
    kavenegar_server.reset()
    return kavenegar_server


def make_sender(kavenegar: KavenegarStandIn, **options: object) -> KavenegarSender:
    options = {"line_number": LINE, "backoff": 0.01, **options}
    return KavenegarSender(kavenegar.api_key, base_url=kavenegar.url, **options)


@pytest.fixture
async def sender(kavenegar: KavenegarStandIn) -> AsyncIterator[KavenegarSender]:
    sender = make_sender(kavenegar)
    yield sender
    await sender.aclose()


async def test_sent_returns_the_provider_message_id(
    sender: KavenegarSender, kavenegar: KavenegarStandIn
) -> None:
    result = await sender.send(PHONE, "Your points: 120")

    assert result.outcome is SmsOutcome.SENT
    [delivered] = kavenegar.delivered
    assert result.provider_id == str(delivered.messageid)
    assert (delivered.receptor, delivered.message, delivered.sender) == (
        RECEPTOR,
        "Your points: 120",
        LINE,
    )
    assert result.error == ""


async def test_without_a_line_number_the_account_default_line_sends(
    kavenegar: KavenegarStandIn,
) -> None:
    sender = make_sender(kavenegar, line_number=None)
    try:
        assert (await sender.send(PHONE, "hi")).outcome is SmsOutcome.SENT
    finally:
        await sender.aclose()
    assert "sender" not in kavenegar.calls[0].params
    assert kavenegar.delivered[0].sender == DEFAULT_LINE


async def test_persian_text_arrives_intact(
    sender: KavenegarSender, kavenegar: KavenegarStandIn
) -> None:
    text = "سلام علی! ۱۲۰ امتیاز به حساب شما در باشگاه مشتریان اضافه شد 🎉"

    result = await sender.send(PHONE, text)

    assert result.outcome is SmsOutcome.SENT
    assert kavenegar.delivered[0].message == text


@pytest.mark.parametrize(
    ("phone", "receptor"),
    [
        ("+989121234567", "09121234567"),
        ("+4915123456789", "004915123456789"),
    ],
)
def test_e164_numbers_become_kavenegar_receptors(phone: str, receptor: str) -> None:
    assert kavenegar_receptor(phone) == receptor


@pytest.mark.parametrize(
    ("status", "error"),
    [
        (411, "kavenegar 411 invalid receptor: گیرنده نامعتبر است"),
        (412, "kavenegar 412 invalid sender line"),
        (413, "kavenegar 413 message empty or too long"),
        (418, "kavenegar 418 not enough credit: اعتبار حساب شما کافی نیست"),
        (422, "kavenegar 422 message has characters that cannot be processed"),
        (501, "kavenegar 501 a test account may only send to its owner's number"),
    ],
)
async def test_refusals_fail_for_good_with_a_specific_error(
    sender: KavenegarSender, kavenegar: KavenegarStandIn, status: int, error: str
) -> None:
    kavenegar.fail_receptor(RECEPTOR, status)

    result = await sender.send(PHONE, "hi")

    assert result.outcome is SmsOutcome.FAILED
    assert result.error.startswith(error)
    assert len(kavenegar.calls) == 1  # a refusal is not retried
    assert kavenegar.delivered == []


async def test_a_wrong_api_key_fails(kavenegar: KavenegarStandIn) -> None:
    sender = KavenegarSender("not-the-key", base_url=kavenegar.url, backoff=0.01)
    try:
        result = await sender.send(PHONE, "hi")
    finally:
        await sender.aclose()

    assert result.outcome is SmsOutcome.FAILED
    assert result.error.startswith("kavenegar 403 invalid API key")


async def test_a_number_kavenegar_rejects_fails(sender: KavenegarSender) -> None:
    result = await sender.send("+98912123456", "hi")  # E.164, one digit short for a mobile

    assert result.outcome is SmsOutcome.FAILED
    assert result.error.startswith("kavenegar 411 invalid receptor")


async def test_a_number_that_is_not_e164_fails_before_any_call(
    sender: KavenegarSender, kavenegar: KavenegarStandIn
) -> None:
    result = await sender.send("09121234567", "hi")

    assert result.outcome is SmsOutcome.FAILED
    assert result.error == "not an E.164 phone number: '09121234567'"
    assert kavenegar.calls == []


async def test_a_message_too_long_fails(sender: KavenegarSender) -> None:
    result = await sender.send(PHONE, "ب" * 269)

    assert result.outcome is SmsOutcome.FAILED
    assert result.error.startswith("kavenegar 413 ")


@pytest.mark.parametrize("status", [500, 502, 409])
async def test_passing_trouble_is_retried_then_sent_once(
    sender: KavenegarSender, kavenegar: KavenegarStandIn, status: int
) -> None:
    kavenegar.fail_next(status, status)

    result = await sender.send(PHONE, "hi")

    assert result.outcome is SmsOutcome.SENT
    assert [call.status for call in kavenegar.calls] == [status, status, 200]
    assert len(kavenegar.delivered) == 1
    assert result.provider_id == str(kavenegar.delivered[0].messageid)


async def test_exhausted_retries_leave_the_message_for_a_later_retry(
    sender: KavenegarSender, kavenegar: KavenegarStandIn
) -> None:
    kavenegar.fail_next(502, 502, 502)

    result = await sender.send(PHONE, "hi")

    assert result.outcome is SmsOutcome.RETRY
    assert result.error.startswith("kavenegar 502 bad gateway")
    assert len(kavenegar.calls) == 3
    assert kavenegar.delivered == []


async def test_throttling_is_left_for_later_without_hammering(
    sender: KavenegarSender, kavenegar: KavenegarStandIn
) -> None:
    kavenegar.fail_next(451)

    result = await sender.send(PHONE, "hi")

    assert result.outcome is SmsOutcome.RETRY
    assert result.error.startswith("kavenegar 451 too many calls from this IP")
    assert len(kavenegar.calls) == 1


async def test_a_timeout_is_retried_and_the_message_is_never_doubled(
    kavenegar: KavenegarStandIn,
) -> None:
    kavenegar.latency = 0.3
    sender = make_sender(kavenegar, timeout=0.05)
    try:
        result = await sender.send(PHONE, "hi")
    finally:
        await sender.aclose()

    assert result.outcome is SmsOutcome.RETRY
    assert result.error.startswith("kavenegar timed out")
    # The stand-in finishes each request after the client gave up; all three carried one
    # localid, so it sent the message once.
    for _ in range(100):
        if len(kavenegar.calls) == 3:
            break
        await asyncio.sleep(0.02)
    assert len(kavenegar.calls) == 3
    assert len({call.params["localid"] for call in kavenegar.calls}) == 1
    assert len(kavenegar.delivered) == 1


async def test_an_unreachable_provider_means_retry() -> None:
    with running_kavenegar() as gone:
        url = gone.url  # a loopback port nobody listens on any more
    sender = KavenegarSender("key", base_url=url, backoff=0.01, attempts=2)
    try:
        result = await sender.send(PHONE, "hi")
    finally:
        await sender.aclose()

    assert result.outcome is SmsOutcome.RETRY
    assert result.error.startswith("kavenegar unreachable: ConnectError")


async def test_the_log_sender_logs_and_reports_sent(caplog: pytest.LogCaptureFixture) -> None:
    sender = LogSender()
    with caplog.at_level(logging.INFO, logger="loyalty.sms"):
        result = await sender.send(PHONE, "سلام")
    await sender.aclose()

    assert result.outcome is SmsOutcome.SENT
    assert result.provider_id.startswith("log-")
    [record] = [r for r in caplog.records if r.name == "loyalty.sms"]
    assert record.getMessage() == f"SMS {result.provider_id} to {PHONE}: سلام"


async def test_the_log_sender_refuses_a_number_that_is_not_e164() -> None:
    result = await LogSender().send("09121234567", "hi")

    assert result.outcome is SmsOutcome.FAILED
    assert "E.164" in result.error


def test_the_factory_picks_the_log_sender_by_default() -> None:
    assert isinstance(sms_sender(Settings()), LogSender)


async def test_the_factory_builds_a_kavenegar_sender(kavenegar: KavenegarStandIn) -> None:
    settings = Settings(
        sms_provider="kavenegar",
        kavenegar_api_key=kavenegar.api_key,
        kavenegar_sender=LINE,
        kavenegar_url=kavenegar.url,
    )
    sender = sms_sender(settings)
    try:
        assert isinstance(sender, KavenegarSender)
        assert (await sender.send(PHONE, "hi")).outcome is SmsOutcome.SENT
    finally:
        await sender.aclose()
    assert kavenegar.delivered[0].sender == LINE


@pytest.mark.parametrize("api_key", [None, ""])
def test_the_factory_refuses_kavenegar_without_a_key(api_key: str | None) -> None:
    settings = Settings(sms_provider="kavenegar", kavenegar_api_key=api_key)

    with pytest.raises(SmsConfigurationError, match="LOYALTY_KAVENEGAR_API_KEY is not set"):
        sms_sender(settings)


def test_the_factory_refuses_a_url_that_is_not_http() -> None:
    settings = Settings(
        sms_provider="kavenegar", kavenegar_api_key="key", kavenegar_url="api.kavenegar.com"
    )

    with pytest.raises(SmsConfigurationError, match="not an http"):
        sms_sender(settings)


def test_an_unknown_provider_is_refused_by_the_settings() -> None:
    with pytest.raises(ValueError, match="sms_provider"):
        Settings(sms_provider="twilio")
