"""The staff screen of the station: pick a mode, fill in the amount (or the member), press
Ready, tap the card. It shows online/offline and the queue; the reader stays on its thread."""

from __future__ import annotations

from typing import Any, ClassVar

from textual import work
from textual.app import App, ComposeResult
from textual.containers import Vertical
from textual.widgets import Button, Footer, Input, Select, Static

from nfc_station.api import Api
from nfc_station.station import Station
from nfc_station.tags import Reader, read

SYNC_SECONDS = 10.0
MODES = {
    "purchase": ("Purchase", ("amount", "receipt")),
    "topup": ("Top up credit", ("amount",)),
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
    "card_number": "Card number",
    "reason": "Reason",
}

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
    BINDINGS: ClassVar = [("ctrl+r", "ready", "Ready"), ("ctrl+s", "sync", "Sync now")]

    def __init__(self, station: Station, device: str, *, keeper: Api | None = None) -> None:
        super().__init__()
        self.station, self.device, self.keeper = station, device, keeper
        # The mode and the form as they were when Ready was pressed: the tap uses them.
        self.armed: tuple[str, dict[str, str]] | None = None
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
            yield Button("Ready: tap the card", id="ready", variant="primary")
        yield Static("Choose a mode, fill it in, press Ready.", id="result")
        yield Footer()

    def on_mount(self) -> None:
        self.show_fields("purchase")
        self.reader = Reader(self.device, self.tapped).start()
        self.set_interval(SYNC_SECONDS, self.action_sync)
        self.action_sync()

    def on_unmount(self) -> None:
        if self.reader is not None:
            self.reader.stop()

    # --- the form ------------------------------------------------------------------------------

    def show_fields(self, mode: str) -> None:
        wanted = MODES[mode][1]
        for name in FIELDS:
            self.query_one(f"#{name}", Input).set_class(name not in wanted, "hidden")

    def on_select_changed(self, event: Select.Changed) -> None:
        self.show_fields(str(event.value))

    def value(self, name: str) -> str:
        return self.query_one(f"#{name}", Input).value.strip()

    def show(self, text: str) -> None:
        self.query_one("#result", Static).update(text)
        self.refresh_status()

    def refresh_status(self) -> None:
        status = self.query_one("#status", Static)
        state = {True: "online", False: "OFFLINE", None: "connecting"}[self.station.online]
        status.update(f"{state} · queue: {self.station.store.queue_size()}")
        status.set_class(self.station.online is False, "offline")

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "ready":
            self.action_ready()

    def action_ready(self) -> None:
        mode = str(self.query_one("#mode", Select).value)
        if "amount" in MODES[mode][1] and not self.value("amount").isdigit():
            self.show("Enter the amount in whole numbers")
            return
        if mode in ("block", "replace") and self.keeper is None:
            self.show("Blocking and replacing cards needs a manager or cashier (--staff)")
            return
        form = {name: self.value(name) for name in MODES[mode][1]}
        if mode == "block":
            self.block(form["card_number"], form["reason"])
            return
        self.armed = (mode, form)
        self.show(f"{MODES[mode][0]}: tap the card")

    # --- work off the event loop -----------------------------------------------------------------

    @work(thread=True, exclusive=True, group="server")
    def block(self, number: str, reason: str) -> None:
        result = self.station.block(number, reason, self.keeper)  # type: ignore[arg-type]
        self.call_from_thread(self.show, describe(result))

    @work(thread=True, exclusive=True, group="server")
    def action_sync(self) -> None:
        self.station.refresh_config()
        self.station.sync()
        self.call_from_thread(self.refresh_status)

    def tapped(self, tag) -> None:
        """On the reader's thread, while the card is on the reader."""
        # A tap with nothing armed shows the card's balance.
        (mode, form), self.armed = self.armed or ("balance", {}), None
        result = self.operate(mode, form, tag)
        self.call_from_thread(self.show, describe(result))

    def operate(self, mode: str, form: dict[str, str], tag) -> dict[str, Any]:
        station = self.station
        match mode:
            case "purchase":
                return station.purchase(
                    read(tag), amount=int(form["amount"]), receipt_number=form["receipt"]
                )
            case "topup":
                return station.top_up(read(tag), amount=int(form["amount"]))
            case "pay" | "points":
                purse = "POINTS" if mode == "points" else "CREDIT"
                return station.pay(read(tag), amount=int(form["amount"]), purse=purse)
            case "enrol":
                return station.enrol(tag, {MEMBER_FIELDS[k]: v for k, v in form.items() if v})
            case "replace":
                keeper: Api = self.keeper  # type: ignore[assignment]
                return station.replace(tag, form["card_number"], form["reason"], keeper)
        return station.balance(read(tag))
