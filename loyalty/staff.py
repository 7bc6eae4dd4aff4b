"""Staff accounts and branches."""

from __future__ import annotations

import re
from dataclasses import dataclass

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from loyalty import validation
from loyalty.actors import Actor
from loyalty.auth.passwords import MIN_LENGTH, hash_password
from loyalty.errors import Conflict, InvalidInput, NotFound
from loyalty.models import Branch, Calendar, Role, StaffUser
from loyalty.money import CurrencyDisplay
from loyalty.settings import get_settings

_USERNAME = re.compile(r"[a-z0-9_.\-]{3,64}")
_BRANCH_CODE = re.compile(r"[A-Za-z0-9_\-]{1,32}")


async def create_staff(
    actor: Actor,
    *,
    username: str,
    password: str,
    role: Role,
    display_name: str = "",
    branch_id: int | None = None,
) -> StaffUser:
    actor.require_staff(Role.MANAGER)
    username = (username or "").strip().lower()
    if not _USERNAME.fullmatch(username):
        raise InvalidInput("username: 3 to 64 of a-z, 0-9, _ . -", field="username")
    if len(password or "") < MIN_LENGTH:
        raise InvalidInput(f"password: at least {MIN_LENGTH} characters", field="password")
    if role is Role.STATION and branch_id is None:
        raise InvalidInput("a station is bound to one branch", field="branchId")
    if branch_id is not None and not await Branch.exists(id=branch_id):
        raise NotFound("branch", branch_id)
    try:
        async with in_transaction():  # a savepoint inside a caller's transaction
            return await StaffUser.create(
                username=username,
                password_hash=hash_password(password),
                role=role,
                display_name=validation.text(display_name, field="displayName", max_length=200),
                branch_id=branch_id,
            )
    except IntegrityError:
        raise Conflict(f"the username {username} is taken") from None


async def create_branch(actor: Actor, *, code: str, name: str, city: str = "") -> Branch:
    actor.require_staff(Role.MANAGER)
    if not _BRANCH_CODE.fullmatch(code or ""):
        raise InvalidInput("branch code: 1 to 32 of A-Z, a-z, 0-9, _ -", field="code")
    try:
        async with in_transaction():  # a savepoint inside a caller's transaction
            return await Branch.create(
                code=code,
                name=validation.text(name, field="name", max_length=200, required=True),
                city=validation.text(city, field="city", max_length=100),
            )
    except IntegrityError:
        raise Conflict(f"a branch with code {code} exists") from None


@dataclass(frozen=True, slots=True)
class ClubSettings:
    """How the club writes dates and money for people: staff tools follow it."""

    calendar: Calendar
    time_zone: str
    currency_display: CurrencyDisplay


def club_settings(actor: Actor) -> ClubSettings:
    """The club's calendar, time zone and money display; any signed-in staff may read them."""
    actor.require_staff()
    settings = get_settings()
    return ClubSettings(
        Calendar(settings.calendar),
        settings.timezone,
        CurrencyDisplay(settings.currency_display),
    )
