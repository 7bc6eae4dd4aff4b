"""A contactless card emulated by nfcpy over UDP, its memory kept in a JSON file, for demos,
tests and benchmarks (`loyalty card-sim`): a Type 3 (FeliCa) tag through nfcpy's own card
emulation, or a Type 2 (NTAG21x, Ultralight) or Type 4A tag answering the reader's commands
itself (`tt2card`, `tt4card`) over the same UDP link."""

from __future__ import annotations

import json
import secrets
import select
import struct
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import nfc
import nfc.clf
import nfc.tag

from nfc_station import tt2card, tt4card

BLOCK = 16
NDEF_BLOCKS = 16
# Type 3 Tag services: NDEF read/write and read-only.
NDEF_RW, NDEF_RO = 0x0009, 0x000B
PMM = bytes.fromhex("FFFFFFFFFFFFFFFF")
NDEF_SYSTEM = bytes.fromhex("12FC")
TYPES = (2, 3, 4)
# Type A: ATQA of a 7-byte UID, and SAK (0x00: Type 2, 0x20: ISO-DEP, so Type 4).
SENS_RES = b"\x44\x00"
SEL_RES = {2: b"\x00", 4: b"\x20"}
# Seconds a Type A card waits for the reader in one go (it checks whether it should stop).
LISTEN_SECONDS = 0.5
# Seconds a card that heard from a reader gives it to complete the selection.
SELECTION_SECONDS = 3.0


def blank_memory() -> bytearray:
    """An NDEF-formatted, empty Type 3 tag: the attribute block, then the data blocks."""
    attribute = bytearray(BLOCK)
    attribute[0] = 0x10  # NDEF mapping version 1.0
    attribute[1], attribute[2] = 4, 1  # blocks per read, per write
    attribute[3:5] = struct.pack(">H", NDEF_BLOCKS)
    attribute[10] = 0x01  # read/write
    attribute[14:16] = struct.pack(">H", sum(attribute[:14]))
    return attribute + bytearray(BLOCK * NDEF_BLOCKS)


def new_uid(kind: int) -> bytes:
    if kind == 3:
        return bytes.fromhex("02FE") + secrets.token_bytes(6)  # a FeliCa IDm
    return b"\x04" + secrets.token_bytes(6)  # a 7-byte NFCID1 of NXP's


class CardFile:
    """The card's kind (tag type and model), UID and memory, saved after every write."""

    def __init__(
        self,
        path: str | Path,
        *,
        blank: bool = False,
        kind: int | None = None,
        model: str | None = None,
    ) -> None:
        """A new card (`blank`, or no file yet) of `kind` (Type 3 unless told), or the card
        kept in the file, which must then be of the kind and model asked, if any."""
        self.path = Path(path)
        if blank or not self.path.exists():
            kind = kind or 3
            if kind not in TYPES:
                raise ValueError(f"tag type {kind}: one of {TYPES}")
            self.kind = kind
            if model is not None and kind != 2:
                raise ValueError(f"a model is chosen for Type 2 tags, not Type {kind}")
            self.model = model or (tt2card.DEFAULT_MODEL if kind == 2 else None)
            if self.model is not None and self.model not in tt2card.MODELS:
                raise ValueError(f"model {self.model}: one of {', '.join(tt2card.MODELS)}")
            self.identifier = new_uid(kind)
            self.memory = self._blank()
            self.save()
        else:
            saved = json.loads(self.path.read_text())
            self.kind, self.model = saved.get("type", 3), saved.get("model")
            self.identifier = bytes.fromhex(saved.get("uid") or saved["idm"])
            self.memory = bytearray.fromhex(saved["memory"])
            if kind not in (None, self.kind) or model not in (None, self.model):
                raise ValueError(f"{self.path} holds a Type {self.kind} tag ({self.model or '-'})")

    def _blank(self) -> bytearray:
        if self.kind == 2:
            return tt2card.blank_memory(self.model, self.identifier)
        return tt4card.blank_memory() if self.kind == 4 else blank_memory()

    @property
    def uid(self) -> str:
        return self.identifier.hex().upper()

    def save(self) -> None:
        saved = {"type": self.kind, "model": self.model, "uid": self.uid}
        self.path.write_text(json.dumps({**saved, "memory": self.memory.hex()}))


