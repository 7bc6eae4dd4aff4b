"""Phone numbers as people type them, stored as E.164; what cannot be a mobile is refused."""

from __future__ import annotations

from loyalty import members
from loyalty.actors import SYSTEM
from loyalty.errors import ErrorCode, InvalidInput
from loyalty.models import Member
from loyalty.phones import normalise_phone

SARA = "+989121234567"


# Each test checks a whole table and reports every row that fails.

IRANIAN_FORMS = [
    "09121234567",
    "9121234567",
    "+989121234567",
    "00989121234567",
    "0098 912 123 4567",
    "+98 912 123 4567",
    "+98-912-123-4567",
    "0912-123-4567",
    "0912 123 4567",
    "0912.123.4567",
    "(0912) 123 4567",
    "  09121234567\t",
    "۰۹۱۲۱۲۳۴۵۶۷",  # Persian digits
    "۰۹۱۲-۱۲۳-۴۵۶۷",
    "+۹۸۹۱۲۱۲۳۴۵۶۷",
    "۰۰۹۸۹۱۲۱۲۳۴۵۶۷",
    "٠٩١٢١٢٣٤٥٦٧",  # Arabic-Indic digits
    "٠٩١٢ ١٢٣ ٤٥٦٧",
    "۰۹۱۲123٤٥٦٧",  # a mix, as a phone keyboard switching layouts produces
    "0912\u00a0123\u00a04567",  # no-break spaces
    "\u200e+98 912 123 4567",  # a left-to-right mark, copied out of Persian text
    "\u202a09121234567\u202c",
]


def _normalised(typed: str | None) -> str:
    try:
        return normalise_phone(typed)  # type: ignore[arg-type]
    except InvalidInput as error:
        return f"{error.code}({error.field})"


def test_iranian_mobiles_in_any_form_normalise_to_e164() -> None:
    wrong = {typed: got for typed in IRANIAN_FORMS if (got := _normalised(typed)) != SARA}
    assert wrong == {}


OTHER_MOBILES = {
    "09011234567": "+989011234567",  # other Iranian operators
    "0935 123 4567": "+989351234567",
    "0990 123 4567": "+989901234567",
    "+971 50 123 4567": "+971501234567",  # UAE
    "+90 532 123 4567": "+905321234567",  # Turkey
    "+49 151 12345678": "+4915112345678",  # Germany
    "+44 7911 123456": "+447911123456",  # United Kingdom
    "00971501234567": "+971501234567",
    "+1 415 555 2671": "+14155552671",  # North America: mobile and fixed look alike
}


def test_foreign_and_other_mobiles_are_kept_with_their_country() -> None:
    assert {typed: _normalised(typed) for typed in OTHER_MOBILES} == OTHER_MOBILES


NOT_MOBILES = [
    "",
    "   ",
    None,
    "\u200f",
    "0912abc4567",  # letters (phonenumbers alone would read them as keypad digits)
    "abcdefghijk",
    "09121234567x",
    "0912123",  # too short
    "091212345",
    "+98912123456",
    "091212345678",  # too long
    "0912 123 456 78",
    "۰۹۱۲۱۲۳۴۵۶۷۸۹",
    "02188776655",  # a Tehran landline
    "+98 21 8877 6655",
    "+44 20 7946 0958",  # a London landline
    "+1 800 555 0100",  # toll free
    "++989121234567",
    "+",
    "----",
    "0" * 100,
    "0912" + "1" * 96,
    "09121234567; DROP TABLE member",
]


def test_what_is_not_a_mobile_is_refused_with_invalid_phone() -> None:
    refused = f"{ErrorCode.INVALID_PHONE}(phone)"
    accepted = {typed: got for typed in NOT_MOBILES if (got := _normalised(typed)) != refused}
    assert accepted == {}


async def test_every_form_of_one_number_is_one_member() -> None:
    first, created = await members.enrol(SYSTEM, "۰۹۱۲ ۱۲۳ ۴۵۶۷")
    assert created and first.phone == SARA
    for typed in ("09121234567", "+98 912 123 4567", "0098-912-123-4567", "٠٩١٢١٢٣٤٥٦٧"):
        again, created = await members.enrol(SYSTEM, typed)
        assert (again.id, created) == (first.id, False)
    assert await Member.all().count() == 1
    found = await members.find(SYSTEM, phone="+989121234567")
    assert found.id == first.id
