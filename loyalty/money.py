"""Money is an integer number of Rials everywhere; people may read it in Toman (÷10)."""

from __future__ import annotations

from enum import StrEnum

from loyalty.settings import get_settings

RIALS_PER_TOMAN = 10


class CurrencyDisplay(StrEnum):
    """How the club shows money to people (it is stored in Rials either way)."""

    RIAL = "rial"
    TOMAN = "toman"


def format_money(rials: int) -> str:
    """`1,250,000 Rials`, or `125,000 Toman` when the club displays Toman."""
    if get_settings().currency_display == "toman":
        tomans, rest = divmod(rials, RIALS_PER_TOMAN)
        return f"{tomans:,} Toman" if rest == 0 else f"{rials / RIALS_PER_TOMAN:,.1f} Toman"
    return f"{rials:,} Rials"


def format_points(points: int) -> str:
    return f"{points:,} point" if abs(points) == 1 else f"{points:,} points"
