"""Signing in and refreshing: the API's own tokens for members and staff."""

from __future__ import annotations

from functools import cache

from loyalty import members
from loyalty.actors import SYSTEM, Actor
from loyalty.auth import otp, tokens
from loyalty.auth.passwords import hash_password, needs_rehash, verify_password
from loyalty.auth.tokens import TokenPair
from loyalty.errors import AuthenticationFailed
from loyalty.models import Member, StaffUser, SubjectKind
from loyalty.programme import referral


@cache
def _timing_hash() -> str:
    """Verifying against a real hash when the user does not exist keeps the timing the same."""
    return hash_password("not a real password, only for timing")


async def sign_in_verified_phone(
    phone: str, referral_code: str | None = None
) -> tuple[Member, TokenPair, bool]:
    """Sign in (enrolling on first sight, referred by `referral_code` if given) a member whose
    phone someone trusted has verified."""
    member, created = await members.enrol(SYSTEM, phone, referral_code=referral_code)
    return member, await tokens.issue(Actor.member(member.id)), created


async def sign_in_with_code(
    phone: str, code: str, referral_code: str | None = None
) -> tuple[Member, TokenPair, bool]:
    # A mistyped referral code is refused before the one-time code is spent on it.
    if referral.clean_code(referral_code):
        await referral.referrer_for(referral_code or "")
    return await sign_in_verified_phone(await otp.verify_code(phone, code), referral_code)


async def sign_in_staff(username: str, password: str) -> tuple[StaffUser, TokenPair]:
    user = await StaffUser.get_or_none(username=(username or "").strip().lower(), is_active=True)
    if (
        not verify_password(user.password_hash if user else _timing_hash(), password or "")
        or not user
    ):
        raise AuthenticationFailed("wrong username or password")
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
        await user.save(update_fields=["password_hash"])
    return user, await tokens.issue(Actor.staff(user))


async def refresh(refresh_token: str) -> TokenPair:
    """A fresh pair for the owner of `refresh_token`, with their current role and branch."""
    kind, subject_id = await tokens.rotate(refresh_token)
    if kind is SubjectKind.STAFF:
        user = await StaffUser.get_or_none(id=subject_id, is_active=True)
        if user is None:
            raise AuthenticationFailed("this staff account is no longer active")
        return await tokens.issue(Actor.staff(user))
    if not await Member.exists(id=subject_id):
        raise AuthenticationFailed("this member no longer exists")
    return await tokens.issue(Actor.member(subject_id))
