"""An NFC Forum Type 4 tag's side of the protocol (Type 4A): RATS answered with an ATS, then
ISO-DEP blocks (ISO/IEC 14443-4) carrying the ISO 7816-4 commands of the NDEF application —
SELECT by name and by file id, READ BINARY and UPDATE BINARY on the capability container
(E103) and the NDEF file (E104), as in the NFC Forum Type 4 Tag specification 2.0."""

from __future__ import annotations

import struct

RATS = 0xE0
# TL, T0 (TA TB TC follow, FSCI 8: frames up to 256 bytes), TA, TB (FWI 9: ~155 ms), TC.
ATS = bytes.fromhex("0578809002")
NDEF_APPLICATION = bytes.fromhex("D2760000850101")
CC_FILE, NDEF_FILE = b"\xe1\x03", b"\xe1\x04"
NDEF_FILE_SIZE = 1024
# The most a READ BINARY returns and an UPDATE BINARY carries: one frame each, no chaining.
MAX_LE = MAX_LC = 0xF0
OK = b"\x90\x00"
WRONG_LENGTH, NOT_ALLOWED, NOT_FOUND, WRONG_OFFSET, UNKNOWN = (
    b"\x67\x00",
    b"\x69\x86",
    b"\x6a\x82",
    b"\x6b\x00",
    b"\x6d\x00",
)
I_BLOCK, R_BLOCK, S_BLOCK = 0x02, 0xA2, 0xC2
CHAINING, NAK, DESELECT = 0x10, 0x10, 0xC2


def capability_container() -> bytes:
    control = struct.pack(">BB2sHBB", 0x04, 6, NDEF_FILE, NDEF_FILE_SIZE, 0x00, 0x00)
    return struct.pack(">HBHH", 15, 0x20, MAX_LE, MAX_LC) + control


def blank_memory() -> bytearray:
    """The NDEF file of an empty tag: NLEN 0, then free space."""
    return bytearray(NDEF_FILE_SIZE)


class Type4Card:
    """`respond(frame)` answers one frame from the reader (None: silence); `idle` after
    DESELECT, until the reader selects the tag again."""

    def __init__(self, ndef_file: bytearray, on_write) -> None:
        self.ndef_file = ndef_file
        self._on_write = on_write
        self.select()

    def select(self) -> None:
        self.idle = False
        self.block_number = 1  # ISO 14443-4 rule C: the card starts at 1
        self.last = b""
        self.chained = bytearray()
        self.application = False
        self.file: bytes | None = None

    def respond(self, frame: bytes) -> bytes | None:
        if self.idle or not frame:
            return None
        pcb = frame[0]
        if pcb == RATS:
            return ATS
        if pcb & 0xE2 == I_BLOCK:
            self.block_number ^= 1  # rule D
            if pcb & CHAINING:
                self.chained += frame[1:]
                return bytes([R_BLOCK | self.block_number])
            command, self.chained = bytes(self.chained + frame[1:]), bytearray()
            self.last = bytes([I_BLOCK | self.block_number]) + self._apdu(command)
            return self.last
        if pcb & 0xE6 == R_BLOCK:
            if pcb & 1 == self.block_number:
                return self.last  # rule 11: the answer was lost, send it again
            return bytes([R_BLOCK | self.block_number])  # rule 12 (and presence checks)
        if pcb == DESELECT:
            self.idle = True
            return bytes([DESELECT])
        return None

    # --- the NDEF application --------------------------------------------------------------------

    def _apdu(self, apdu: bytes) -> bytes:
        if len(apdu) < 4:
            return WRONG_LENGTH
        _cla, ins, p1, p2 = apdu[:4]
        body = apdu[4:]
        data, le = b"", 0
        if len(body) == 1:
            le = body[0] or 256
        elif body:
            data = body[1 : 1 + body[0]]
            if len(data) != body[0]:
                return WRONG_LENGTH
            le = body[1 + body[0]] if len(body) > 1 + body[0] else 0
        if ins == 0xA4:
            return self._select(p1, data)
        if ins == 0xB0:
            return self._read_binary((p1 << 8) | p2, le)
        if ins == 0xD6:
            return self._update_binary((p1 << 8) | p2, data)
        return UNKNOWN

    def _select(self, by: int, name: bytes) -> bytes:
        if by == 0x04:
            self.application, self.file = name == NDEF_APPLICATION, None
            return OK if self.application else NOT_FOUND
        if by == 0x00 and self.application and name in (CC_FILE, NDEF_FILE):
            self.file = name
            return OK
        return NOT_FOUND

    def _read_binary(self, offset: int, le: int) -> bytes:
        if self.file is None:
            return NOT_ALLOWED
        content = capability_container() if self.file == CC_FILE else bytes(self.ndef_file)
        if offset > len(content):
            return WRONG_OFFSET
        return content[offset : offset + min(le or MAX_LE, MAX_LE)] + OK

    def _update_binary(self, offset: int, data: bytes) -> bytes:
        if self.file != NDEF_FILE:
            return NOT_ALLOWED  # the capability container is read-only
        if offset + len(data) > len(self.ndef_file):
            return WRONG_OFFSET
        self.ndef_file[offset : offset + len(data)] = data
        self._on_write()
        return OK
