"""Each kind of journey reaches the right members on the right day, personalised, once."""

from __future__ import annotations

from datetime import date, timedelta

import jdatetime

from jobs import local, tasks
from jobs.sms import LogSender
from loyalty import clock, wallet
from loyalty.actors import SYSTEM
from loyalty.calendars import CalendarDate
from loyalty.journeys import runs, templates
from loyalty.ledger import Purse
from loyalty.models import (
    BenefitKind,
    Calendar,
    CouponCode,
    JourneyKind,
    JourneyRun,
    Message,
    MessagePurpose,
    MessageStatus,
    OutboxEvent,
    RuleKind,
)
from loyalty.programme import coupons, expiry, policies, rules, tiers
from loyalty.programme.coupons import Benefit, CouponSpec
from loyalty.programme.rules import RuleSpec
from loyalty.programme.tiers import TierSpec
from tests import factories as f
from tests.journeys.support import OIL_REMINDER, at, messages_of, shop, today

SERVICE = MessagePurpose.SERVICE


def ctx() -> dict:
    return {"handlers": tasks.outbox_handlers(None, LogSender())}


async def test_after_purchase_reminds_per_purchase_on_the_day() -> None:
    club = await shop()
    journey = await club.journey(
        JourneyKind.AFTER_PURCHASE, OIL_REMINDER, options={"category": "oil_change", "days": 75}
    )
    sara = await f.member("سارا", last_name="رضایی", marketing_consent=True)
    reza = await f.member("رضا", marketing_consent=True)
    bought = today() - timedelta(days=100)
    await club.buy(sara, bought)
    await club.buy(sara, bought)  # a second car: a second reminder
    await club.buy(reza, bought, category="coffee")

    assert (await runs.run_due(at(bought + timedelta(days=74)))).sent == 0
    summary = await runs.run_due(at(bought + timedelta(days=75)))
    assert (summary.days, summary.sent, summary.held) == (1, 2, 0)
    sent = await messages_of(journey)
    assert [m.body for m in sent] == ["سارا رضایی عزیز، زمان تعویض روغن خودروی شما نزدیک است"] * 2
    assert {m.member_id for m in sent} == {sara.id}  # type: ignore[attr-defined]
    assert {m.status for m in sent} == {MessageStatus.SENT}

    # The same day again, and the next: nothing new.
    again = await runs.run_due(at(bought + timedelta(days=75), 18))
    assert (again.days, again.sent) == (0, 0)
    assert (await runs.run_due(at(bought + timedelta(days=76)))).sent == 0
    assert await Message.all().count() == 2


async def test_a_refunded_purchase_is_not_reminded_of() -> None:
    from loyalty import refunds

    club = await shop()
    journey = await club.journey(
        JourneyKind.AFTER_PURCHASE, options={"category": "oil_change", "days": 30}
    )
    sara = await f.member(marketing_consent=True)
    bought = today() - timedelta(days=40)
    purchase_id = await club.buy(sara, bought)
    await refunds.refund(club.boss, purchase_id=purchase_id, idempotency_key=f.key())
    await runs.run_due(at(bought + timedelta(days=30)))
    assert await messages_of(journey) == []


async def _birthday_journey(club, **more):
    return await club.journey(JourneyKind.BIRTHDAY, "{first_name} جان، تولدت مبارک", **more)


