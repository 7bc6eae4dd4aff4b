"""The card record on a tag, and the reader thread that hands each tap over.

nfcpy's calls block, so the reader runs in its own thread (`clf.connect(...,
terminate=stop.is_set)`), never in an event loop; a tap is handled on that thread while the
tag is on the reader, and the next one waits until it has left.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import ndef
import nfc
import nfc.tag
from nfc.tag import tt2_nxp

from nfc_station.udplink import Frontend

log = logging.getLogger(__name__)

# An NFC Forum external type: the club's card record, holding `LC1.<number>.<key>.<MAC>`.
RECORD_TYPE = "urn:nfc:ext:loyaltyclub.ir:card"
# FeliCa first: a simulated Type 3 card answers at once; all kinds are sensed in turn.
TARGETS = ("212F", "106A", "106B")
REOPEN_SECONDS = 1.0


class TagError(Exception):
    """The tag could not be read or written as needed (removed, full, locked, not NDEF)."""


class UnsuitableTag(TagError):
    """The tag can never hold the club's record (too small): tapping it again will not help."""


@dataclass(frozen=True, slots=True)
class CardOnReader:
    uid: str
    record: str | None  # the club's record, if the tag carries one
    unread: bool = False  # the tag left (or stopped answering) before it was read: tap again


def uid_of(tag: nfc.tag.Tag) -> str:
    return bytes(tag.identifier).hex().upper()


def _club_record(records: list[ndef.Record]) -> str | None:
    for record in records:
        if record.type == RECORD_TYPE:
            return bytes(record.data).decode("ascii", errors="replace")
    return None


def read(tag: nfc.tag.Tag) -> CardOnReader:
    try:
        records = tag.ndef.records if tag.ndef is not None else []
    except (nfc.tag.TagCommandError, ndef.DecodeError) as error:
        log.info("unreadable NDEF on %s: %s", uid_of(tag), error)
        records = []
    record = _club_record(records)
    # nfcpy reads a tag that stopped answering as one without NDEF: ask whether it is still
    # there, so a card pulled away too soon is tapped again rather than refused as foreign.
    if record is None and not tag.is_present:
        return CardOnReader(uid_of(tag), None, unread=True)
    return CardOnReader(uid_of(tag), record)


def _is_ntag21x(tag: nfc.tag.Tag) -> bool:
    # nfcpy files the Ultralight EV1 under NTAG21x, but cannot protect it (no config page).
    return isinstance(tag, tt2_nxp.NTAG21x) and not isinstance(tag, tt2_nxp.MifareUltralightEV1)


def _club_message(record: str) -> list[ndef.Record]:
    return [ndef.Record(RECORD_TYPE, "", record.encode("ascii"))]


def write(tag: nfc.tag.Tag, record: str, password: bytes | None) -> None:
    """Write the record as the tag's only NDEF record, read it back, and on NTAG21x protect
    writing with the card's password. Raises TagError unless the tag holds exactly it."""
    try:
        if _is_ntag21x(tag) and password and not (tag.ndef and tag.ndef.is_writeable):
            # A tag protected before (written, then not bound) opens with its own password.
            # Only then: a refused PWD_AUTH sends an NTAG21x idle until it is selected again.
            if not tag.authenticate(password):
                raise TagError("the tag is protected by another password")
        if tag.ndef is None:
            raise TagError("the tag is not formatted for NDEF")
        if not tag.ndef.is_writeable:
            raise TagError("the tag is write-protected")
        needed = len(b"".join(ndef.message_encoder(_club_message(record))))
        if needed > tag.ndef.capacity:
            raise UnsuitableTag(
                f"the tag holds {tag.ndef.capacity} bytes, the club's record needs {needed}: "
                "use another card"
            )
        tag.ndef.records = _club_message(record)
        verify(tag, record)
        if _is_ntag21x(tag) and password and tag.protect(password, protect_from=3) is False:
            raise TagError("the tag could not be protected")
    except (nfc.tag.TagCommandError, nfc.clf.CommunicationError, ValueError, TypeError) as error:
        # TypeError: nfcpy's Type 3 writer when the tag stops answering between its reads.
        raise TagError(f"the tag was not written: {error!r}") from error