class CardSim:
    """Presents the card on `device` (`udp:host:port`) until stopped. `tear_after`: pull the
    card away during the n-th write (the write is kept, its answer never sent). `delays`:
    seconds the first answers to the reader's commands come late by, one each, as on a loaded
    machine (then at once). `leave_after`: pull the card away once it has answered that many
    commands after it was selected."""

    def __init__(
        self,
        device: str,
        card: CardFile,
        tear_after: int | None = None,
        delays: Sequence[float] = (),
        leave_after: int | None = None,
    ) -> None:
        self.device, self.card, self.tear_after = device, card, tear_after
        self.writes = 0
        self._answers_left = leave_after
        self._delays = list(delays)
        self._stop = threading.Event()
        self.torn = threading.Event()
        self._thread = threading.Thread(target=self.run, name="card-sim", daemon=True)

    def start(self) -> CardSim:
        self._thread.start()
        return self

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        self._thread.join(timeout)

    def _gone(self) -> bool:
        return self._stop.is_set() or self.torn.is_set()

    def _written(self) -> None:
        self.card.save()
        self.writes += 1
        if self.tear_after is not None and self.writes >= self.tear_after:
            self.torn.set()

    def run(self) -> None:
        """Answer readers until stopped. The first listen binds the card's UDP port; from then
        on the card keeps that socket, so a reader that senses or selects it again (after each
        tap, while nfcpy identifies a Type 2 tag, after a NAK) is heard at once. Listening
        afresh each time, as nfcpy's `connect(card=...)` does, reopens the socket, and a
        reader's request sent meanwhile is lost: it waits out its 1 s timeout."""
        with nfc.ContactlessFrontend(self.device) as clf:
            local = self._local_target()
            selected = clf.listen(local, LISTEN_SECONDS)
            while not self._gone():
                if selected is None:
                    selected = self._listen(clf, local)
                    continue
                clf.target = selected  # the reader that found it: answers go there
                selected = self._serve(clf, self._activated(clf, selected))

    def _local_target(self) -> nfc.clf.LocalTarget:
        if self.card.kind == 3:
            sensf_res = b"\x01" + self.card.identifier + PMM + NDEF_SYSTEM
            return nfc.clf.LocalTarget("212F", sensf_res=sensf_res)
        return nfc.clf.LocalTarget(
            "106A", sens_res=SENS_RES, sdd_res=self.card.identifier, sel_res=SEL_RES[self.card.kind]
        )

    def _listen(self, clf, local: nfc.clf.LocalTarget) -> nfc.clf.LocalTarget | None:
        """Wait for a reader, then let the UDP driver's own listening loop (on the socket it
        already has bound) answer its sensing and selection. The loop starts once the reader
        has sent something and runs `SELECTION_SECONDS`: a window that ran out between the
        reader's sensing and its first command (a reader thread scheduled late) would make
        the card forget it was sensed and ignore the command."""
        if not select.select([clf.device.socket], [], [], LISTEN_SECONDS)[0]:
            return None
        until = time.time() + SELECTION_SECONDS
        if self.card.kind == 3:
            return clf.device._listen_ttf(local, until)
        return clf.device._listen_tta(local, until)

    def _activated(self, clf, selected: nfc.clf.LocalTarget) -> _Responder:
        """What answers the reader's commands, and the first command."""
        if self.card.kind == 3:
            tag = nfc.tag.emulate(clf, selected)
            tag.add_service(NDEF_RW, self._read, self._write)
            tag.add_service(NDEF_RO, self._read, lambda *args: False)
            return _Responder(tag.process_command, tag.cmd)
        if self.card.kind == 2:
            tag = tt2card.Type2Card(self.card.model, self.card.memory, self._written)
        else:
            tag = tt4card.Type4Card(self.card.memory, self._written)
        return _Responder(
            lambda command: tag.respond(bytes(command)), selected.tt2_cmd or selected.tt4_cmd
        )

    def _serve(self, clf, responder: _Responder) -> None:
        """Answer the reader until it switches its field off, or the card leaves."""
        command = responder.first
        while not self._gone():
            answer = responder.respond(command) if command else None
            if self._gone():
                return None  # pulled away: the last write is kept, its answer is never sent
            if answer is not None and self._delays:
                time.sleep(self._delays.pop(0))
            if answer is not None and self._answers_left is not None:
                self._answers_left -= 1
                if self._answers_left < 0:
                    self.torn.set()  # taken away: this answer is never sent
                    return None
            try:
                command = clf.exchange(answer, LISTEN_SECONDS)
            except nfc.clf.BrokenLinkError:
                return None  # the field went off: wait to be found again
            except nfc.clf.CommunicationError:
                command = None
        return None

    # --- Type 3: nfcpy's emulation, with the card's blocks ---------------------------------------

    def _read(self, block: int, rb: bool, re: bool) -> bytearray | None:
        if block < len(self.card.memory) // BLOCK:
            return self.card.memory[block * BLOCK : (block + 1) * BLOCK]
        return None

    def _write(self, block: int, data: bytearray, wb: bool, we: bool) -> bool:
        if block >= len(self.card.memory) // BLOCK:
            return False
        self.card.memory[block * BLOCK : (block + 1) * BLOCK] = data
        self._written()
        return True


@dataclass(frozen=True, slots=True)
class _Responder:
    respond: Callable[[bytes], bytes | None]
    first: bytes
