"""The programme in words, in English and Persian, generated from the live configuration:
the reason on each line of a purchase, and the public programme rules."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from loyalty import clock
from loyalty.programme.definitions import (
    Cashback,
    Conditions,
    Discount,
    EventPoints,
    PointsPerAmount,
)
from loyalty.programme.policies import ExpiryPolicy, TierPolicy
from loyalty.settings import get_settings

_PERSIAN_DIGITS = str.maketrans("0123456789,.", "۰۱۲۳۴۵۶۷۸۹٬٫")


@dataclass(frozen=True, slots=True)
class Text:
    en: str
    fa: str

    def __add__(self, other: Text) -> Text:
        return Text(self.en + other.en, self.fa + other.fa)

    def pick(self, language: str) -> str:
        return self.fa if language == "fa" else self.en


class Named(Protocol):
    """A tier, survey or stamp card: named in English, and in Persian where it was given."""

    name: str
    name_fa: str


def name_of(thing: Named) -> Text:
    """Its name in both languages; the Persian falls back to the English."""
    return Text(thing.name, thing.name_fa or thing.name)


def fa_number(value: int | float | str) -> str:
    text = f"{value:,}" if isinstance(value, int) else str(value)
    return text.translate(_PERSIAN_DIGITS)


def money(rials: int) -> Text:
    if get_settings().currency_display == "toman":
        tomans = rials / 10
        shown = f"{int(tomans):,}" if rials % 10 == 0 else f"{tomans:,.1f}"
        return Text(f"{shown} Toman", f"{shown.translate(_PERSIAN_DIGITS)} تومان")
    return Text(f"{rials:,} Rials", f"{fa_number(rials)} ریال")


def points(amount: int) -> Text:
    return Text(f"{amount:,} point{'s' if abs(amount) != 1 else ''}", f"{fa_number(amount)} امتیاز")


def percent(basis_points: int) -> Text:
    shown = f"{basis_points / 100:g}"
    return Text(f"{shown}%", f"{shown.translate(_PERSIAN_DIGITS)}٪")


def ordinal(n: int) -> Text:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return Text(f"{n}{suffix}", f"{fa_number(n)}ام")


EVENT_NAMES = {
    "visit": Text("a visit", "هر مراجعه"),
    "review": Text("a product review", "ثبت نظر درباره‌ی محصول"),
    "profile_completed": Text("completing your profile", "تکمیل نمایه"),
    "profile_field": Text("filling in your profile", "تکمیل موارد نمایه"),
    "referral": Text("a friend you referred", "معرفی یک دوست"),
    "birthday": Text("your birthday", "تولد شما"),
}
PROFILE_FIELD_NAMES = {
    "first_name": Text("your first name", "نام"),
    "last_name": Text("your last name", "نام خانوادگی"),
    "birthday": Text("your birthday", "تاریخ تولد"),
    "gender": Text("your gender", "جنسیت"),
    "city": Text("your city", "شهر"),
}
PERIOD_NAMES = {
    "day": Text("a day", "در روز"),
    "week": Text("a week", "در هفته"),
    "month": Text("a month", "در ماه"),
    "year": Text("a year", "در سال"),
    "lifetime": Text("in all", "در کل"),
}
BASE_NAMES = {
    "net": Text(" paid (after discounts and credit)", " پرداختی (پس از تخفیف و اعتبار)"),
    "gross": Text(" of purchases", " خرید"),
}


def rule_summary(params: object) -> Text:
    """What a rule gives, in one phrase."""
    match params:
        case PointsPerAmount():
            text = Text(
                f"{points(params.points).en} for every {money(params.per_amount).en}"
                f"{BASE_NAMES[params.base].en}",
                f"{points(params.points).fa} به ازای هر {money(params.per_amount).fa}"
                f"{BASE_NAMES[params.base].fa}",
            )
            for m in params.multipliers:
                target = m.category or m.sku
                factor = f"{m.percent / 100:g}"
                text += Text(
                    f"; ×{factor} on {target}",
                    f"؛ ×{factor.translate(_PERSIAN_DIGITS)} برای {target}",
                )
            return text
        case Cashback():
            cap = params.max_amount
            return Text(
                f"{percent(params.basis_points).en} cash-back as credit"
                + (f" (up to {money(cap).en})" if cap else ""),
                f"{percent(params.basis_points).fa} بازگشت وجه به صورت اعتبار"
                + (f" (تا {money(cap).fa})" if cap else ""),
            )
        case EventPoints(event="profile_field"):
            return profile_field_summary(params)
        case EventPoints():
            event = EVENT_NAMES[params.event]
            period = PERIOD_NAMES[params.cap_period]
            if params.cap_count == 1:
                times = Text(
                    "once" if params.cap_period == "lifetime" else f"once {period.en}",
                    "یک بار" if params.cap_period == "lifetime" else f"یک بار {period.fa}",
                )
            else:
                times = Text(
                    f"at most {params.cap_count} times {period.en}",
                    f"حداکثر {fa_number(params.cap_count)} بار {period.fa}",
                )
            return Text(
                f"{points(params.points).en} for {event.en} ({times.en})",
                f"{points(params.points).fa} برای {event.fa} ({times.fa})",
            )
        case Discount():
            cap = params.max_amount
            return Text(
                f"{percent(params.basis_points).en} off the purchase"
                + (f" (up to {money(cap).en})" if cap else ""),
                f"{percent(params.basis_points).fa} تخفیف روی خرید"
                + (f" (تا {money(cap).fa})" if cap else ""),
            )
    raise TypeError(f"no words for {params!r}")


def profile_field_summary(params: EventPoints) -> Text:
    earned = points(params.points)
    if params.field is None:
        return Text(
            f"{earned.en} for each detail of your profile you fill in (once each)",
            f"{earned.fa} برای هر مورد از نمایه که تکمیل کنید (هر کدام یک بار)",
        )
    field = PROFILE_FIELD_NAMES[params.field]
    return Text(
        f"{earned.en} for adding {field.en} to your profile (once)",
        f"{earned.fa} برای افزودن {field.fa} به نمایه (یک بار)",
    )


def rewarded_for(params: EventPoints, reference: str) -> Text:
    """What an award of a rule was for, when its words do not say ("" when they do)."""
    if params.event == "profile_field" and params.field is None:
        field = PROFILE_FIELD_NAMES[reference]
        return Text(f": {field.en}", f": {field.fa}")
    return Text("", "")


def conditions(c: Conditions, tier_names: dict[int, Text]) -> Text:
    """When a rule applies, as a phrase that follows its summary ("" when always)."""
    parts: list[Text] = []
    if c.min_visit_number is not None:
        parts.append(
            Text(
                f"from your {ordinal(c.min_visit_number).en} visit on",
                f"از مراجعه‌ی {ordinal(c.min_visit_number).fa} به بعد",
            )
        )
    if c.max_visit_number is not None:
        parts.append(
            Text(
                f"up to your {ordinal(c.max_visit_number).en} visit",
                f"تا مراجعه‌ی {ordinal(c.max_visit_number).fa}",
            )
        )
    if c.min_days_since_last_visit is not None:
        days = c.min_days_since_last_visit
        parts.append(
            Text(
                f"when you come back after more than {days} days away",
                f"وقتی پس از بیش از {fa_number(days)} روز دوباره بیایید",
            )
        )
    if c.lapse_over_usual_gap is not None:
        ratio = f"{c.lapse_over_usual_gap:g}"
        parts.append(
            Text(
                f"when it has been more than {ratio}× your usual time between visits",
                f"وقتی فاصله‌ی مراجعه‌تان بیش از {ratio.translate(_PERSIAN_DIGITS)} برابر "
                "فاصله‌ی معمولتان باشد",
            )
        )
    if c.min_spend_in_window is not None:
        spent = money(c.min_spend_in_window)
        days = c.spend_window_days
        parts.append(
            Text(
                f"once you have spent {spent.en} in the last {days} days",
                f"وقتی در {fa_number(days or 0)} روز گذشته {spent.fa} خرید کرده باشید",
            )
        )
    if c.min_basket is not None:
        basket = money(c.min_basket)
        parts.append(
            Text(f"on purchases of at least {basket.en}", f"برای خریدهای دست‌کم {basket.fa}")
        )
    if c.tier_ids:
        names = [tier_names.get(t, Text(f"tier {t}", f"سطح {t}")) for t in c.tier_ids]
        parts.append(
            Text(
                f"for {' and '.join(n.en for n in names)} members",
                f"برای اعضای سطح {' و '.join(n.fa for n in names)}",
            )
        )
    if not parts:
        return Text("", "")
    return Text(", " + ", ".join(p.en for p in parts), "، " + "، ".join(p.fa for p in parts))


def day(moment: datetime) -> Text:
    """A date in the club's calendar and zone."""
    shown = clock.format_date(moment)
    return Text(shown, fa_number(shown))


