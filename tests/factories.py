"""Small builders for test data, all through the domain services."""

from __future__ import annotations

import itertools
import uuid

from loyalty import members, staff
from loyalty.actors import SYSTEM, Actor
from loyalty.members import Profile
from loyalty.models import Branch, Member, Role

_phones = itertools.count(1_000_000)
PASSWORD = "correct horse battery"


def key() -> str:
    return uuid.uuid4().hex


def phone() -> str:
    return f"0912{next(_phones):07d}"


async def branch(code: str | None = None) -> Branch:
    code = code or f"B{uuid.uuid4().hex[:8]}"
    return await staff.create_branch(SYSTEM, code=code, name=f"Branch {code}")


async def staff_actor(role: Role = Role.CASHIER, branch_id: int | None = None) -> Actor:
    user = await staff.create_staff(
        SYSTEM, username=f"u{uuid.uuid4().hex[:10]}", password=PASSWORD, role=role,
        branch_id=branch_id,
    )
    return Actor.staff(user)


async def member(first_name: str = "Sara", **profile: object) -> Member:
    created, _ = await members.enrol(SYSTEM, phone(), Profile(first_name=first_name, **profile))  # type: ignore[arg-type]
    return created
