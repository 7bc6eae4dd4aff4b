"""The API's own tokens: short-lived signed access tokens and rotating refresh tokens.

Refresh tokens are random, stored hashed, and single use: using one issues a new pair.
Presenting a refresh token that was already used revokes every token of its owner, since
one of the two parties holding it is a thief.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache

import jwt

from loyalty.actors import Actor, ActorKind
from loyalty.errors import AuthenticationFailed
from loyalty.models import RefreshToken, Role, SubjectKind
from loyalty.settings import get_settings

ALGORITHM = "HS256"
ISSUER = "loyalty-club"


@dataclass(frozen=True, slots=True)
class TokenPair:
    access_token: str
    refresh_token: str
    access_expires_at: datetime


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def access_token(actor: Actor, key: bytes, issued: datetime, expires: datetime) -> str:
    """A signed access token for `actor`; `key` is the settings' derived "access-token" key."""
    claims = {
        "iss": ISSUER,
        "sub": f"{actor.kind.value}:{actor.id}",
        "iat": issued,
        "exp": expires,
        "role": actor.role.value if actor.role else None,
        "branch": actor.branch_id,
    }
    return jwt.encode(claims, key, algorithm=ALGORITHM)


async def issue(actor: Actor) -> TokenPair:
    assert actor.id is not None and actor.kind is not ActorKind.SYSTEM
    settings = get_settings()
    now = datetime.now(UTC)
    expires = now + timedelta(minutes=settings.access_token_minutes)
    access = access_token(actor, settings.derived_key("access-token"), now, expires)
    refresh = secrets.token_urlsafe(32)
    await RefreshToken.create(
        token_hash=_digest(refresh),
        subject_kind=SubjectKind(actor.kind.value),
        subject_id=actor.id,
        expires_at=now + timedelta(days=settings.refresh_token_days),
    )
    return TokenPair(access, refresh, expires)


def decode_access(token: str) -> Actor:
    try:
        actor, expires = _verified(token, get_settings().derived_key("access-token"))
    except jwt.ExpiredSignatureError:
        raise AuthenticationFailed("the access token has expired; refresh it") from None
    except (jwt.InvalidTokenError, ValueError, KeyError):
        raise AuthenticationFailed("the access token is not valid") from None
    if expires <= time.time():
        raise AuthenticationFailed("the access token has expired; refresh it")
    return actor


@lru_cache(maxsize=4096)
def _verified(token: str, key: bytes) -> tuple[Actor, float]:
    """The actor a token names and when it expires. Kept: a client sends the same token with
    every request, and checking its signature again costs more than the rest of a small one.
    (Failures raise, and lru_cache keeps no exceptions.)"""
    claims = jwt.decode(
        token,
        key,
        algorithms=[ALGORITHM],
        issuer=ISSUER,
        options={"require": ["exp", "iat", "sub", "iss"]},
    )
    kind, _, subject = claims["sub"].partition(":")
    if kind not in (ActorKind.MEMBER, ActorKind.STAFF):
        raise ValueError(kind)
    actor = Actor(
        ActorKind(kind),
        int(subject),
        Role(claims["role"]) if claims.get("role") else None,
        claims.get("branch"),
    )
    return actor, float(claims["exp"])


async def rotate(refresh_token: str) -> tuple[SubjectKind, int]:
    """Spend a refresh token. Returns its owner; the caller issues a fresh pair."""
    now = datetime.now(UTC)
    row = await RefreshToken.get_or_none(token_hash=_digest(refresh_token or ""))
    if row is None or row.expires_at <= now:
        raise AuthenticationFailed("the refresh token is not valid; sign in again")
    spent = await RefreshToken.filter(id=row.id, revoked_at=None).update(revoked_at=now)
    if not spent:
        await revoke_all(row.subject_kind, row.subject_id)
        raise AuthenticationFailed("the refresh token was already used; sign in again")
    return row.subject_kind, row.subject_id


async def revoke_all(kind: SubjectKind, subject_id: int) -> None:
    await RefreshToken.filter(subject_kind=kind, subject_id=subject_id, revoked_at=None).update(
        revoked_at=datetime.now(UTC)
    )
