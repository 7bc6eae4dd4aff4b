"""The holdout: members of the audience drawn at random to get nothing, the campaign's
comparison group.

The draw is a function of the seed recorded with the campaign and of the audience (its member
ids, in any order): the same seed and audience always draw the same members, so anyone can
check a campaign's holdout. It takes exactly the configured share, rounded to the nearest
member.
"""

from __future__ import annotations

import random
import secrets
from collections.abc import Collection


def new_seed() -> str:
    return secrets.token_hex(16)


def size(audience: int, percent: int) -> int:
    """`percent` of `audience`, to the nearest member (a half rounds up)."""
    return (audience * percent + 50) // 100


def draw(member_ids: Collection[int], percent: int, seed: str) -> set[int]:
    """The members held out."""
    ordered = sorted(member_ids)
    return set(random.Random(seed).sample(ordered, size(len(ordered), percent)))
