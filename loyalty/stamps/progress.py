"""What a member sees of their stamp cards: the cards on offer and the ones they hold stamps
on, how far along each is, and its stamp events."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from tortoise.expressions import Q

from loyalty.history import Page, paged
from loyalty.models import StampCard, StampEvent, StampProgress
from loyalty.stamps import cards


@dataclass(frozen=True, slots=True)
class CardProgress:
    card: StampCard  # with its reward
    # The sum of the member's stamp events: below zero, stamps owed after a refund.
    stamps: int
    completed: int

    @property
    def on_card(self) -> int:
        return max(self.stamps, 0)

    @property
    def owed(self) -> int:
        return max(-self.stamps, 0)


async def of_member(member_id: int, *, at: datetime | None = None) -> list[CardProgress]:
    """The cards in force now (at any branch) and those the member has a history on, oldest
    card first."""
    now = at or datetime.now(UTC)
    held = {p.card_id: p for p in await StampProgress.filter(member_id=member_id)}  # type: ignore[attr-defined]
    found = (
        await StampCard.filter(Q(active=True) | Q(id__in=list(held)))
        .order_by("id")
        .prefetch_related("reward")
    )
    return [
        CardProgress(
            card,
            held[card.id].stamps if card.id in held else 0,
            held[card.id].completed if card.id in held else 0,
        )
        for card in found
        if card.id in held or cards.in_force(card, now)
    ]


async def events(
    member_id: int, card_id: int, *, first: int = 20, before_id: int | None = None
) -> Page[StampEvent]:
    """The member's stamp events on one card, newest first."""
    return await paged(StampEvent.filter(member_id=member_id, card_id=card_id), first, before_id)
