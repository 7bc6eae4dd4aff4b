"""An NFC Forum Type 2 tag's side of the protocol: NXP NTAG213/215/216 and Mifare Ultralight.

It answers the commands a reader sends once the tag is selected (NTAG21x data sheet, section
10): READ 0x30, WRITE 0xA2, GET_VERSION 0x60, PWD_AUTH 0x1B, READ_SIG 0x3C. The NTAG21x
configuration pages work as on the chip, which reads them when it is activated: pages from
AUTH0 on refuse writes (and, with PROT, reads) until PWD_AUTH with the PWD succeeded; PWD and
PACK read as zeros. A refused command is answered with a NAK and the tag falls back to idle
until the reader selects it again.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import reduce
from operator import xor

PAGE = 4
ACK, NAK = b"\x0a", b"\x00"
READ, WRITE, GET_VERSION, PWD_AUTH, READ_SIG, HALT = 0x30, 0xA2, 0x60, 0x1B, 0x3C, 0x50
PROT, CFGLCK = 0x80, 0x40  # bits of ACCESS


@dataclass(frozen=True, slots=True)
class Model:
    pages: int
    data_size: int  # CC byte 2: the NDEF area in units of 8 bytes
    version: bytes | None  # GET_VERSION answer; an Ultralight does not know the command
    config_page: int | None  # CFG0 (MIRROR, AUTH0), then CFG1 (ACCESS), PWD, PACK

    @property
    def is_ntag(self) -> bool:
        return self.config_page is not None


MODELS = {
    "ntag213": Model(45, 0x12, bytes.fromhex("0004040201000F03"), 41),
    "ntag215": Model(135, 0x3E, bytes.fromhex("0004040201001103"), 131),
    "ntag216": Model(231, 0x6D, bytes.fromhex("0004040201001303"), 227),
    "ultralight": Model(16, 0x06, None, None),
}
DEFAULT_MODEL = "ntag215"


def blank_memory(model_name: str, uid: bytes) -> bytearray:
    """A factory-fresh tag with an empty NDEF message: UID and check bytes, the capability
    container, and on NTAG21x the default configuration (no password protection)."""
    model = MODELS[model_name]
    memory = bytearray(model.pages * PAGE)
    memory[0:3], memory[3] = uid[0:3], reduce(xor, uid[0:3], 0x88)
    memory[4:8], memory[8], memory[9] = uid[3:7], reduce(xor, uid[3:7]), 0x48
    memory[12:16] = bytes([0xE1, 0x10, model.data_size, 0x00])
    memory[16:20] = b"\x03\x00\xfe\x00"  # an empty NDEF message TLV, then the terminator
    if model.is_ntag:
        config = model.config_page * PAGE
        memory[config - PAGE : config] = b"\x00\x00\x00\xbd"  # dynamic lock bytes
        memory[config : config + 16] = bytes.fromhex("040000FF 00050000 FFFFFFFF 00000000")
    return memory


class Type2Card:
    """The tag's state while it is in the field: `respond(command)` is its answer (None: it
    stays silent), and `idle` says it ignores everything until it is selected again."""

    def __init__(self, model_name: str, memory: bytearray, on_write) -> None:
        self.model = MODELS[model_name]
        self.memory = memory
        self._on_write = on_write  # called after each page written (the card file saves)
        self.select()

    def select(self) -> None:
        self.idle, self.authenticated = False, False
        if self.model.is_ntag:  # the chip reads its configuration when it is activated
            at = self.model.config_page * PAGE
            self._active_config = bytes(self.memory[at : at + 16])

    # --- the configuration pages ---------------------------------------------------------------

    def _config(self, offset: int) -> int:
        return self._active_config[offset]

    def _protected(self, page: int, *, reading: bool) -> bool:
        if not self.model.is_ntag or self.authenticated:
            return False
        if reading and not self._config(4) & PROT:
            return False
        return page >= self._config(3)  # AUTH0

    def _secret_pages(self) -> range:
        if not self.model.is_ntag:
            return range(0)
        return range(self.model.config_page + 2, self.model.config_page + 4)  # PWD, PACK

    # --- commands --------------------------------------------------------------------------------

    def respond(self, command: bytes) -> bytes | None:
        if self.idle or not command:
            return None
        code = command[0]
        if code == READ and len(command) == 2:
            return self._read(command[1])
        if code == WRITE and len(command) == 6:
            return self._write(command[1], bytes(command[2:6]))
        if code == HALT:
            return self._refuse(None)
        if not self.model.is_ntag:  # an Ultralight is silent on what it does not know
            return self._refuse(None)
        if code == GET_VERSION:
            return self.model.version
        if code == PWD_AUTH and len(command) == 5:
            return self._authenticate(bytes(command[1:5]))
        if code == READ_SIG:
            return hashlib.sha256(bytes(self.memory[0:8])).digest()  # not NXP's ECC: a stand-in
        return self._refuse(NAK)

    def _refuse(self, answer: bytes | None) -> bytes | None:
        self.idle, self.authenticated = True, False
        return answer

    def _read(self, page: int) -> bytes | None:
        if page >= self.model.pages or self._protected(page, reading=True):
            return self._refuse(NAK)
        data = bytearray()
        for offset in range(4):  # four pages, rolling over to page 0 past the end
            at = (page + offset) % self.model.pages
            if self._protected(at, reading=True) or at in self._secret_pages():
                data += bytes(PAGE)
            else:
                data += self.memory[at * PAGE : (at + 1) * PAGE]
        return bytes(data)

    def _write(self, page: int, data: bytes) -> bytes | None:
        if page < 2 or page >= self.model.pages or self._protected(page, reading=False):
            return self._refuse(NAK)
        config = self.model.config_page
        if config is not None and page in (config, config + 1) and self._config(4) & CFGLCK:
            return self._refuse(NAK)
        at = page * PAGE
        if page == 2:  # only the lock bits, and they only ever get set
            self.memory[at + 2] |= data[2]
            self.memory[at + 3] |= data[3]
        elif page == 3:  # the capability container is one-time programmable
            for i in range(PAGE):
                self.memory[at + i] |= data[i]
        else:
            self.memory[at : at + PAGE] = data
        self._on_write()
        return ACK

    def _authenticate(self, password: bytes) -> bytes | None:
        if password != self._active_config[8:12]:
            return self._refuse(NAK)
        self.authenticated = True
        return self._active_config[12:14]  # PACK
