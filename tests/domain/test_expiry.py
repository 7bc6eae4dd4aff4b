"""Points expire by lot, in the club's calendar and zone; spending uses the soonest lot first."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from loyalty import clock, history, ledger, purchases, refunds, wallet
from loyalty.actors import Actor
from loyalty.ledger import Purse
from loyalty.models import JournalTransaction, MemberStanding, Role, TransactionKind
from loyalty.programme import expiry, policies
from loyalty.programme.expiry import Expiring, ExpiryRun
from loyalty.programme.policies import ExpiryPolicy
from loyalty.reconcile import reconcile
from loyalty.settings import get_settings
from tests import factories as f

TEHRAN = ZoneInfo("Asia/Tehran")
END_OF_FOLLOWING_YEAR = ExpiryPolicy(mode="end_of_following_year")
TWELVE_MONTHS = ExpiryPolicy(mode="months_after_earning", months=12)


def tehran(day: date, hour: int = 0, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), TEHRAN).astimezone(UTC)


def jalali(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    import jdatetime

    return tehran(jdatetime.date(year, month, day).togregorian(), hour, minute)


@pytest.fixture
def gregorian(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = get_settings().model_copy(update={"calendar": "gregorian"})
    monkeypatch.setattr(clock, "get_settings", lambda: settings)


# -- when a lot expires -----------------------------------------------------------------------


def test_a_minute_either_side_of_the_jalali_new_year_is_a_year_apart() -> None:
    last_minute = jalali(1404, 12, 29, 23, 59)  # 2026-03-20 20:29 UTC
    first_minute = jalali(1405, 1, 1, 0, 1)  # 2026-03-20 20:31 UTC: the same day in UTC
    assert last_minute.date() == first_minute.date()
    assert expiry.expires_at(END_OF_FOLLOWING_YEAR, last_minute) == jalali(1406, 1, 1)
    assert expiry.expires_at(END_OF_FOLLOWING_YEAR, first_minute) == jalali(1407, 1, 1)
    assert expiry.expires_at(TWELVE_MONTHS, last_minute) == jalali(1405, 12, 29, 23, 59)
    assert expiry.expires_at(TWELVE_MONTHS, first_minute) == jalali(1406, 1, 1, 0, 1)
    assert expiry.expires_at(ExpiryPolicy(mode="never"), last_minute) is None


def test_months_after_earning_clamp_to_the_end_of_a_shorter_month() -> None:
    one_month = ExpiryPolicy(mode="months_after_earning", months=1)
    # Shahrivar has 31 days, Mehr 30; 1403 is a leap year (Esfand 30), 1404 is not.
    assert expiry.expires_at(one_month, jalali(1404, 6, 31, 10)) == jalali(1404, 7, 30, 10)
    assert expiry.expires_at(TWELVE_MONTHS, jalali(1403, 12, 30, 9)) == jalali(1404, 12, 29, 9)


def test_gregorian_calendar_years_and_months(gregorian: None) -> None:
    new_year_eve = tehran(date(2026, 12, 31), 23, 59)  # 2026-12-31 20:29 UTC
    assert expiry.expires_at(END_OF_FOLLOWING_YEAR, new_year_eve) == tehran(date(2028, 1, 1))
    assert expiry.expires_at(END_OF_FOLLOWING_YEAR, new_year_eve + timedelta(minutes=2)) == (
        tehran(date(2029, 1, 1))
    )
    one_month = ExpiryPolicy(mode="months_after_earning", months=1)
    assert expiry.expires_at(one_month, tehran(date(2026, 1, 31), 12)) == tehran(
        date(2026, 2, 28), 12
    )
    assert expiry.expires_at(one_month, tehran(date(2028, 1, 31), 12)) == tehran(
        date(2028, 2, 29), 12
    )


# -- lots in the ledger -----------------------------------------------------------------------


class Club:
    def __init__(self, shop_id: int, cashier: Actor, boss: Actor) -> None:
        self.shop_id, self.cashier, self.boss = shop_id, cashier, boss

    @classmethod
    async def open(cls, policy: dict) -> Club:
        shop = await f.branch()
        club = cls(shop.id, await f.staff_actor(Role.CASHIER, shop.id), await f.manager())
        await policies.save(club.boss, "expiry", policy)
        return club

    async def buy(self, member_id: int, points: int, at: datetime | None = None) -> int:
        """A purchase earning `points` (the default 1 point per 10,000 Rials)."""
        result = await purchases.record(
            self.cashier,
            branch_id=self.shop_id,
            member_id=member_id,
            amount=points * 10_000,
            receipt_number=f.key()[:12],
            idempotency_key=f.key(),
            occurred_at=at,
        )
        return result.purchase.id

    async def spend(self, member_id: int, points: int) -> None:
        await wallet.spend(
            self.cashier,
            member_id=member_id,
            purse=Purse.POINTS,
            amount=points,
            idempotency_key=f.key(),
        )


def ago(days: int) -> datetime:
    return datetime.now(UTC) - timedelta(days=days)


async def test_points_earned_either_side_of_new_year_expire_a_year_apart() -> None:
    club = await Club.open({"mode": "end_of_following_year"})
    sara = await f.member()
    new_year = clock.start_of_year(datetime.now(UTC))  # 1 Farvardin, 00:00 Tehran
    await club.buy(sara.id, 10, new_year - timedelta(minutes=1))
    await club.buy(sara.id, 20, new_year + timedelta(minutes=1))
    first_due = clock.start_of_year(new_year, years_later=1)
    second_due = clock.start_of_year(new_year, years_later=2)

    assert await expiry.schedule(sara.id) == [Expiring(first_due, 10), Expiring(second_due, 20)]
    assert (await MemberStanding.get(member_id=sara.id)).next_expiry_at == first_due

    assert await expiry.expire_member(sara.id, first_due - timedelta(seconds=1)) is None
    expired = await expiry.expire_member(sara.id, first_due)
    assert expired is not None and expired.kind is TransactionKind.EXPIRE
    earned_on = clock.format_date(new_year - timedelta(minutes=1))
    assert expired.reason == f"10 points expired (earned {earned_on})"
    assert [line["amount"] for line in expired.lines] == [-10]
    assert (await ledger.balances(sara.id)).points == 20
    assert await expiry.schedule(sara.id) == [Expiring(second_due, 20)]
    assert (await MemberStanding.get(member_id=sara.id)).next_expiry_at == second_due
    entry = (await history.transactions(sara.id, first=1)).items[0]
    assert (entry.kind, entry.points, entry.reason) == (
        TransactionKind.EXPIRE,
        -10,
        expired.reason,
    )
    assert (await reconcile()).ok


async def test_gregorian_year_ends_on_the_first_of_january(gregorian: None) -> None:
    club = await Club.open({"mode": "end_of_following_year"})
    sara = await f.member()
    new_year = clock.start_of_year(datetime.now(UTC))
    assert clock.local_date(new_year).timetuple()[1:3] == (1, 1)
    await club.buy(sara.id, 7, new_year - timedelta(minutes=1))
    due = clock.start_of_year(new_year, years_later=1)
    assert due == tehran(date(clock.local_date(new_year).year + 1, 1, 1))
    assert await expiry.schedule(sara.id) == [Expiring(due, 7)]
    expired = await expiry.expire_member(sara.id, due)
    assert expired is not None
    assert expired.reason == f"7 points expired (earned {clock.local_date(due).year - 2}-12-31)"


async def test_spending_uses_the_oldest_lot_first_and_partial_lots_expire() -> None:
    club = await Club.open({"mode": "months_after_earning", "months": 12})
    sara = await f.member()
    await club.buy(sara.id, 100, ago(300))
    await club.buy(sara.id, 50, ago(200))
    await club.buy(sara.id, 30, ago(10))
    first, second, third = (await expiry.schedule(sara.id))[:3]
    assert [first.points, second.points, third.points] == [100, 50, 30]

    await club.spend(sara.id, 120)  # all of the first lot, 20 of the second

    assert await expiry.schedule(sara.id) == [
        Expiring(second.expires_at, 30),
        Expiring(third.expires_at, 30),
    ]
    # Due the first lot: it was spent, nothing expires.
    assert await expiry.expire_member(sara.id, first.expires_at) is None
    expired = await expiry.expire_member(sara.id, second.expires_at)
    assert expired is not None and expired.points == -30
    assert (await ledger.balances(sara.id)).points == 30
    assert (await reconcile()).ok


async def test_expiring_again_the_same_day_expires_nothing_more() -> None:
    club = await Club.open({"mode": "months_after_earning", "months": 1})
    sara, ali = await f.member("Sara"), await f.member("Ali")
    await club.buy(sara.id, 40, ago(100))
    await club.buy(ali.id, 25, ago(90))
    await club.buy(ali.id, 5, ago(1))
    now = datetime.now(UTC)

    assert await expiry.expire_due(now, batch=1) == ExpiryRun(members=2, points=65)
    assert await expiry.expire_due(now) == ExpiryRun(members=0, points=0)
    assert await expiry.expire_member(sara.id, now + timedelta(hours=1)) is None
    assert await JournalTransaction.filter(kind=TransactionKind.EXPIRE).count() == 2
    assert await ledger.balances_of([sara.id, ali.id]) == [
        ledger.Balances(0, 0),
        ledger.Balances(5, 0),
    ]
    standings = {
        s.member_id: s.next_expiry_at  # type: ignore[attr-defined]
        for s in await MemberStanding.filter(member_id__in=[sara.id, ali.id])
    }
    assert standings[sara.id] is None
    assert standings[ali.id] == (await expiry.schedule(ali.id))[0].expires_at > now
    assert (await reconcile()).ok


async def test_a_refund_shrinks_its_own_lot() -> None:
    club = await Club.open({"mode": "months_after_earning", "months": 12})
    sara = await f.member()
    old = await club.buy(sara.id, 100, ago(300))
    new = await club.buy(sara.id, 100, ago(5))
    first, second = await expiry.schedule(sara.id)

    await refunds.refund(club.cashier, purchase_id=new, amount=500_000, idempotency_key=f.key())
    assert await expiry.schedule(sara.id) == [first, Expiring(second.expires_at, 50)]
    await refunds.refund(club.cashier, purchase_id=old, idempotency_key=f.key())
    assert await expiry.schedule(sara.id) == [Expiring(second.expires_at, 50)]
    assert await expiry.expire_member(sara.id, first.expires_at) is None


async def test_expiry_never_makes_a_balance_negative() -> None:
    """A refund of points already spent leaves a debt, not a negative lot: nothing more expires
    than the member holds."""
    club = await Club.open({"mode": "months_after_earning", "months": 12})
    sara = await f.member()
    bought = await club.buy(sara.id, 100, ago(300))
    await club.buy(sara.id, 10, ago(299))
    await club.spend(sara.id, 105)
    await refunds.refund(club.cashier, purchase_id=bought, idempotency_key=f.key())
    assert (await ledger.balances(sara.id)).points == 0

    assert await expiry.schedule(sara.id) == []
    assert await expiry.expire_due(datetime.now(UTC) + timedelta(days=400)) == ExpiryRun(0, 0)
    assert (await ledger.balances(sara.id)).points == 0
    assert (await reconcile()).ok


async def test_points_that_never_expire_are_used_last() -> None:
    """A manager's gift carries no expiry date; spending uses the earned lot first."""
    club = await Club.open({"mode": "months_after_earning", "months": 12})
    sara = await f.member()
    await f.give(sara.id, Purse.POINTS, 500)
    await club.buy(sara.id, 100, ago(300))
    await club.spend(sara.id, 100)
    assert await expiry.schedule(sara.id) == []
    assert await expiry.expire_due(datetime.now(UTC) + timedelta(days=400)) == ExpiryRun(0, 0)
    assert (await ledger.balances(sara.id)).points == 500


async def test_no_expiry_when_the_policy_says_never() -> None:
    club = await Club.open({"mode": "never"})
    sara = await f.member()
    await club.buy(sara.id, 100, ago(300))
    assert await expiry.schedule(sara.id) == []
    assert (await MemberStanding.get(member_id=sara.id)).next_expiry_at is None
    assert await expiry.expire_member(sara.id, datetime.now(UTC) + timedelta(days=3650)) is None
