"""Custom scalars."""

from typing import NewType

import strawberry

MAX_SAFE_INTEGER = 2**53 - 1


def _parse_big_int(value: object) -> int:
    if isinstance(value, bool):
        raise ValueError("BigInt must be a whole number, not a boolean")
    if isinstance(value, int):
        number = value
    elif isinstance(value, str) and value.lstrip("-").isdigit():
        number = int(value)
    else:
        raise ValueError("BigInt must be a whole number")
    if abs(number) > MAX_SAFE_INTEGER:
        raise ValueError(f"BigInt must be within ±{MAX_SAFE_INTEGER}")
    return number


BigInt = NewType("BigInt", int)

SCALARS = {
    BigInt: strawberry.scalar(
        name="BigInt",
        description=(
            "A whole number that may exceed 32 bits (Rials, points), sent as a JSON number "
            "(or a string of digits) within ±2^53−1."
        ),
        serialize=int,
        parse_value=_parse_big_int,
    )
}
