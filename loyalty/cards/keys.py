"""The record an NFC card carries, and the MAC that binds it to one tag.

The record is `LC1.<card number>.<key version>.<MAC>`: HMAC-SHA256 over the card number and the
tag's UID under the card key of that version, base64url. A copy on another tag fails (another
UID); a changed number or MAC fails. Keys per version: `Settings.card_keys`, and version 1
derived from the secret key when not given there.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass

from loyalty.errors import DomainError, ErrorCode, InvalidInput
from loyalty.settings import Settings, get_settings

PREFIX = "LC1"
_RECORD = re.compile(rf"{PREFIX}\.([0-9]{{12}})\.([0-9]{{1,3}})\.([A-Za-z0-9_\-]{{43}})")
# NFCID1 of 4, 7 or 10 bytes; a FeliCa IDm of 8.
_UID = re.compile(r"(?:[0-9A-F]{8}|[0-9A-F]{14}|[0-9A-F]{16}|[0-9A-F]{20})")
# The NTAG21x password (4 bytes) and its acknowledgement (2 bytes).
TAG_PASSWORD_BYTES = 6


@dataclass(frozen=True, slots=True)
class CardRecord:
    card_number: str
    key_version: int
    mac: str

    @property
    def text(self) -> str:
        return f"{PREFIX}.{self.card_number}.{self.key_version}.{self.mac}"


def invalid(message: str) -> DomainError:
    return DomainError(message, code=ErrorCode.CARD_INVALID)


def clean_uid(uid: str) -> str:
    cleaned = (uid or "").replace(":", "").replace(" ", "").upper()
    if not _UID.fullmatch(cleaned):
        raise InvalidInput("uid: the tag's UID in hex, 4, 7, 8 or 10 bytes", field="uid")
    return cleaned


def _secret(settings: Settings, version: int) -> bytes:
    if version in settings.card_keys:
        return hmac.new(settings.card_keys[version].encode(), b"card-mac", hashlib.sha256).digest()
    if version == 1:
        return settings.derived_key("card-mac:v1")
    raise invalid(f"this card was written under card key {version}, which the club does not hold")


def current_version(settings: Settings | None = None) -> int:
    settings = settings or get_settings()
    return max(settings.card_keys, default=1)


def _mac(card_number: str, uid: str, version: int) -> str:
    digest = hmac.new(
        _secret(get_settings(), version), f"{card_number}:{uid}".encode(), hashlib.sha256
    ).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def new_record(uid: str) -> CardRecord:
    """A record for a new card on the tag with this UID, under the current key."""
    number = f"{secrets.randbelow(10**12):012d}"
    version = current_version()
    return CardRecord(number, version, _mac(number, clean_uid(uid), version))


def verify(record: str, uid: str) -> CardRecord:
    """The record, if it was written by the club for the tag with this UID."""
    match = _RECORD.fullmatch((record or "").strip())
    if match is None:
        raise invalid("this is not a club card (the record on it is not the club's)")
    parsed = CardRecord(match[1], int(match[2]), match[3])
    expected = _mac(parsed.card_number, clean_uid(uid), parsed.key_version)
    if not hmac.compare_digest(expected, parsed.mac):
        raise invalid("this card's record does not belong to this tag (copied or changed)")
    return parsed


def number_in(record: str) -> str:
    """The card number a record claims, verified or not (for the records of refusals)."""
    parts = (record or "").split(".")
    return parts[1][:32] if len(parts) > 1 else ""


def tag_password(uid: str) -> bytes:
    """The NTAG21x write password of the tag with this UID: secret, and different per card."""
    key = get_settings().derived_key("card-tag-password")
    return hmac.new(key, clean_uid(uid).encode(), hashlib.sha256).digest()[:TAG_PASSWORD_BYTES]
