"""The member's profile: points for each field filled in (once, whoever fills it), consents and
their history, language and calendar, birthdays written in the Jalali or Gregorian calendar."""

from __future__ import annotations

import asyncio
import importlib
from datetime import UTC, date, datetime, timedelta

import pytest
from tortoise import connections

from loyalty import consents, history, ledger, members, profiles
from loyalty.actors import SYSTEM, Actor, ActorKind
from loyalty.calendars import CalendarDate, written
from loyalty.errors import InvalidInput
from loyalty.members import CLUB_CALENDAR, Profile
from loyalty.models import (
    Calendar,
    Consent,
    ConsentChange,
    ConsentChannel,
    EarningRule,
    EventAward,
    Gender,
    JournalTransaction,
    Language,
    Member,
    Role,
    RuleKind,
)
from loyalty.programme import events, explain, rules, transparency
from loyalty.programme.rules import RuleSpec
from loyalty.reconcile import reconcile
from tests import factories as f

JALALI, GREGORIAN = Calendar.JALALI, Calendar.GREGORIAN


async def field_rule(points: int, **params: object) -> None:
    await rules.create(
        await f.manager(),
        RuleSpec(
            "Profile", RuleKind.EVENT_POINTS, {"event": "profile_field", "points": points, **params}
        ),
    )


async def points(member_id: int) -> int:
    return (await ledger.balances(member_id)).points


async def rewarded(member_id: int) -> list[tuple[str, int]]:
    rows = await EventAward.filter(member_id=member_id).order_by("id")
    return [(row.reference, row.points) for row in rows]


# -- points for filling in the profile ---------------------------------------------------------


async def test_each_field_earns_once_and_filling_it_again_earns_nothing() -> None:
    await field_rule(10)
    sara = await f.member("Sara")  # her first name was given at enrolment: not "filled in" later
    me = Actor.member(sara.id)
    await members.update_profile(me, sara.id, Profile(last_name="Ahmadi", city="Tehran"))
    assert await points(sara.id) == 20
    assert await rewarded(sara.id) == [("last_name", 10), ("city", 10)]

    await members.update_profile(me, sara.id, Profile(city=""))
    await members.update_profile(me, sara.id, Profile(city="Isfahan"))
    await members.update_profile(me, sara.id, Profile(last_name="Karimi", first_name="Sara"))
    assert await points(sara.id) == 20
    assert (await Member.get(id=sara.id)).city == "Isfahan"

    entries = (await history.transactions(sara.id)).items
    assert [e.reason_code for e in entries] == ["event_profile_field"] * 2
    assert entries[0].lines[0].text.en.endswith("(once each): your city")
    assert entries[0].lines[0].text.fa.endswith(": شهر")
    assert (await reconcile()).ok


async def test_staff_filling_a_field_earns_it_for_the_member_too() -> None:
    await field_rule(10)
    await field_rule(25, field="birthday")
    sara = await f.member("Sara")
    cashier = await f.staff_actor(Role.CASHIER)
    await members.update_profile(cashier, sara.id, Profile(birthday=date(1990, 3, 21)))
    assert await points(sara.id) == 35
    [entry] = (await history.transactions(sara.id)).items
    assert sorted(line.amount for line in entry.lines) == [10, 25]
    txn = await JournalTransaction.get(id=entry.id)
    assert txn.staff_id == cashier.staff_id  # type: ignore[attr-defined]

    # The member gives another birthday: the field was not empty, nothing more is earned.
    await members.update_profile(
        Actor.member(sara.id), sara.id, Profile(birthday=date(1990, 3, 22))
    )
    assert await points(sara.id) == 35


async def test_a_field_rule_rewards_only_its_field_and_completion_still_earns_once() -> None:
    manager = await f.manager()
    await field_rule(25, field="birthday")
    await rules.create(
        manager,
        RuleSpec("Done", RuleKind.EVENT_POINTS, {"event": "profile_completed", "points": 50}),
    )
    sara = await f.member("Sara")
    me = Actor.member(sara.id)
    await members.update_profile(me, sara.id, Profile(last_name="Ahmadi", city="Tehran"))
    assert await points(sara.id) == 0
    await members.update_profile(
        me, sara.id, Profile(birthday=date(1990, 3, 21), gender=Gender.FEMALE)
    )
    assert await rewarded(sara.id) == [("birthday", 25), ("profile_completed", 50)]
    await members.update_profile(me, sara.id, Profile(city=""))
    await members.update_profile(me, sara.id, Profile(city="Shiraz"))
    assert await points(sara.id) == 75


