"""Firebase phone sign-in: verify an ID token with firebase-admin, return its phone number."""

import os

import firebase_admin
from firebase_admin import auth, credentials
from starlette.concurrency import run_in_threadpool

from loyalty.errors import AuthenticationFailed
from loyalty.settings import Settings
from schema.context import PhoneVerifier

APP_NAME = "loyalty"


def firebase_verifier(settings: Settings) -> PhoneVerifier | None:
    """A verifier when Firebase is configured (credentials, or the auth emulator); else None."""
    emulated = bool(os.environ.get("FIREBASE_AUTH_EMULATOR_HOST"))
    if not settings.firebase_credentials and not emulated:
        return None
    try:
        app = firebase_admin.get_app(APP_NAME)
    except ValueError:
        cred = (
            credentials.Certificate(settings.firebase_credentials)
            if settings.firebase_credentials
            else None
        )
        options = (
            {"projectId": settings.firebase_project_id} if settings.firebase_project_id else {}
        )
        app = firebase_admin.initialize_app(cred, options, name=APP_NAME)

    async def verify(id_token: str) -> str:
        try:
            # Fetching Google's public keys is blocking I/O: keep it off the event loop.
            claims = await run_in_threadpool(auth.verify_id_token, id_token, app)
        except (ValueError, auth.InvalidIdTokenError, auth.CertificateFetchError) as exc:
            raise AuthenticationFailed(f"the Firebase ID token is not valid: {exc}") from None
        phone = claims.get("phone_number")
        if not phone:
            raise AuthenticationFailed("the Firebase account has no verified phone number")
        return phone

    return verify
