"""Signing in: one-time codes by SMS, the API's own tokens, and staff passwords."""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, datetime, timedelta

import jwt
import pytest

from jobs.sms import LogSender
from loyalty.actors import Actor, ActorKind
from loyalty.auth import otp, sessions, tokens
from loyalty.errors import AuthenticationFailed, ErrorCode, RateLimited
from loyalty.models import Member, OtpChallenge, RefreshToken, Role, StaffUser
from loyalty.settings import get_settings
from tests import factories as f

PHONE = "09121234567"
E164 = "+989121234567"
IP = "198.51.100.7"


@pytest.fixture
def sms() -> LogSender:
    return LogSender()


def last_code(sms: LogSender, phone: str = E164) -> str:
    to, text = sms.sent[-1]
    assert to == phone
    codes = set(re.findall(r"\b\d{6}\b", text))
    assert len(codes) == 1, text  # the same code in Persian and English lines
    return codes.pop()


def wrong(code: str) -> str:
    return f"{(int(code) + 1) % 10**6:06d}"


async def refused(call, code: ErrorCode) -> AuthenticationFailed:  # type: ignore[no-untyped-def]
    with pytest.raises(AuthenticationFailed) as excinfo:
        await call
    assert excinfo.value.code is code, excinfo.value
    return excinfo.value


# -- one-time codes -----------------------------------------------------------------------


async def test_a_code_is_sent_stored_hashed_and_signs_the_member_in(sms: LogSender) -> None:
    assert await otp.request_code("۰۹۱۲ ۱۲۳ ۴۵۶۷", IP, sms) == E164
    code = last_code(sms)
    challenge = await OtpChallenge.get(phone=E164)
    assert code not in challenge.code_hash and len(challenge.code_hash) == 64
    assert challenge.ip == IP

    member, pair, created = await sessions.sign_in_with_code(PHONE, f" {code} ")
    assert created and member.phone == E164
    assert tokens.decode_access(pair.access_token) == Actor.member(member.id)
    await challenge.refresh_from_db()
    assert challenge.consumed_at is not None and challenge.attempts == 1

    # Next time the same phone signs in to the same member.
    await otp.request_code(E164, IP, sms)
    again, _, created = await sessions.sign_in_with_code("+98 912 123 4567", last_code(sms))
    assert (again.id, created) == (member.id, False)
    assert await Member.all().count() == 1


async def test_a_wrong_code_is_refused_and_the_right_one_still_works(sms: LogSender) -> None:
    await otp.request_code(PHONE, IP, sms)
    code = last_code(sms)
    await refused(otp.verify_code(PHONE, wrong(code)), ErrorCode.CODE_INVALID)
    await refused(otp.verify_code(PHONE, ""), ErrorCode.CODE_INVALID)
    assert await otp.verify_code(PHONE, code) == E164


async def test_no_code_was_sent(sms: LogSender) -> None:
    await refused(otp.verify_code(PHONE, "123456"), ErrorCode.CODE_EXPIRED)
    assert await Member.all().count() == 0


async def test_an_expired_code_is_refused(sms: LogSender) -> None:
    await otp.request_code(PHONE, IP, sms)
    code = last_code(sms)
    challenge = await OtpChallenge.get(phone=E164)
    expected = challenge.created_at + timedelta(minutes=get_settings().otp_minutes)
    assert abs(challenge.expires_at - expected) < timedelta(seconds=5)

    await OtpChallenge.filter(id=challenge.id).update(
        expires_at=datetime.now(UTC) - timedelta(seconds=1)
    )
    await refused(otp.verify_code(PHONE, code), ErrorCode.CODE_EXPIRED)
    await refused(sessions.sign_in_with_code(PHONE, code), ErrorCode.CODE_EXPIRED)
    assert await Member.all().count() == 0


