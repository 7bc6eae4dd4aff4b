"""How members appear on the boards: a name they chose, or their own masked; never the phone."""

from __future__ import annotations

import unicodedata

from loyalty.errors import InvalidInput
from loyalty.models import Member
from loyalty.programme.explain import Text

MIN_LENGTH, MAX_LENGTH = 2, 30
# More digits than a year of birth could be (part of) a phone number.
MAX_DIGITS = 4
NAMELESS = Text("Club member", "عضو باشگاه")
# Characters that reorder text on screen: a name could pass for another with them.
_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
_NOT_TEXT = frozenset({"Cc", "Cs", "Co", "Cn", "Zl", "Zp"})


def cleaned_display_name(value: str) -> str:
    """A display name as the member typed it, checked; "" (none) to appear by a masked name."""
    name = " ".join((value or "").split())
    if not name:
        return ""
    if any(unicodedata.category(c) in _NOT_TEXT or c in _BIDI_CONTROLS for c in name):
        raise InvalidInput(
            "the display name holds characters that are not text", field="displayName"
        )
    if not MIN_LENGTH <= len(name) <= MAX_LENGTH:
        raise InvalidInput(
            f"the display name must be {MIN_LENGTH} to {MAX_LENGTH} characters",
            field="displayName",
        )
    if sum(c.isdigit() for c in name) > MAX_DIGITS:
        raise InvalidInput(
            f"the display name may hold at most {MAX_DIGITS} digits: no phone numbers",
            field="displayName",
        )
    return name


def shown_name(member: Member) -> Text:
    """The display name, else the first name and the last name's initial ("Sara R.")."""
    if member.display_name:
        return Text(member.display_name, member.display_name)
    first, last = member.first_name.strip()[:MAX_LENGTH], member.last_name.strip()
    name = " ".join(part for part in (first, f"{last[0]}." if last else "") if part)
    if sum(c.isdigit() for c in name) > MAX_DIGITS:  # a phone typed as a name
        name = " ".join("".join(c for c in name if not c.isdigit()).split())
    return Text(name, name) if name else NAMELESS
