"""What each kind of journey takes: its options, and the placeholders its templates may use."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from loyalty.errors import InvalidInput
from loyalty.messaging import templates
from loyalty.models import JourneyKind


class _Options(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class NoOptions(_Options):
    """Birthday and welcome journeys: nothing to set."""


class AfterPurchase(_Options):
    """So many days after a purchase with an item of a category, per purchase."""

    category: str = Field(min_length=1, max_length=64)
    days: int = Field(ge=1, le=3_650)


class WinBack(_Options):
    """Away longer than `days`, or than `gap_multiple` × the member's usual gap between visits
    (kept within `min_days` and `max_days`; a member with one visit has no usual gap and waits
    `max_days`). Once per lapse: a visit starts a new one."""

    days: int | None = Field(default=None, ge=1, le=3_650)
    gap_multiple: float | None = Field(default=None, ge=1, le=20)
    min_days: int = Field(default=14, ge=1, le=3_650)
    max_days: int = Field(default=365, ge=1, le=3_650)


class TierUpgraded(_Options):
    """On reaching a higher tier; only these tiers (empty: any)."""

    tier_ids: list[int] = Field(default_factory=list, max_length=50)


class PointsExpiring(_Options):
    """So many days before a lot of points expires."""

    days: int = Field(default=7, ge=1, le=365)


class NewProducts(_Options):
    """A product announced to members `days` before its public date; only these tiers (empty:
    every member)."""

    product: str = Field(min_length=1, max_length=100)
    public_date: date = Field(strict=False)  # JSON keeps it as text
    days: int = Field(default=7, ge=0, le=365)
    tier_ids: list[int] = Field(default_factory=list, max_length=50)


OPTIONS: dict[JourneyKind, type[_Options]] = {
    JourneyKind.AFTER_PURCHASE: AfterPurchase,
    JourneyKind.BIRTHDAY: NoOptions,
    JourneyKind.WIN_BACK: WinBack,
    JourneyKind.WELCOME: NoOptions,
    JourneyKind.TIER_UPGRADED: TierUpgraded,
    JourneyKind.POINTS_EXPIRING: PointsExpiring,
    JourneyKind.NEW_PRODUCTS: NewProducts,
}

# Found by the scheduled run, day by day; the others follow their write's outbox event.
TIMER_KINDS = frozenset(OPTIONS) - {JourneyKind.WELCOME, JourneyKind.TIER_UPGRADED}

# Every journey may name the member and their standing.
COMMON_PLACEHOLDERS = ("name", "first_name", "tier", "points")
PLACEHOLDERS: dict[JourneyKind, tuple[str, ...]] = {
    JourneyKind.AFTER_PURCHASE: ("days", "category", "purchase_date"),
    JourneyKind.BIRTHDAY: (),
    JourneyKind.WIN_BACK: ("days", "last_visit_date"),
    JourneyKind.WELCOME: (),
    JourneyKind.TIER_UPGRADED: (),  # {tier} is the tier reached
    JourneyKind.POINTS_EXPIRING: ("days", "expiring_points", "expiry_date"),
    JourneyKind.NEW_PRODUCTS: ("days", "product", "public_date"),
}


def camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def parse_options(kind: JourneyKind, raw: object) -> _Options:
    """The kind's options, checked; InvalidInput names the option at fault."""
    try:
        options = OPTIONS[kind].model_validate(raw or {})
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(camel(str(part)) for part in first["loc"])
        field = f"options.{where}" if where else "options"
        if first["type"] == "extra_forbidden":
            raise InvalidInput(
                f"{field} is not an option of {kind.value} journeys", field=field
            ) from None
        raise InvalidInput(f"{field}: {first['msg']}", field=field) from None
    if isinstance(options, WinBack):
        if (options.days is None) == (options.gap_multiple is None):
            raise InvalidInput(
                "options: give exactly one of days or gapMultiple", field="options.days"
            )
        if options.min_days > options.max_days:
            raise InvalidInput(
                "options.minDays must not be above options.maxDays", field="options.minDays"
            )
    return options


def check_template(template: str, kind: JourneyKind, *, field: str) -> str:
    """Refuse a template with a placeholder the kind does not fill, or a malformed one."""
    return templates.check(template, COMMON_PLACEHOLDERS + PLACEHOLDERS[kind], field=field)
