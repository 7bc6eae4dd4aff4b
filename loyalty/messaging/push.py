"""Push: messages kept in members' inboxes go to each of their devices.

`notifications.deliver` records a push event in the outbox for its message, in the delivering
write's transaction, when push is configured; a batch send (`messages.send_batch`) records one
event for all of its messages, so a campaign reaches FCM in full batches. The job calls `send`.
Tokens FCM reports dead are forgotten; devices FCM could not reach now (throttled, unavailable)
get a new event of their own, due when FCM said to come back, so the devices already reached
are not pushed again.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from loyalty import devices, outbox
from loyalty.messaging.channels import Push, PushOutcome, PushResult, PushSender
from loyalty.models import Device, InboxMessage, Priority
from loyalty.notifications import PUSH_TASK, Notification

RETRY_AFTER_SECONDS = 60.0  # when FCM throttled without saying how long to wait
MAX_ROUNDS = 5  # a device unreachable this many times running is given up for this message


@dataclass(frozen=True, slots=True)
class PushRun:
    sent: int = 0
    dead: int = 0
    retrying: int = 0
    failed: int = 0


def _with_priority(payload: dict[str, Any], priority: Priority) -> dict[str, Any]:
    """The payload keeps a mass send's priority, for the retries `send` records."""
    return payload | ({"priority": int(priority)} if priority is not Priority.MEMBER else {})


async def record(message_ids: list[int], *, priority: Priority = Priority.MEMBER) -> int | None:
    """Ask for these inbox messages to be pushed once the current transaction commits."""
    if not message_ids:
        return None
    payload = _with_priority({"message_ids": sorted(message_ids)}, priority)
    return await outbox.record(PUSH_TASK, payload, priority=priority)


async def _targets(payload: Mapping[str, Any]) -> list[tuple[InboxMessage, str]]:
    """(message, token) pairs to push: every active device of each message's member, or, on a
    retry, the pairs not reached before whose devices are still active."""
    if "targets" in payload:
        wanted = {(int(m), str(t)) for m, t in payload["targets"]}
        ids = sorted({m for m, _ in wanted})
    else:
        ids = [int(i) for i in payload["message_ids"]]
        wanted = None
    found = await InboxMessage.filter(id__in=ids)
    owners = {message.member_id for message in found}  # type: ignore[attr-defined]
    tokens = defaultdict(list)
    for member_id, token in await Device.filter(member_id__in=owners, active=True).values_list(
        "member_id", "token"
    ):
        tokens[member_id].append(token)
    return [
        (message, token)
        for message in sorted(found, key=lambda m: m.id)
        for token in tokens[message.member_id]  # type: ignore[attr-defined]
        if wanted is None or (message.id, token) in wanted
    ]


async def send(payload: Mapping[str, Any], sender: PushSender) -> PushRun:
    """Push the event's messages to their members' devices."""
    targets = await _targets(payload)
    if not targets:
        return PushRun()
    pushes = [
        Push(token, Notification(m.kind, m.title, m.body, m.link, dict(m.data)))
        for m, token in targets
    ]
    results = await sender.send(pushes)
    by_outcome: dict[PushOutcome, list[tuple[int, PushResult]]] = defaultdict(list)
    for (message, _), result in zip(targets, results, strict=True):
        by_outcome[result.outcome].append((message.id, result))
    await devices.forget_dead([r.token for _, r in by_outcome[PushOutcome.DEAD_TOKEN]])
    retrying = by_outcome[PushOutcome.RETRY]
    round_ = int(payload.get("round", 1))
    if retrying and round_ < MAX_ROUNDS:
        wait = max(r.retry_after or RETRY_AFTER_SECONDS for _, r in retrying)
        priority = Priority(payload.get("priority", Priority.MEMBER))
        await outbox.record(
            PUSH_TASK,
            _with_priority(
                {"targets": [[m, r.token] for m, r in retrying], "round": round_ + 1}, priority
            ),
            due_at=datetime.now(UTC) + timedelta(seconds=wait),
            priority=priority,
        )
    given_up = 0 if round_ < MAX_ROUNDS else len(retrying)
    return PushRun(
        sent=len(by_outcome[PushOutcome.SENT]),
        dead=len(by_outcome[PushOutcome.DEAD_TOKEN]),
        retrying=len(retrying) - given_up,
        failed=len(by_outcome[PushOutcome.FAILED]) + given_up,
    )
