"""Signing in and refreshing sessions."""

from datetime import datetime
from typing import Annotated

import strawberry
from strawberry.types import Info

from loyalty.auth import otp, sessions
from loyalty.auth.tokens import TokenPair
from loyalty.errors import AuthenticationFailed
from loyalty.settings import get_settings
from schema.context import Context
from schema.errors import (
    INPUT,
    AuthenticationError,
    InvalidInputError,
    RateLimitedError,
    returns_errors,
)
from schema.types import Member, StaffUser


@strawberry.type(description="A one-time code is on its way by SMS.")
class SignInCodeSent:
    phone: str = strawberry.field(description="The number it was sent to, E.164.")
    expires_in_seconds: int = strawberry.field(description="How long the code is valid.")


@strawberry.type(description="A fresh pair of tokens.")
class SessionTokens:
    access_token: str = strawberry.field(description="Send as `Authorization: Bearer …`.")
    access_token_expires_at: datetime = strawberry.field(description="When to refresh.")
    refresh_token: str = strawberry.field(description="Single use: refreshSession swaps it.")

    @classmethod
    def from_pair(cls, pair: TokenPair) -> "SessionTokens":
        return cls(
            access_token=pair.access_token,
            access_token_expires_at=pair.access_expires_at,
            refresh_token=pair.refresh_token,
        )


@strawberry.type(description="A member is signed in.")
class MemberSession:
    tokens: SessionTokens = strawberry.field(description="The session's tokens.")
    member: Member = strawberry.field(description="Who signed in.")
    new_member: bool = strawberry.field(description="True when this sign-in enrolled them.")


@strawberry.type(description="A staff user is signed in.")
class StaffSession:
    tokens: SessionTokens = strawberry.field(description="The session's tokens.")
    staff: StaffUser = strawberry.field(description="Who signed in.")


RequestSignInCodeResult = Annotated[
    SignInCodeSent | InvalidInputError | RateLimitedError,
    strawberry.union("RequestSignInCodeResult", description="Result of requestSignInCode."),
]
MemberSignInResult = Annotated[
    MemberSession | InvalidInputError | AuthenticationError,
    strawberry.union("MemberSignInResult", description="Result of a member's sign-in."),
]
StaffSignInResult = Annotated[
    StaffSession | AuthenticationError,
    strawberry.union("StaffSignInResult", description="Result of signInStaff."),
]
RefreshSessionResult = Annotated[
    SessionTokens | AuthenticationError,
    strawberry.union("RefreshSessionResult", description="Result of refreshSession."),
]


@strawberry.input(description="Ask for a sign-in code.")
class RequestSignInCodeInput:
    phone: str = strawberry.field(description="Mobile number in any usual form (09…, +98…).")


@strawberry.input(description="Sign in with the code that was sent.")
class SignInWithCodeInput:
    phone: str = strawberry.field(description="The same number the code was sent to.")
    code: str = strawberry.field(description="The six digits of the SMS.")
    referral_code: str | None = strawberry.field(
        default=None, description="A friend's referral code, for a first sign-in (enrolment)."
    )


@strawberry.input(description="Sign in with a Firebase ID token from phone authentication.")
class SignInWithFirebaseInput:
    id_token: str = strawberry.field(description="The Firebase ID token.")
    referral_code: str | None = strawberry.field(
        default=None, description="A friend's referral code, for a first sign-in (enrolment)."
    )


@strawberry.input(description="Staff sign-in.")
class SignInStaffInput:
    username: str = strawberry.field(description="Sign-in name.")
    password: str = strawberry.field(description="Password.")


@strawberry.input(description="Swap a refresh token for a fresh pair.")
class RefreshSessionInput:
    refresh_token: str = strawberry.field(description="The refresh token; it is spent.")


def _member_session(result) -> MemberSession:
    member, pair, created = result
    return MemberSession(
        tokens=SessionTokens.from_pair(pair),
        member=Member.from_model(member, whole_phone=True),
        new_member=created,
    )


@strawberry.type
class AuthMutations:
    @strawberry.mutation(description="Send a one-time sign-in code to a phone by SMS.")
    @returns_errors
    async def request_sign_in_code(
        self,
        info: Info[Context, None],
        input: Annotated[RequestSignInCodeInput, strawberry.argument(description=INPUT)],
    ) -> RequestSignInCodeResult:
        phone = await otp.request_code(input.phone, info.context.client_ip, info.context.sms_sender)
        return SignInCodeSent(phone=phone, expires_in_seconds=get_settings().otp_minutes * 60)

    @strawberry.mutation(description="Sign in (enrolling on first sign-in) with an SMS code.")
    @returns_errors
    async def sign_in_with_code(
        self, input: Annotated[SignInWithCodeInput, strawberry.argument(description=INPUT)]
    ) -> MemberSignInResult:
        return _member_session(
            await sessions.sign_in_with_code(input.phone, input.code, input.referral_code)
        )

    @strawberry.mutation(description="Sign in with a Firebase phone-auth ID token.")
    @returns_errors
    async def sign_in_with_firebase(
        self,
        info: Info[Context, None],
        input: Annotated[SignInWithFirebaseInput, strawberry.argument(description=INPUT)],
    ) -> MemberSignInResult:
        verify = info.context.verify_firebase_token
        if verify is None:
            raise AuthenticationFailed("Firebase sign-in is not set up on this server")
        phone = await verify(input.id_token)
        return _member_session(await sessions.sign_in_verified_phone(phone, input.referral_code))

    @strawberry.mutation(description="Staff sign-in with username and password.")
    @returns_errors
    async def sign_in_staff(
        self, input: Annotated[SignInStaffInput, strawberry.argument(description=INPUT)]
    ) -> StaffSignInResult:
        user, pair = await sessions.sign_in_staff(input.username, input.password)
        return StaffSession(tokens=SessionTokens.from_pair(pair), staff=StaffUser.from_model(user))

    @strawberry.mutation(description="Swap a refresh token for a fresh pair of tokens.")
    @returns_errors
    async def refresh_session(
        self, input: Annotated[RefreshSessionInput, strawberry.argument(description=INPUT)]
    ) -> RefreshSessionResult:
        return SessionTokens.from_pair(await sessions.refresh(input.refresh_token))