async def test_at_most_five_tries_even_with_the_right_code_after(sms: LogSender) -> None:
    limit = get_settings().otp_max_attempts
    assert limit == 5
    await otp.request_code(PHONE, IP, sms)
    code = last_code(sms)
    for _ in range(limit):
        await refused(otp.verify_code(PHONE, wrong(code)), ErrorCode.CODE_INVALID)
    await refused(otp.verify_code(PHONE, code), ErrorCode.TOO_MANY_ATTEMPTS)
    challenge = await OtpChallenge.get(phone=E164)
    assert challenge.attempts == limit and challenge.consumed_at is None

    # A fresh code starts afresh.
    await otp.request_code(PHONE, IP, sms)
    assert await otp.verify_code(PHONE, last_code(sms)) == E164


async def test_parallel_guesses_get_five_tries_in_all(sms: LogSender) -> None:
    await otp.request_code(PHONE, IP, sms)
    code = last_code(sms)
    guesses = [f"{n:06d}" for n in range(40) if f"{n:06d}" != code][:30]
    results = await asyncio.gather(
        *(otp.verify_code(PHONE, g) for g in guesses), return_exceptions=True
    )
    codes = [r.code for r in results if isinstance(r, AuthenticationFailed)]
    assert len(codes) == len(guesses)
    assert codes.count(ErrorCode.CODE_INVALID) == 5
    assert codes.count(ErrorCode.TOO_MANY_ATTEMPTS) == len(guesses) - 5
    assert (await OtpChallenge.get(phone=E164)).attempts == 5


async def test_a_used_code_cannot_be_used_again(sms: LogSender) -> None:
    await otp.request_code(PHONE, IP, sms)
    code = last_code(sms)
    await sessions.sign_in_with_code(PHONE, code)
    await refused(sessions.sign_in_with_code(PHONE, code), ErrorCode.CODE_EXPIRED)


async def test_only_the_latest_code_counts_and_a_superseded_one_stays_dead(
    sms: LogSender,
) -> None:
    await otp.request_code(PHONE, IP, sms)
    first = last_code(sms)
    await otp.request_code(PHONE, IP, sms)
    second = last_code(sms)
    if first != second:  # one chance in a million that they are equal
        await refused(otp.verify_code(PHONE, first), ErrorCode.CODE_INVALID)
    assert await otp.verify_code(PHONE, second) == E164
    # Signing in with the newer code ends the older one too.
    await refused(otp.verify_code(PHONE, first), ErrorCode.CODE_EXPIRED)


async def test_a_code_is_for_its_own_phone(sms: LogSender) -> None:
    other = "09351234567"
    await otp.request_code(PHONE, IP, sms)
    code = last_code(sms)
    await otp.request_code(other, IP, sms)
    if last_code(sms, "+989351234567") != code:
        await refused(otp.verify_code(other, code), ErrorCode.CODE_INVALID)
    assert await otp.verify_code(PHONE, code) == E164


async def test_codes_per_phone_are_rate_limited(sms: LogSender) -> None:
    limit = get_settings().otp_per_phone_per_hour
    for n in range(limit):
        await otp.request_code(PHONE, f"203.0.113.{n}", sms)
    with pytest.raises(RateLimited) as excinfo:
        await otp.request_code("+98 912 123 4567", "203.0.113.200", sms)
    assert excinfo.value.code is ErrorCode.RATE_LIMITED
    assert excinfo.value.retry_after_seconds > 0
    assert len(sms.sent) == limit
    assert await OtpChallenge.filter(phone=E164).count() == limit

    # Another phone is not affected; and after an hour this one may ask again.
    await otp.request_code("09351234567", "203.0.113.201", sms)
    await OtpChallenge.filter(phone=E164).update(created_at=datetime.now(UTC) - timedelta(hours=2))
    await otp.request_code(PHONE, IP, sms)
    assert await otp.verify_code(PHONE, last_code(sms)) == E164


