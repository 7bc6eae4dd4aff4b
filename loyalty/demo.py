"""A realistic demo club (`loyalty demo`), loaded through the domain services only.

Two cafés (Tehran and Isfahan), their staff, a few hundred members with Persian and English
names, and a year of purchases: regulars, occasional visitors, members who stopped coming and
new ones; credit top-ups and spends, points redeemed for rewards, a few refunds.

`plan()` decides everything from a seed and a clock, without touching the database, so the
same seed gives the same club. `load()` carries the plan out with `staff`, `members`,
`purchases` and `wallet`, exactly as counter staff would, so every rule (earning, idempotency,
the ledger's balances) applies to the demo data too.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from loyalty import members, purchases, refunds, staff, wallet
from loyalty.actors import SYSTEM, Actor
from loyalty.analysis import runs as analysis_runs
from loyalty.errors import Conflict
from loyalty.games import lottery
from loyalty.games.lottery import LotteryPrizeSpec, LotterySpec
from loyalty.happycalls import queue as happy_call_queue
from loyalty.happycalls import rules as happy_call_rules
from loyalty.ledger import Balances, Purse
from loyalty.members import Profile
from loyalty.models import (
    BenefitKind,
    Branch,
    Gender,
    Language,
    PrizeKind,
    RewardKind,
    Role,
    RuleKind,
    StaffUser,
    StampUnit,
)
from loyalty.phones import normalise_phone
from loyalty.programme import policies, rewards, rules, tiers
from loyalty.programme.coupons import Benefit
from loyalty.programme.rewards import RewardSpec
from loyalty.programme.rules import RuleSpec
from loyalty.programme.tiers import TierSpec
from loyalty.purchases import LineItem
from loyalty.settings import get_settings
from loyalty.stamps import cards as stamp_cards
from loyalty.stamps.cards import StampCardSpec
from loyalty.surveys import manage as surveys

DEFAULT_MEMBERS = 200
DEFAULT_SEED = 1
DEFAULT_PASSWORD = "demo-password-123"
# The oldest purchase is this many days back; the services accept up to 365.
MAX_DAYS_AGO = 362
# A credit user tops up again when their credit falls below this (Rials).
LOW_CREDIT = 1_500_000
# Prices rose over the year: a year ago they were this much lower (Iran's inflation).
YEARLY_PRICE_RISE = 0.35


# --- The two cafés and their staff -----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DemoBranch:
    code: str
    name: str
    city: str
    areas: tuple[str, ...]
    nearby_cities: tuple[str, ...]
    share: float  # of the members who call it home


BRANCHES = (
    DemoBranch(
        code="THR-VANAK",
        name="کافه نارون — ونک",
        city="تهران",
        areas=("ونک", "جردن", "یوسف‌آباد", "سعادت‌آباد", "تجریش", "پونک", "نارمک", "شهرک غرب"),
        nearby_cities=("کرج", "لواسان", "پردیس"),
        share=0.65,
    ),
    DemoBranch(
        code="ISF-JOLFA",
        name="کافه نارون — جلفا",
        city="اصفهان",
        areas=("جلفا", "چهارباغ", "خیابان نظر", "سپاهان‌شهر", "مرداویج", "شیخ صدوق"),
        nearby_cities=("شاهین‌شهر", "نجف‌آباد", "خمینی‌شهر"),
        share=0.35,
    ),
)


@dataclass(frozen=True, slots=True)
class DemoStaff:
    username: str
    role: Role
    branch_code: str | None
    display_name: str


STAFF = (
    DemoStaff("manager", Role.MANAGER, None, "مدیر باشگاه"),
    DemoStaff("operator", Role.OPERATOR, None, "اپراتور مرکز تماس"),
    DemoStaff("supervisor", Role.SUPERVISOR, None, "سرپرست مرکز تماس"),
    DemoStaff("cashier.tehran", Role.CASHIER, "THR-VANAK", "صندوق‌دار ونک"),
    DemoStaff("station.tehran", Role.STATION, "THR-VANAK", "ایستگاه کارت ونک"),
    DemoStaff("cashier.isfahan", Role.CASHIER, "ISF-JOLFA", "صندوق‌دار جلفا"),
    DemoStaff("station.isfahan", Role.STATION, "ISF-JOLFA", "ایستگاه کارت جلفا"),
)


# --- The menu --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MenuItem:
    sku: str
    category: str
    name: str
    price: int  # Rials, today
    branch_code: str | None = None  # sold at one branch only


MENU = (
    MenuItem("COF-ESP", "coffee", "اسپرسو", 750_000),
    MenuItem("COF-AMR", "coffee", "آمریکانو", 850_000),
    MenuItem("COF-LAT", "coffee", "لاته", 1_200_000),
    MenuItem("COF-CAP", "coffee", "کاپوچینو", 1_150_000),
    MenuItem("COF-MOC", "coffee", "موکا", 1_350_000),
    MenuItem("COF-ICL", "coffee", "آیس لاته", 1_300_000),
    MenuItem("COF-TRK", "coffee", "قهوه ترک", 900_000),
    MenuItem("COF-V60", "coffee", "قهوه دمی V60", 1_400_000),
    MenuItem("TEA-NAB", "tea", "چای ایرانی با نبات", 450_000),
    MenuItem("TEA-MSL", "tea", "چای ماسالا", 950_000),
    MenuItem("TEA-GGZ", "tea", "دمنوش گل‌گاوزبان", 700_000),
    MenuItem("CLD-LIM", "cold-drinks", "لیموناد نعنا", 900_000),
    MenuItem("CLD-SMO", "cold-drinks", "اسموتی انبه", 1_250_000),
    MenuItem("CLD-SHK", "cold-drinks", "شیک شکلات", 1_450_000),
    MenuItem("CAK-CHZ", "cake", "چیزکیک نیویورکی", 1_400_000),
    MenuItem("CAK-CHO", "cake", "کیک شکلاتی", 1_200_000),
    MenuItem("CAK-CAR", "cake", "کیک هویج", 1_100_000),
    MenuItem("CAK-CRO", "cake", "کروسان کره‌ای", 750_000),
    MenuItem("CAK-COO", "cake", "کوکی شکلاتی", 500_000),
    MenuItem("BRK-IRN", "breakfast", "صبحانه ایرانی", 1_900_000),
    MenuItem("BRK-OML", "breakfast", "املت گوجه", 1_600_000),
    MenuItem("BRK-PAN", "breakfast", "پنکیک با عسل", 1_750_000),
    MenuItem("BRK-EGG", "breakfast", "نیمرو با نان تست", 1_300_000),
    MenuItem("FOD-SAN", "food", "ساندویچ مرغ پستو", 2_200_000),
    MenuItem("FOD-PAS", "food", "پاستا آلفردو", 2_900_000),
    MenuItem("FOD-SAL", "food", "سالاد سزار", 2_400_000),
    MenuItem("SWT-GAZ", "sweets", "گز اصفهان (جعبه کوچک)", 3_500_000, "ISF-JOLFA"),
)
_BY_CATEGORY: dict[str, list[MenuItem]] = {}
for _item in MENU:
    _BY_CATEGORY.setdefault(_item.category, []).append(_item)
DRINKS = _BY_CATEGORY["coffee"] + _BY_CATEGORY["tea"] + _BY_CATEGORY["cold-drinks"]

REWARDS = (500, 1_000)  # points: a free drink, a free breakfast
TOP_UPS = (5_000_000, 10_000_000, 20_000_000, 30_000_000)
REFUND_REASONS = (
    "سفارش اشتباه ثبت شد",
    "مشتری سفارش را لغو کرد",
    "کیفیت نامناسب",
    "دو بار حساب شد",
)


# --- People ----------------------------------------------------------------------------------

PERSIAN_FEMALE = (
    "سارا", "مریم", "زهرا", "فاطمه", "نرگس", "لیلا", "نازنین", "شیرین", "مهسا", "الهام",
    "پریسا", "نگار", "آزاده", "رویا", "سمیرا", "هانیه", "کیمیا", "یاسمن", "ترانه", "مینا",
)  # fmt: skip
PERSIAN_MALE = (
    "علی", "محمد", "رضا", "حسین", "مهدی", "امیر", "سعید", "حمید", "بهرام", "کاوه",
    "آرش", "پویا", "سینا", "میلاد", "فرهاد", "بابک", "نیما", "داریوش", "کیان", "پارسا",
)  # fmt: skip
PERSIAN_LAST = (
    "محمدی", "حسینی", "احمدی", "رضایی", "کریمی", "موسوی", "جعفری", "صادقی", "رحیمی", "قاسمی",
    "نوری", "اکبری", "تهرانی", "اصفهانی", "شریفی", "کاظمی", "یزدانی", "فراهانی", "نجفی",
    "زمانی", "هاشمی", "مرادی", "سلطانی", "بهرامی", "نیک‌پور", "خسروشاهی", "میرزایی",
)  # fmt: skip
ENGLISH_FEMALE = (
    "Emma", "Olivia", "Sophie", "Hannah", "Grace", "Chloe", "Lucy", "Anna", "Laura", "Kate",
)  # fmt: skip
ENGLISH_MALE = (
    "James", "Daniel", "Thomas", "Michael", "David", "Oliver", "Jack", "Samuel", "Lucas", "Adam",
)  # fmt: skip
ENGLISH_LAST = (
    "Smith", "Brown", "Wilson", "Taylor", "Walker", "Clarke", "Evans", "Hughes", "Wright",
    "Harris", "Miller", "Becker", "Rossi", "Dubois", "Jensen",
)  # fmt: skip
INTERESTS = (
    "coffee", "specialty-coffee", "tea", "cake", "breakfast", "vegan", "board-games",
    "live-music", "books", "takeaway", "study-space",
)  # fmt: skip
# Operators' shares of Iranian mobile numbers, roughly: MCI (091x, 0990), Irancell (093x, 090x),
# RighTel (092x).
MOBILE_PREFIXES = (
    ("0912", 22), ("0919", 8), ("0913", 6), ("0915", 4), ("0917", 4), ("0990", 5),
    ("0935", 12), ("0936", 8), ("0937", 6), ("0938", 6), ("0939", 5), ("0901", 5),
    ("0902", 3), ("0921", 3), ("0922", 3),
)  # fmt: skip
_PERSIAN_DIGITS = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")

# Segments: how a member visits. Shares of the membership, in order.
SEGMENTS = (("regular", 0.25), ("occasional", 0.45), ("lapsed", 0.2), ("new", 0.1))
# Times of day: (first hour, last hour).
DAYPARTS = {"morning": (8, 11), "afternoon": (12, 16), "evening": (17, 22)}


# --- The plan --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PlannedMember:
    phone: str  # as typed at the counter: some in Persian digits, some with +98
    profile: Profile
    branch_code: str
    segment: str


@dataclass(frozen=True, slots=True)
class PlannedVisit:
    occurred_at: datetime
    branch_code: str
    member: int | None  # index into DemoPlan.members; None for a walk-in
    items: tuple[LineItem, ...]
    at_station: bool = False
    top_up: int = 0  # Rials topped up first if the member's credit is low
    pay_with_credit: bool = False
    redeem_points: int = 0  # a reward's price in points, redeemed if the member has enough
    refund: str | None = None  # "full" or "partial", right after the purchase
    refund_reason: str = ""
    receipt_number: str = ""

    @property
    def amount(self) -> int:
        return sum(item.amount for item in self.items)


@dataclass(frozen=True, slots=True)
class DemoPlan:
    seed: int
    members: list[PlannedMember]
    visits: list[PlannedVisit]


def _split(rng: random.Random, count: int, shares: tuple[tuple[str, float], ...]) -> list[str]:
    """Exactly `round(share * count)` of each label (every label at least once if count allows),
    shuffled."""
    labels: list[str] = []
    for label, share in shares:
        labels += [label] * max(1 if count >= len(shares) else 0, round(share * count))
    labels = labels[:count]
    labels += [shares[0][0]] * (count - len(labels))
    rng.shuffle(labels)
    return labels


def _phone(rng: random.Random, used: set[str]) -> str:
    prefixes = [p for p, _ in MOBILE_PREFIXES]
    weights = [w for _, w in MOBILE_PREFIXES]
    while True:
        local = rng.choices(prefixes, weights)[0] + f"{rng.randrange(10**7):07d}"
        e164 = normalise_phone(local)
        if e164 in used:
            continue
        used.add(e164)
        style = rng.random()
        if style < 0.1:
            return local.translate(_PERSIAN_DIGITS)
        if style < 0.15:
            return "+98" + local[1:]
        return local


def _birthday(rng: random.Random, today: date) -> date | None:
    if rng.random() < 0.08:
        return None
    age = min(75, max(16, round(rng.gauss(32, 10))))
    return date(today.year - age, rng.randint(1, 12), rng.randint(1, 28))


def _member(
    rng: random.Random,
    english: bool,
    branch: DemoBranch,
    segment: str,
    today: date,
    used_phones: set[str],
) -> PlannedMember:
    female = rng.random() < 0.55
    if english:
        first = rng.choice(ENGLISH_FEMALE if female else ENGLISH_MALE)
        last = rng.choice(ENGLISH_LAST)
    else:
        first = rng.choice(PERSIAN_FEMALE if female else PERSIAN_MALE)
        last = rng.choice(PERSIAN_LAST)
    gender = None if rng.random() < 0.05 else (Gender.FEMALE if female else Gender.MALE)
    city = branch.city if rng.random() < 0.88 else rng.choice(branch.nearby_cities)
    area = rng.choice(branch.areas) if city == branch.city and rng.random() < 0.8 else ""
    marketing = rng.random() < 0.65
    profile = Profile(
        first_name=first,
        last_name=last,
        birthday=_birthday(rng, today),
        gender=gender,
        city=city,
        area=area,
        interests=rng.sample(INTERESTS, rng.choice((0, 1, 2, 2, 3, 3, 4))),
        language=Language.EN if english else Language.FA,
        marketing_consent=marketing,
        profiling_consent=marketing and rng.random() < 0.7,
    )
    return PlannedMember(_phone(rng, used_phones), profile, branch.code, segment)


def _visit_days(rng: random.Random, segment: str) -> list[int]:
    """Days ago of a member's visits, oldest first."""
    if segment == "new":
        start = rng.randint(0, 30)
        return sorted({rng.randint(0, start) for _ in range(rng.randint(1, 4))}, reverse=True)
    if segment == "regular":
        start, end, mean = rng.uniform(180, MAX_DAYS_AGO), 0.0, rng.uniform(5, 11)
    elif segment == "occasional":
        start, end, mean = rng.uniform(60, MAX_DAYS_AGO), 0.0, rng.uniform(20, 50)
    else:  # lapsed: came for a while, then stopped more than three months ago
        start = rng.uniform(250, MAX_DAYS_AGO)
        end, mean = rng.uniform(95, start - 60), rng.uniform(7, 20)
    days, day = [], start
    while day >= end:
        days.append(round(day))
        day -= max(1.0, rng.expovariate(1 / mean))
    return days