async def test_a_birthday_with_a_gift_voucher() -> None:
    club = await shop()
    gift = await coupons.create(
        club.boss, CouponSpec("Birthday cake", Benefit(BenefitKind.FREE_PRODUCT, sku="CAKE"))
    )
    journey = await _birthday_journey(club, coupon_id=gift.id, voucher_days=10)
    sara = await f.member("سارا", birthday=date(1990, 12, 5), marketing_consent=True)
    await f.member("Reza", birthday=date(1990, 12, 6), marketing_consent=True)
    no_consent = await f.member("Mina", birthday=date(1991, 12, 5))

    await runs.run_due(at(date(2026, 12, 5), 10))
    sent, held = await messages_of(journey)
    assert sent.member_id == sara.id and sent.status is MessageStatus.SENT  # type: ignore[attr-defined]
    [voucher] = await CouponCode.filter(coupon_id=gift.id)
    assert voucher.member_id == sara.id  # type: ignore[attr-defined]
    assert voucher.expires_at == at(date(2026, 12, 15), 10)
    assert sent.body == f"سارا جان، تولدت مبارک کد شما: {voucher.code}"
    assert sent.data["couponCode"] == voucher.code and sent.kind == "offer"
    # Held back for want of consent: no voucher the member would never hear of.
    assert (held.member_id, held.status) == (no_consent.id, MessageStatus.SUPPRESSED)  # type: ignore[attr-defined]

    await runs.run_due(at(date(2026, 12, 5), 11))  # re-run: no second voucher
    assert await CouponCode.filter(coupon_id=gift.id).count() == 1


async def test_29_february_is_celebrated_on_28_february_in_a_common_year() -> None:
    club = await shop()
    journey = await _birthday_journey(club, purpose=SERVICE)
    leapling = await f.member("Leila", birthday=date(2000, 2, 29))
    feb_28 = await f.member("Farid", birthday=date(2001, 2, 28))

    await runs.run_due(at(date(2027, 2, 28)))
    assert {m.member_id for m in await messages_of(journey)} == {leapling.id, feb_28.id}  # type: ignore[attr-defined]
    await runs.run_due(at(date(2027, 3, 1)))
    assert len(await messages_of(journey)) == 2

    # In a leap year each on their own day.
    await runs.run_due(at(date(2028, 2, 28)))
    await runs.run_due(at(date(2028, 2, 29)))
    latest = {m.dedupe_key: m.member_id for m in await messages_of(journey)}  # type: ignore[attr-defined]
    assert latest[f"journey:{journey.id}:birthday:{feb_28.id}:2028"] == feb_28.id
    assert latest[f"journey:{journey.id}:birthday:{leapling.id}:2028"] == leapling.id
    runs_by_day = dict(await JourneyRun.all().values_list("day", "sent"))
    assert runs_by_day[date(2028, 2, 28)] == 1 and runs_by_day[date(2028, 2, 29)] == 1


def _jalali(year: int, month: int, day: int) -> date:
    return jdatetime.date(year, month, day).togregorian()


async def test_jalali_birthdays_follow_the_jalali_calendar() -> None:
    club = await shop()
    journey = await _birthday_journey(club, purpose=SERVICE)
    # Born on 30 Esfand 1399, a leap year. 1403 is a leap year too; 1404 is not, and its
    # 29 Esfand is the day then.
    esfand_30 = await f.member("Esfand", birthday=CalendarDate("1399-12-30", Calendar.JALALI))
    # Nowruz 1403 was 20 March 2024; Nowruz 1404 is 21 March 2025, not the 20th.
    nowruz = await f.member("Nowruz", birthday=CalendarDate("1403-01-01", Calendar.JALALI))
    gregorian = await f.member("Greg", birthday=date(2024, 3, 20))

    for day in (_jalali(1403, 12, 29), _jalali(1403, 12, 30), _jalali(1404, 1, 1)):
        await runs.run_due(at(day))
    await runs.run_due(at(_jalali(1404, 12, 29)))
    assert _jalali(1404, 12, 29) == date(2026, 3, 20)
    keys = [m.dedupe_key.removeprefix(f"journey:{journey.id}:") for m in await messages_of(journey)]
    assert keys == [
        f"birthday:{esfand_30.id}:1403",  # 30 Esfand 1403 (20 March 2025)
        f"birthday:{gregorian.id}:2025",
        f"birthday:{nowruz.id}:1404",  # 21 March 2025
        f"birthday:{esfand_30.id}:1404",  # 29 Esfand 1404: no 30th that year
        f"birthday:{gregorian.id}:2026",
    ]