async def test_codes_per_address_are_rate_limited(sms: LogSender) -> None:
    limit = get_settings().otp_per_ip_per_hour
    phones = [f"0912{n:07d}" for n in range(limit + 1)]
    for phone in phones[:limit]:
        await otp.request_code(phone, IP, sms)
    with pytest.raises(RateLimited) as excinfo:
        await otp.request_code(phones[limit], IP, sms)
    assert excinfo.value.code is ErrorCode.RATE_LIMITED
    assert len(sms.sent) == limit
    assert await OtpChallenge.filter(ip=IP).count() == limit
    # The same phone from another address is fine.
    await otp.request_code(phones[limit], "192.0.2.1", sms)
    assert len(sms.sent) == limit + 1


async def test_a_bad_phone_gets_no_code(sms: LogSender) -> None:
    with pytest.raises(Exception) as excinfo:
        await otp.request_code("02188776655", IP, sms)
    assert excinfo.value.code is ErrorCode.INVALID_PHONE  # type: ignore[attr-defined]
    assert not sms.sent and await OtpChallenge.all().count() == 0


# -- access tokens ------------------------------------------------------------------------


async def test_tokens_carry_who_acts() -> None:
    shop = await f.branch()
    cashier = await f.staff_actor(Role.CASHIER, shop.id)
    pair = await tokens.issue(cashier)
    assert tokens.decode_access(pair.access_token) == cashier
    assert cashier.role is Role.CASHIER and cashier.branch_id == shop.id
    minutes = (pair.access_expires_at - datetime.now(UTC)).total_seconds() / 60
    assert get_settings().access_token_minutes - 1 < minutes <= get_settings().access_token_minutes

    sara = await f.member()
    member_pair = await tokens.issue(Actor.member(sara.id))
    actor = tokens.decode_access(member_pair.access_token)
    assert (actor.kind, actor.id, actor.role, actor.branch_id) == (
        ActorKind.MEMBER,
        sara.id,
        None,
        None,
    )
    assert member_pair.refresh_token != pair.refresh_token
    assert await RefreshToken.all().count() == 2


def _token(key: bytes | None = None, **overrides: object) -> str:
    """An access token as `tokens.issue` makes it, but for `overrides` (`...` drops a claim)."""
    now = datetime.now(UTC)
    claims: dict[str, object] = {
        "iss": tokens.ISSUER,
        "sub": "member:1",
        "iat": now,
        "exp": now + timedelta(minutes=5),
        "role": None,
        "branch": None,
    }
    claims.update(overrides)
    claims = {name: value for name, value in claims.items() if value is not ...}
    key = key or get_settings().derived_key("access-token")
    return jwt.encode(claims, key, algorithm=tokens.ALGORITHM)


def test_a_well_made_token_decodes() -> None:
    # The baseline for the refusals below: only the one thing they change makes them fail.
    assert tokens.decode_access(_token()) == Actor.member(1)
    assert tokens.decode_access(_token(sub="staff:4", role="manager")) == Actor(
        ActorKind.STAFF, 4, Role.MANAGER, None
    )


def test_an_expired_access_token_is_refused() -> None:
    past = datetime.now(UTC) - timedelta(hours=1)
    with pytest.raises(AuthenticationFailed) as excinfo:
        tokens.decode_access(_token(iat=past - timedelta(minutes=15), exp=past))
    assert excinfo.value.code is ErrorCode.AUTHENTICATION_FAILED
    assert "expired" in excinfo.value.message


def test_a_forged_or_broken_token_is_refused() -> None:
    forged = {
        "other key": _token(key=b"not the key, but as long as one!"),
        "key of another purpose": _token(key=get_settings().derived_key("otp")),
        "issuer": _token(iss="someone-else"),
        "no exp": _token(exp=...),
        "no iat": _token(iat=...),
        "no sub": _token(sub=...),
        "system subject": _token(sub="system:1"),
        "subject id": _token(sub="member:x"),
        "unknown role": _token(sub="staff:1", role="owner"),
        "alg none": jwt.encode(
            jwt.decode(_token(), options={"verify_signature": False}), None, algorithm="none"
        ),
        "empty": "",
        "garbage": "not.a.token",
    }
    outcomes = {}
    for case, token in forged.items():
        try:
            outcomes[case] = tokens.decode_access(token)
        except AuthenticationFailed as error:
            outcomes[case] = (error.code, error.message)
    expected = (ErrorCode.AUTHENTICATION_FAILED, "the access token is not valid")
    assert outcomes == dict.fromkeys(forged, expected)


