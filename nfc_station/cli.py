"""`loyalty station ...` and `loyalty card-sim ...`: the station without a screen, one tap per
run, printing JSON (kiosks, POS integration, tests), and an emulated card to tap."""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import threading
from collections.abc import Callable
from typing import Any

DEFAULT_URL = "http://127.0.0.1:8000"
DEFAULT_QUEUE = "var/station.sqlite3"
NO_TAP = 2


def _api(args: argparse.Namespace, username: str | None = None, password_env: str = ""):
    from nfc_station.api import Api

    password = os.environ.get(password_env or "LOYALTY_STATION_PASSWORD", "")
    return Api(args.url, username or args.username, password, timeout=args.timeout)


def _station(args: argparse.Namespace):
    from nfc_station.station import Station
    from nfc_station.store import Store

    return Station(_api(args), Store(args.queue))


def _keeper(args: argparse.Namespace):
    """A manager's or cashier's credential, for blocking and replacing cards."""
    if not args.staff:
        print("block and replace need --staff USERNAME (a manager or cashier)", file=sys.stderr)
        raise SystemExit(2)
    return _api(args, args.staff, "LOYALTY_STAFF_PASSWORD")


def _print(args: argparse.Namespace, result: dict[str, Any]) -> int:
    if args.json:
        print(json.dumps(result, ensure_ascii=False))
    else:
        for key, value in result.items():
            print(f"{key}: {value}")
    return 0 if result.get("ok") else 1


def on_one_tap(device: str, handle: Callable[[Any], dict[str, Any]], wait: float):
    """Run the reader until one tag was handled (or `wait` seconds passed): its result."""
    from nfc_station.tags import Reader

    results: list[dict[str, Any]] = []
    done = threading.Event()

    def on_tap(tag) -> None:
        if not done.is_set():
            results.append(handle(tag))
            done.set()

    reader = Reader(device, on_tap).start()
    try:
        done.wait(wait)
    finally:
        reader.stop()
    return results[0] if results else None


def _by_tap(args: argparse.Namespace, operate: Callable[[Any, Any], dict[str, Any]]) -> int:
    station = _station(args)
    station.refresh_config()
    result = on_one_tap(args.device, lambda tag: operate(station, tag), args.wait)
    if result is None:
        result = {"ok": False, "code": "NO_TAP", "message": f"no card within {args.wait} s"}
        _print(args, result)
        return NO_TAP
    return _print(args, result)


def _read(tag):
    from nfc_station.tags import read

    return read(tag)


def _items(values: list[str]) -> list[dict[str, Any]]:
    """`SKU:RIALS[:QUANTITY]` each."""
    items = []
    for value in values:
        sku, amount, *rest = value.split(":")
        items.append({"sku": sku, "amount": int(amount), "quantity": int(rest[0]) if rest else 1})
    return items


def _enrol(args: argparse.Namespace) -> int:
    member = {"phone": args.phone}
    for field, value in (
        ("firstName", args.first_name),
        ("lastName", args.last_name),
        ("birthday", args.birthday),
    ):
        if value:
            member[field] = value
    return _by_tap(args, lambda station, tag: station.enrol(tag, member))


def _purchase(args: argparse.Namespace) -> int:
    return _by_tap(
        args,
        lambda station, tag: station.purchase(
            _read(tag),
            amount=args.amount,
            receipt_number=args.receipt,
            items=_items(args.item),
            paid_with_credit=args.credit,
        ),
    )


def _top_up(args: argparse.Namespace) -> int:
    return _by_tap(
        args,
        lambda station, tag: station.top_up(
            _read(tag), amount=args.amount, paid_by=args.paid.upper()
        ),
    )


def _pay(args: argparse.Namespace) -> int:
    purse = "POINTS" if args.points else "CREDIT"
    return _by_tap(
        args, lambda station, tag: station.pay(_read(tag), amount=args.amount, purse=purse)
    )


def _balance(args: argparse.Namespace) -> int:
    return _by_tap(args, lambda station, tag: station.balance(_read(tag)))


def _replace(args: argparse.Namespace) -> int:
    keeper = _keeper(args)
    return _by_tap(
        args, lambda station, tag: station.replace(tag, args.card_number, args.reason, keeper)
    )


def _block(args: argparse.Namespace) -> int:
    keeper = _keeper(args)
    if args.card_number:
        return _print(args, _station(args).block(args.card_number, args.reason, keeper))
    return _by_tap(args, lambda station, tag: station.block_tapped(_read(tag), args.reason, keeper))


def _sync(args: argparse.Namespace) -> int:
    station = _station(args)
    station.refresh_config()
    result = station.sync()
    return _print(args, {"ok": station.online is not False, **result})


def _screen(args: argparse.Namespace) -> int:
    from textual.logging import TextualHandler

    from nfc_station.screen import StationApp

    # Log lines written to the terminal would land in the middle of the screen.
    logging.basicConfig(level=logging.INFO, handlers=[TextualHandler(stderr=False)], force=True)
    station = _station(args)
    keeper = _api(args, args.staff, "LOYALTY_STAFF_PASSWORD") if args.staff else None
    StationApp(station, args.device, keeper=keeper).run()
    return 0


