"""Tap latency of the NFC station: from the card found on nfcpy's simulated reader to the
confirmed result, online (a local `loyalty serve`) and offline (the server down).

    .venv/bin/python bench/tap.py [--taps 1000]

Builds a throw-away SQLite club (a branch, a station, a member), starts `loyalty serve`, emulates
a Type 3 card over UDP (`nfc_station.cardsim`), enrols it through the station, then taps it
`--taps` times recording a purchase each: online, then with the server stopped (each purchase
goes to the offline queue). Each tap is timed from the reader's `on-connect` (the card found and
activated) to the station's answer: the NDEF read, the queue's write, and the API request online.
Prints p50, p95 and p99. Exit status 0 when p95 ≤ 100 ms online and ≤ 30 ms offline.
"""

from __future__ import annotations

import argparse
import asyncio
import socket
import statistics
import threading
import time
from collections.abc import Callable
from pathlib import Path

import harness
from harness import Run, Say

TARGET_ONLINE_MS, TARGET_OFFLINE_MS = 100, 30
STATION, PASSWORD = "bench.station", "bench-station-password"


async def seed(url: str) -> None:
    from tortoise import Tortoise

    from loyalty import db, staff
    from loyalty.actors import SYSTEM
    from loyalty.models import Role
    from loyalty.programme import policies

    await db.upgrade(url)
    await Tortoise.init(config=db.tortoise_config(url))
    try:
        branch = await staff.create_branch(SYSTEM, code="BENCH", name="Bench café")
        await staff.create_staff(
            SYSTEM, username=STATION, password=PASSWORD, role=Role.STATION, branch_id=branch.id
        )
        await policies.save(SYSTEM, "offline", {"purchases": True})
    finally:
        await Tortoise.close_connections()


def udp_device() -> str:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return f"udp:127.0.0.1:{s.getsockname()[1]}"


def percentiles(samples: list[float]) -> tuple[float, float, float]:
    cuts = statistics.quantiles(samples, n=100, method="inclusive")
    return cuts[49], cuts[94], cuts[98]


def time_taps(device: str, taps: int, operate: Callable) -> tuple[list[float], int]:
    """Tap the card `taps` times (it stays on the reader; each connect is a tap): the seconds
    each took, and how many reads failed (the tag did not answer in time: tapped again)."""
    from nfc_station.tags import Reader, read

    seconds: list[float] = []
    failures: list[dict] = []
    misreads = 0
    done = threading.Event()

    def on_tap(tag) -> None:
        nonlocal misreads
        if done.is_set():
            return
        card = read(tag)
        if card.record is None:
            misreads += 1
            return
        result = operate(card)
        seconds.append(time.perf_counter() - reader.found_at)
        if not result.get("ok"):
            failures.append(result)
        if len(seconds) >= taps:
            done.set()

    reader = Reader(device, on_tap, targets=("212F",), hold=False).start()
    try:
        if not done.wait(taps * 2 + 30):
            raise RuntimeError(f"only {len(seconds)} of {taps} taps were answered")
    finally:
        reader.stop()
    if failures:
        raise RuntimeError(f"{len(failures)} taps failed, the first: {failures[0]}")
    return seconds, misreads


async def bench(run: Run, say: Say, taps: int) -> int:
    from nfc_station.api import Api
    from nfc_station.cardsim import CardFile, CardSim
    from nfc_station.cli import on_one_tap
    from nfc_station.station import Station
    from nfc_station.store import Store

    url = f"sqlite://{run.logs / 'club.sqlite3'}"
    await seed(url)
    port = harness.free_port()
    server = harness.start_server(
        "loyalty", harness.serve_command(1, port), {"LOYALTY_DATABASE_URL": url}, port, run.logs
    )
    run.servers.append(server)
    await harness.wait_healthy(server)
    station = Station(Api(server.base, STATION, PASSWORD), Store(run.logs / "queue.sqlite3"))
    station.refresh_config()
    device = udp_device()
    sim = CardSim(device, CardFile(Path(run.logs) / "card.json", blank=True)).start()
    try:
        member = {"phone": "09120000001", "firstName": "Bench"}
        enrolled = await asyncio.to_thread(
            on_one_tap, device, lambda tag: station.enrol(tag, member), 30
        )
        if not (enrolled or {}).get("ok"):
            raise RuntimeError(f"the card was not enrolled: {enrolled}")
        receipts = iter(range(10**9))

        def purchase(card) -> dict:
            return station.purchase(card, amount=250_000, receipt_number=f"T{next(receipts)}")

        results = {}
        results["online"] = await asyncio.to_thread(time_taps, device, taps, purchase)
        server.stop()
        results["offline"] = await asyncio.to_thread(time_taps, device, taps, purchase)
    finally:
        sim.stop()
    say(f"{taps} taps each, one card on nfcpy's UDP reader, purchases (ms):")
    say(f"{'':8} {'p50':>7} {'p95':>7} {'p99':>7}   target p95")
    met = True
    for name, target in (("online", TARGET_ONLINE_MS), ("offline", TARGET_OFFLINE_MS)):
        seconds, misreads = results[name]
        p50, p95, p99 = (s * 1000 for s in percentiles(seconds))
        met &= p95 <= target
        say(f"{name:8} {p50:7.1f} {p95:7.1f} {p99:7.1f}   ≤ {target}   (misreads: {misreads})")
    say(f"offline queue left to sync: {station.store.queue_size()}")
    return 0 if met else 1


def parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--taps", type=int, default=1000, help="taps online, then offline")
    return parser.parse_args()


if __name__ == "__main__":
    args = parse()
    raise SystemExit(harness.main(lambda run, say: bench(run, say, args.taps)))