async def test_a_tampered_token_is_refused() -> None:
    sara = await f.member()
    good = (await tokens.issue(Actor.member(sara.id))).access_token
    header, payload, signature = good.split(".")
    # Claim to be a manager: same signature, different payload.
    forged_claims = jwt.decode(good, options={"verify_signature": False})
    forged_claims.update(sub="staff:1", role="manager")
    forged = jwt.encode(
        forged_claims, b"a guess at the key, 32 bytes long", algorithm="HS256"
    ).split(".")[1]
    flipped = signature[:-2] + ("A" if signature[-2] != "A" else "B") + signature[-1]
    for token in (f"{header}.{forged}.{signature}", f"{header}.{payload}.{flipped}"):
        with pytest.raises(AuthenticationFailed):
            tokens.decode_access(token)
    assert tokens.decode_access(good) == Actor.member(sara.id)


# -- refresh tokens -----------------------------------------------------------------------


async def test_refresh_rotates_and_the_new_pair_works() -> None:
    sara = await f.member()
    first = await tokens.issue(Actor.member(sara.id))
    second = await sessions.refresh(first.refresh_token)
    assert second.refresh_token != first.refresh_token
    assert tokens.decode_access(second.access_token) == Actor.member(sara.id)
    third = await sessions.refresh(second.refresh_token)
    assert tokens.decode_access(third.access_token) == Actor.member(sara.id)
    rows = await RefreshToken.filter(subject_id=sara.id).order_by("id")
    assert [r.revoked_at is not None for r in rows] == [True, True, False]


async def test_reusing_a_spent_refresh_token_revokes_all_of_its_owner() -> None:
    sara, ali = await f.member("Sara"), await f.member("Ali")
    stolen = await tokens.issue(Actor.member(sara.id))
    other_device = await tokens.issue(Actor.member(sara.id))
    alis = await tokens.issue(Actor.member(ali.id))
    thief = await sessions.refresh(stolen.refresh_token)

    await refused(sessions.refresh(stolen.refresh_token), ErrorCode.AUTHENTICATION_FAILED)

    # Every refresh token of Sara's is dead now, the thief's and her other device's too.
    await refused(sessions.refresh(thief.refresh_token), ErrorCode.AUTHENTICATION_FAILED)
    await refused(sessions.refresh(other_device.refresh_token), ErrorCode.AUTHENTICATION_FAILED)
    assert await RefreshToken.filter(subject_id=sara.id, revoked_at=None).count() == 0
    # Ali is not affected.
    assert tokens.decode_access((await sessions.refresh(alis.refresh_token)).access_token) == (
        Actor.member(ali.id)
    )


async def test_staff_and_member_with_the_same_id_are_revoked_apart() -> None:
    sara = await f.member()
    manager = await f.staff_actor(Role.MANAGER)
    assert sara.id == manager.id == 1  # tables start empty, so the ids collide
    members_token = await tokens.issue(Actor.member(sara.id))
    staff_token = await tokens.issue(manager)
    await sessions.refresh(members_token.refresh_token)
    await refused(sessions.refresh(members_token.refresh_token), ErrorCode.AUTHENTICATION_FAILED)
    assert tokens.decode_access(
        (await sessions.refresh(staff_token.refresh_token)).access_token
    ) == (manager)


