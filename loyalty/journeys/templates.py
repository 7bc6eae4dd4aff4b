"""A journey's words for one member: its placeholders filled in the template's language."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

from loyalty import clock, ledger
from loyalty.messaging.templates import placeholders, render
from loyalty.models import Journey, Member, MemberStanding
from loyalty.programme import snapshot
from loyalty.programme.explain import Text, fa_number, name_of

# For a member who gave no name: «دوست عزیز», "Dear friend".
FRIEND = Text("friend", "دوست")

Value = Text | str


def number(value: int) -> Text:
    return Text(f"{value:,}", fa_number(value))


def date_text(value: date) -> Text:
    """A day in the club's calendar: 2026-11-23, or ۱۴۰۵/۰۹/۰۲ in Persian."""
    year, month, day_ = clock.year_month_day(value)
    shown = f"{year:04d}-{month:02d}-{day_:02d}"
    return Text(shown, fa_number(shown.replace("-", "/")))


async def words(
    journey: Journey, member: Member, occasion_values: Mapping[str, Value]
) -> tuple[str, str]:
    """The title and body for `member`; only the placeholders the templates use are looked up."""
    wanted = placeholders(journey.title) | placeholders(journey.body)
    found: dict[str, Value] = {}
    if "name" in wanted:
        found["name"] = member.full_name or FRIEND
    if "first_name" in wanted:
        found["first_name"] = member.first_name or FRIEND
    if "tier" in wanted and "tier" not in occasion_values:
        found["tier"] = await _tier(member.id)
    if "points" in wanted:
        found["points"] = number((await ledger.balances(member.id)).points)
    found.update({k: v for k, v in occasion_values.items() if k in wanted})
    language = journey.language.value
    values = {k: v.pick(language) if isinstance(v, Text) else v for k, v in found.items()}
    return render(journey.title, values), render(journey.body, values)


async def _tier(member_id: int) -> Value:
    tier_ids = await MemberStanding.filter(member_id=member_id).values_list("tier_id", flat=True)
    tier = (await snapshot.current()).tier(tier_ids[0] if tier_ids else None)
    return name_of(tier) if tier is not None else ""
