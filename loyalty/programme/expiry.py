"""Points expiry, by lot: each earning expires on its own date, oldest first."""

from __future__ import annotations

from datetime import datetime

from loyalty import clock
from loyalty.programme.policies import ExpiryPolicy


def expires_at(policy: ExpiryPolicy, earned_at: datetime) -> datetime | None:
    """When points earned at `earned_at` expire under `policy` (None: never)."""
    if policy.mode == "months_after_earning":
        return clock.add_months(earned_at, policy.months)
    if policy.mode == "end_of_following_year":
        return clock.start_of_year(earned_at, years_later=2)
    return None
