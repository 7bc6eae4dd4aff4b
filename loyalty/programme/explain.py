"""The programme in words, in English and Persian, generated from the live configuration:
the reason on each line of a purchase, and the public programme rules."""

from __future__ import annotations

from dataclasses import dataclass

from loyalty.programme.definitions import (
    Cashback,
    Conditions,
    Discount,
    EventPoints,
    PointsPerAmount,
)
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
    "referral": Text("a friend you referred", "معرفی یک دوست"),
    "birthday": Text("your birthday", "تولد شما"),
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
        case EventPoints():
            event = EVENT_NAMES[params.event]
            period = PERIOD_NAMES[params.cap_period]
            times = Text(
                f"at most {params.cap_count} "
                f"time{'s' if params.cap_count != 1 else ''} {period.en}",
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
