"""Supervisors and managers: the live queue, calls per operator, and survey results per branch
and question over a range of days, as terminal charts; CSV export."""

from __future__ import annotations

import csv
from datetime import timedelta
from pathlib import Path
from typing import ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import DataTable, Input, Static
from textual_plotext import PlotextPlot

from console.client import ApiError, Unreachable
from console.results import ALL_BRANCHES, Supervision
from console.screens.modals import BranchScreen
from console.text import Writer
from console.widgets import KeyFooter, Status, console_of

LIVE_SECONDS = 15  # how often the queue figures refresh on their own
DEFAULT_DAYS = 7


def export_name(supervision: Supervision, writer: Writer) -> str:
    """The branch (its code) and the days (the club's calendar), e.g.
    happy-calls-TJR-1405-09-09-1405-09-15.csv."""
    first, last = (
        writer.day(d).replace("/", "-") for d in (supervision.first_day, supervision.last_day)
    )
    return f"happy-calls-{supervision.branch.code}-{first}-{last}.csv"


def export_csv(supervision: Supervision, folder: Path, writer: Writer) -> Path:
    """Both tables in one file, named by the branch and the range of days."""
    path = folder / export_name(supervision, writer)
    with path.open("w", newline="", encoding="utf-8") as out:
        rows = csv.writer(out)
        rows.writerow(["operator", "calls", "completed", "average satisfaction"])
        for o in supervision.operators:
            rows.writerow([o.name, o.calls, o.completed, o.average_satisfaction])
        rows.writerow([])
        rows.writerow(["branch", "question", "text", "answers", "average"])
        for q in supervision.questions:
            rows.writerow([q.branch, q.question, q.text, q.answers, q.average])
    return path


class SupervisorScreen(Screen[None]):
    CSS_PATH = "../styles/supervisor.tcss"
    AUTO_FOCUS = ""  # the keys are the screen's; Tab reaches the days
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("r", "refresh", "Refresh"),
        Binding("b", "choose_branch", "Branch"),
        Binding("e", "export", "Export CSV"),
        Binding("escape", "app.pop_screen", "Back"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.supervision: Supervision | None = None
        self.branch = ALL_BRANCHES

    def compose(self) -> ComposeResult:
        writer = console_of(self).writer
        last = console_of(self).today()
        with Horizontal(id="range"):
            yield Input(writer.day(last - timedelta(days=DEFAULT_DAYS - 1)), id="first-day")
            yield Input(writer.day(last), id="last-day")
        yield Static(id="live")
        with Horizontal(id="charts"):
            yield PlotextPlot(id="per-operator")
            yield PlotextPlot(id="per-question")
        with Vertical(id="tables"):
            yield DataTable(id="questions", cursor_type="row")
        yield Status(id="status")
        yield KeyFooter()

    def on_mount(self) -> None:
        self.query_one("#questions", DataTable).add_columns(
            "Branch", "Question", "Answers", "Average"
        )
        self.action_refresh()
        self.set_interval(LIVE_SECONDS, self.action_refresh)

    @on(Input.Submitted)
    def range_changed(self) -> None:
        self.set_focus(None)
        self.action_refresh()

    def action_refresh(self) -> None:
        self.load()

    @work(exclusive=True)
    async def load(self) -> None:
        console = console_of(self)
        status = self.query_one(Status)
        try:
            first = console.writer.parse_day(self.query_one("#first-day", Input).value)
            last = console.writer.parse_day(self.query_one("#last-day", Input).value)
        except ValueError:
            status.error("Write days as YYYY/MM/DD.")
            return
        status.loading("Loading")
        try:
            self.supervision = await console.client.supervision(first, last, self.branch)
        except (ApiError, Unreachable) as error:
            status.error(str(error))
            return
        status.clear()
        self.show(self.supervision)

    def show(self, supervision: Supervision) -> None:
        text = console_of(self).writer.text
        self.query_one("#live", Static).update(
            f"{text(supervision.branch.name)}   Queue: {supervision.queue_size}"
            f"   On calls now: {supervision.claimed_now}   Overdue: {supervision.overdue}"
        )
        operators = self.query_one("#per-operator", PlotextPlot)
        operators.plt.clear_data()
        operators.plt.title("Calls per operator")
        if supervision.operators:
            operators.plt.bar([text(o.name) for o in supervision.operators],
                              [o.calls for o in supervision.operators])  # fmt: skip
        operators.refresh()
        questions = self.query_one("#per-question", PlotextPlot)
        questions.plt.clear_data()
        questions.plt.title("Average answer (0-10)")
        answered = [q for q in supervision.questions if q.average is not None]
        if answered:
            questions.plt.bar([f"{text(q.branch)}:{q.question}" for q in answered],
                              [q.average or 0 for q in answered])  # fmt: skip
        questions.refresh()
        table = self.query_one("#questions", DataTable)
        table.clear()
        for q in supervision.questions:
            average = "-" if q.average is None else f"{q.average:.1f}"
            table.add_row(text(q.branch), text(q.text), q.answers, average)

    @work(exclusive=True, group="branches")
    async def action_choose_branch(self) -> None:
        status = self.query_one(Status)
        status.loading("Loading branches")
        try:
            branches = await console_of(self).client.branches()
        except (ApiError, Unreachable) as error:
            status.error(str(error))
            return
        status.clear()
        chosen = await self.app.push_screen_wait(BranchScreen(branches, self.branch))
        if chosen is not None and chosen != self.branch:
            self.branch = chosen
            self.action_refresh()

    def action_export(self) -> None:
        if self.supervision is None:
            self.query_one(Status).error("Nothing loaded yet.")
            return
        console = console_of(self)
        path = export_csv(self.supervision, console.settings.export_dir, console.writer)
        self.notify(f"Saved {path}")
