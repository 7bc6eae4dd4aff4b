"""The jobs: thin, each decodes its arguments and calls one `loyalty` function.

The same coroutines run under arq and under the in-process runner, each runner's `ctx` holding
the outbox's handlers (`outbox_handlers`), so a single-shop install without Redis does the
same work.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from loyalty import leaderboard, outbox
from loyalty.analysis import runs as analysis
from loyalty.campaigns import sending as campaigns
from loyalty.errors import ReportNotReady
from loyalty.games import lottery
from loyalty.happycalls import queue as happy_calls
from loyalty.journeys import events as journey_events
from loyalty.journeys import runs as journey_runs
from loyalty.journeys import triggers
from loyalty.messaging import messages, push
from loyalty.messaging.channels import PushSender, SmsSender
from loyalty.notifications import PUSH_TASK
from loyalty.programme import expiry, tiers
from loyalty.reconcile import reconcile
from loyalty.reports import rollups

log = logging.getLogger("loyalty.jobs")
# A journeys run stops between batches after this (under arq's five-minute job timeout); the
# next run goes on where it stopped.
JOURNEYS_BUDGET = timedelta(minutes=4)


def outbox_handlers(
    push_sender: PushSender | None, sms_sender: SmsSender
) -> dict[str, outbox.Handler]:
    """What each outbox event's task calls, by the task name recorded with the event; the
    runners keep it in `ctx["handlers"]`."""
    return {
        PUSH_TASK: functools.partial(_push, push_sender),
        messages.DELIVER_TASK: messages.deliver_due,
        messages.SMS_TASK: functools.partial(messages.send_sms, sender=sms_sender),
        campaigns.CHUNK_TASK: campaigns.send_chunk,
        triggers.WELCOME_TASK: journey_events.welcome,
        triggers.TIER_UPGRADED_TASK: journey_events.tier_upgraded,
    }


async def run_outbox_event(ctx: Mapping[str, Any], event_id: int) -> bool:
    """One event from the outbox; False if another run had it or it was done already."""
    return (await outbox.run(event_id, ctx["handlers"])).ran


async def _push(sender: PushSender | None, payload: Mapping[str, Any]) -> push.PushRun | None:
    if sender is None:  # Firebase was configured when the message was sent, and is no more
        log.warning("push is not configured: message %s stays in the inbox only", payload)
        return None
    return await push.send(payload, sender)


async def expire_points(ctx: Mapping[str, Any]) -> dict[str, int]:
    run = await expiry.expire_due()
    return {"members": run.members, "points": run.points}


async def reconcile_ledger(ctx: Mapping[str, Any]) -> bool:
    report = await reconcile()
    if not report.ok:
        log.error(
            "the ledger does not reconcile: %d balance mismatches, %d unbalanced transactions, "
            "%d stamp mismatches (run `loyalty reconcile`)",
            len(report.mismatches),
            len(report.unbalanced),
            len(report.stamp_mismatches),
        )
    return report.ok


async def review_tiers(ctx: Mapping[str, Any]) -> int:
    return await tiers.review_due()


async def draw_lotteries(ctx: Mapping[str, Any]) -> dict[str, int]:
    run = await lottery.draw_due()
    return {"drawn": run.drawn, "paid": run.paid}


async def start_campaigns(ctx: Mapping[str, Any]) -> int:
    """The campaigns whose moment came: their audience chosen, their chunks queued."""
    return await campaigns.start_due()


async def rebuild_leaderboards(ctx: Mapping[str, Any]) -> int:
    """Every board afresh from the ledger: a new month's boards start, and a Redis that lost
    its data (it keeps nothing on disk) catches up."""
    return await leaderboard.rebuild()


async def run_journeys(ctx: Mapping[str, Any], at: str | None = None) -> dict[str, int | bool]:
    """The timer journeys' day; `at` (ISO 8601) runs them as of that moment instead of now."""
    run = await journey_runs.run_due(
        datetime.fromisoformat(at) if at else None, budget=JOURNEYS_BUDGET
    )
    return {"days": run.days, "sent": run.sent, "held": run.held, "unfinished": run.unfinished}


async def fill_happy_calls(ctx: Mapping[str, Any]) -> dict[str, int]:
    """Queue happy calls for recent purchases; expire late calls, release lapsed claims."""
    run = await happy_calls.fill()
    return {"queued": run.queued, "expired": run.expired, "released": run.released}


async def analyse_members(ctx: Mapping[str, Any]) -> dict[str, int]:
    """Every member's behaviour figures, RFM segments and churn risk; the day's snapshot."""
    run = await analysis.run_full()
    return {"members": run.members}


async def refresh_member_analysis(ctx: Mapping[str, Any]) -> dict[str, int]:
    """The figures of members who bought (or whose points moved) since the last run."""
    run = await analysis.run_incremental()
    return {"members": run.members}


async def refresh_report_rollups(ctx: Mapping[str, Any]) -> dict[str, int | bool]:
    """The report roll-ups: days touched by purchases, refunds and ledger transactions since
    the last run (or every day, going on with a fill left unfinished)."""
    try:
        run = await rollups.refresh()
    except ReportNotReady:  # another run or a report is filling them: it goes on with it
        return {"days": 0, "full": True, "busy": True}
    return {"days": run.days, "full": run.full}