async def test_win_back_once_per_lapse_and_again_after_a_new_visit_and_lapse() -> None:
    club = await shop()
    journey = await club.journey(
        JourneyKind.WIN_BACK, "{name}، {days} روز است که ندیده‌ایمتان", options={"days": 30}
    )
    sara = await f.member("Sara", marketing_consent=True, profiling_consent=True)
    # Reading a lapse from someone's visits is profiling: not without that consent.
    nima = await f.member("Nima", marketing_consent=True, profiling_consent=False)
    visit = today() - timedelta(days=200)
    await club.buy(sara, visit)
    await club.buy(nima, visit)

    assert (await runs.run_due(at(visit + timedelta(days=30)))).sent == 0  # not yet more than 30
    assert (await runs.run_due(at(visit + timedelta(days=31)))).sent == 1
    for later in (32, 33, 45):
        assert (await runs.run_due(at(visit + timedelta(days=later)))).sent == 0
    [first] = await messages_of(journey)
    assert first.body == "Sara، ۳۱ روز است که ندیده‌ایمتان"

    back = visit + timedelta(days=60)
    await club.buy(sara, back)  # a new visit: a new lapse
    assert (await runs.run_due(at(back + timedelta(days=31)))).sent == 1
    assert (await runs.run_due(at(back + timedelta(days=32)))).sent == 0
    assert len(await messages_of(journey)) == 2


async def test_win_back_relative_to_the_members_usual_gap() -> None:
    club = await shop()
    journey = await club.journey(
        JourneyKind.WIN_BACK, options={"gap_multiple": 2.0, "min_days": 14, "max_days": 120}
    )
    consenting = {"marketing_consent": True, "profiling_consent": True}
    weekly, rare = await f.member(**consenting), await f.member(**consenting)
    start = today() - timedelta(days=300)
    for n in range(4):  # every 10 days: lapsed after 20
        await club.buy(weekly, start + timedelta(days=10 * n))
    for n in range(2):  # 100 days apart: 200, kept to the 120 at most
        await club.buy(rare, start + timedelta(days=100 * n))
    weekly_last, rare_last = start + timedelta(days=30), start + timedelta(days=100)

    for day in range(1, 200):  # every day, as the schedule would
        await runs.run_due(at(weekly_last + timedelta(days=day)))
    keys = sorted(m.dedupe_key for m in await messages_of(journey))
    assert keys == [
        f"journey:{journey.id}:lapse:{weekly.id}:{weekly_last}",
        f"journey:{journey.id}:lapse:{rare.id}:{rare_last}",
    ]
    day_of = {d: n for d, n in await JourneyRun.filter(sent__gt=0).values_list("day", "sent")}
    assert day_of == {weekly_last + timedelta(days=21): 1, rare_last + timedelta(days=121): 1}


async def test_welcome_follows_enrolment_through_the_outbox() -> None:
    enrolled_before = await f.member()
    club = await shop()
    assert await OutboxEvent.all().count() == 0  # no welcome journey: nothing recorded
    journey = await club.journey(
        JourneyKind.WELCOME, "{first_name} عزیز، خوش آمدید", purpose=SERVICE
    )
    sara = await f.member("سارا")
    assert await local.run_due_events(ctx()) == 1
    [welcome] = await messages_of(journey)
    assert (welcome.member_id, welcome.body) == (sara.id, "سارا عزیز، خوش آمدید")  # type: ignore[attr-defined]
    assert enrolled_before.id != sara.id

    # The same event run again (arq ran it twice) sends nothing more.
    event = await OutboxEvent.get()
    await OutboxEvent.filter(id=event.id).update(finished_at=None, started_at=None)
    await tasks.run_outbox_event(ctx(), event.id)
    assert len(await messages_of(journey)) == 1