def scope(
    branch_ids: frozenset[int],
    starts_at: datetime | None,
    ends_at: datetime | None,
    branch_names: dict[int, Text],
) -> Text:
    """Where and when a rule applies, as a phrase that follows it ("" when everywhere, always)."""
    parts: list[Text] = []
    if branch_ids:
        names = [
            branch_names.get(b, Text(f"branch {b}", f"شعبه‌ی {fa_number(b)}"))
            for b in sorted(branch_ids)
        ]
        parts.append(
            Text(
                f"at {' and '.join(n.en for n in names)} only",
                f"فقط در {' و '.join(n.fa for n in names)}",
            )
        )
    if starts_at is not None:
        parts.append(Text(f"from {day(starts_at).en}", f"از {day(starts_at).fa}"))
    if ends_at is not None:
        # `ends_at` is the first moment it no longer applies: name the last day it does.
        last = day(ends_at - timedelta(microseconds=1))
        parts.append(Text(f"through {last.en}", f"تا پایان {last.fa}"))
    if not parts:
        return Text("", "")
    return Text(
        " (" + ", ".join(p.en for p in parts) + ")", " (" + "، ".join(p.fa for p in parts) + ")"
    )


def tier_period(policy: TierPolicy) -> Text:
    if policy.period == "lifetime":
        return Text("since joining", "از زمان عضویت")
    if policy.period == "calendar_year":
        return Text("in the current year", "در سال جاری")
    return Text(
        f"in the last {policy.window_days:,} days", f"در {fa_number(policy.window_days)} روز گذشته"
    )


