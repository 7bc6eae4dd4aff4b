"""Settings from environment variables (prefix ``LOYALTY_``) and an optional ``.env`` file."""

from __future__ import annotations

import hashlib
import hmac
from functools import lru_cache
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEVELOPMENT_SECRET = "insecure-development-secret-change-me"
MIN_SECRET_LENGTH = 32


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="LOYALTY_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    env: Literal["development", "test", "production"] = "development"
    # SQLite waits for a busy writer (another `loyalty` process) instead of failing at once.
    database_url: str = "sqlite://var/loyalty.sqlite3?busy_timeout=5000&synchronous=NORMAL"
    redis_url: str | None = None
    secret_key: str = DEVELOPMENT_SECRET
    timezone: str = "Asia/Tehran"
    # The calendar the club's years and months follow (points expiry, calendar-year tiers).
    calendar: Literal["jalali", "gregorian"] = "jalali"
    currency_display: Literal["rial", "toman"] = "toman"

    # Until a manager sets up earning rules: `earn_points` points for every `earn_per_rial` Rials.
    earn_points: int = Field(default=1, ge=0)
    earn_per_rial: int = Field(default=10_000, gt=0)

    # argon2id cost; the defaults are argon2-cffi's (RFC 9106 low-memory profile).
    password_time_cost: int = Field(default=3, ge=1)
    password_memory_kib: int = Field(default=65_536, ge=1024)

    access_token_minutes: int = Field(default=15, gt=0)
    refresh_token_days: int = Field(default=30, gt=0)
    otp_minutes: int = Field(default=5, gt=0)
    otp_max_attempts: int = Field(default=5, gt=0)
    otp_per_phone_per_hour: int = Field(default=5, gt=0)
    otp_per_ip_per_hour: int = Field(default=30, gt=0)

    # Firebase phone sign-in: a service-account JSON file (or FIREBASE_AUTH_EMULATOR_HOST set).
    firebase_credentials: str | None = None
    firebase_project_id: str | None = None
    # Push (FCM) with the same credentials. `fcm_url`: where FCM is reached (unset: Google's;
    # a stand-in's in tests and benchmarks). The quota holds in any rolling minute, across all
    # workers when Redis is configured; FCM's default is 600,000 a minute.
    fcm_url: str | None = None
    push_quota_per_minute: int = Field(default=600_000, gt=0)
    push_retries: int = Field(default=5, ge=0)  # more sends of a throttled or unavailable push

    # NFC card MACs: version -> secret (JSON, e.g. {"2": "..."}). Version 1 is derived from the
    # secret key unless given here; new cards are written under the highest version, and cards
    # under any version still listed (or 1) keep working.
    card_keys: dict[int, str] = Field(default_factory=dict)

    max_request_bytes: int = Field(default=64 * 1024, gt=0)

    graphql_max_depth: int = Field(default=10, gt=0)
    graphql_max_tokens: int = Field(default=2_000, gt=0)
    graphql_max_aliases: int = Field(default=15, gt=0)
    # The app's trusted documents (JSON: id → text); unset: mobile_contract/trusted-documents.json
    # of the installed source. Production refuses to start without it.
    trusted_documents: str | None = None

    # SMS: "log" writes messages to the log (a single shop without a provider still works);
    # "kavenegar" sends them through Kavenegar's REST API with this key and line number.
    sms_provider: Literal["log", "kavenegar"] = "log"
    kavenegar_api_key: str | None = None
    kavenegar_sender: str | None = None  # the line number; unset: the account's default line
    kavenegar_url: str = "https://api.kavenegar.com"

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r}") from None
        return value

    @model_validator(mode="after")
    def _production_needs_a_secret(self) -> Settings:
        if self.env == "production" and (
            self.secret_key == DEVELOPMENT_SECRET or len(self.secret_key) < MIN_SECRET_LENGTH
        ):
            raise ValueError(
                "LOYALTY_SECRET_KEY must be set to a random value of at least "
                f"{MIN_SECRET_LENGTH} characters in production"
            )
        return self

    @field_validator("card_keys")
    @classmethod
    def _strong_card_keys(cls, value: dict[int, str]) -> dict[int, str]:
        for version, secret in value.items():
            if not 1 <= version <= 255 or len(secret) < MIN_SECRET_LENGTH:
                raise ValueError(
                    f"card key versions are 1 to 255, with secrets of at least "
                    f"{MIN_SECRET_LENGTH} characters (version {version})"
                )
        return value

    @property
    def production(self) -> bool:
        return self.env == "production"

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def derived_key(self, purpose: str) -> bytes:
        """A key for one purpose (tokens, OTP hashes, card MACs) derived from the secret key."""
        return hmac.new(self.secret_key.encode(), purpose.encode(), hashlib.sha256).digest()


@lru_cache
def get_settings() -> Settings:
    return Settings()
