"""The rules every journey keeps, through `messages.send`: quiet hours, the weekly cap, consent;
a pause; a day gone over again, or cut short, or missed, sends each message exactly once."""

from __future__ import annotations

from datetime import date, timedelta

from jobs import local, tasks
from jobs.sms import LogSender
from loyalty.journeys import manage, runs
from loyalty.messaging import messages
from loyalty.models import (
    BenefitKind,
    CouponCode,
    InboxMessage,
    JourneyKind,
    JourneyRun,
    Message,
    MessageStatus,
)
from loyalty.notifications import Notification
from loyalty.programme import coupons, policies
from loyalty.programme.coupons import Benefit, CouponSpec
from tests import factories as f
from tests.journeys.support import Shop, at, messages_of, shop

# Days after the journeys begin (they begin when the test runs): no test waits for a date.
BIRTHDAY = date(2099, 12, 5)


def ctx() -> dict:
    return {"handlers": tasks.outbox_handlers(None, LogSender())}


async def birthdays(club: Shop, count: int, **profile):
    return [
        await f.member(f"M{n}", birthday=date(1990 + n % 20, 12, 5), **profile)
        for n in range(count)
    ]


async def test_at_night_a_journey_waits_for_the_morning() -> None:
    club = await shop()
    journey = await club.journey(JourneyKind.BIRTHDAY)
    [member] = await birthdays(club, 1, marketing_consent=True)
    await runs.run_due(at(BIRTHDAY, 0, 10))  # just after midnight in the club's zone
    [waiting] = await messages_of(journey)
    assert (waiting.status, waiting.due_at) == (MessageStatus.SCHEDULED, at(BIRTHDAY, 9))
    assert await InboxMessage.filter(member_id=member.id).count() == 0
    await local.run_due_events(ctx(), at(BIRTHDAY, 9))
    assert (await Message.get(id=waiting.id)).status is MessageStatus.SENT
    assert await InboxMessage.filter(member_id=member.id).count() == 1


async def test_the_weekly_cap_and_consent_hold_messages_back() -> None:
    club = await shop()
    await policies.save(club.boss, "messaging", {"marketing_per_week": 1})
    journey = await club.journey(JourneyKind.BIRTHDAY)
    capped, fresh = await birthdays(club, 2, marketing_consent=True)
    [unwilling] = await birthdays(club, 1)
    earlier = Notification("offer", "t", "b", "app://")
    await messages.send(
        capped.id,
        earlier,
        purpose=manage.MessagePurpose.MARKETING,
        dedupe_key="campaign:1",
        at=at(BIRTHDAY - timedelta(days=2)),
    )
    summary = await runs.run_due(at(BIRTHDAY))
    assert (summary.sent, summary.held) == (1, 2)
    by_member = {m.member_id: m for m in await messages_of(journey)}  # type: ignore[attr-defined]
    assert by_member[fresh.id].status is MessageStatus.SENT
    assert "weekly cap of 1" in by_member[capped.id].reason
    assert by_member[unwilling.id].reason == "no marketing consent"
    run = await JourneyRun.get(journey_id=journey.id)
    assert (run.sent, run.held) == (1, 2) and run.finished_at is not None


async def test_a_paused_journey_sends_nothing_and_holds_back_what_waited() -> None:
    club = await shop()
    gift = await coupons.create(
        club.boss, CouponSpec("Cake", Benefit(BenefitKind.FREE_PRODUCT, sku="CAKE"))
    )
    journey = await club.journey(JourneyKind.BIRTHDAY, coupon_id=gift.id)
    await birthdays(club, 1, marketing_consent=True)
    await runs.run_due(at(BIRTHDAY, 2))  # waits for 09:00
    assert await CouponCode.filter(coupon_id=gift.id).count() == 1
    await manage.set_active(club.boss, journey.id, False)
    [held] = await messages_of(journey)
    assert (held.status, held.reason) == (MessageStatus.SUPPRESSED, "journey paused")
    assert await CouponCode.filter(coupon_id=gift.id).count() == 0  # the voucher went with it
    assert await local.run_due_events(ctx(), at(BIRTHDAY, 9)) == 1
    assert await InboxMessage.all().count() == 0

    await birthdays(club, 1, marketing_consent=True)  # another, born on the same day
    assert (await runs.run_due(at(BIRTHDAY, 12))).days == 0
    assert len(await messages_of(journey)) == 1


async def test_a_day_cut_short_goes_on_where_it_stopped() -> None:
    club = await shop()
    journey = await club.journey(JourneyKind.BIRTHDAY)
    await birthdays(club, 5, marketing_consent=True)
    # No time at all: a batch a run, and the next run goes on from it.
    sent, unfinished = [], True
    while unfinished:
        summary = await runs.run_due(at(BIRTHDAY), budget=timedelta(0), batch=2)
        sent.append(summary.sent)
        unfinished = summary.unfinished
    assert sent == [2, 2, 1]
    run = await JourneyRun.get(journey_id=journey.id)
    assert (run.sent, run.finished_at is not None) == (5, True)
    assert len({m.member_id for m in await messages_of(journey)}) == 5  # type: ignore[attr-defined]
    assert (await runs.run_due(at(BIRTHDAY))).sent == 0


async def test_a_runner_down_for_days_catches_up_but_not_before_the_journey_began() -> None:
    club = await shop()
    journey = await club.journey(JourneyKind.BIRTHDAY)
    for day in (3, 4, 5, 6):
        await f.member(f"D{day}", birthday=date(1990, 12, day), marketing_consent=True)
    await runs.run_due(at(date(2099, 12, 3)))
    # Down on the 4th and 5th: the 6th's run does them too.
    summary = await runs.run_due(at(date(2099, 12, 6)))
    assert (summary.days, summary.sent) == (3, 3)
    days = await JourneyRun.filter(journey_id=journey.id).order_by("day").values_list("day", "sent")
    assert days == [(date(2099, 12, d), 1) for d in (3, 4, 5, 6)]
