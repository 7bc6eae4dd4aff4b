"""Small dialogs: a complaint and its follow-ups, a time to call back, a branch to look at."""

from __future__ import annotations

import uuid
from datetime import datetime, time
from typing import ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Checkbox, Input, Label, OptionList, Static

from console.client import ApiError, Unreachable
from console.results import ALL_BRANCHES, Branch, CallingHours, Complaint
from console.widgets import KeyFooter, Status, console_of

CATEGORIES = ["PRODUCT", "SERVICE", "STAFF", "PRICE", "CLEANLINESS", "WAITING_TIME", "OTHER"]


class ComplaintScreen(ModalScreen[tuple[str, str] | None]):
    """A complaint from the current answer: a category (its number) and a note."""

    CSS_PATH = "../styles/modals.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "dismiss(None)", "Cancel")]

    def __init__(self, question: str) -> None:
        super().__init__()
        self.question = question
        self.category: str | None = None

    def compose(self) -> ComposeResult:
        writer = console_of(self).writer
        with Vertical(classes="dialog"):
            yield Label("Complaint", classes="title")
            yield Static(writer.paragraphs(self.question), id="question")
            yield Static(
                "\n".join(
                    f"{n}) {c.replace('_', ' ').lower()}" for n, c in enumerate(CATEGORIES, 1)
                ),
                id="categories",
            )
            yield Input(placeholder="Category number, then Enter", id="category", max_length=1)
            yield Input(placeholder="Note, then Enter", id="note")
            yield Status(id="status")
        yield KeyFooter()

    @on(Input.Submitted, "#category")
    def category_chosen(self, event: Input.Submitted) -> None:
        value = event.value.strip()
        if not (value.isdigit() and 1 <= int(value) <= len(CATEGORIES)):
            self.query_one(Status).error(f"A category is a number from 1 to {len(CATEGORIES)}.")
            return
        self.category = CATEGORIES[int(value) - 1]
        self.query_one(Status).clear()
        self.query_one("#note", Input).focus()

    @on(Input.Submitted, "#note")
    def note_written(self, event: Input.Submitted) -> None:
        if self.category is None:
            self.query_one("#category", Input).focus()
            return
        if not event.value.strip():
            self.query_one(Status).error("Write a note for whoever follows it up.")
            return
        self.dismiss((self.category, event.value.strip()))


class FollowUpScreen(ModalScreen[Complaint | None]):
    """A follow-up to one of the member's open complaints, closing it maybe. Sent at once, so
    the operator sees it on the card (or why it was not taken) while the member is on the line;
    sending the same follow-up again reuses its idempotency key."""

    CSS_PATH = "../styles/modals.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("f2", "toggle_close", "Close it"),
        Binding("escape", "dismiss(None)", "Cancel"),
    ]

    def __init__(self, complaints: list[Complaint]) -> None:
        super().__init__()
        self.complaints = complaints
        self.chosen: Complaint | None = None
        self.keys: dict[tuple[str, str, bool], str] = {}

    def compose(self) -> ComposeResult:
        writer = console_of(self).writer
        with Vertical(classes="dialog"):
            yield Label("Follow up a complaint", classes="title")
            yield OptionList(
                *(
                    f"{writer.moment(c.raised_at)}  {c.category}  {writer.text(c.note)}"
                    for c in self.complaints
                ),
                id="complaints",
            )
            yield Input(placeholder="What was done, then Enter", id="note")
            yield Checkbox("Close the complaint", id="close")
            yield Status(id="status")
        yield KeyFooter()

    @on(OptionList.OptionSelected)
    def complaint_chosen(self, event: OptionList.OptionSelected) -> None:
        self.chosen = self.complaints[event.option_index]
        self.query_one("#note", Input).focus()

    def action_toggle_close(self) -> None:
        self.query_one(Checkbox).toggle()

    @on(Input.Submitted, "#note")
    def note_written(self, event: Input.Submitted) -> None:
        if self.chosen is None:
            self.query_one(Status).error("Pick the complaint first (arrows, then Enter).")
            self.query_one(OptionList).focus()
            return
        if not event.value.strip():
            self.query_one(Status).error("Write what was done.")
            return
        close = self.query_one(Checkbox).value
        what = (self.chosen.id, event.value.strip(), close)
        key = self.keys.setdefault(what, str(uuid.uuid4()))
        self.send({"complaintId": what[0], "note": what[1], "close": close, "idempotencyKey": key})

    @work(exclusive=True)
    async def send(self, payload: dict[str, object]) -> None:
        status = self.query_one(Status)
        status.loading("Sending")
        try:
            complaint = await console_of(self).client.follow_up(payload)
        except (ApiError, Unreachable) as error:
            status.error(f"{error} (Enter sends it again)")
            return
        self.dismiss(complaint)


class CallBackScreen(ModalScreen[datetime | None]):
    """When the member asked to be called back: HH:MM today, or a day (the club's calendar)
    and a time."""

    CSS_PATH = "../styles/modals.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "dismiss(None)", "Cancel")]

    def __init__(self, hours: CallingHours) -> None:
        super().__init__()
        self.hours = hours

    def compose(self) -> ComposeResult:
        calendar = console_of(self).writer.calendar
        with Vertical(classes="dialog"):
            yield Label(f"Call back at (calling hours {self.hours})", classes="title")
            yield Input(placeholder=f"HH:MM, or YYYY/MM/DD HH:MM ({calendar})", id="when")
            yield Status(id="status")
        yield KeyFooter()

    @on(Input.Submitted, "#when")
    def chosen(self, event: Input.Submitted) -> None:
        console = console_of(self)
        try:
            *day_part, time_part = event.value.split()
            hour, minute = (int(part) for part in time_part.split(":"))
            day = console.writer.parse_day(day_part[0]) if day_part else console.now().date()
            at = datetime.combine(day, time(hour, minute), tzinfo=console.writer.zone)
        except ValueError:
            self.query_one(Status).error("Write a time as 18:30, or a day and a time.")
            return
        if at <= console.now():
            self.query_one(Status).error("That time has passed.")
            return
        if at.time() not in self.hours:
            self.query_one(Status).error(
                f"We call between {self.hours}: ask the member for a time inside them."
            )
            return
        self.dismiss(at)


class BranchScreen(ModalScreen[Branch | None]):
    """Which branch the supervisor looks at, or all of them (Escape keeps the current one)."""

    CSS_PATH = "../styles/modals.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "dismiss(None)", "Cancel")]

    def __init__(self, branches: list[Branch], current: Branch) -> None:
        super().__init__()
        self.branches = [ALL_BRANCHES, *branches]
        self.current = current

    def compose(self) -> ComposeResult:
        text = console_of(self).writer.text
        with Vertical(classes="dialog"):
            yield Label("Branch", classes="title")
            yield OptionList(*(text(b.name) for b in self.branches), id="branches")
        yield KeyFooter()

    def on_mount(self) -> None:
        self.query_one(OptionList).highlighted = self.branches.index(self.current)

    @on(OptionList.OptionSelected)
    def chosen(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(self.branches[event.option_index])
