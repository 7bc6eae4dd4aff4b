"""Who a timer journey speaks to on a day of the club's calendar, a batch at a time.

Each kind walks its rows in the order of one integer key (a purchase's or a member's id), so a
run cut short goes on from the last key it reached. An occasion's `key` names it within its
journey (a purchase, a member's birthday of a year, a lapse, an expiry date): the message's
dedupe key, so no occasion is messaged twice.
"""

from __future__ import annotations

import calendar as gregorian
import math
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import jdatetime
from tortoise.expressions import Q

from loyalty import clock
from loyalty.journeys.definitions import (
    AfterPurchase,
    NewProducts,
    NoOptions,
    PointsExpiring,
    WinBack,
)
from loyalty.journeys.templates import Value, date_text, number
from loyalty.models import (
    Calendar,
    JournalTransaction,
    Member,
    MemberStanding,
    Purchase,
)
from loyalty.programme import expiry

# Birthdays are looked for this far back (validation refuses older ones).
OLDEST_YEARS = 121


@dataclass(frozen=True, slots=True)
class Occasion:
    member_id: int
    key: str
    values: dict[str, Value] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Batch:
    occasions: list[Occasion]
    cursor: int  # the last key gone over (occasions or not)
    done: bool  # nothing follows


def _span(day: date) -> tuple[datetime, datetime]:
    """The day, midnight to midnight in the club's zone."""
    return clock.midnight(day), clock.midnight(day + timedelta(days=1))


async def after_purchase(options: AfterPurchase, day: date, after: int, limit: int) -> Batch:
    """Purchases made `days` before `day` with an item of the category, not wholly refunded."""
    bought_on = day - timedelta(days=options.days)
    start, end = _span(bought_on)
    rows = (
        await Purchase.filter(
            occurred_at__gte=start,
            occurred_at__lt=end,
            member_id__isnull=False,
            items__category=options.category,
            id__gt=after,
        )
        .distinct()
        .order_by("id")
        .limit(limit)
        .values_list("id", "member_id", "amount", "refunded_amount")
    )
    values: dict[str, Value] = {
        "days": number(options.days),
        "category": options.category,
        "purchase_date": date_text(bought_on),
    }
    occasions = [
        Occasion(member_id, f"purchase:{purchase_id}", values)
        for purchase_id, member_id, amount, refunded in rows
        if refunded < amount
    ]
    return _batch(occasions, [row[0] for row in rows], after, limit)


def _batch(occasions: list[Occasion], keys: list[int], after: int, limit: int) -> Batch:
    return Batch(occasions, keys[-1] if keys else after, len(keys) < limit)


def _gregorian_birthdays(day: date) -> list[date]:
    """Gregorian birthdays whose anniversary is `day`: 29 February's falls on 28 February in a
    common year."""
    celebrated = [(day.month, day.day)]
    if (day.month, day.day) == (2, 28) and not gregorian.isleap(day.year):
        celebrated.append((2, 29))
    found = []
    for year in range(day.year - OLDEST_YEARS, day.year + 1):
        for month, day_of_month in celebrated:
            try:
                found.append(date(year, month, day_of_month))
            except ValueError:  # 29 February of a common year
                continue
    return found


def _jalali_birthdays(day: date) -> list[date]:
    """Jalali birthdays whose anniversary is `day`: 30 Esfand's falls on 29 Esfand in a common
    year."""
    today = jdatetime.date.fromgregorian(date=day)
    celebrated = [(today.month, today.day)]
    if today.month == 12 and today.day == 29 and not today.isleap():
        celebrated.append((12, 30))
    found = []
    for year in range(today.year - OLDEST_YEARS, today.year + 1):
        for month, day_of_month in celebrated:
            try:
                found.append(jdatetime.date(year, month, day_of_month).togregorian())
            except ValueError:  # 30 Esfand of a common year
                continue
    return found


