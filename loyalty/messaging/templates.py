"""Message templates: text with `{placeholders}` filled in with each member's own values. A
template is checked when a manager saves it, so sending never meets an unknown placeholder."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from string import Formatter

from loyalty.errors import InvalidInput


def check(template: str, allowed: Sequence[str], *, field: str) -> str:
    """The template, refused if it names anything but `allowed` (or is malformed)."""
    try:
        parts = list(Formatter().parse(template))
    except ValueError:
        raise InvalidInput(
            f"{field} has an unmatched brace (write {{{{ or }}}} for a brace itself)", field=field
        ) from None
    for _, name, spec, conversion in parts:
        if name is None:
            continue
        if name not in allowed or spec or conversion:
            written = (
                f"{{{name}{'!' + conversion if conversion else ''}{':' + spec if spec else ''}}}"
            )
            known = ", ".join(f"{{{p}}}" for p in allowed)
            raise InvalidInput(f"{field}: {written} is not a placeholder; use {known}", field=field)
    return template


def placeholders(template: str) -> set[str]:
    """The placeholder names a (checked) template uses."""
    return {name for _, name, _, _ in Formatter().parse(template) if name}


def render(template: str, values: Mapping[str, str]) -> str:
    return Formatter().vformat(template, (), values)
