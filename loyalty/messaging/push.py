"""Push: a notification kept in a member's inbox goes to each of their devices.

`notifications.deliver` records a push event in the outbox with the inbox message, in the
delivering write's transaction, when push is configured; the job calls `send`. Tokens FCM
reports dead are forgotten; devices FCM could not reach now (throttled, unavailable) get a
new event of their own, due when FCM said to come back, so the ones already reached are not
pushed again.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from loyalty import devices, outbox
from loyalty.messaging.channels import Push, PushOutcome, PushSender
from loyalty.models import InboxMessage
from loyalty.notifications import PUSH_TASK, Notification

RETRY_AFTER_SECONDS = 60.0  # when FCM throttled without saying how long to wait
MAX_ROUNDS = 5  # a device unreachable this many times running is given up for this message


@dataclass(frozen=True, slots=True)
class PushRun:
    sent: int
    dead: int
    retrying: int
    failed: int


async def send(payload: Mapping[str, Any], sender: PushSender) -> PushRun:
    """Push one inbox message to the member's devices (or to the ones a retry names)."""
    message = await InboxMessage.get_or_none(id=payload["message_id"])
    if message is None:
        return PushRun(0, 0, 0, 0)
    member_id: int = message.member_id  # type: ignore[attr-defined]
    tokens = [device.token for device in await devices.active_of(member_id)]
    if "tokens" in payload:  # a retry: only those not reached, and still active
        tokens = [token for token in tokens if token in set(payload["tokens"])]
    if not tokens:
        return PushRun(0, 0, 0, 0)
    notification = Notification(
        message.kind, message.title, message.body, message.link, dict(message.data)
    )
    results = await sender.send([Push(token, notification) for token in tokens])
    by_outcome: dict[PushOutcome, list] = {outcome: [] for outcome in PushOutcome}
    for result in results:
        by_outcome[result.outcome].append(result)
    await devices.forget_dead([r.token for r in by_outcome[PushOutcome.DEAD_TOKEN]])
    retrying = by_outcome[PushOutcome.RETRY]
    round_ = int(payload.get("round", 1))
    if retrying and round_ < MAX_ROUNDS:
        wait = max((r.retry_after or RETRY_AFTER_SECONDS) for r in retrying)
        await outbox.record(
            PUSH_TASK,
            {"message_id": message.id, "tokens": [r.token for r in retrying], "round": round_ + 1},
            due_at=datetime.now(UTC) + timedelta(seconds=wait),
        )
    return PushRun(
        sent=len(by_outcome[PushOutcome.SENT]),
        dead=len(by_outcome[PushOutcome.DEAD_TOKEN]),
        retrying=len(retrying) if round_ < MAX_ROUNDS else 0,
        failed=len(by_outcome[PushOutcome.FAILED]) + (len(retrying) if round_ >= MAX_ROUNDS else 0),
    )
