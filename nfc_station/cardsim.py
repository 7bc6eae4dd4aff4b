"""A contactless card emulated by nfcpy over UDP: a Type 3 (FeliCa) tag whose memory is kept
in a JSON file, for demos, tests and benchmarks (`loyalty card-sim`)."""

from __future__ import annotations

import json
import secrets
import struct
import threading
from pathlib import Path

import nfc
import nfc.clf

BLOCK = 16
NDEF_BLOCKS = 16
# Type 3 Tag services: NDEF read/write and read-only.
NDEF_RW, NDEF_RO = 0x0009, 0x000B
PMM = bytes.fromhex("FFFFFFFFFFFFFFFF")
NDEF_SYSTEM = bytes.fromhex("12FC")


def blank_memory() -> bytearray:
    """An NDEF-formatted, empty Type 3 tag: the attribute block, then the data blocks."""
    attribute = bytearray(BLOCK)
    attribute[0] = 0x10  # NDEF mapping version 1.0
    attribute[1], attribute[2] = 4, 1  # blocks per read, per write
    attribute[3:5] = struct.pack(">H", NDEF_BLOCKS)
    attribute[10] = 0x01  # read/write
    attribute[14:16] = struct.pack(">H", sum(attribute[:14]))
    return attribute + bytearray(BLOCK * NDEF_BLOCKS)


class CardFile:
    """The card's IDm (its UID) and memory, saved after every block written."""

    def __init__(self, path: str | Path, *, blank: bool = False) -> None:
        self.path = Path(path)
        if blank or not self.path.exists():
            self.idm = bytes.fromhex("02FE") + secrets.token_bytes(6)
            self.memory = blank_memory()
            self.save()
        else:
            saved = json.loads(self.path.read_text())
            self.idm, self.memory = bytes.fromhex(saved["idm"]), bytearray.fromhex(saved["memory"])

    @property
    def uid(self) -> str:
        return self.idm.hex().upper()

    def save(self) -> None:
        self.path.write_text(json.dumps({"idm": self.uid, "memory": self.memory.hex()}))


class CardSim:
    """Presents the card on `device` (`udp:host:port`) until stopped. `tear_after`: pull the
    card away during the n-th block written (the write is kept, its answer never sent)."""

    def __init__(self, device: str, card: CardFile, tear_after: int | None = None) -> None:
        self.device, self.card, self.tear_after = device, card, tear_after
        self.writes = 0
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

    def _startup(self, target: nfc.clf.LocalTarget) -> nfc.clf.LocalTarget:
        target.brty = "212F"
        target.sensf_res = b"\x01" + self.card.idm + PMM + NDEF_SYSTEM
        return target

    def _read(self, block: int, rb: bool, re: bool) -> bytearray | None:
        if block < len(self.card.memory) // BLOCK:
            return self.card.memory[block * BLOCK : (block + 1) * BLOCK]
        return None

    def _write(self, block: int, data: bytearray, wb: bool, we: bool) -> bool:
        if block >= len(self.card.memory) // BLOCK:
            return False
        self.card.memory[block * BLOCK : (block + 1) * BLOCK] = data
        self.card.save()
        self.writes += 1
        if self.tear_after is not None and self.writes >= self.tear_after:
            self.torn.set()
        return True

    def _connected(self, tag) -> bool:
        tag.add_service(NDEF_RW, self._read, self._write)
        tag.add_service(NDEF_RO, self._read, lambda *args: False)
        return True

    def run(self) -> None:
        with nfc.ContactlessFrontend(self.device) as clf:
            options = {"on-startup": self._startup, "on-connect": self._connected}
            while not self._gone():
                clf.connect(card=options, terminate=self._gone)
