"""Who is acting: a member, a staff user, or the system itself (jobs)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import StrEnum

from loyalty.errors import PermissionDenied
from loyalty.models import Role, StaffUser


class ActorKind(StrEnum):
    MEMBER = "member"
    STAFF = "staff"
    SYSTEM = "system"


@dataclass(frozen=True, slots=True)
class Actor:
    kind: ActorKind
    id: int | None = None
    role: Role | None = None
    branch_id: int | None = None
    # Where the request came from (the API fills these; the audit log keeps them).
    client: str = ""
    ip: str = ""

    @classmethod
    def member(cls, member_id: int) -> Actor:
        return cls(ActorKind.MEMBER, member_id)

    @classmethod
    def staff(cls, user: StaffUser) -> Actor:
        return cls(ActorKind.STAFF, user.id, user.role, user.branch_id)  # type: ignore[attr-defined]

    def from_client(self, client: str, ip: str) -> Actor:
        """The same actor, known to act through `client` from `ip`."""
        return replace(self, client=client[:100], ip=ip[:64])

    @property
    def staff_id(self) -> int | None:
        return self.id if self.kind is ActorKind.STAFF else None

    def require_staff(self, *roles: Role) -> None:
        """Refuse anyone but staff holding one of `roles` (any staff role when none given)."""
        if self.kind is ActorKind.SYSTEM:
            return
        if self.kind is not ActorKind.STAFF or (roles and self.role not in roles):
            wanted = ", ".join(roles) if roles else "staff"
            raise PermissionDenied(f"this needs the role {wanted}")

    def require_branch(self, branch_id: int) -> None:
        """Staff bound to a branch act only there; managers and unbound staff act everywhere."""
        if (
            self.kind is ActorKind.STAFF
            and self.role is not Role.MANAGER
            and self.branch_id is not None
            and self.branch_id != branch_id
        ):
            raise PermissionDenied("you may only act at your own branch")


SYSTEM = Actor(ActorKind.SYSTEM)
