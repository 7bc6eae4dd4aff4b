"""`loyalty worker`: the arq worker, with every task, the cron schedule and the outbox
dispatcher."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from arq import cron
from arq.connections import RedisSettings
from tortoise import Tortoise

from jobs import tasks
from jobs.dispatcher import hand_over_forever
from jobs.fcm import push_sender
from jobs.schedule import jobs_for
from jobs.sms import sms_sender
from loyalty import leaderboard
from loyalty.db import tortoise_config
from loyalty.settings import Settings

FUNCTIONS = [tasks.run_outbox_event]


def worker_settings(settings: Settings, *, dispatch: bool = True) -> dict[str, Any]:
    """Keyword arguments for arq's `Worker`. `dispatch=False` leaves the outbox to others."""
    if not settings.redis_url:
        raise ValueError("the worker needs Redis: set LOYALTY_REDIS_URL")

    async def startup(ctx: dict[str, Any]) -> None:
        await Tortoise.init(config=tortoise_config(settings.database_url))
        ctx["sms"] = sms_sender(settings)
        ctx["handlers"] = tasks.outbox_handlers(
            push_sender(settings, redis=ctx["redis"]), ctx["sms"]
        )
        if dispatch:
            ctx["dispatcher"] = asyncio.create_task(hand_over_forever(ctx["redis"]))

    async def shutdown(ctx: dict[str, Any]) -> None:
        if dispatcher := ctx.get("dispatcher"):
            dispatcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await dispatcher
        if sms := ctx.get("sms"):
            await sms.aclose()
        await leaderboard.close()
        await Tortoise.close_connections()

    return {
        "functions": FUNCTIONS,
        "cron_jobs": [
            cron(job.job, name=job.name, timeout=job.timeout, **job.when) for job in jobs_for(True)
        ],
        "redis_settings": RedisSettings.from_dsn(settings.redis_url),
        "on_startup": startup,
        "on_shutdown": shutdown,
        "timezone": settings.zone,
    }
