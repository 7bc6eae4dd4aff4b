"""A campaign's title and body are templates: {name}, {first_name} and {last_name} are filled
in with each member's own."""

from __future__ import annotations

from string import Formatter

from loyalty.errors import InvalidInput
from loyalty.models import Member

PLACEHOLDERS = ("name", "first_name", "last_name")


def check(template: str, field: str) -> str:
    """The template, refused if it names anything but the placeholders (or is malformed)."""
    try:
        parts = list(Formatter().parse(template))
    except ValueError as error:
        raise InvalidInput(
            f"{field}: {error}; write a brace as {{{{ or }}}}", field=field
        ) from None
    for _, name, spec, conversion in parts:
        if name is None:
            continue
        if name not in PLACEHOLDERS or spec or conversion:
            known = ", ".join(f"{{{p}}}" for p in PLACEHOLDERS)
            raise InvalidInput(
                f"{field}: {{{name}}} is not a placeholder; use {known}", field=field
            )
    return template


def render(template: str, member: Member, max_length: int) -> str:
    """The template for one member, cut to `max_length` (long names could overflow it)."""
    first, last = member.first_name.strip(), member.last_name.strip()
    values = {"name": first or member.full_name, "first_name": first, "last_name": last}
    return template.format_map(values).strip()[:max_length]
