"""Widgets several screens share."""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING, cast

from rich.text import Text
from textual.binding import Binding
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


class KeyHints(Static):
    """The screen's keys that the footer has no room for (its own bindings hidden from the
    footer that have a description), shown beside what they act on; they follow the bindings
    as the screen enables and disables them."""

    def on_mount(self) -> None:
        self.screen.bindings_updated_signal.subscribe(self, lambda _: self._show())
        self._show()

    def on_unmount(self) -> None:
        self.screen.bindings_updated_signal.unsubscribe(self)

    def _show(self) -> None:
        keys: defaultdict[str, list[str]] = defaultdict(list)
        described: dict[str, str] = {}
        own = {b.action for b in Binding.make_bindings(type(self.screen).BINDINGS)}
        for node, binding, enabled, _ in self.screen.active_bindings.values():
            if node is not self.screen or binding.action not in own or not enabled:
                continue
            if binding.show or binding.system:
                continue
            if binding.description:
                keys[binding.action].append(self.app.get_key_display(binding))
                described[binding.action] = binding.description
        hints = Text()
        for action, description in described.items():
            hints.append(" " if hints else "")
            hints.append("/".join(dict.fromkeys(keys[action])), style="bold")
            hints.append(f" {description}")
        self.update(hints)


def console_of(node: DOMNode) -> Console:
    """The app, typed: screens reach the client, outbox and writer through it."""
    return cast("Console", node.app)
