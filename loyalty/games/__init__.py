"""Games members play: the wheel of fortune (`wheel`) and the lottery (`lottery`), drawn
provably fair (`draws`), with the prizes they give (`prizes`)."""

from loyalty.actors import Actor, ActorKind
from loyalty.errors import PermissionDenied


def member_of(actor: Actor) -> int:
    """The member acting: games are played by members, for themselves."""
    if actor.kind is not ActorKind.MEMBER or actor.id is None:
        raise PermissionDenied("members play for themselves")
    return actor.id