def _price(item: MenuItem, days_ago: int) -> int:
    """The item's price on that day, rounded to 10,000 Rials."""
    factor = 1 - YEARLY_PRICE_RISE * days_ago / 365
    return round(item.price * factor / 10_000) * 10_000


def _basket(
    rng: random.Random, branch_code: str, daypart: str, days_ago: int, favourite: MenuItem | None
) -> tuple[LineItem, ...]:
    party = rng.choices((1, 2, 3, 4), (60, 28, 8, 4))[0]
    picked: list[MenuItem] = []
    for person in range(party):
        if person == 0 and favourite is not None and rng.random() < 0.6:
            picked.append(favourite)
        else:
            picked.append(rng.choice(DRINKS))
        if daypart == "morning" and rng.random() < 0.45:
            picked.append(rng.choice(_BY_CATEGORY["breakfast"]))
        elif daypart != "morning" and rng.random() < 0.22:
            picked.append(rng.choice(_BY_CATEGORY["food"]))
        if rng.random() < 0.35:
            picked.append(rng.choice(_BY_CATEGORY["cake"]))
    if branch_code == "ISF-JOLFA" and rng.random() < 0.05:
        picked.append(_BY_CATEGORY["sweets"][0])
    counts: dict[str, int] = {}
    for item in picked:
        counts[item.sku] = counts.get(item.sku, 0) + 1
    by_sku = {item.sku: item for item in picked}
    return tuple(
        LineItem(
            sku=sku,
            amount=_price(by_sku[sku], days_ago) * quantity,
            quantity=quantity,
            category=by_sku[sku].category,
            name=by_sku[sku].name,
        )
        for sku, quantity in counts.items()
    )


