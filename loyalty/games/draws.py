"""Provably fair draws, by commit and reveal. Pure functions: no database, no clock.

A game draws from a secret seed (64 hex digits) whose SHA-256 it publishes before the seed is
used: `commitment(seed)` is the SHA-256 of the seed's text, so `printf %s SEED | sha256sum`
checks it. A draw is HMAC-SHA256 keyed with the seed's text over a public message, read as a
256-bit big-endian number and brought into range without favouring any value (`draw`). Once
the seed is revealed anyone can recompute every draw made from it: `verify_spin`,
`verify_draw`.

Messages: `wheel:{wheel id}:{spin number}` for a spin of a wheel, `lottery:{lottery id}:{place}`
for a place of a lottery's draw.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import accumulate

SEED_BYTES = 32
_SPACE = 1 << 256


def new_seed() -> str:
    return secrets.token_hex(SEED_BYTES)


def commitment(seed: str) -> str:
    return hashlib.sha256(seed.encode()).hexdigest()


def draw(seed: str, message: str, total: int) -> int:
    """A whole number from 0 to `total` - 1, each equally likely.

    HMAC-SHA256(seed, message) is read as a number; one in the last, incomplete run of `total`
    values would make the small results likelier (modulo bias), so it is rejected and the draw
    made again over `{message}:1`, `{message}:2`, ... until one falls below the limit.
    """
    if total < 1:
        raise ValueError("a draw needs at least one value to draw")
    limit = _SPACE - _SPACE % total
    attempt = 0
    while True:
        text = message if attempt == 0 else f"{message}:{attempt}"
        digest = hmac.new(seed.encode(), text.encode(), hashlib.sha256).digest()
        value = int.from_bytes(digest, "big")
        if value < limit:
            return value % total
        attempt += 1


# The wheel of fortune.

Weights = Sequence[tuple[int, int]]  # (prize id, weight), in the wheel's order


def spin_message(wheel_id: int, number: int) -> str:
    return f"wheel:{wheel_id}:{number}"


def pick(weights: Weights, value: int) -> int:
    """The prize whose run holds `value`: each prize, in order, has as many values as its
    weight (weights 3, 1: values 0-2 the first prize, 3 the second)."""
    bounds = list(accumulate(weight for _, weight in weights))
    return weights[bisect_right(bounds, value)][0]


def spin(seed: str, wheel_id: int, number: int, weights: Weights) -> tuple[int, int]:
    """A spin's draw and the prize it picks."""
    value = draw(seed, spin_message(wheel_id, number), sum(weight for _, weight in weights))
    return value, pick(weights, value)


@dataclass(frozen=True, slots=True)
class SpinRecord:
    """What a spin recorded, and the seed it was drawn from."""

    wheel_id: int
    number: int
    seed: str
    seed_hash: str
    weights: Weights
    draw: int
    prize_id: int


def verify_spin(record: SpinRecord) -> list[str]:
    """What is wrong with a spin's record: nothing when it is the draw its seed gives."""
    if commitment(record.seed) != record.seed_hash:
        return ["the seed is not the one whose hash was published"]
    if not record.weights or any(weight < 1 for _, weight in record.weights):
        return ["the weights table is not one a draw can use"]
    value, prize_id = spin(record.seed, record.wheel_id, record.number, record.weights)
    problems = []
    if value != record.draw:
        problems.append(f"the seed draws {value}, not the {record.draw} recorded")
    if prize_id != record.prize_id:
        problems.append(f"the draw picks prize {prize_id}, not the {record.prize_id} recorded")
    return problems


# The lottery.


def place_message(lottery_id: int, place: int) -> str:
    return f"lottery:{lottery_id}:{place}"


def winning_tickets(seed: str, lottery_id: int, tickets: int, places: int) -> list[int]:
    """The ticket numbers (1 to `tickets`) of places 1, 2, ...: no ticket wins twice.

    A Fisher-Yates shuffle of the tickets, stopped after `places` steps: step n swaps position
    n with one drawn from positions n to the last (`place_message` for place n + 1). Only the
    positions swapped are kept, so a million tickets cost no more than a few.
    """
    moved: dict[int, int] = {}
    winners = []
    for n in range(min(places, tickets)):
        chosen = n + draw(seed, place_message(lottery_id, n + 1), tickets - n)
        winners.append(moved.get(chosen, chosen) + 1)
        moved[chosen] = moved.get(n, n)
    return winners


@dataclass(frozen=True, slots=True)
class DrawRecord:
    """What a lottery's draw recorded, the seed, and its tickets: `owners[n - 1]` is the member
    who holds ticket n."""

    lottery_id: int
    seed: str
    seed_hash: str
    owners: Sequence[int]
    places: int
    winners: Sequence[tuple[int, int]]  # (ticket number, member id), first place first


def verify_draw(record: DrawRecord) -> list[str]:
    """What is wrong with a draw's record: nothing when its winners are the ones the seed and
    the tickets give."""
    if commitment(record.seed) != record.seed_hash:
        return ["the seed is not the one whose hash was published"]
    numbers = winning_tickets(record.seed, record.lottery_id, len(record.owners), record.places)
    expected = [(number, record.owners[number - 1]) for number in numbers]
    if list(record.winners) != expected:
        return [f"the seed and tickets give the winners {expected}, not {list(record.winners)}"]
    return []