async def test_a_rule_added_later_rewards_a_field_filled_again_once() -> None:
    sara = await f.member("Sara")
    me = Actor.member(sara.id)
    await members.update_profile(me, sara.id, Profile(city="Tehran"))
    await field_rule(10)
    await members.update_profile(me, sara.id, Profile(city="Tehran"))  # not empty: nothing
    assert await points(sara.id) == 0
    for city in ("", "Yazd", "", "Qom"):
        await members.update_profile(me, sara.id, Profile(city=city))
    assert await rewarded(sara.id) == [("city", 10)]


async def test_filling_in_the_same_field_twice_at_once_earns_it_once() -> None:
    await field_rule(10)
    sara = await f.member("Sara")
    me = Actor.member(sara.id)
    await asyncio.gather(
        *(members.update_profile(me, sara.id, Profile(city=c)) for c in ("A", "B", "C"))
    )
    assert await points(sara.id) == 10


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"event": "profile_field", "points": 5, "cap_count": 3}, "params"),
        ({"event": "profile_field", "points": 5, "cap_period": "day"}, "params"),
        ({"event": "profile_field", "points": 5, "field": "phone"}, "params.field"),
        ({"event": "review", "points": 5, "field": "city"}, "params"),
        ({"event": "profile_field", "points": 0}, "params.points"),
    ],
)
async def test_profile_rules_are_checked_strictly(params: dict, field: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        await rules.create(await f.manager(), RuleSpec("Bad", RuleKind.EVENT_POINTS, params))
    assert refused.value.field == field
    assert await EarningRule.all().count() == 0


async def test_staff_cannot_record_profile_points_by_hand() -> None:
    await field_rule(10)
    sara = await f.member("Sara")
    for event in ("profile_field", "profile_completed"):
        with pytest.raises(InvalidInput) as refused:
            await events.record(await f.manager(), member_id=sara.id, event=event, reference="x")
        assert refused.value.field == "event"
    assert await points(sara.id) == 0


async def test_the_rules_say_what_the_profile_earns_in_both_languages() -> None:
    await field_rule(10)
    await field_rule(25, field="birthday")
    [section] = [s for s in await transparency.describe("en") if s.code == "events"]
    assert section.lines == (
        "10 points for each detail of your profile you fill in (once each)",
        "25 points for adding your birthday to your profile (once)",
    )
    [fa] = [s for s in await transparency.describe("fa") if s.code == "events"]
    assert fa.lines == (
        "۱۰ امتیاز برای هر مورد از نمایه که تکمیل کنید (هر کدام یک بار)",
        "۲۵ امتیاز برای افزودن تاریخ تولد به نمایه (یک بار)",
    )
    assert set(explain.PROFILE_FIELD_NAMES) == set(profiles.PROFILE_FIELDS)


async def test_completion_shows_what_is_missing_and_what_it_would_earn() -> None:
    manager = await f.manager()
    await field_rule(10)
    await field_rule(25, field="birthday")
    await rules.create(
        manager,
        RuleSpec("Done", RuleKind.EVENT_POINTS, {"event": "profile_completed", "points": 50}),
    )
    sara = await f.member("Sara")
    before = await profiles.completion(sara)
    assert before.percent == 20
    assert [(m.name, m.points) for m in before.missing] == [
        ("last_name", 10),
        ("birthday", 35),
        ("gender", 10),
        ("city", 10),
    ]
    assert before.points_available == 10 + 35 + 10 + 10 + 50

    me = Actor.member(sara.id)
    sara = await members.update_profile(me, sara.id, Profile(city="Tehran", last_name="Ahmadi"))
    sara = await members.update_profile(me, sara.id, Profile(city=""))
    after = await profiles.completion(sara)
    assert after.percent == 40
    # City earned already: filling it in again earns nothing more.
    assert [(m.name, m.points) for m in after.missing] == [
        ("birthday", 35),
        ("gender", 10),
        ("city", 0),
    ]
    assert after.points_available == 35 + 10 + 50
    assert after.points_available + await points(sara.id) == before.points_available

    sara = await members.update_profile(
        me, sara.id, Profile(city="Tehran", birthday=date(1990, 1, 1), gender=Gender.MALE)
    )
    done = await profiles.completion(sara)
    assert (done.percent, done.missing, done.points_available) == (100, [], 0)


async def test_completion_without_profile_rules_offers_nothing() -> None:
    sara = await f.member("Sara")
    completion = await profiles.completion(sara)
    assert completion.points_available == 0
    assert all(m.points == 0 for m in completion.missing)


# -- consents ---------------------------------------------------------------------------------


async def changes(member_id: int) -> list[tuple]:
    rows = await ConsentChange.filter(member_id=member_id).order_by("id")
    return [(r.consent, r.granted, r.changed_by, r.staff_id, r.channel) for r in rows]  # type: ignore[attr-defined]


async def test_enrolment_records_the_consents_given() -> None:
    shop = await f.branch()
    cashier = await f.staff_actor(Role.CASHIER, shop.id)
    sara, _ = await members.enrol(cashier, f.phone(), Profile(marketing_consent=True))
    assert await changes(sara.id) == [
        (Consent.MARKETING, True, "staff", cashier.staff_id, ConsentChannel.COUNTER)
    ]
    reza, _ = await members.enrol(SYSTEM, f.phone())
    assert await changes(reza.id) == []


async def test_each_consent_change_is_recorded_with_who_and_where() -> None:
    sara = await f.member("Sara")
    me = Actor.member(sara.id)
    operator = await f.staff_actor(Role.OPERATOR)
    await members.update_profile(me, sara.id, Profile(marketing_consent=True))
    await members.update_profile(me, sara.id, Profile(marketing_consent=True, city="Tehran"))
    await members.update_profile(operator, sara.id, Profile(profiling_consent=True))
    await members.update_profile(
        me, sara.id, Profile(marketing_consent=False, profiling_consent=True)
    )
    assert await changes(sara.id) == [
        (Consent.MARKETING, True, "member", None, ConsentChannel.APP),
        (Consent.PROFILING, True, "staff", operator.staff_id, ConsentChannel.CONSOLE),
        (Consent.MARKETING, False, "member", None, ConsentChannel.APP),
    ]
    member = await Member.get(id=sara.id)
    assert (member.marketing_consent, member.profiling_consent) == (False, True)

    first = await consents.history(sara.id, first=2)
    assert [(c.consent, c.granted) for c in first.items] == [
        (Consent.MARKETING, False),
        (Consent.PROFILING, True),
    ]
    assert first.has_more
    rest = await consents.history(sara.id, first=2, before_id=first.items[-1].id)
    assert [(c.consent, c.granted) for c in rest.items] == [(Consent.MARKETING, True)]
    assert not rest.has_more


async def test_the_same_consent_given_twice_at_once_is_recorded_once() -> None:
    sara = await f.member("Sara")
    me = Actor.member(sara.id)
    await asyncio.gather(
        *(members.update_profile(me, sara.id, Profile(marketing_consent=True)) for _ in range(4))
    )
    assert await changes(sara.id) == [(Consent.MARKETING, True, "member", None, ConsentChannel.APP)]


def test_each_role_gives_consent_through_its_own_channel() -> None:
    assert consents.channel_of(Actor.member(1)) is ConsentChannel.APP
    assert consents.channel_of(SYSTEM) is ConsentChannel.SYSTEM
    for role, channel in [
        (Role.CASHIER, ConsentChannel.COUNTER),
        (Role.STATION, ConsentChannel.STATION),
        (Role.OPERATOR, ConsentChannel.CONSOLE),
        (Role.MANAGER, ConsentChannel.BACK_OFFICE),
    ]:
        assert consents.channel_of(Actor(ActorKind.STAFF, 7, role)) is channel


# -- language, calendar, birthdays ---------------------------------------------------------------


async def test_language_and_calendar_preferences() -> None:
    sara = await f.member("Sara")
    assert (sara.language, sara.calendar) == (Language.FA, None)
    me = Actor.member(sara.id)
    await members.update_profile(me, sara.id, Profile(language=Language.EN, calendar=GREGORIAN))
    stored = await Member.get(id=sara.id)
    assert (stored.language, stored.calendar) == (Language.EN, GREGORIAN)
    await members.update_profile(me, sara.id, Profile(calendar=CLUB_CALENDAR))
    assert (await Member.get(id=sara.id)).calendar is None


@pytest.mark.parametrize(
    ("written_as", "calendar", "gregorian", "canonical"),
    [
        ("1370-05-12", JALALI, date(1991, 8, 3), "1370-05-12"),
        ("۱۳۷۰/۵/۱۲", JALALI, date(1991, 8, 3), "1370-05-12"),
        ("1399-12-30", JALALI, date(2021, 3, 20), "1399-12-30"),  # 1399 is a Jalali leap year
        ("1403-12-30", JALALI, date(2025, 3, 20), "1403-12-30"),
        ("2000-02-29", GREGORIAN, date(2000, 2, 29), "2000-02-29"),
        (" 1991/8/3 ", GREGORIAN, date(1991, 8, 3), "1991-08-03"),
    ],
)
async def test_a_birthday_written_in_either_calendar_round_trips(
    written_as: str, calendar: Calendar, gregorian: date, canonical: str
) -> None:
    sara = await f.member("Sara")
    await members.update_profile(
        Actor.member(sara.id), sara.id, Profile(birthday=CalendarDate(written_as, calendar))
    )
    stored = await Member.get(id=sara.id)
    assert (stored.birthday, stored.birthday_calendar) == (gregorian, calendar)
    assert written(gregorian, calendar) == canonical


async def test_a_gregorian_date_is_kept_as_gregorian() -> None:
    sara = await f.member("Sara", birthday=date(1991, 8, 3))
    assert (sara.birthday, sara.birthday_calendar) == (date(1991, 8, 3), GREGORIAN)
    assert written(date(1991, 8, 3), JALALI) == "1370-05-12"


TODAY = datetime.now(UTC).date()
BAD_BIRTHDAYS = [
    CalendarDate("1400-12-30", JALALI),  # 1400 is not a leap year
    CalendarDate("2023-02-29", GREGORIAN),
    CalendarDate("1370-13-01", JALALI),
    CalendarDate("1370-05", JALALI),
    CalendarDate("12/05/1370", JALALI),
    CalendarDate("", JALALI),
    CalendarDate((TODAY + timedelta(days=2)).isoformat(), GREGORIAN),
    CalendarDate(written(TODAY + timedelta(days=2), JALALI), JALALI),
    CalendarDate("1280-01-01", JALALI),
    date(TODAY.year - 121, 1, 1),
]


@pytest.mark.parametrize("birthday", BAD_BIRTHDAYS, ids=str)
async def test_an_impossible_birthday_changes_nothing(birthday: date | CalendarDate) -> None:
    await field_rule(10)
    sara = await f.member("Sara", birthday=date(1990, 1, 1))
    counts = await f.row_counts()
    with pytest.raises(InvalidInput) as refused:
        await members.update_profile(
            Actor.member(sara.id),
            sara.id,
            Profile(
                birthday=birthday,
                city="Tehran",
                marketing_consent=True,
                calendar=GREGORIAN,
            ),
        )
    assert refused.value.field == "birthday"
    stored = await Member.get(id=sara.id)
    assert (stored.city, stored.marketing_consent, stored.calendar) == ("", False, None)
    assert stored.birthday == date(1990, 1, 1)
    assert await f.row_counts() == counts
    assert await ConsentChange.all().count() == 0
    assert await EventAward.all().count() == 0


# -- the migration ------------------------------------------------------------------------------


async def test_the_migration_starts_the_history_of_consents_already_given() -> None:
    migration = importlib.import_module("loyalty.migrations.0005_profile")
    sara = await f.member("Sara", marketing_consent=True, profiling_consent=True)
    reza = await f.member("Reza", birthday=date(1990, 1, 1))
    await ConsentChange.all().delete()
    await Member.filter(id=reza.id).update(birthday_calendar=None)
    client = connections.get("default")
    for sql in migration._BACKFILL:
        await client.execute_script(sql)
    assert await changes(sara.id) == [
        (Consent.MARKETING, True, "system", None, ConsentChannel.SYSTEM),
        (Consent.PROFILING, True, "system", None, ConsentChannel.SYSTEM),
    ]
    assert await changes(reza.id) == []
    assert (await Member.get(id=reza.id)).birthday_calendar is GREGORIAN
    assert (await Member.get(id=sara.id)).birthday_calendar is None
