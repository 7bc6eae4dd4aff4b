"""Phone numbers: whatever form a person types, stored as E.164."""

from __future__ import annotations

import re

import phonenumbers

from loyalty.errors import ErrorCode, InvalidInput

DEFAULT_REGION = "IR"
# Persian (U+06F0..) and Arabic-Indic (U+0660..) digits to ASCII; no-break spaces to spaces;
# the invisible direction marks a number copied out of right-to-left text carries are dropped.
_DIGITS = str.maketrans(
    "۰۱۲۳۴۵۶۷۸۹٠١٢٣٤٥٦٧٨٩\u00a0\u202f",
    "01234567890123456789  ",
    "\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\ufeff",
)
MAX_INPUT_LENGTH = 32
# Digits and the separators people type; letters are refused (phonenumbers would read "abc" as 222).
_PHONE_CHARACTERS = re.compile(r"\+?[0-9 ()\-.]+")


def ascii_digits(text: str) -> str:
    """`text` with Persian and Arabic-Indic digits as ASCII, without direction marks."""
    return text.translate(_DIGITS)


def normalise_phone(raw: str, region: str = DEFAULT_REGION) -> str:
    """Return the E.164 form of a mobile number, or raise InvalidInput (code INVALID_PHONE)."""
    text = ascii_digits((raw or "").strip())
    if not text or len(text) > MAX_INPUT_LENGTH:
        raise InvalidInput(
            "phone number is empty or too long", field="phone", code=ErrorCode.INVALID_PHONE
        )
    if not _PHONE_CHARACTERS.fullmatch(text):
        raise InvalidInput(
            f"{raw!r} is not a phone number", field="phone", code=ErrorCode.INVALID_PHONE
        )
    if text.startswith("00"):
        text = "+" + text[2:]
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        raise InvalidInput(
            f"{raw!r} is not a phone number", field="phone", code=ErrorCode.INVALID_PHONE
        ) from None
    if not phonenumbers.is_valid_number(number) or phonenumbers.number_type(number) not in (
        phonenumbers.PhoneNumberType.MOBILE,
        phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
    ):
        raise InvalidInput(
            f"{raw!r} is not a valid mobile number", field="phone", code=ErrorCode.INVALID_PHONE
        )
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
