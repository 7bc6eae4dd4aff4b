"""nfcpy's simulated reader link on a loaded machine: an emulated card answers later than a
real tag does (nfcpy gives a Type 2 READ 5 ms), and the reader still pairs every answer with
its own command."""

from __future__ import annotations

import pytest

from nfc_station import tags
from nfc_station.udplink import ANSWER_SECONDS
from tests.station.conftest import Club

RECORD = "LC1.000000000042.k3y.MAC0"


def write_then_read(tag) -> str | None:
    tags.write(tag, RECORD, None)
    return tags.read(tag).record


@pytest.mark.parametrize("kind", [2, 3, 4])
async def test_a_card_answering_every_command_late_is_written_and_read(
    club: Club, kind: int
) -> None:
    card = club.card("slow", kind=kind)
    assert club.tap(card, write_then_read, delays=[0.05] * 200) == RECORD
    assert club.read(card).record == RECORD


@pytest.mark.parametrize("kind", [2, 3, 4])
async def test_an_answer_later_than_the_reader_waits_is_not_taken_for_the_next(
    club: Club, kind: int
) -> None:
    """The reader gives up on the first answer and asks again; the late answer and the one to
    the repeated command both arrive: the second must not pass for the next command's."""
    card = club.card("late", kind=kind)
    late = [ANSWER_SECONDS + 0.3]
    assert club.tap(card, write_then_read, delays=late) == RECORD
    assert club.tap(card, lambda tag: tags.read(tag).record, delays=late) == RECORD


# How many answers a card gives after it was selected before its NDEF is read: nfcpy tells an
# NTAG by its version and a first page read.
@pytest.mark.parametrize(("kind", "answers"), [(2, 3), (3, 1), (4, 1)])
async def test_a_card_gone_before_it_was_read_is_to_be_tapped_again(
    club: Club, kind: int, answers: int
) -> None:
    """nfcpy reads a tag that left as one without NDEF: the station asks the tag whether it is
    still there, and says tap again rather than "not a club card"."""
    card = club.card("gone", kind=kind)
    club.tap(card, write_then_read)
    seen = club.tap(card, tags.read, leave_after=answers)
    assert (seen.unread, seen.record) == (True, None)
    assert club.station.balance(seen)["code"] == "CARD_UNREAD"
    assert club.tap(card, tags.read) == tags.CardOnReader(card.uid, RECORD)
