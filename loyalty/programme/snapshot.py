"""The live configuration of the programme, loaded once and shared by every purchase.

A change made through this process is seen at once; one made by another process (another
API worker) within `MAX_AGE`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from loyalty.models import EarningRule, ProgrammeSetting, Tier

MAX_AGE_SECONDS = 5.0


@dataclass(frozen=True, slots=True)
class Programme:
    rules: tuple  # CompiledRule, highest priority first
    tiers: tuple[Tier, ...]  # active tiers, lowest rank first
    tier_policy: object  # policies.TierPolicy
    expiry_policy: object  # policies.ExpiryPolicy
    messaging_policy: object  # policies.MessagingPolicy
    happy_call_policy: object  # policies.HappyCallPolicy
    # Each rule's words (engine.why), made once per loaded configuration, not per purchase.
    words: dict = field(default_factory=dict, compare=False)

    def tier(self, tier_id: int | None) -> Tier | None:
        return next((t for t in self.tiers if t.id == tier_id), None)

    def tier_for(self, qualifying: int) -> Tier | None:
        """The highest tier whose threshold `qualifying` reaches."""
        reached = [t for t in self.tiers if qualifying >= t.threshold]
        return reached[-1] if reached else None

    def next_tier(self, tier: Tier | None) -> Tier | None:
        rank = -1 if tier is None else tier.rank
        return next((t for t in self.tiers if t.rank > rank), None)


_cached: Programme | None = None
_loaded_at = 0.0


def invalidate() -> None:
    global _cached
    _cached = None


async def current() -> Programme:
    global _cached, _loaded_at
    if _cached is None or time.monotonic() - _loaded_at > MAX_AGE_SECONDS:
        _cached, _loaded_at = await _load(), time.monotonic()
    return _cached


async def _load() -> Programme:
    from loyalty.programme import policies
    from loyalty.programme.rules import CompiledRule

    rules = await EarningRule.filter(active=True).order_by("-priority", "id")
    tiers = await Tier.filter(active=True).order_by("rank")
    settings = {row.key: row.value for row in await ProgrammeSetting.all()}
    return Programme(
        rules=tuple(CompiledRule.of(rule) for rule in rules),
        tiers=tuple(tiers),
        tier_policy=policies.parse("tiers", settings.get("tiers")),
        expiry_policy=policies.parse("expiry", settings.get("expiry")),
        messaging_policy=policies.parse("messaging", settings.get("messaging")),
        happy_call_policy=policies.parse("happy_calls", settings.get("happy_calls")),
    )
