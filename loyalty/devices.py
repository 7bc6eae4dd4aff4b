"""The member's devices and their push (FCM) tokens: where notifications go."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from loyalty import validation
from loyalty.actors import Actor, ActorKind
from loyalty.errors import InvalidInput, NotFound, PermissionDenied
from loyalty.models import Device

PLATFORMS = ("android", "ios", "web")
MAX_ACTIVE = 10
_TOKENS_PER_QUERY = 500  # well under every database's limit on bound parameters


def _member(actor: Actor) -> int:
    if actor.kind is not ActorKind.MEMBER or actor.id is None:
        raise PermissionDenied("only a signed-in member registers their devices")
    return actor.id


async def register(actor: Actor, *, token: str, platform: str) -> Device:
    try:
        return await _register(actor, token=token, platform=platform)
    except IntegrityError:
        # The same phone registered twice at once: the other request made the row.
        return await _register(actor, token=token, platform=platform)


async def _register(actor: Actor, *, token: str, platform: str) -> Device:
    """Send this member's notifications to `token` (again). Idempotent.

    A token is one app on one phone: if another member used it before, it stops being theirs
    (kept, inactive, for the referral checks), so nobody gets another's notifications.
    """
    member_id = _member(actor)
    token = validation.text(token, field="token", max_length=512, required=True)
    if platform not in PLATFORMS:
        raise InvalidInput(f"platform must be one of {', '.join(PLATFORMS)}", field="platform")
    async with in_transaction():
        await (
            Device.filter(token=token, active=True)
            .exclude(member_id=member_id)
            .update(active=False)
        )
        device = await Device.get_or_none(member_id=member_id, token=token)
        if device is None:
            if await Device.filter(member_id=member_id, active=True).count() >= MAX_ACTIVE:
                # The oldest one goes: a member rarely has more phones than this.
                oldest = (
                    await Device.filter(member_id=member_id, active=True)
                    .order_by("last_seen_at")
                    .first()
                )
                await Device.filter(id=oldest.id).update(active=False)  # type: ignore[union-attr]
            return await Device.create(member_id=member_id, token=token, platform=platform)
        device.active, device.platform = True, platform
        device.last_seen_at = datetime.now(UTC)
        await device.save(update_fields=["active", "platform", "last_seen_at"])
        return device


async def unregister(actor: Actor, *, token: str) -> None:
    """Stop sending this member's notifications to `token` (signing out on that phone)."""
    member_id = _member(actor)
    updated = await Device.filter(member_id=member_id, token=token, active=True).update(
        active=False
    )
    if not updated:
        raise NotFound("device token", "given")


async def active_of(member_id: int) -> list[Device]:
    """Where a member's notifications go, most recently seen first."""
    return await Device.filter(member_id=member_id, active=True).order_by("-last_seen_at", "-id")


async def forget_dead(tokens: Sequence[str]) -> int:
    """Stop sending to tokens FCM reported dead (unregistered, invalid, another sender's): their
    devices are deactivated, and kept for the referral checks. Returns how many were active."""
    if isinstance(tokens, str):
        raise TypeError("forget_dead takes a sequence of tokens, not one string")
    unique = sorted(set(tokens))
    forgotten = 0
    for start in range(0, len(unique), _TOKENS_PER_QUERY):
        chunk = unique[start : start + _TOKENS_PER_QUERY]
        forgotten += await Device.filter(token__in=chunk, active=True).update(active=False)
    return forgotten