async def test_unknown_or_expired_refresh_tokens_are_refused() -> None:
    sara = await f.member()
    pair = await tokens.issue(Actor.member(sara.id))
    await refused(sessions.refresh("made-up"), ErrorCode.AUTHENTICATION_FAILED)
    await refused(sessions.refresh(""), ErrorCode.AUTHENTICATION_FAILED)
    await refused(sessions.refresh(pair.access_token), ErrorCode.AUTHENTICATION_FAILED)
    await RefreshToken.all().update(expires_at=datetime.now(UTC) - timedelta(seconds=1))
    await refused(sessions.refresh(pair.refresh_token), ErrorCode.AUTHENTICATION_FAILED)
    # Refused because expired, not spent: nothing was revoked.
    assert await RefreshToken.filter(revoked_at=None).count() == 1


async def test_refresh_gives_staff_their_current_role_and_ends_with_deactivation() -> None:
    shop = await f.branch()
    cashier = await f.staff_actor(Role.CASHIER, shop.id)
    pair = await tokens.issue(cashier)
    await StaffUser.filter(id=cashier.id).update(role=Role.MANAGER, branch_id=None)
    promoted = await sessions.refresh(pair.refresh_token)
    assert tokens.decode_access(promoted.access_token) == Actor(
        ActorKind.STAFF, cashier.id, Role.MANAGER, None
    )
    await StaffUser.filter(id=cashier.id).update(is_active=False)
    await refused(sessions.refresh(promoted.refresh_token), ErrorCode.AUTHENTICATION_FAILED)


# -- staff passwords ----------------------------------------------------------------------


async def test_staff_sign_in() -> None:
    shop = await f.branch()
    actor = await f.staff_actor(Role.CASHIER, shop.id)
    user = await StaffUser.get(id=actor.id)
    assert f.PASSWORD not in user.password_hash

    signed_in, pair = await sessions.sign_in_staff(f"  {user.username.upper()} ", f.PASSWORD)
    assert signed_in.id == user.id
    assert tokens.decode_access(pair.access_token) == actor


async def test_staff_sign_in_refusals_all_look_alike() -> None:
    user = await StaffUser.get(id=(await f.staff_actor(Role.MANAGER)).id)
    attempts = [
        (user.username, "wrong password!"),
        (user.username, ""),
        (user.username, None),
        (user.username, f.PASSWORD.upper()),
        (user.username, f.PASSWORD + " "),
        ("nobody", f.PASSWORD),
        ("", f.PASSWORD),
        (None, f.PASSWORD),
        (user.username + "x", f.PASSWORD),
    ]
    for username, password in attempts:
        error = await refused(
            sessions.sign_in_staff(username, password),  # type: ignore[arg-type]
            ErrorCode.AUTHENTICATION_FAILED,
        )
        assert error.message == "wrong username or password", (username, password)
    assert await RefreshToken.all().count() == 0
    # The baseline: the right pair does sign in.
    assert (await sessions.sign_in_staff(user.username, f.PASSWORD))[0].id == user.id


async def test_an_inactive_user_cannot_sign_in() -> None:
    user = await StaffUser.get(id=(await f.staff_actor(Role.MANAGER)).id)
    user.is_active = False
    await user.save(update_fields=["is_active"])
    error = await refused(
        sessions.sign_in_staff(user.username, f.PASSWORD), ErrorCode.AUTHENTICATION_FAILED
    )
    assert error.message == "wrong username or password"
    assert await RefreshToken.all().count() == 0


async def test_a_token_once_accepted_is_refused_when_it_expires(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    member = await f.member()
    pair = await tokens.issue(Actor.member(member.id))
    assert tokens.decode_access(pair.access_token) == Actor.member(member.id)
    # The verified token is kept; its expiry is still checked on every use.
    later = pair.access_expires_at.timestamp() + 1
    monkeypatch.setattr(tokens.time, "time", lambda: later)
    with pytest.raises(AuthenticationFailed, match="expired"):
        tokens.decode_access(pair.access_token)
    with pytest.raises(AuthenticationFailed, match="not valid"):
        tokens.decode_access(pair.access_token[:-2] + "xx")
