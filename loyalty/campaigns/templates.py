"""A campaign's title and body are templates: {name}, {first_name} and {last_name} are filled
in with each member's own."""

from __future__ import annotations

from loyalty.messaging import templates
from loyalty.models import Member

PLACEHOLDERS = ("name", "first_name", "last_name")


def check(template: str, field: str) -> str:
    return templates.check(template, PLACEHOLDERS, field=field)


def render(template: str, member: Member, max_length: int) -> str:
    """The template for one member, cut to `max_length` (long names could overflow it)."""
    first, last = member.first_name.strip(), member.last_name.strip()
    values = {"name": first or member.full_name, "first_name": first, "last_name": last}
    return templates.render(template, values).strip()[:max_length]
