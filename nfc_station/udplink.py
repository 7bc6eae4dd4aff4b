"""nfcpy's simulated reader link (`udp:host:port`), made to behave like radio on a busy machine.

nfcpy gives each command the deadline a real tag meets in silicon: 5 ms for a Type 2 READ,
under 5 ms for a Type 3 polling (its presence check), 10 ms to probe a Type 2 tag's version.
Over UDP the tag is a Python thread or process, and on a loaded machine it is often scheduled
later than that. The reader then gives up, tries again, and the late answer to the first try
waits in its socket: nfcpy takes it for the answer to whatever it sends next, and from then on
every answer is one behind (a READ sees the previous READ's pages, a write's read-back fails).

A real reader never hears an answer after it stopped listening, and a real tag answers within
its deadline. So here the reader drops answers that came in while it was not listening, and
waits for an answer at least `ANSWER_SECONDS`: a tag that is there answers in time, one that is
gone still times out, only later.
"""

from __future__ import annotations

import select

import nfc
import nfc.clf
import nfc.clf.udp

# How long the reader waits for an emulated tag's answer at least: far above a loaded
# machine's scheduling delays, short enough that a card taken away is noticed soon.
ANSWER_SECONDS = 0.5


class UdpLink(nfc.clf.udp.Device):
    """nfcpy's UDP device, listening as a reader does (see the module's docstring)."""

    def send_cmd_recv_rsp(self, target, data, timeout):
        self._forget_late_answers()
        if timeout and timeout > 0:
            timeout = max(timeout, ANSWER_SECONDS)
        return super().send_cmd_recv_rsp(target, data, timeout)

    def sense_tta(self, target):
        self._forget_late_answers()
        return super().sense_tta(target)

    def sense_ttb(self, target):
        self._forget_late_answers()
        return super().sense_ttb(target)

    def sense_ttf(self, target):
        self._forget_late_answers()
        return super().sense_ttf(target)

    def _forget_late_answers(self) -> None:
        while self.socket is not None and select.select([self.socket], [], [], 0)[0]:
            self.socket.recv(1024)


class Frontend(nfc.ContactlessFrontend):
    """`nfc.ContactlessFrontend` that opens `udp:` paths with `UdpLink`; other paths (USB and
    serial readers) as nfcpy does."""

    def open(self, path: str) -> bool:
        opened = super().open(path)
        if opened and type(self.device) is nfc.clf.udp.Device:
            self.device.__class__ = UdpLink  # the same socket and state, listening as a reader
        return opened