async def test_tier_upgraded_names_the_tier_reached() -> None:
    club = await shop()
    await rules.create(
        club.boss,
        RuleSpec("Points", RuleKind.POINTS_PER_AMOUNT, {"points": 1, "per_amount": 10_000}),
    )
    await tiers.save(club.boss, TierSpec("Bronze", 0, 0, name_fa="برنزی"))
    silver = await tiers.save(club.boss, TierSpec("Silver", 1, 400, name_fa="نقره‌ای"))
    gold = await tiers.save(club.boss, TierSpec("Gold", 2, 10_000, name_fa="طلایی"))
    journey = await club.journey(
        JourneyKind.TIER_UPGRADED,
        "{name} عزیز، به سطح {tier} رسیدید. امتیاز شما: {points}",
        purpose=SERVICE,
        options={"tier_ids": [silver.id, gold.id]},
    )
    sara = await f.member("Sara")
    await club.buy(sara, today())  # 250 points: still Bronze
    assert await OutboxEvent.filter(task="journey_tier_upgraded").count() == 0
    await club.buy(sara, today())  # 500: Silver
    await local.run_due_events(ctx())
    [upgraded] = await messages_of(journey)
    assert upgraded.body == "Sara عزیز، به سطح نقره‌ای رسیدید. امتیاز شما: ۵۰۰"


async def test_points_expiring_warns_days_before_the_lot_expires() -> None:
    club = await shop()
    await policies.save(club.boss, "expiry", {"mode": "months_after_earning", "months": 12})
    journey = await club.journey(
        JourneyKind.POINTS_EXPIRING,
        "{expiring_points} امتیاز شما {days} روز دیگر، {expiry_date}، منقضی می‌شود",
        options={"days": 7},
    )
    sara = await f.member(marketing_consent=True)
    spender = await f.member(marketing_consent=True)
    bought = today() - timedelta(days=20)
    await club.buy(sara, bought)  # 250 points, expiring a year on
    await club.buy(spender, bought)
    await wallet.adjust(
        SYSTEM,
        member_id=spender.id,
        purse=Purse.POINTS,
        delta=-250,
        reason="spent them all",
        idempotency_key=f.key(),
    )
    [lot] = await expiry.schedule(sara.id)
    expiry_day = clock.local_date(lot.expires_at)

    assert (await runs.run_due(at(expiry_day - timedelta(days=8)))).sent == 0
    assert (await runs.run_due(at(expiry_day - timedelta(days=7)))).sent == 1
    [warning] = await messages_of(journey)
    assert warning.member_id == sara.id  # type: ignore[attr-defined]
    shown = templates.date_text(expiry_day).fa
    assert warning.body == f"۲۵۰ امتیاز شما ۷ روز دیگر، {shown}، منقضی می‌شود"


async def test_new_products_reach_members_before_the_public_and_only_some_tiers() -> None:
    club = await shop()
    await tiers.save(club.boss, TierSpec("Bronze", 0, 0))
    gold = await tiers.save(club.boss, TierSpec("Gold", 1, 100))
    await rules.create(
        club.boss,
        RuleSpec("Points", RuleKind.POINTS_PER_AMOUNT, {"points": 1, "per_amount": 10_000}),
    )
    public = today() + timedelta(days=10)
    journey = await club.journey(
        JourneyKind.NEW_PRODUCTS,
        "{product} از {public_date} در فروشگاه؛ شما {days} روز زودتر",
        options={
            "product": "روغن جدید",
            "public_date": public.isoformat(),
            "days": 3,
            "tier_ids": [gold.id],
        },
    )
    regular, newcomer = (
        await f.member(marketing_consent=True),
        await f.member(marketing_consent=True),
    )
    await club.buy(regular, today())  # 250 points: Gold
    assert (await runs.run_due(at(public - timedelta(days=4)))).sent == 0
    assert (await runs.run_due(at(public - timedelta(days=3)))).sent == 1
    [announced] = await messages_of(journey)
    assert announced.member_id == regular.id != newcomer.id  # type: ignore[attr-defined]
    assert announced.body.startswith("روغن جدید از ") and announced.body.endswith("۳ روز زودتر")
