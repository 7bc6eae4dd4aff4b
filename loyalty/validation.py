"""Checks shared by the services: amounts, text lengths, dates."""

from __future__ import annotations

from datetime import date

from pydantic import ValidationError
from pydantic.alias_generators import to_camel

from loyalty.errors import ErrorCode, InvalidInput

# Far above any real purchase or balance, far below what a BIGINT holds (so sums cannot overflow).
MAX_RIAL = 10**13
MAX_POINTS = 10**12
MAX_AGE_YEARS = 120


def positive_amount(value: int, *, field: str, maximum: int = MAX_RIAL) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidInput(
            f"{field} must be a whole number", field=field, code=ErrorCode.INVALID_AMOUNT
        )
    if value <= 0:
        raise InvalidInput(
            f"{field} must be greater than zero", field=field, code=ErrorCode.INVALID_AMOUNT
        )
    if value > maximum:
        raise InvalidInput(
            f"{field} may be at most {maximum:,}", field=field, code=ErrorCode.INVALID_AMOUNT
        )
    return value


def text(value: str | None, *, field: str, max_length: int, required: bool = False) -> str:
    value = (value or "").strip()
    if required and not value:
        raise InvalidInput(f"{field} is required", field=field)
    if len(value) > max_length:
        raise InvalidInput(f"{field} may be at most {max_length} characters", field=field)
    return value


def birthday(value: date, today: date) -> date:
    if value > today:
        raise InvalidInput("birthday cannot be in the future", field="birthday")
    if value.year < today.year - MAX_AGE_YEARS:
        raise InvalidInput(
            f"birthday is more than {MAX_AGE_YEARS} years ago: check the year", field="birthday"
        )
    return value


def refusal(error: ValidationError) -> InvalidInput:
    """A definition's first fault, naming the input field as the API does (camelCase)."""
    first = error.errors()[0]
    field = ".".join(to_camel(p) if isinstance(p, str) else str(p) for p in first["loc"])
    message = first["msg"].removeprefix("Value error, ")
    return InvalidInput(f"{field}: {message}" if field else message, field=field or None)
