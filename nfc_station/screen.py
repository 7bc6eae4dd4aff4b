"""The staff screen of the station. For a purchase, top-up or payment: tap the card (its member
and balances are shown), enter the amount (and receipt, or how a top-up was paid), confirm.
Enrolling and replacing write the card, so their form comes first and the tap last. It shows
online/offline and the queue; the reader stays on its thread."""

from __future__ import annotations

from typing import Any, ClassVar

from textual import work
from textual.app import App, ComposeResult
from textual.containers import Vertical
from textual.widgets import Button, Footer, Input, Select, Static

from nfc_station.api import Api
from nfc_station.station import Station
from nfc_station.tags import CardOnReader, Reader, read

SYNC_SECONDS = 10.0
READER_SECONDS = 0.5
MODES = {
    "purchase": ("Purchase", ("amount", "receipt")),
    "topup": ("Top up credit", ("amount", "paid")),
    "pay": ("Pay with credit", ("amount",)),
    "points": ("Pay with points", ("amount",)),
    "balance": ("Balance", ()),
    "enrol": ("Enrol a card", ("phone", "first_name", "last_name", "birthday")),
    "block": ("Block a card", ("card_number", "reason")),
    "replace": ("Replace a card", ("card_number", "reason")),
}
FIELDS = {
    "amount": "Amount (Rials; points to pay with points)",
    "receipt": "Receipt number",
    "phone": "Phone (09…)",
    "first_name": "First name",
    "last_name": "Last name",
    "birthday": "Birthday YYYY-MM-DD",
    "card_number": "Card number (to block: or tap the card)",
    "reason": "Reason",
}

# Modes that write the card: the form first, then the tap. The others start with the tap.
WRITES_CARD = ("enrol", "replace")
# A tap the station could not check online may still be served offline.
SERVABLE = ("OFFLINE",)

# How a top-up was paid for at the counter, as topUpByCard names it.
PAYMENTS = [("Cash", "CASH"), ("Card", "CARD")]

# The enrol form's fields, as enrolMember names them.
MEMBER_FIELDS = {
    "phone": "phone",
    "first_name": "firstName",
    "last_name": "lastName",
    "birthday": "birthday",
}


def describe(result: dict[str, Any]) -> str:
    """The result for staff to tell the customer."""
    if not result.get("ok"):
        return f"Refused ({result.get('code')}): {result.get('message')}"
    lines = []
    member = result.get("member") or {}
    if member:
        lines.append(f"{member.get('firstName', '')} {member.get('lastName', '')}".strip())
        tier = ((member.get("tier") or {}).get("current") or {}).get("name")
        if tier:
            lines.append(f"Tier: {tier}")
    if "card" in result:
        lines.append(
            f"Card {result['card']}" + (f": {result['status']}" if "status" in result else "")
        )
    if "pointsEarned" in result:
        lines.append(f"Points earned: {result['pointsEarned']}")
    lines += [f"Unlocked: {offer}" for offer in result.get("unlocked") or []]
    balances = result.get("balances")
    if balances:
        lines.append(f"Points: {balances['points']}   Credit: {balances['credit']} Rials")
    if result.get("queued"):
        lines.append("Offline: accepted, sent when the server is back")
    return "\n".join(lines) or "Done"