def _when(
    rng: random.Random, now: datetime, zone: ZoneInfo, days_ago: int, daypart: str
) -> datetime:
    first, last = DAYPARTS[daypart]
    day = now.astimezone(zone).date() - timedelta(days=days_ago)
    local = datetime(
        day.year, day.month, day.day, rng.randint(first, last), rng.randrange(60), tzinfo=zone
    )
    # Drawn whether used or not: the same seed gives the same club at any hour of loading.
    earlier = timedelta(minutes=rng.randint(5, 240))
    if local > now:  # later today: make it earlier today instead
        local = now - earlier
    return local.astimezone(UTC)


def plan(
    member_count: int = DEFAULT_MEMBERS,
    seed: int = DEFAULT_SEED,
    *,
    now: datetime | None = None,
    zone: ZoneInfo | None = None,
) -> DemoPlan:
    """Decide the whole demo club from a seed: same seed and clock, same club."""
    if member_count < 1:
        raise ValueError("a demo club needs at least one member")
    rng = random.Random(seed)
    now = (now or datetime.now(UTC)).replace(microsecond=0)
    zone = zone or get_settings().zone
    today = now.astimezone(zone).date()
    branches = {b.code: b for b in BRANCHES}

    segments = _split(rng, member_count, SEGMENTS)
    english = _split(rng, member_count, (("fa", 0.8), ("en", 0.2)))
    homes = _split(rng, member_count, tuple((b.code, b.share) for b in BRANCHES))
    credit_users = set(rng.sample(range(member_count), max(1, round(member_count * 0.15))))
    used_phones: set[str] = set()
    planned_members = [
        _member(rng, english[i] == "en", branches[homes[i]], segments[i], today, used_phones)
        for i in range(member_count)
    ]

    visits: list[PlannedVisit] = []
    for index, member in enumerate(planned_members):
        daypart_weights = [rng.random() ** 2 for _ in DAYPARTS]
        favourite = rng.choice(DRINKS) if rng.random() < 0.7 else None
        other_branch = next(b.code for b in BRANCHES if b.code != member.branch_code)
        credit_user = index in credit_users
        for days_ago in _visit_days(rng, member.segment):
            daypart = rng.choices(list(DAYPARTS), daypart_weights)[0]
            branch_code = member.branch_code if rng.random() < 0.95 else other_branch
            visits.append(
                PlannedVisit(
                    occurred_at=_when(rng, now, zone, days_ago, daypart),
                    branch_code=branch_code,
                    member=index,
                    items=_basket(rng, branch_code, daypart, days_ago, favourite),
                    at_station=rng.random() < 0.3,
                    top_up=rng.choice(TOP_UPS) if credit_user else 0,
                    pay_with_credit=credit_user,
                    redeem_points=rng.choice(REWARDS) if rng.random() < 0.12 else 0,
                )
            )
    for _ in range(member_count * 2):  # walk-ins who are not members
        days_ago = rng.randint(0, MAX_DAYS_AGO)
        daypart = rng.choice(list(DAYPARTS))
        branch_code = rng.choices(list(branches), [b.share for b in BRANCHES])[0]
        visits.append(
            PlannedVisit(
                occurred_at=_when(rng, now, zone, days_ago, daypart),
                branch_code=branch_code,
                member=None,
                items=_basket(rng, branch_code, daypart, days_ago, None),
                at_station=False,
            )
        )

    visits.sort(key=lambda v: (v.occurred_at, v.branch_code, -1 if v.member is None else v.member))
    refundable = [
        i for i, v in enumerate(visits) if not (v.top_up or v.pay_with_credit or v.redeem_points)
    ]
    refunds = {
        i: rng.choice(("full", "partial"))
        for i in rng.sample(refundable, min(len(refundable), max(1, len(visits) // 200)))
    }
    receipts = dict.fromkeys(branches, 0)
    numbered = []
    for i, visit in enumerate(visits):
        receipts[visit.branch_code] += 1
        refund = refunds.get(i)
        numbered.append(
            PlannedVisit(
                occurred_at=visit.occurred_at,
                branch_code=visit.branch_code,
                member=visit.member,
                items=visit.items,
                at_station=visit.at_station and refund is None,
                top_up=visit.top_up,
                pay_with_credit=visit.pay_with_credit,
                redeem_points=visit.redeem_points,
                refund=refund,
                refund_reason=rng.choice(REFUND_REASONS) if refund else "",
                receipt_number=f"{visit.branch_code}-{receipts[visit.branch_code]:06d}",
            )
        )
    return DemoPlan(seed=seed, members=planned_members, visits=numbered)


# --- Loading it ------------------------------------------------------------------------------


class DemoError(Exception):
    """The demo cannot be loaded into this database (a clash the user must resolve)."""


@dataclass(slots=True)
class StaffLogin:
    username: str
    role: Role
    branch_code: str | None
    created: bool  # False: the username existed; its password was left as it was


# A café's programme: points with double points on coffee, cash-back that rises for regulars,
# a daily visit bonus, a welcome-back discount, event points and three tiers.
DEMO_RULES = (
    RuleSpec(
        "Points for every purchase",
        RuleKind.POINTS_PER_AMOUNT,
        {
            "points": 1,
            "per_amount": 100_000,
            "multipliers": [{"category": "coffee", "percent": 200}],
        },
    ),
    RuleSpec("Cash-back", RuleKind.CASHBACK, {"basis_points": 300}, exclusive_group="cashback"),
    RuleSpec(
        "Regulars' cash-back",
        RuleKind.CASHBACK,
        {"basis_points": 500},
        conditions={"min_visit_number": 11},
        priority=10,
        exclusive_group="cashback",
    ),
    RuleSpec(
        "Visit bonus",
        RuleKind.EVENT_POINTS,
        {"event": "visit", "points": 5, "cap_count": 1, "cap_period": "day"},
    ),
    RuleSpec(
        "Welcome back",
        RuleKind.DISCOUNT,
        {"basis_points": 1000, "max_amount": 500_000},
        conditions={"min_days_since_last_visit": 30},
    ),
    RuleSpec(
        "Refer a friend",
        RuleKind.EVENT_POINTS,
        {"event": "referral", "points": 200, "cap_count": 10, "cap_period": "year"},
    ),
    RuleSpec(
        "Complete your profile",
        RuleKind.EVENT_POINTS,
        {"event": "profile_completed", "points": 50},
    ),
    RuleSpec(
        "Birthday gift",
        RuleKind.EVENT_POINTS,
        {"event": "birthday", "points": 100, "cap_count": 1, "cap_period": "year"},
    ),
)
DEMO_TIERS = (
    TierSpec("Bronze", 0, 0, 100, name_fa="برنزی"),
    TierSpec("Silver", 1, 1_000, 125, name_fa="نقره‌ای"),
    TierSpec("Gold", 2, 2_000, 150, name_fa="طلایی"),
)
DEMO_POLICIES = {
    "tiers": {"metric": "points_earned", "period": "rolling_days", "window_days": 365},
    "expiry": {"mode": "months_after_earning", "months": 12},
    # Calls are handed out at any hour, so the console has work whenever the demo is tried.
    "happy_calls": {"calling_hours_from": "00:00:00", "calling_hours_until": "00:00:00"},
}
_SURVEY_CHOICES = [
    {"text": "Poor", "text_fa": "ضعیف", "score": 1},
    {"text": "Fair", "text_fa": "متوسط", "score": 2},
    {"text": "Good", "text_fa": "خوب", "score": 3},
    {"text": "Excellent", "text_fa": "عالی", "score": 4},
]
# Offered in the app for two weeks after a purchase: two 4-choice questions and a comment.
DEMO_SURVEY = {
    "name": "How was your visit?",
    "name_fa": "مراجعه‌تان چطور بود؟",
    "channel": "app",
    "questions": [
        {
            "code": "service",
            "kind": "choice",
            "text": "How was our service?",
            "text_fa": "برخورد و سرعت کار ما چطور بود؟",
            "choices": _SURVEY_CHOICES,
        },
        {
            "code": "taste",
            "kind": "choice",
            "text": "How did you like what you had?",
            "text_fa": "از سفارشتان راضی بودید؟",
            "choices": _SURVEY_CHOICES,
        },
    ],
    "open_days": 14,
    "points": 20,
}


# Read out by operators on a happy call: any kind of question.
DEMO_CALL_SCRIPT = {
    "name": "Happy call after a visit",
    "name_fa": "تماس رضایت‌سنجی پس از خرید",
    "channel": "call",
    "questions": [
        {
            "code": "recommend",
            "kind": "rating",
            "text": "From 0 to 10, would you recommend us to a friend?",
            "text_fa": "از ۰ تا ۱۰ چقدر ما را به دوستانتان پیشنهاد می‌کنید؟",
        },
        {
            "code": "service",
            "kind": "choice",
            "text": "How was our service?",
            "text_fa": "برخورد و سرعت کار ما چطور بود؟",
            "choices": _SURVEY_CHOICES,
        },
        {
            "code": "again",
            "kind": "yes_no",
            "text": "Will you visit us again?",
            "text_fa": "دوباره به ما سر می‌زنید؟",
        },
        {
            "code": "comment",
            "kind": "text",
            "text": "Anything else you would like to tell us?",
            "text_fa": "نکته‌ی دیگری هست که بخواهید بگویید؟",
            "required": False,
        },
    ],
}
# Which purchases operators call about (the script is added when it is created).
DEMO_HAPPY_CALL_RULES = (
    {"name": "اولین خرید", "trigger": "first_purchase", "priority": 10, "deadline_hours": 72},
    {
        "name": "خریدهای بالای ۵۰۰ هزار تومان",
        "trigger": "amount_at_least",
        "min_amount": 5_000_000,
        "priority": 5,
        "deadline_hours": 48,
    },
    {
        "name": "نمونه‌ی ۳۰٪ از خریدهای هر شعبه",
        "trigger": "sample",
        "sample_percent": 30,
        "priority": 1,
        "deadline_hours": 48,
    },
)


DEMO_REWARDS = (
    RewardSpec(
        "Free latte",
        RewardKind.FREE_PRODUCT,
        Benefit(BenefitKind.FREE_PRODUCT, sku="COF-LAT"),
        500,
        description="A latte on the house, at any branch.",
    ),
    RewardSpec(
        "10% off your bill",
        RewardKind.DISCOUNT,
        Benefit(BenefitKind.PERCENT_OFF, basis_points=1_000, max_discount=1_000_000),
        1_000,
    ),
    RewardSpec(
        "50,000 Toman voucher",
        RewardKind.VOUCHER,
        Benefit(BenefitKind.AMOUNT_OFF, amount=500_000),
        2_000,
        voucher_days=60,
        per_member_limit=2,
    ),
)


def _coffee_card(free_latte_id: int) -> StampCardSpec:
    return StampCardSpec(
        "Coffee card",
        StampUnit.ITEM,
        10,
        free_latte_id,
        name_fa="کارت قهوه",
        category="coffee",
    )


def _raffle(now: datetime) -> LotterySpec:
    """Tickets for points, and one for every 5,000,000 Rials spent since a month ago."""
    return LotterySpec(
        "Yalda night raffle",
        [LotteryPrizeSpec(PrizeKind.CREDIT, amount=10_000_000, label="1,000,000 Toman credit")],
        sales_start=now - timedelta(days=30),
        sales_end=now + timedelta(days=20),
        draw_at=now + timedelta(days=21),
        ticket_price_points=200,
        rials_per_ticket=5_000_000,
        max_tickets_per_member=20,
    )


async def _programme(manager: Actor, now: datetime) -> int:
    for key, value in DEMO_POLICIES.items():
        await policies.save(manager, key, value)
    for tier in DEMO_TIERS:
        await tiers.save(manager, tier)
    for rule in DEMO_RULES:
        await rules.create(manager, rule)
    await surveys.create(manager, DEMO_SURVEY)
    script = await surveys.create(manager, DEMO_CALL_SCRIPT)
    for happy_call_rule in DEMO_HAPPY_CALL_RULES:
        await happy_call_rules.create(manager, {**happy_call_rule, "survey_id": script.id})
    catalogue = [await rewards.create(manager, spec) for spec in DEMO_REWARDS]
    await stamp_cards.create(manager, _coffee_card(catalogue[0].id))
    raffle = await lottery.create(manager, _raffle(now))
    await lottery.activate(manager, raffle.id)
    return len(DEMO_RULES)


@dataclass(slots=True)
class DemoReport:
    already_loaded: bool = False
    branches: int = 0
    staff: list[StaffLogin] = field(default_factory=list)
    members: int = 0
    purchases: int = 0
    member_purchases: int = 0
    line_items: int = 0
    top_ups: int = 0
    credit_spends: int = 0
    point_redemptions: int = 0
    refunds: int = 0
    rules: int = 0
    happy_calls: int = 0
    seconds: float = 0.0


async def is_loaded() -> bool:
    return await Branch.exists(code=BRANCHES[0].code)


async def _staff_user(
    actor: Actor, spec: DemoStaff, password: str, branch_ids: dict[str, int]
) -> tuple[StaffUser, bool]:
    branch_id = branch_ids[spec.branch_code] if spec.branch_code else None
    try:
        user = await staff.create_staff(
            actor,
            username=spec.username,
            password=password,
            role=spec.role,
            display_name=spec.display_name,
            branch_id=branch_id,
        )
        return user, True
    except Conflict:
        user = await StaffUser.get(username=spec.username)
        if user.role is not spec.role or user.branch_id != branch_id:  # type: ignore[attr-defined]
            raise DemoError(
                f"the username {spec.username} belongs to another staff account; "
                "load the demo into an empty database"
            ) from None
        return user, False


async def load(
    member_count: int = DEFAULT_MEMBERS,
    seed: int = DEFAULT_SEED,
    *,
    password: str = DEFAULT_PASSWORD,
    now: datetime | None = None,
    progress: Callable[[str], None] | None = None,
) -> DemoReport:
    """Load the demo club, unless it is loaded already (then say so and write nothing)."""
    started = time.monotonic()
    say = progress or (lambda message: None)
    if await is_loaded():
        return DemoReport(already_loaded=True)
    now = (now or datetime.now(UTC)).replace(microsecond=0)
    demo = plan(member_count, seed, now=now)
    report = DemoReport()

    manager_spec = STAFF[0]
    manager_user, created = await _staff_user(SYSTEM, manager_spec, password, {})
    report.staff.append(StaffLogin(manager_spec.username, manager_spec.role, None, created))
    manager = Actor.staff(manager_user)
    branch_ids: dict[str, int] = {}
    for b in BRANCHES:
        branch_ids[b.code] = (
            await staff.create_branch(manager, code=b.code, name=b.name, city=b.city)
        ).id
        report.branches += 1
    actors: dict[tuple[Role, str | None], Actor] = {}
    for spec in STAFF[1:]:
        user, created = await _staff_user(manager, spec, password, branch_ids)
        actors[(spec.role, spec.branch_code)] = Actor.staff(user)
        report.staff.append(StaffLogin(spec.username, spec.role, spec.branch_code, created))
    say(f"created {report.branches} branches and {len(report.staff)} staff accounts")
    report.rules = await _programme(manager, now)
    say(f"set up the programme: {report.rules} rules, {len(DEMO_TIERS)} tiers")

    member_ids: list[int] = []
    for i, planned in enumerate(demo.members):
        # Most members are enrolled by the cashier, some at the card station.
        role = Role.STATION if i % 4 == 3 else Role.CASHIER
        member, _ = await members.enrol(
            actors[(role, planned.branch_code)], planned.phone, planned.profile
        )
        member_ids.append(member.id)
    report.members = len(member_ids)
    say(f"enrolled {report.members} members")

    balances: dict[int, Balances] = {}
    prefix = f"demo-{seed}"
    total = len(demo.visits)
    for n, visit in enumerate(demo.visits, start=1):
        branch_id = branch_ids[visit.branch_code]
        cashier = actors[(Role.CASHIER, visit.branch_code)]
        counter = actors[(Role.STATION, visit.branch_code)] if visit.at_station else cashier
        member_id = member_ids[visit.member] if visit.member is not None else None
        if member_id is not None and visit.top_up:
            held = balances.get(member_id)
            if held is None or held.credit < LOW_CREDIT:
                topped = await wallet.top_up(
                    counter,
                    member_id=member_id,
                    amount=visit.top_up,
                    idempotency_key=f"{prefix}-topup-{n}",
                    branch_id=branch_id,
                )
                balances[member_id] = topped.balances
                report.top_ups += 1
        recorded = await purchases.record(
            counter,
            branch_id=branch_id,
            amount=visit.amount,
            receipt_number=visit.receipt_number,
            idempotency_key=f"{prefix}-purchase-{n}",
            member_id=member_id,
            items=visit.items,
            occurred_at=visit.occurred_at,
        )
        report.purchases += 1
        report.line_items += len(visit.items)
        if member_id is not None and recorded.balances is not None:
            report.member_purchases += 1
            held = balances[member_id] = recorded.balances
            if visit.pay_with_credit and held.credit > 0:
                spent = await wallet.spend(
                    counter,
                    member_id=member_id,
                    purse=Purse.CREDIT,
                    amount=min(held.credit, visit.amount),
                    idempotency_key=f"{prefix}-credit-{n}",
                    branch_id=branch_id,
                )
                held = balances[member_id] = spent.balances
                report.credit_spends += 1
            if visit.redeem_points and held.points >= visit.redeem_points:
                spent = await wallet.spend(
                    counter,
                    member_id=member_id,
                    purse=Purse.POINTS,
                    amount=visit.redeem_points,
                    idempotency_key=f"{prefix}-reward-{n}",
                    branch_id=branch_id,
                )
                balances[member_id] = spent.balances
                report.point_redemptions += 1
        if visit.refund:
            partial = visit.refund == "partial" and len(visit.items) > 1
            refunded = await refunds.refund(
                cashier,
                purchase_id=recorded.purchase.id,
                idempotency_key=f"{prefix}-refund-{n}",
                amount=visit.items[-1].amount if partial else None,
                reason=visit.refund_reason,
            )
            if member_id is not None and refunded.balances is not None:
                balances[member_id] = refunded.balances
            report.refunds += 1
        if n % 500 == 0:
            say(f"recorded {n:,} of {total:,} purchases")
    report.happy_calls = (await happy_call_queue.fill(now)).queued
    # The figures, RFM segments and churn risk the nightly job would have computed.
    await analysis_runs.run_full(now)
    say("analysed the members' behaviour")
    report.seconds = time.monotonic() - started
    return report


__all__ = [
    "BRANCHES",
    "DEFAULT_MEMBERS",
    "DEFAULT_PASSWORD",
    "DEFAULT_SEED",
    "MENU",
    "STAFF",
    "DemoError",
    "DemoPlan",
    "DemoReport",
    "is_loaded",
    "load",
    "plan",
]
