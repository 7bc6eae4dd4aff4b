"""The station end to end: nfcpy's UDP reader, an emulated Type 3 card, a live API server."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from loyalty import ledger
from loyalty.models import Card, CardStatus, JournalTransaction
from nfc_station import tags
from tests import factories as f
from tests.station.conftest import ROOT, Club


def sara() -> dict:
    return {"phone": f.phone(), "firstName": "سارا", "lastName": "Rahimi"}


def enrol(club: Club, card, member=None, **tap) -> dict:
    return club.enrol(card, member or sara(), **tap)


async def test_enrol_a_blank_card_then_serve_it_by_tap(club: Club) -> None:
    card = club.card("sara")
    enrolled = enrol(club, card)
    assert enrolled["ok"], enrolled
    number = enrolled["card"]
    stored = await Card.get(card_number=number)
    assert (stored.uid, stored.status, stored.branch_id) == (
        card.uid,
        CardStatus.ACTIVE,
        club.branch_id,
    )
    station = club.station

    bought = club.tap(
        card, lambda tag: station.purchase(tags.read(tag), amount=500_000, receipt_number="R-1")
    )
    assert bought["ok"] and bought["online"] and bought["pointsEarned"] == 50, bought
    topped = club.tap(
        card, lambda tag: station.top_up(tags.read(tag), amount=300_000, paid_by="CARD")
    )
    assert topped["balances"]["credit"] == 300_000
    recorded = await JournalTransaction.get(id=topped["entry"]["id"])
    assert (recorded.reason_code, recorded.branch_id) == ("top_up_card", club.branch_id)
    paid = club.tap(card, lambda tag: station.pay(tags.read(tag), amount=120_000))
    assert paid["balances"]["credit"] == 180_000
    shown = club.tap(card, lambda tag: station.balance(tags.read(tag)))
    assert shown["member"]["firstName"] == "سارا"
    assert shown["balances"] == {"points": 50, "credit": 180_000}
    assert (await ledger.balances(stored.member_id)).credit == 180_000

    again = enrol(club, card, sara())
    assert (again["ok"], again["code"]) == (False, "ALREADY_EXISTS")


async def test_a_copied_record_on_another_tag_and_a_tampered_mac_are_refused(club: Club) -> None:
    card = club.card("sara")
    assert enrol(club, card)["ok"]
    copy = club.card("copy")
    copy.memory = card.memory[:]  # every byte of the card, on a tag with another UID
    copy.save()
    refused = club.tap(copy, lambda tag: club.station.balance(tags.read(tag)))
    assert (refused["ok"], refused["code"]) == (False, "CARD_INVALID")

    record = club.read(card).record
    tampered = record[:-4] + ("AAAA" if not record.endswith("AAAA") else "BBBB")
    club.tap(card, lambda tag: tags.write(tag, tampered, None) or "written")
    refused = club.tap(card, lambda tag: club.station.pay(tags.read(tag), amount=1))
    assert (refused["ok"], refused["code"]) == (False, "CARD_INVALID")


async def test_a_blocked_card_is_refused_and_its_replacement_takes_over(club: Club) -> None:
    lost = club.card("lost")
    number = enrol(club, lost)["card"]
    club.tap(lost, lambda tag: club.station.top_up(tags.read(tag), amount=400_000, paid_by="CASH"))
    blocked = club.station.block(number, "lost on the bus", club.cashier)
    assert blocked["status"] == "BLOCKED"
    refused = club.tap(lost, lambda tag: club.station.balance(tags.read(tag)))
    assert (refused["code"], "blocked" in refused["message"]) == ("CARD_BLOCKED", True)
    # The station's own credential may not replace cards.
    new = club.card("new")
    denied = club.tap(new, lambda tag: club.station.replace(tag, number, "lost", club.station.api))
    assert denied["code"] == "PERMISSION_DENIED"
    replaced = club.tap_to_write(
        new, lambda tag: club.station.replace(tag, number, "lost", club.cashier)
    )
    assert replaced["ok"], replaced
    paid = club.tap(new, lambda tag: club.station.pay(tags.read(tag), amount=100_000))
    assert paid.get("balances", {}).get("credit") == 300_000, paid
    assert (await Card.get(card_number=number)).status is CardStatus.REPLACED


async def test_a_card_is_blocked_by_tapping_it_with_a_card_keepers_credential(club: Club) -> None:
    card = club.card("tapped")
    number = enrol(club, card)["card"]
    station = club.station
    denied = club.tap(card, lambda tag: station.block_tapped(tags.read(tag), "lost", station.api))
    assert (denied["ok"], denied["code"]) == (False, "PERMISSION_DENIED")
    blocked = club.tap(
        card, lambda tag: station.block_tapped(tags.read(tag), "damaged", club.cashier)
    )
    assert (blocked["card"], blocked["status"], blocked["member"]["firstName"]) == (
        number,
        "BLOCKED",
        "سارا",
    )
    assert (await Card.get(card_number=number)).status_reason == "damaged"
    refused = club.tap(card, lambda tag: station.balance(tags.read(tag)))
    assert refused["code"] == "CARD_BLOCKED"


async def test_a_card_pulled_away_mid_write_is_never_bound(club: Club) -> None:
    card = club.card("torn")
    torn = enrol(club, card, tear_after=2)
    assert (torn["ok"], torn["code"]) == (False, "CARD_NOT_WRITTEN"), torn
    assert not await Card.exists(uid=card.uid)
    enrolled = enrol(club, card)  # tapped again: written whole, read back, bound
    assert enrolled["ok"], enrolled
    assert await Card.filter(uid=card.uid).count() == 1


async def test_the_commands_print_json_for_kiosks(club: Club) -> None:
    """`loyalty card-sim` presents the card from its file; `loyalty station ... --json` serves
    one tap and prints the result."""
    card = club.card("kiosk")
    number = enrol(club, card)["card"]
    sim = subprocess.Popen(  # noqa: ASYNC220 (the test waits on purpose: the tap is its work)
        [sys.executable, "-m", "cli.main", "card-sim", "--device", club.device,
         "--card", str(card.path)],
        cwd=ROOT, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert json.loads(sim.stdout.readline())["uid"] == card.uid

        def station(*args: str) -> tuple[int, dict]:
            done = subprocess.run(
                [sys.executable, "-m", "cli.main", "station", "--device", club.device,
                 "--url", club.server.url, "--username", club.station_user,
                 "--queue", str(club.tmp / "kiosk.sqlite3"), "--json", "--wait", "20", *args],
                cwd=ROOT, capture_output=True, text=True, timeout=120,
                env={**os.environ, "LOYALTY_STATION_PASSWORD": f.PASSWORD,
                     "LOYALTY_STAFF_PASSWORD": f.PASSWORD},
            )  # fmt: skip
            return done.returncode, json.loads(done.stdout.strip().splitlines()[-1])

        code, bought = station("purchase", "--amount", "300000", "--receipt", "K-1")
        assert (code, bought["ok"], bought["card"], bought["pointsEarned"]) == (0, True, number, 30)
        code, shown = station("balance")
        assert (code, shown["balances"]["points"]) == (0, 30)
        code, refused = station("pay", "--amount", "1")
        assert (code, refused["code"]) == (1, "INSUFFICIENT_BALANCE")
        code, topped = station("topup", "--amount", "50000", "--paid", "card")
        assert (code, topped["balances"]["credit"]) == (0, 50_000)
        recorded = await JournalTransaction.get(id=topped["entry"]["id"])
        assert (recorded.reason_code, recorded.reason.endswith("paid by card")) == (
            "top_up_card",
            True,
        )
        cashier = ("--staff", club.cashier_user, "block", "--reason", "lost")
        code, blocked = station(*cashier)
        assert (code, blocked["card"], blocked["status"]) == (0, number, "BLOCKED")
        code, refused = station("balance")
        assert (code, refused["code"]) == (1, "CARD_BLOCKED")
    finally:
        sim.terminate()
        sim.wait(10)
