"""Who sees a member's phone number whole.

Least privilege: the member themself, and the roles whose work is phoning members: operators
(happy calls) and supervisors (complaint follow-ups). Cashiers and stations find members by a
number they are told or a card; managers read reports and rules; they see numbers masked
(+98 912 *** **67: enough to tell two members apart, not to dial). A manager who must hand a
member their data uses the export, which is audited.
"""

from __future__ import annotations

from loyalty.actors import Actor, ActorKind
from loyalty.models import Role

DIALLING_ROLES = frozenset({Role.OPERATOR, Role.SUPERVISOR})


def masked(e164: str) -> str:
    """+989121234567 → +98 912 *** **67 (other lengths: all but the code and last two hidden)."""
    if e164.startswith("+98") and len(e164) == 13:
        return f"+98 {e164[3:6]} *** **{e164[-2:]}"
    if len(e164) <= 6:
        return e164
    return f"{e164[:3]} {'*' * (len(e164) - 5)}{e164[-2:]}"


def sees_whole(actor: Actor | None, member_id: int) -> bool:
    if actor is None:
        return False
    if actor.kind is ActorKind.MEMBER:
        return actor.id == member_id
    if actor.kind is ActorKind.SYSTEM:
        return True
    return actor.role in DIALLING_ROLES


def phone_for(actor: Actor | None, member_id: int, e164: str) -> str:
    """The member's number as `actor` may see it."""
    return e164 if sees_whole(actor, member_id) else masked(e164)
