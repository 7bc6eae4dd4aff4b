"""Offline first: the station keeps serving while the server is down, within the server's
limits, and its queue reaches the server in order, exactly once, whatever happens meanwhile."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from loyalty import ledger
from loyalty.cards import cards
from loyalty.models import (
    Card,
    JournalTransaction,
    OfflineReview,
    Purchase,
    TransactionKind,
)
from loyalty.programme import policies
from loyalty.settings import get_settings
from nfc_station.store import FAILED
from tests import factories as f
from tests.station.conftest import Club


def enrolled(club: Club, name: str, credit: int = 0) -> tuple:
    """A card enrolled and topped up online, as the station last saw it; and its tap."""
    card = club.card(name)
    member = {"phone": f.phone(), "firstName": name}
    assert club.enrol(card, member)["ok"]
    on_reader = club.read(card)
    if credit:
        assert club.station.top_up(on_reader, amount=credit, paid_by="CASH")["ok"]
    return card, on_reader


async def offline_limits(per_card: int, per_station: int) -> None:
    await policies.save(
        await f.manager(),
        "offline",
        {"credit_per_card_per_day": per_card, "credit_per_station": per_station},
    )


async def test_500_operations_while_the_server_is_down_are_replayed_exactly_once(
    club: Club,
) -> None:
    await offline_limits(per_card=10_000_000, per_station=10_000_000)
    _, sara = enrolled(club, "sara", credit=5_000_000)
    assert club.station.refresh_config()["offline"]["creditPerStation"] == 10_000_000
    club.server.stop()
    station = club.station
    answers = []
    for n in range(500):
        if n % 5 == 3:
            answers.append(station.top_up(sara, amount=10_000, paid_by="CASH"))
        elif n % 5 == 4:
            answers.append(station.pay(sara, amount=10_000))
        else:
            answers.append(station.purchase(sara, amount=100_000, receipt_number=f"OFF-{n:03d}"))
    assert all(a["ok"] and a["queued"] and not a["online"] for a in answers), answers[0]
    assert station.store.queue_size() == 500

    # The station is restarted with its queue full, then the server comes back.
    station = club.new_station()
    assert station.store.queue_size() == 500
    club.server.start()
    assert station.sync() == {"sent": 500, "failed": 0, "waiting": 0}
    assert station.sync() == {"sent": 0, "failed": 0, "waiting": 0}

    member_id = (await Card.get(uid=sara.uid)).member_id
    receipts = (
        await Purchase.filter(member_id=member_id)
        .order_by("id")
        .values_list("receipt_number", flat=True)
    )
    assert receipts == [f"OFF-{n:03d}" for n in range(500) if n % 5 < 3]
    top_ups = await JournalTransaction.filter(member_id=member_id, kind=TransactionKind.TOP_UP)
    assert len(top_ups) == 1 + 100
    balances = await ledger.balances(member_id)
    assert balances.credit == 5_000_000
    assert balances.points == 300 * 10


async def test_offline_limits_per_card_per_day_and_per_station(club: Club) -> None:
    await offline_limits(per_card=300_000, per_station=500_000)
    _, sara = enrolled(club, "sara", credit=1_000_000)
    _, reza = enrolled(club, "reza", credit=250_000)
    club.station.refresh_config()
    club.server.stop()
    try:
        pay = club.station.pay
        assert pay(sara, amount=200_000)["ok"]
        over_day = pay(sara, amount=150_000)
        assert (over_day["ok"], over_day["code"]) == (False, "LIMIT_REACHED")
        assert pay(sara, amount=100_000)["ok"]  # 300,000 today: the card's limit
        assert pay(reza, amount=300_000)["code"] == "INSUFFICIENT_BALANCE"  # it holds 250,000
        assert pay(reza, amount=200_000)["ok"]  # 500,000 accepted: the station's limit
        over_station = pay(reza, amount=10_000)
        assert (over_station["ok"], over_station["code"]) == (False, "LIMIT_REACHED")
        assert pay(sara, amount=1, purse="POINTS")["code"] == "OFFLINE"
        shown = club.station.balance(sara)
        assert (shown["online"], shown["balances"]["credit"]) == (False, 700_000)
        # Purchases are taken: their points come when they sync.
        assert club.station.purchase(sara, amount=200_000, receipt_number="P-1")["queued"]
        assert club.station.store.queue_size() == 4
    finally:
        club.server.start()
    assert club.station.sync()["sent"] == 4
    member_id = (await Card.get(uid=sara.uid)).member_id
    assert (await ledger.balances(member_id)).credit == 700_000


async def test_the_limit_per_card_counts_the_clubs_day_not_the_stations(club: Club) -> None:
    await offline_limits(per_card=100_000, per_station=1_000_000)
    _, sara = enrolled(club, "sara", credit=1_000_000)
    config = club.station.refresh_config()
    assert config["timeZone"] == get_settings().timezone
    club_zone = ZoneInfo(config["timeZone"])
    # The club's next midnight, on a station whose own clock runs in UTC.
    tomorrow = datetime.now(club_zone).date() + timedelta(days=1)
    midnight = datetime.combine(tomorrow, time(), club_zone).astimezone(UTC)
    before, after = midnight - timedelta(minutes=10), midnight + timedelta(minutes=10)
    assert before.astimezone(club_zone).date() != after.astimezone(club_zone).date()
    club.server.stop()
    try:
        station = club.station
        station.clock = lambda: before
        assert station.pay(sara, amount=60_000)["ok"]
        assert station.pay(sara, amount=50_000)["code"] == "LIMIT_REACHED"
        station.clock = lambda: midnight - timedelta(seconds=1)
        assert station.pay(sara, amount=40_000)["ok"]  # 100,000 on the club's day
        assert station.pay(sara, amount=1)["code"] == "LIMIT_REACHED"
        station.clock = lambda: after  # a new club day: a new allowance
        assert station.pay(sara, amount=100_000)["ok"]
        assert station.pay(sara, amount=1)["code"] == "LIMIT_REACHED"
        # Restarted, the station still counts the club's day: the zone is kept with the limits.
        station = club.new_station()
        station.clock = lambda: after
        assert station.pay(sara, amount=1)["code"] == "LIMIT_REACHED"
    finally:
        club.server.start()
    assert club.station.sync()["sent"] == 3


async def test_a_replay_the_server_now_refuses_is_kept_for_review(club: Club) -> None:
    await offline_limits(per_card=1_000_000, per_station=1_000_000)
    _, sara = enrolled(club, "sara", credit=500_000)
    club.station.refresh_config()
    club.server.stop()
    try:
        paid = club.station.pay(sara, amount=100_000)
        assert paid["queued"]
        # Meanwhile, at another counter, the card is reported stolen.
        await cards.block(club.cashier_actor, (await Card.get(uid=sara.uid)).card_number, "stolen")
    finally:
        club.server.start()
    assert club.station.sync() == {"sent": 0, "failed": 1, "waiting": 0}
    review = await OfflineReview.get(card__uid=sara.uid)
    assert (review.amount, review.error_code, review.resolved_at) == (100_000, "CARD_BLOCKED", None)
    assert club.station.store.waiting() == []
    assert club.station.store.count(FAILED) == 1
    # The blocked card is refused at once, online.
    refused = club.station.pay(sara, amount=1)
    assert refused["code"] == "CARD_BLOCKED"