async def birthday(options: NoOptions, day: date, after: int, limit: int) -> Batch:
    """Members whose birthday it is, in the calendar they entered it in."""
    jalali = Q(birthday_calendar=Calendar.JALALI, birthday__in=_jalali_birthdays(day))
    gregorian = Q(
        Q(birthday_calendar=Calendar.GREGORIAN) | Q(birthday_calendar__isnull=True),
        birthday__in=_gregorian_birthdays(day),
    )
    rows = (
        await Member.filter(jalali | gregorian, id__gt=after)
        .order_by("id")
        .limit(limit)
        .values_list("id", "birthday_calendar")
    )
    jalali_year = jdatetime.date.fromgregorian(date=day).year
    occasions = [
        Occasion(
            member_id,
            f"birthday:{member_id}:{jalali_year if calendar is Calendar.JALALI else day.year}",
        )
        for member_id, calendar in rows
    ]
    return _batch(occasions, [row[0] for row in rows], after, limit)


def _lapse_threshold(options: WinBack, first: datetime, last: datetime, visits: int) -> int:
    """Days away after which this member has lapsed."""
    if options.days is not None:
        return options.days
    if visits < 2:
        return options.max_days
    usual_gap = clock.days_between(first, last) / (visits - 1)
    return min(max(math.ceil(options.gap_multiple * usual_gap), options.min_days), options.max_days)  # type: ignore[operator]


async def win_back(options: WinBack, day: date, after: int, limit: int) -> Batch:
    """Members whose days away first exceed their threshold on `day`; each lapse is named by
    its last visit, so it is messaged once, and a new visit starts a new one."""
    if options.days is not None:
        shortest = longest = options.days
    else:
        shortest, longest = options.min_days, options.max_days
    # Away more than N days on `day`: the last visit was on `day` - N - 1 at the latest.
    rows = (
        await MemberStanding.filter(
            last_visit_at__gte=clock.midnight(day - timedelta(days=longest + 1)),
            last_visit_at__lt=clock.midnight(day - timedelta(days=shortest)),
            member_id__gt=after,
            # A threshold read from the member's own visits is profiling: only with consent.
            member__profiling_consent=True,
        )
        .order_by("member_id")
        .limit(limit)
        .values_list("member_id", "first_visit_at", "last_visit_at", "visit_count")
    )
    occasions = []
    for member_id, first, last, visits in rows:
        last_day = clock.local_date(last)
        away = (day - last_day).days
        if away == _lapse_threshold(options, first, last, visits) + 1:
            values: dict[str, Value] = {
                "days": number(away),
                "last_visit_date": date_text(last_day),
            }
            occasions.append(Occasion(member_id, f"lapse:{member_id}:{last_day}", values))
    return _batch(occasions, [row[0] for row in rows], after, limit)


async def points_expiring(options: PointsExpiring, day: date, after: int, limit: int) -> Batch:
    """Members with points still held that expire `days` after `day`."""
    expiring_on = day + timedelta(days=options.days)
    start, end = _span(expiring_on)
    member_ids = (
        await JournalTransaction.filter(
            points__gt=0,
            points_expire_at__gte=start,
            points_expire_at__lt=end,
            member_id__gt=after,
        )
        .distinct()
        .order_by("member_id")
        .limit(limit)
        .values_list("member_id", flat=True)
    )
    occasions = []
    for member_id in member_ids:
        # Spends, refunds and earlier expiries may have used the lot up.
        lots = await expiry.schedule(member_id)
        held = sum(lot.points for lot in lots if start <= lot.expires_at < end)
        if held > 0:
            values: dict[str, Value] = {
                "days": number(options.days),
                "expiring_points": number(held),
                "expiry_date": date_text(expiring_on),
            }
            occasions.append(Occasion(member_id, f"expiring:{member_id}:{expiring_on}", values))
    return _batch(occasions, list(member_ids), after, limit)


async def new_products(options: NewProducts, day: date, after: int, limit: int) -> Batch:
    """Every member (of the tiers named) on the day the product is announced to them."""
    if day != options.public_date - timedelta(days=options.days):
        return Batch([], after, True)
    if options.tier_ids:
        member_ids = (
            await MemberStanding.filter(tier_id__in=options.tier_ids, member_id__gt=after)
            .order_by("member_id")
            .limit(limit)
            .values_list("member_id", flat=True)
        )
    else:
        member_ids = (
            await Member.filter(id__gt=after)
            .order_by("id")
            .limit(limit)
            .values_list("id", flat=True)
        )
    values: dict[str, Value] = {
        "days": number(options.days),
        "product": options.product,
        "public_date": date_text(options.public_date),
    }
    occasions = [Occasion(member_id, f"member:{member_id}", values) for member_id in member_ids]
    return _batch(occasions, list(member_ids), after, limit)