def tier_threshold(policy: TierPolicy, threshold: int) -> Text:
    if policy.metric == "spend":
        spent = money(threshold)
        return Text(f"{spent.en} of purchases", f"{spent.fa} خرید")
    earned = points(threshold)
    return Text(f"{earned.en} earned", f"{earned.fa} کسب‌شده")


def tier(name: Text, threshold: int, multiplier_percent: int, policy: TierPolicy) -> Text:
    """What a tier needs and gives."""
    if threshold == 0:
        text = Text(f"{name.en}: where every member starts", f"{name.fa}: سطح آغاز همه‌ی اعضا")
    else:
        need = tier_threshold(policy, threshold)
        period = tier_period(policy)
        text = Text(f"{name.en}: {need.en} {period.en}", f"{name.fa}: {need.fa} {period.fa}")
    if multiplier_percent != 100:
        factor = f"{multiplier_percent / 100:g}"
        text += Text(f"; ×{factor} points for spending", f"؛ ×{fa_number(factor)} امتیاز خرید")
    return text


def tier_policy(policy: TierPolicy) -> list[Text]:
    """How members move between tiers."""
    measured = (
        Text("the Rials you spend (less refunds)", "مبلغ خریدهای شما (پس از کسر مرجوعی)")
        if policy.metric == "spend"
        else Text(
            "the points you earn (not your balance: spending points does not count against you)",
            "امتیازهایی که کسب می‌کنید (نه مانده‌ی امتیاز: خرج‌کردن امتیاز از آن کم نمی‌کند)",
        )
    )
    months = policy.review_months
    if policy.grace_days:
        down = Text(
            f"if you no longer qualify, you keep your tier for {policy.grace_days:,} more days "
            "and move down at the review after that",
            f"اگر دیگر شرایط را نداشته باشید، {fa_number(policy.grace_days)} روز دیگر سطح خود را "
            "نگه می‌دارید و در بازبینی پس از آن به سطح پایین‌تر می‌روید",
        )
    else:
        down = Text(
            "if you no longer qualify, you move to the tier you do qualify for",
            "اگر دیگر شرایط را نداشته باشید، به سطحی که شرایطش را دارید می‌روید",
        )
    return [
        Text(f"Tiers are reached by {measured.en}.", f"سطح‌ها بر پایه‌ی {measured.fa} است."),
        Text(
            "You move up as soon as you reach the next tier's threshold.",
            "به محض رسیدن به آستانه‌ی سطح بعدی، به آن سطح می‌روید.",
        ),
        Text(
            f"Your tier is reviewed every {months} month{'s' if months != 1 else ''}; {down.en}.",
            f"سطح شما هر {fa_number(months)} ماه بازبینی می‌شود؛ {down.fa}.",
        ),
    ]


def expiry_policy(policy: ExpiryPolicy) -> Text:
    if policy.mode == "months_after_earning":
        months = policy.months
        return Text(
            f"Points expire {months} month{'s' if months != 1 else ''} after they are earned, "
            "oldest first.",
            f"امتیازها {fa_number(months)} ماه پس از کسب منقضی می‌شوند؛ قدیمی‌ترین‌ها زودتر.",
        )
    if policy.mode == "end_of_following_year":
        return Text(
            "Points expire at the end of the year after the one they were earned in, oldest first.",
            "امتیازها در پایان سالِ پس از سال کسب منقضی می‌شوند؛ قدیمی‌ترین‌ها زودتر.",
        )
    return Text("Points do not expire.", "امتیازها منقضی نمی‌شوند.")
