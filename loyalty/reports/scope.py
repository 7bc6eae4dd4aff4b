"""Who may read reports, and for which branch."""

from __future__ import annotations

from dataclasses import dataclass

from loyalty.actors import Actor
from loyalty.errors import NotFound, PermissionDenied
from loyalty.models import Branch, Role
from loyalty.reports.period import Period


@dataclass(frozen=True, slots=True)
class Scope:
    """A report's period and branch (None: the whole club)."""

    period: Period
    branch: Branch | None = None

    @property
    def branch_id(self) -> int | None:
        return self.branch.id if self.branch else None

    def branch_filter(self, column: str, params: list) -> str:
        """` AND column = ?` for a branch's report (the value appended to `params`)."""
        if self.branch is None:
            return ""
        params.append(self.branch.id)
        return f" AND {column} = ?"


async def scope_for(actor: Actor, period: Period, branch_code: str | None = None) -> Scope:
    """Managers read reports; one bound to a branch reads only that branch's."""
    actor.require_staff(Role.MANAGER)
    branch = None
    if branch_code:
        branch = await Branch.get_or_none(code=branch_code.strip())
        if branch is None:
            raise NotFound("branch", branch_code)
    if actor.branch_id is not None:
        if branch is not None and branch.id != actor.branch_id:
            raise PermissionDenied("you may only read your own branch's reports")
        branch = await Branch.get(id=actor.branch_id)
    return Scope(period, branch)