class StationApp(App):
    CSS_PATH = "station.tcss"
    TITLE = "Loyalty station"
    BINDINGS: ClassVar = [
        ("ctrl+r", "ready", "Confirm / Ready"),
        ("ctrl+s", "sync", "Sync now"),
    ]

    def __init__(self, station: Station, device: str, *, keeper: Api | None = None) -> None:
        super().__init__()
        self.station, self.device, self.keeper = station, device, keeper
        # Enrol and replace: the mode and the form as they were when Ready was pressed.
        self.armed: tuple[str, dict[str, str]] | None = None
        # The other modes: the card last tapped, which Confirm serves.
        self.card: CardOnReader | None = None
        self.reader: Reader | None = None

    def compose(self) -> ComposeResult:
        yield Static(id="status")
        with Vertical(id="form"):
            yield Select(
                [(label, mode) for mode, (label, _) in MODES.items()],
                value="purchase",
                allow_blank=False,
                id="mode",
            )
            for name, placeholder in FIELDS.items():
                yield Input(placeholder=placeholder, id=name)
            yield Select(PAYMENTS, prompt="Paid in cash or by card?", id="paid")
            yield Button("Confirm", id="ready", variant="primary")
        yield Static(id="result")
        yield Footer()

    def on_mount(self) -> None:
        self.show_fields("purchase")
        self.reader = Reader(self.device, self.tapped).start()
        # The reader's state changes on its own thread: the status line looks at it often.
        self.set_interval(READER_SECONDS, self.refresh_status)
        self.set_interval(SYNC_SECONDS, self.action_sync)
        self.action_sync()

    def on_unmount(self) -> None:
        if self.reader is not None:
            self.reader.stop()

    # --- the form ------------------------------------------------------------------------------

    @property
    def mode(self) -> str:
        return str(self.query_one("#mode", Select).value)

    def show_fields(self, mode: str) -> None:
        wanted = MODES[mode][1]
        for name in FIELDS:
            self.query_one(f"#{name}", Input).set_class(name not in wanted, "hidden")
        self.query_one("#paid", Select).set_class("paid" not in wanted, "hidden")
        writes = mode in WRITES_CARD
        button = self.query_one("#ready", Button)
        button.label = "Ready: tap the card" if writes else "Confirm"
        button.set_class(mode == "balance", "hidden")
        self.armed = None
        if writes:
            self.show("Fill it in, press Ready, then tap the card.")
        elif self.card is None:
            self.show("Tap the card.")

    def on_select_changed(self, event: Select.Changed) -> None:
        if event.select.id == "mode":
            self.show_fields(str(event.value))

    def value(self, name: str) -> str:
        if name == "paid":
            paid = self.query_one("#paid", Select).value
            return "" if paid is Select.NULL else str(paid)
        return self.query_one(f"#{name}", Input).value.strip()

    def show(self, text: str) -> None:
        self.query_one("#result", Static).update(text)
        self.refresh_status()

    def refresh_status(self) -> None:
        status = self.query_one("#status", Static)
        state = {True: "online", False: "OFFLINE", None: "connecting"}[self.station.online]
        reader = self.reader.state if self.reader is not None else "no reader"
        status.update(f"{state} · queue: {self.station.store.queue_size()} · {reader}")
        reader_gone = self.reader is not None and not self.reader.connected.is_set()
        status.set_class(self.station.online is False or reader_gone, "offline")

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "ready":
            self.action_ready()

    def problem(self, mode: str) -> str | None:
        """What is missing before the mode can go ahead, or None."""
        wanted = MODES[mode][1]
        # A lost card cannot be tapped: it is blocked by its number.
        by_number = mode == "block" and self.value("card_number")
        if mode not in WRITES_CARD and not by_number and self.card is None:
            return "Tap the card first"
        if "amount" in wanted and not self.value("amount").isdigit():
            return "Enter the amount in whole numbers"
        if "receipt" in wanted and not self.value("receipt"):
            return "Enter the receipt number"
        if "paid" in wanted and not self.value("paid"):
            return "Choose how the member paid: cash or card"
        if mode in ("block", "replace") and self.keeper is None:
            return "Blocking and replacing cards needs a manager or cashier (--staff)"
        return None

    def action_ready(self) -> None:
        mode = self.mode
        if mode == "balance":
            return
        problem = self.problem(mode)
        if problem is not None:
            self.show(problem)
            return
        form = {name: self.value(name) for name in MODES[mode][1]}
        if mode in WRITES_CARD:
            self.armed = (mode, form)
            self.show(f"{MODES[mode][0]}: tap the card")
            return
        card, self.card = self.card, None
        self.clear_amounts()
        self.confirm(mode, form, card)

    def clear_amounts(self) -> None:
        """A confirmed operation's figures are not left for the next customer."""
        for name in ("amount", "receipt"):
            self.query_one(f"#{name}", Input).value = ""
        self.query_one("#paid", Select).clear()

    # --- work off the event loop -----------------------------------------------------------------

    @work(thread=True, exclusive=True, group="server")
    def confirm(self, mode: str, form: dict[str, str], card: CardOnReader | None) -> None:
        result = self.operate(mode, form, card)
        self.call_from_thread(self.show, describe(result))

    @work(thread=True, exclusive=True, group="server")
    def action_sync(self) -> None:
        self.station.refresh_config()
        self.station.sync()
        self.call_from_thread(self.refresh_status)

    def tapped(self, tag) -> None:
        """On the reader's thread, while the card is on the reader."""
        if self.armed is not None:
            (mode, form), self.armed = self.armed, None
            result = self.write(mode, form, tag)
            self.call_from_thread(self.show, describe(result))
            return
        card = read(tag)
        self.call_from_thread(self.show_tapped, card, self.station.balance(card))

    def show_tapped(self, card: CardOnReader, shown: dict[str, Any]) -> None:
        """The member and their balances, for staff to go on with the mode (or not)."""
        servable = shown.get("ok") or shown.get("code") in SERVABLE
        self.card = card if servable and self.mode != "balance" else None
        text = describe(shown)
        if self.card is not None:
            text += f"\n\n{MODES[self.mode][0]}: fill it in and confirm"
        self.show(text)

    def write(self, mode: str, form: dict[str, str], tag) -> dict[str, Any]:
        if mode == "enrol":
            return self.station.enrol(tag, {MEMBER_FIELDS[k]: v for k, v in form.items() if v})
        keeper: Api = self.keeper  # type: ignore[assignment]
        return self.station.replace(tag, form["card_number"], form["reason"], keeper)

    def operate(self, mode: str, form: dict[str, str], card: CardOnReader | None) -> dict[str, Any]:
        station = self.station
        match mode:
            case "block":
                keeper: Api = self.keeper  # type: ignore[assignment]
                if form["card_number"]:
                    return station.block(form["card_number"], form["reason"], keeper)
                return station.block_tapped(card, form["reason"], keeper)  # type: ignore[arg-type]
            case "purchase":
                return station.purchase(
                    card, amount=int(form["amount"]), receipt_number=form["receipt"]
                )
            case "topup":
                return station.top_up(card, amount=int(form["amount"]), paid_by=form["paid"])
        purse = "POINTS" if mode == "points" else "CREDIT"
        return station.pay(card, amount=int(form["amount"]), purse=purse)