def _card_sim(args: argparse.Namespace) -> int:
    from nfc_station.cardsim import CardFile, CardSim

    try:
        card = CardFile(args.card, blank=args.blank, kind=args.type, model=args.model)
    except ValueError as error:
        print(f"card-sim: {error}", file=sys.stderr)
        return 2
    shown = {"uid": card.uid, "card": str(card.path), "type": card.kind, "model": card.model}
    print(json.dumps(shown), flush=True)
    sim = CardSim(args.device, card, tear_after=args.tear_after)
    try:
        sim.run()
    except KeyboardInterrupt:
        pass
    return 0


def add_commands(commands: argparse._SubParsersAction) -> None:
    from nfc_station.tt2card import MODELS

    station = commands.add_parser(
        "station",
        help="the NFC card station: one operation per tap, or the staff screen "
        "(password from LOYALTY_STATION_PASSWORD)",
    )
    station.add_argument("--device", default="usb", help="usb[:vid:pid], tty:..., udp:host:port")
    station.add_argument("--url", default=os.environ.get("LOYALTY_STATION_URL", DEFAULT_URL))
    station.add_argument("--username", default=os.environ.get("LOYALTY_STATION_USERNAME", ""))
    station.add_argument(
        "--staff",
        help="a manager or cashier for block and replace (password from LOYALTY_STAFF_PASSWORD)",
    )
    station.add_argument("--queue", default=DEFAULT_QUEUE, help="the offline queue's SQLite file")
    station.add_argument("--json", action="store_true", help="print the result as JSON")
    station.add_argument("--wait", type=float, default=30.0, help="seconds to wait for a tap")
    station.add_argument("--timeout", type=float, default=5.0, help="seconds for the server")
    modes = station.add_subparsers(dest="station_command", required=True)

    enrol = modes.add_parser("enrol", help="find or enrol a member, write a blank card, bind it")
    enrol.add_argument("--phone", required=True)
    enrol.add_argument("--first-name")
    enrol.add_argument("--last-name")
    enrol.add_argument("--birthday", help="YYYY-MM-DD (Gregorian)")
    enrol.set_defaults(run=_enrol)

    purchase = modes.add_parser("purchase", help="record a purchase by the card's member")
    purchase.add_argument("--amount", type=int, required=True, help="Rials")
    purchase.add_argument("--receipt", required=True, help="the receipt number")
    purchase.add_argument("--item", action="append", default=[], help="SKU:RIALS[:QUANTITY]")
    purchase.add_argument("--credit", type=int, default=0, help="Rials paid from credit")
    purchase.set_defaults(run=_purchase)

    top_up = modes.add_parser("topup", help="add credit paid for at the counter")
    top_up.add_argument("--amount", type=int, required=True, help="Rials")
    top_up.add_argument(
        "--paid", choices=("cash", "card"), required=True, help="how the member paid"
    )
    top_up.set_defaults(run=_top_up)

    pay = modes.add_parser("pay", help="pay with credit (or --points)")
    pay.add_argument("--amount", type=int, required=True, help="Rials, or points")
    pay.add_argument("--points", action="store_true")
    pay.set_defaults(run=_pay)

    modes.add_parser("balance", help="show balances and tier").set_defaults(run=_balance)

    block = modes.add_parser(
        "block", help="block the card tapped, or a lost one by --card-number (with --staff)"
    )
    block.add_argument("--card-number", help="a lost card's number; without it, tap the card")
    block.add_argument("--reason", required=True)
    block.set_defaults(run=_block)

    replace = modes.add_parser("replace", help="a blank card takes over a card (with --staff)")
    replace.add_argument("--card-number", required=True, help="the old card's number")
    replace.add_argument("--reason", required=True)
    replace.set_defaults(run=_replace)

    modes.add_parser("sync", help="send the offline queue now").set_defaults(run=_sync)
    modes.add_parser("screen", help="the staff screen").set_defaults(run=_screen)

    sim = commands.add_parser("card-sim", help="emulate a card over UDP (nfcpy), memory in a file")
    sim.add_argument("--device", required=True, help="udp:host:port")
    sim.add_argument("--card", default="var/card.json", help="the card's memory file")
    sim.add_argument("--blank", action="store_true", help="start from a blank card")
    sim.add_argument(
        "--type",
        type=int,
        choices=(2, 3, 4),
        help="the NFC Forum tag type: 2 NTAG/Ultralight, 3 FeliCa (a new card's default), "
        "4 ISO-DEP",
    )
    sim.add_argument(
        "--model",
        choices=tuple(MODELS),
        help="the Type 2 chip (default ntag215)",
    )
    sim.add_argument("--tear-after", type=int, help="pull the card away at the n-th block written")
    sim.set_defaults(run=_card_sim)
