"""What stations accepted offline and the server refused on replay, for managers to settle."""

from __future__ import annotations

from datetime import UTC, datetime

from loyalty import history, validation
from loyalty.actors import Actor
from loyalty.errors import Conflict, NotFound
from loyalty.models import OfflineReview, Role


async def listed(
    actor: Actor, *, open_only: bool, first: int, before_id: int | None
) -> history.Page[OfflineReview]:
    """Newest first."""
    actor.require_staff(Role.MANAGER)
    query = OfflineReview.all()
    if open_only:
        query = query.filter(resolved_at=None)
    if before_id is not None:
        query = query.filter(id__lt=before_id)
    size = history.page_size(first)
    rows = await query.order_by("-id").limit(size + 1)
    return history.Page(rows[:size], len(rows) > size)


async def resolve(actor: Actor, review_id: int, resolution: str) -> OfflineReview:
    """A manager settled it with the member; says how."""
    actor.require_staff(Role.MANAGER)
    resolution = validation.text(resolution, field="resolution", max_length=300, required=True)
    if not await OfflineReview.exists(id=review_id):
        raise NotFound("offline review", review_id)
    if not await OfflineReview.filter(id=review_id, resolved_at=None).update(
        resolved_at=datetime.now(UTC), resolved_by_id=actor.staff_id, resolution=resolution
    ):
        raise Conflict(f"offline review {review_id} was already resolved")
    return await OfflineReview.get(id=review_id)
