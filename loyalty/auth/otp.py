"""One-time sign-in codes: random, stored hashed, short-lived, few tries, rate-limited."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import UTC, datetime, timedelta

from tortoise.expressions import F

from loyalty.errors import AuthenticationFailed, ErrorCode, RateLimited
from loyalty.messaging.channels import SmsSender
from loyalty.models import OtpChallenge
from loyalty.phones import normalise_phone
from loyalty.settings import get_settings

CODE_DIGITS = 6
WINDOW = timedelta(hours=1)


def _hash(phone: str, code: str) -> str:
    key = get_settings().derived_key("otp")
    return hmac.new(key, f"{phone}:{code}".encode(), hashlib.sha256).hexdigest()


async def request_code(phone: str, ip: str, sender: SmsSender) -> str:
    """Send a fresh code to `phone`. Returns the normalised phone."""
    settings = get_settings()
    e164 = normalise_phone(phone)
    now = datetime.now(UTC)
    since = now - WINDOW
    if await OtpChallenge.filter(phone=e164, created_at__gte=since).count() >= (
        settings.otp_per_phone_per_hour
    ):
        raise RateLimited("too many codes sent to this phone; try again later", 3600)
    if await OtpChallenge.filter(ip=ip, created_at__gte=since).count() >= (
        settings.otp_per_ip_per_hour
    ):
        raise RateLimited("too many codes requested from this address; try again later", 3600)
    code = f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"
    await OtpChallenge.create(
        phone=e164,
        ip=ip[:64],
        code_hash=_hash(e164, code),
        expires_at=now + timedelta(minutes=settings.otp_minutes),
    )
    await sender.send(e164, f"کد ورود شما به باشگاه: {code}\nYour club sign-in code: {code}")
    return e164


async def verify_code(phone: str, code: str) -> str:
    """Consume the latest code sent to `phone`. Returns the normalised phone on success."""
    settings = get_settings()
    e164 = normalise_phone(phone)
    now = datetime.now(UTC)
    # Only the latest code counts: once it is used, an older one does not come back to life.
    challenge = await OtpChallenge.filter(phone=e164).order_by("-created_at", "-id").first()
    if challenge is None or challenge.consumed_at is not None or challenge.expires_at <= now:
        raise AuthenticationFailed(
            "the code has expired; ask for a new one", code=ErrorCode.CODE_EXPIRED
        )
    # Count the try before checking, atomically, so parallel guesses cannot exceed the limit.
    counted = await OtpChallenge.filter(
        id=challenge.id, attempts__lt=settings.otp_max_attempts, consumed_at=None
    ).update(attempts=F("attempts") + 1)
    if not counted:
        raise AuthenticationFailed(
            "too many wrong codes; ask for a new one", code=ErrorCode.TOO_MANY_ATTEMPTS
        )
    if not hmac.compare_digest(challenge.code_hash, _hash(e164, (code or "").strip())):
        raise AuthenticationFailed("the code is not correct", code=ErrorCode.CODE_INVALID)
    consumed = await OtpChallenge.filter(id=challenge.id, consumed_at=None).update(consumed_at=now)
    if not consumed:
        raise AuthenticationFailed("the code was already used", code=ErrorCode.CODE_INVALID)
    return e164
