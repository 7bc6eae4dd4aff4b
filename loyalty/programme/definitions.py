"""What each kind of earning rule takes, checked strictly: a rule that would misbehave is
refused when a manager saves it, not when a member buys."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from loyalty.errors import InvalidInput
from loyalty.models import RuleKind
from loyalty.validation import MAX_POINTS, MAX_RIAL

Events = Literal["visit", "review", "profile_completed", "profile_field", "referral", "birthday"]
EVENTS: tuple[str, ...] = Events.__args__  # type: ignore[attr-defined]
# The profile's events: its points are earned by filling it in, never recorded by staff.
PROFILE_EVENTS = frozenset({"profile_completed", "profile_field"})
# What the club asks of a member's profile: each field filled can earn points once.
ProfileField = Literal["first_name", "last_name", "birthday", "gender", "city"]
PROFILE_FIELDS: tuple[str, ...] = ProfileField.__args__  # type: ignore[attr-defined]
Base = Literal["net", "gross"]
BasisPoints = Annotated[int, Field(ge=1, le=10_000)]
Rials = Annotated[int, Field(ge=1, le=MAX_RIAL)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class Multiplier(_Strict):
    """Lines of this category or SKU earn `percent` of the usual (200 is double)."""

    category: str = ""
    sku: str = ""
    percent: int = Field(ge=0, le=10_000)

    @model_validator(mode="after")
    def _one_target(self) -> Multiplier:
        if bool(self.category) == bool(self.sku):
            raise ValueError("a multiplier names exactly one of category or sku")
        return self


class PointsPerAmount(_Strict):
    points: int = Field(ge=1, le=MAX_POINTS)
    per_amount: Rials
    base: Base = "net"
    multipliers: list[Multiplier] = []


class Cashback(_Strict):
    basis_points: BasisPoints
    base: Base = "net"
    max_amount: Rials | None = None


class EventPoints(_Strict):
    event: Events
    points: int = Field(ge=1, le=MAX_POINTS)
    cap_count: int = Field(default=1, ge=1, le=1_000)
    cap_period: Literal["day", "week", "month", "year", "lifetime"] = "lifetime"
    # profile_field only: the one field the rule rewards (none: every field, each once).
    field: ProfileField | None = None

    @model_validator(mode="after")
    def _profile_fields_once(self) -> EventPoints:
        if self.event == "profile_field":
            if (self.cap_count, self.cap_period) != (1, "lifetime"):
                raise ValueError(
                    "a profile_field rule rewards each field once: it takes no cap_count or "
                    "cap_period"
                )
        elif self.field is not None:
            raise ValueError("only a profile_field rule names a field")
        return self

    @property
    def capped(self) -> bool:
        """Whether cap_count limits it: a profile field earns once, the only cap it needs."""
        return self.event != "profile_field"

    def rewards(self, reference: str) -> bool:
        """Whether the rule rewards this reference (a field rule only its own field)."""
        return self.field is None or self.field == reference


class Discount(_Strict):
    basis_points: BasisPoints
    max_amount: Rials | None = None


PARAMS: dict[RuleKind, type[_Strict]] = {
    RuleKind.POINTS_PER_AMOUNT: PointsPerAmount,
    RuleKind.CASHBACK: Cashback,
    RuleKind.EVENT_POINTS: EventPoints,
    RuleKind.DISCOUNT: Discount,
}
Params = PointsPerAmount | Cashback | EventPoints | Discount


class Conditions(_Strict):
    """When a rule applies, judged on the member's history before the purchase."""

    min_visit_number: int | None = Field(default=None, ge=1)
    max_visit_number: int | None = Field(default=None, ge=1)
    min_days_since_last_visit: int | None = Field(default=None, ge=0)
    lapse_over_usual_gap: float | None = Field(default=None, gt=0, le=100)
    min_spend_in_window: Rials | None = None
    spend_window_days: int | None = Field(default=None, ge=1, le=3_660)
    min_basket: Rials | None = None
    tier_ids: list[int] = []

    @model_validator(mode="after")
    def _window_needs_days(self) -> Conditions:
        if (self.min_spend_in_window is None) != (self.spend_window_days is None):
            raise ValueError("min_spend_in_window and spend_window_days go together")
        if (
            self.min_visit_number is not None
            and self.max_visit_number is not None
            and self.min_visit_number > self.max_visit_number
        ):
            raise ValueError("min_visit_number is above max_visit_number")
        return self

    @property
    def on_history(self) -> bool:
        """Whether it depends on what the member did before (so it can be unlocked)."""
        return any(
            v is not None for v in (self.min_visit_number, self.min_spend_in_window)
        ) or bool(self.tier_ids)


def _invalid(error: ValidationError, prefix: str) -> InvalidInput:
    first = error.errors()[0]
    where = ".".join(str(part) for part in first["loc"])
    field = f"{prefix}.{where}" if where else prefix
    message = first["msg"].removeprefix("Value error, ")
    return InvalidInput(f"{field}: {message}", field=field)


def parse_params(kind: RuleKind, raw: object) -> Params:
    try:
        return PARAMS[kind].model_validate(raw)  # type: ignore[return-value]
    except ValidationError as error:
        raise _invalid(error, "params") from None


def parse_conditions(raw: object) -> Conditions:
    try:
        return Conditions.model_validate(raw or {})
    except ValidationError as error:
        raise _invalid(error, "conditions") from None
