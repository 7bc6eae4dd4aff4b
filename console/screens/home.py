"""The operator's home: their numbers for today, and the key that claims the next call."""

from __future__ import annotations

import uuid
from typing import ClassVar

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import Static

from console.client import ApiError, Unreachable
from console.results import OperatorStats
from console.widgets import KeyFooter, Status, UnsentCount, console_of


def stats_text(stats: OperatorStats) -> str:
    satisfaction = (
        "-" if stats.average_satisfaction is None else f"{stats.average_satisfaction:.1f} / 10"
    )
    return (
        f"Calls today:          {stats.calls}\n"
        f"Completed:            {stats.completed}\n"
        f"Completion rate:      {stats.completion_rate:.0%}\n"
        f"Average satisfaction: {satisfaction}"
    )


class HomeScreen(Screen[None]):
    CSS_PATH = "../styles/home.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("n", "next_call", "Next call"),
        Binding("r", "refresh", "Refresh"),
        Binding("s", "supervise", "Supervisor"),
    ]

    def compose(self) -> ComposeResult:
        staff = console_of(self).client.staff
        assert staff is not None
        with Vertical(id="home"):
            yield Static(
                f"{console_of(self).writer.text(staff.display_name or staff.username)}"
                f" ({staff.role.lower()})",
                id="operator",
            )
            yield Static("", id="stats")
            yield UnsentCount(id="unsent")
            yield Status(id="status")
        yield KeyFooter()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "supervise":
            staff = console_of(self).client.staff
            return staff is not None and staff.supervises
        return True

    def on_mount(self) -> None:
        self.watch(self.app, "unsent", self._sent, init=False)

    def on_screen_resume(self) -> None:
        self.action_refresh()

    def _sent(self, unsent: int) -> None:
        if unsent == 0:  # what was just sent counts in today's numbers
            self.action_refresh()

    def action_refresh(self) -> None:
        self.load_stats()

    @work(exclusive=True, group="stats")
    async def load_stats(self) -> None:
        # The numbers say they are loading themselves: the status line belongs to the claim.
        numbers = self.query_one("#stats", Static)
        numbers.update("Loading your numbers…")
        try:
            stats = await console_of(self).client.my_stats()
        except (ApiError, Unreachable) as error:
            numbers.update(f"Your numbers: {error}")
            return
        numbers.update(stats_text(stats))

    def action_next_call(self) -> None:
        self.claim()

    @work(exclusive=True, group="claim")
    async def claim(self) -> None:
        from console.screens.call import CallScreen

        status = self.query_one(Status)
        status.loading("Claiming the next call")
        try:
            call = await console_of(self).client.claim_next(str(uuid.uuid4()))
        except (ApiError, Unreachable) as error:
            status.error(str(error))
            return
        if call is None:
            status.error("Nobody to call now.")
            return
        status.clear()
        self.app.push_screen(CallScreen(call))

    def action_supervise(self) -> None:
        from console.screens.supervisor import SupervisorScreen

        self.app.push_screen(SupervisorScreen())