def verify(tag: nfc.tag.Tag, record: str) -> None:
    """Read the tag afresh: it must hold the record, and nothing else."""
    try:
        changed = tag.ndef.has_changed
        holds = None if tag.ndef is None else _club_record(tag.ndef.records)
    except (nfc.tag.TagCommandError, ndef.DecodeError) as error:
        raise TagError(f"the tag could not be read back: {error}") from error
    if changed or holds != record:
        raise TagError("the tag does not hold what was written")


class Reader:
    """Senses tags on `device` in a thread and calls `on_tap(tag)` for each, on that thread.

    A reader unplugged (nfcpy reports an I/O error and gives up on the device) is opened again
    every second until it is back; `on_state(ready, detail)` hears of each change, and `state`
    says where it stands, so staff see that taps cannot be read rather than tap in vain.
    """

    def __init__(
        self,
        device: str,
        on_tap: Callable[[nfc.tag.Tag], None],
        targets=TARGETS,
        *,
        hold: bool = True,
        on_state: Callable[[bool, str], None] | None = None,
    ) -> None:
        self.device = device
        # False: the next tap may be the same card at once (benchmarks tap one card in a loop).
        self._hold = hold
        self._on_tap = on_tap
        self._on_state = on_state
        self._targets = list(targets)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="nfc-reader", daemon=True)
        self.connected = threading.Event()
        self.state = "opening the reader"
        self.frontend: nfc.ContactlessFrontend | None = None  # while the device is open
        # Set while a tapped tag is held on the reader; cleared once it was found gone.
        self.holding = threading.Event()
        self.found_at = 0.0

    def start(self) -> Reader:
        self._thread.start()
        return self

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        self._thread.join(timeout)

    @property
    def stopping(self) -> bool:
        return self._stop.is_set()

    def _report(self, ready: bool, detail: str) -> None:
        self.state = "reader ready" if ready else f"READER UNAVAILABLE: {detail}"
        (self.connected.set if ready else self.connected.clear)()
        log.log(logging.INFO if ready else logging.WARNING, "NFC %s: %s", self.device, self.state)
        if self._on_state is not None:
            try:
                self._on_state(ready, detail)
            except Exception:
                log.exception("reporting the reader's state failed")

    def _connected(self, tag: nfc.tag.Tag) -> bool:
        self.found_at = time.perf_counter()  # the card found and activated (benchmarks)
        if self._hold:
            self.holding.set()
        try:
            # Read the NDEF data at once: the handler may talk to the server first, and an
            # emulated card that hears nothing for a second after it was found goes back to
            # waiting for a reader.
            tag.ndef  # noqa: B018
            self._on_tap(tag)
        except Exception:
            log.exception("handling the tap of %s failed", uid_of(tag))
        return self._hold  # hold the tag until it leaves: one tap, one operation

    def _released(self, tag: nfc.tag.Tag) -> bool:
        self.holding.clear()
        return True  # go on sensing

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                with Frontend(self.device) as clf:
                    self.frontend = clf
                    self._report(True, "")
                    self._serve(clf)
                problem = "the device stopped answering (unplugged?)"
            except OSError as error:
                problem = str(error) or repr(error)
            self.frontend = None
            self.holding.clear()
            if not self._stop.is_set():
                self._report(False, problem)
                time.sleep(REOPEN_SECONDS)

    def _serve(self, clf: nfc.ContactlessFrontend) -> None:
        """Until stopped, or the device fails: nfcpy then logs the I/O error, returns False."""
        options = {
            "on-connect": self._connected,
            "on-release": self._released,
            "targets": self._targets,
            "beep-on-connect": False,
            "interval": 0.05,
        }
        while not self._stop.is_set():
            if clf.connect(rdwr=options, terminate=self._stop.is_set) is False:
                return
