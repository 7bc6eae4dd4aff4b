"""Type 2 (NTAG21x, Ultralight) and Type 4 cards end to end: the emulated tags answer nfcpy's
reader with the tags' own commands, so enrolment, protection and taps go the way they go on
real tags."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from nfc.tag import tt2

from loyalty.cards import keys
from loyalty.models import Card
from nfc_station import tags, tt2card
from nfc_station.cardsim import CardFile
from tests import factories as f
from tests.station.conftest import ROOT, Club
from tests.station.test_station_e2e import enrol, sara

NDEF_PAGE = 4


def config(card, model: str = "ntag215") -> bytes:
    """CFG0, CFG1, PWD and PACK of an emulated NTAG21x, as stored on the chip."""
    at = tt2card.MODELS[model].config_page * tt2card.PAGE
    return bytes(card.memory[at : at + 16])


def serve_by_tap(club: Club, card) -> None:
    """A purchase, then the balance, by tapping the card."""
    station = club.station
    bought = club.tap(
        card, lambda tag: station.purchase(tags.read(tag), amount=400_000, receipt_number="T-1")
    )
    assert (bought["ok"], bought["online"], bought["pointsEarned"]) == (True, True, 40), bought
    shown = club.tap(card, lambda tag: station.balance(tags.read(tag)))
    assert (shown["ok"], shown["balances"]) == (True, {"points": 40, "credit": 0}), shown


def phone_write(tag) -> str:
    """What a phone's NFC app does to erase a tag: write an empty NDEF message over page 4."""
    try:
        tag.write(NDEF_PAGE, b"\x03\x00\xfe\x00")
    except tt2.Type2TagCommandError as error:
        return f"refused: {error}"
    return "written"


async def test_an_ntag215_is_enrolled_protected_with_its_password_and_served(club: Club) -> None:
    card = club.card("ntag", kind=2, model="ntag215")
    assert club.tap(card, lambda tag: type(tag).__name__) == "NTAG215"
    enrolled = enrol(club, card)
    assert enrolled["ok"], enrolled
    assert (await Card.get(card_number=enrolled["card"])).uid == card.uid
    # Writing is locked from page 3 on, under the password derived from this tag's UID.
    password = keys.tag_password(card.uid)
    cfg = config(card)
    assert (cfg[3], cfg[4] & 0x80, cfg[8:12], cfg[12:14]) == (3, 0, password[:4], password[4:6])
    assert card.memory[15] == 0x08  # the CC: NDEF writing is for those with the password
    serve_by_tap(club, card)

    before = bytes(card.memory)
    assert club.tap(card, phone_write) == "refused: invalid page number"
    assert club.tap(card, lambda tag: tag.ndef.is_writeable) is False
    assert bytes(card.memory) == before
    # The station reads it as before, and its own password still opens it for writing.
    shown = club.tap(card, lambda tag: club.station.balance(tags.read(tag)))
    assert (shown["ok"], shown["card"]) == (True, enrolled["card"])
    record = club.read(card).record
    assert club.tap(card, lambda tag: tags.write(tag, record, password) or "rewritten") == (
        "rewritten"
    )
    assert club.tap(card, lambda tag: tag.authenticate(b"\0" * 6)) is False  # another password


async def test_a_record_copied_onto_another_ntag_is_refused(club: Club) -> None:
    card = club.card("original", kind=2)
    assert enrol(club, card)["ok"]
    record = club.read(card).record
    copy = club.card("copy", kind=2)  # a blank tag: anyone can write a record onto it
    assert club.tap(copy, lambda tag: tags.write(tag, record, None) or "copied") == "copied"
    assert club.read(copy).record == record
    refused = club.tap(copy, lambda tag: club.station.balance(tags.read(tag)))
    assert (refused["ok"], refused["code"]) == (False, "CARD_INVALID")


async def test_an_ultralight_too_small_for_the_record_is_refused_at_once(club: Club) -> None:
    """A Mifare Ultralight holds 48 bytes of NDEF: the club's record does not fit, and staff
    are told to take another card rather than to tap it again."""
    card = club.card("ultralight", kind=2, model="ultralight")
    assert club.tap(card, lambda tag: type(tag).__name__) == "MifareUltralight"
    before = bytes(card.memory)
    refused = club.tap(card, lambda tag: club.station.enrol(tag, sara()))
    assert (refused["ok"], refused["code"]) == (False, "CARD_UNSUITABLE"), refused
    assert "holds 46 bytes" in refused["message"]  # 48, less the NDEF TLV
    assert bytes(card.memory) == before
    assert not await Card.exists(uid=card.uid)


async def test_a_type4_card_is_enrolled_and_served(club: Club) -> None:
    card = club.card("type4", kind=4)
    assert club.tap(card, lambda tag: type(tag).__name__) == "Type4ATag"
    enrolled = enrol(club, card)
    assert enrolled["ok"], enrolled
    assert (await Card.get(card_number=enrolled["card"])).uid == card.uid
    serve_by_tap(club, card)


# A Type 4 card takes the record in one UPDATE BINARY: it is pulled away before answering it.
@pytest.mark.parametrize(("kind", "tear_after"), [(2, 2), (4, 1)])
async def test_a_type_a_card_pulled_away_mid_write_is_never_bound(
    club: Club, kind: int, tear_after: int
) -> None:
    card = club.card("torn", kind=kind)
    torn = enrol(club, card, tear_after=tear_after)
    assert (torn["ok"], torn["code"]) == (False, "CARD_NOT_WRITTEN"), torn
    assert not await Card.exists(uid=card.uid)
    assert enrol(club, card)["ok"]


async def test_card_sim_presents_an_ntag213_to_the_station_command(club: Club) -> None:
    """`loyalty card-sim --type 2 --model ntag213` in its own process, enrolled and read by
    `loyalty station ... --json` in another: the card file keeps the tag's protection."""
    path = club.tmp / "ntag213.json"
    sim = subprocess.Popen(  # noqa: ASYNC220 (the test waits on purpose: the tap is its work)
        [sys.executable, "-m", "cli.main", "card-sim", "--device", club.device,
         "--card", str(path), "--blank", "--type", "2", "--model", "ntag213"],
        cwd=ROOT, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        shown = json.loads(sim.stdout.readline())
        assert (shown["type"], shown["model"]) == (2, "ntag213")

        def station(*args: str) -> dict:
            done = subprocess.run(
                [sys.executable, "-m", "cli.main", "station", "--device", club.device,
                 "--url", club.server.url, "--username", club.station_user,
                 "--queue", str(club.tmp / "kiosk.sqlite3"), "--json", "--wait", "20", *args],
                cwd=ROOT, capture_output=True, text=True, timeout=120,
                env={**os.environ, "LOYALTY_STATION_PASSWORD": f.PASSWORD},
            )  # fmt: skip
            return json.loads(done.stdout.strip().splitlines()[-1])

        enrolled = station("enrol", "--phone", f.phone(), "--first-name", "Nika")
        assert enrolled["ok"], enrolled
        assert station("balance")["card"] == enrolled["card"]
    finally:
        sim.terminate()
        sim.wait(10)
    card = CardFile(path)
    assert (card.uid, card.memory[15], config(card, "ntag213")[3]) == (shown["uid"], 0x08, 3)
