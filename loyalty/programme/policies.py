"""Club-wide settings of the programme: how tiers are earned and kept, when points expire."""

from __future__ import annotations

from datetime import time
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from tortoise.transactions import in_transaction

from loyalty.actors import Actor
from loyalty.errors import InvalidInput
from loyalty.models import ProgrammeSetting, Role
from loyalty.programme import audit, snapshot


class _Policy(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class TierPolicy(_Policy):
    """Tiers are reached by points earned (not the balance) or by Rials spent, over a period."""

    metric: Literal["points_earned", "spend"] = "points_earned"
    period: Literal["lifetime", "calendar_year", "rolling_days"] = "rolling_days"
    window_days: int = Field(default=365, ge=1, le=3_660)
    review_months: int = Field(default=12, ge=1, le=60)
    grace_days: int = Field(default=30, ge=0, le=365)


class ExpiryPolicy(_Policy):
    """Points expire by lot: each earning on its own date."""

    mode: Literal["never", "months_after_earning", "end_of_following_year"] = "never"
    months: int = Field(default=12, ge=1, le=120)
    warn_days: int = Field(default=30, ge=1, le=365)


class MessagingPolicy(_Policy):
    """How often and when marketing messages may reach a member (service messages are exempt).
    Quiet hours are in the club's time zone; a message due in them goes when they end."""

    # Kept in JSON as "21:00:00": read back from text.
    quiet_from: time = Field(default=time(21, 0), strict=False)
    quiet_until: time = Field(default=time(9, 0), strict=False)
    marketing_per_week: int = Field(default=3, ge=0, le=50)


class OfflinePolicy(_Policy):
    """What an NFC station may accept while it cannot reach the server, in Rials of credit
    paid: per card per club day, and in total not yet synced per station. Purchases (points
    earned when they sync) are accepted offline when `purchases` is on."""

    credit_per_card_per_day: int = Field(default=2_000_000, ge=0, le=10**12)
    credit_per_station: int = Field(default=20_000_000, ge=0, le=10**13)
    purchases: bool = True


class HappyCallPolicy(_Policy):
    """How the happy-call queue hands out calls and retries them. Calling hours are in the
    club's time zone; an unanswered call is tried again at another hour of the day."""

    claim_minutes: int = Field(default=15, ge=1, le=240)
    max_attempts: int = Field(default=3, ge=1, le=10)
    retry_after_minutes: int = Field(default=120, ge=5, le=10_080)
    busy_retry_minutes: int = Field(default=15, ge=1, le=1_440)
    recent_call_days: int = Field(default=30, ge=0, le=365)
    calling_hours_from: time = Field(default=time(9, 0), strict=False)
    calling_hours_until: time = Field(default=time(21, 0), strict=False)


class AnalysisPolicy(_Policy):
    """When a member is at risk of churning: more days since their last visit than
    `churn_gap_multiple` times their usual (median) gap between visits, which a member has only
    after `churn_min_visits` visits."""

    churn_gap_multiple: float = Field(default=2.0, ge=1.0, le=20.0)
    churn_min_visits: int = Field(default=3, ge=2, le=100)


class LiabilityPolicy(_Policy):
    """What a point is worth in Rials when the club values the points members hold (the
    liability report). 0: as the rewards catalogue prices it, the mean Rials off per point of
    the active amount-off rewards."""

    point_value: int = Field(default=0, ge=0, le=10**9)


POLICIES: dict[str, type[_Policy]] = {
    "tiers": TierPolicy,
    "expiry": ExpiryPolicy,
    "messaging": MessagingPolicy,
    "offline": OfflinePolicy,
    "happy_calls": HappyCallPolicy,
    "analysis": AnalysisPolicy,
    "liability": LiabilityPolicy,
}


def parse(key: str, raw: object) -> _Policy:
    try:
        return POLICIES[key].model_validate(raw or {})
    except ValidationError as error:
        first = error.errors()[0]
        field = ".".join(str(p) for p in first["loc"]) or key
        raise InvalidInput(f"{key}.{field}: {first['msg']}", field=f"{key}.{field}") from None


async def load(key: str) -> tuple[_Policy, int]:
    """A policy and its version (0 when never set: the defaults)."""
    row = await ProgrammeSetting.get_or_none(key=key)
    if row is None:
        return POLICIES[key](), 0
    return parse(key, row.value), row.version


async def read(actor: Actor, key: str) -> tuple[_Policy, int]:
    """A policy and its version, for the managers who set it."""
    actor.require_staff(Role.MANAGER)
    return await load(key)


async def save(
    actor: Actor, key: str, raw: dict, *, expected_version: int | None = None
) -> tuple[_Policy, int]:
    actor.require_staff(Role.MANAGER)
    if key not in POLICIES:
        raise InvalidInput(f"unknown setting {key!r}", field="key")
    policy = parse(key, raw)
    value = policy.model_dump(mode="json")
    async with in_transaction():
        row = await ProgrammeSetting.filter(key=key).select_for_update().first()
        current = row.version if row else 0
        audit.check_version(key, current, expected_version)
        if row is None:
            await ProgrammeSetting.create(key=key, value=value, version=1)
        elif not await ProgrammeSetting.filter(key=key, version=current).update(
            value=value, version=current + 1
        ):
            raise audit.stale(key, current)
        await audit.record(
            actor,
            entity="setting",
            entity_id=key,
            version=current + 1,
            action="update",
            snapshot=value,
        )
    snapshot.invalidate()
    return policy, current + 1
