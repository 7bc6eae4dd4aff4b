"""Widgets several screens share."""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from textual.widgets import Static

if TYPE_CHECKING:
    from textual.dom import DOMNode

    from console.app import Console


class UnsentCount(Static):
    """How many confirmed results the server has not answered yet."""

    def on_mount(self) -> None:
        self.watch(self.app, "unsent", self._show)

    def _show(self, unsent: int) -> None:
        self.set_class(unsent > 0, "waiting")
        self.update(f"Unsent: {unsent}" if unsent else "All sent")


class Status(Static):
    """One line that says what the screen is doing: loading, an error, or nothing."""

    def loading(self, what: str) -> None:
        self.remove_class("error")
        self.update(f"{what}…")

    def error(self, message: str) -> None:
        self.add_class("error")
        self.update(message)

    def clear(self) -> None:
        self.remove_class("error")
        self.update("")


def console_of(node: DOMNode) -> Console:
    """The app, typed: screens reach the client, outbox and writer through it."""
    return cast("Console", node.app)
