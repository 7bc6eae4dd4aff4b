"""Widgets several screens share."""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING, cast

from rich.cells import cell_len
from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import HorizontalGroup
from textual.widgets import Footer, Static
from textual.widgets._footer import FooterKey

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


class KeyFooter(Footer):
    """Textual's footer, wrapped onto as many rows as the width needs, so that every action the
    screen offers now shows its key at 80 columns too. One entry per action: its keys joined
    ("↓/⏎ Next"). Textual's rules decide what is offered: keys an action's `check_action`
    turns off are hidden (dimmed when it answers None), and keys the focused field types
    (an answer's "?") are left out. An entry is clicked like a footer key."""

    DEFAULT_CSS = """
    KeyFooter {
        layout: vertical;
        height: auto;
        overflow: hidden hidden;
    }
    KeyFooter > HorizontalGroup {
        width: 1fr;
        height: 1;
    }
    """

    def __init__(self) -> None:
        super().__init__(compact=True, show_command_palette=False)
        self.packed_for = 0  # the width the rows were last packed for

    def _entries(self) -> list[FooterKey]:
        by_action: defaultdict[str, list[tuple[Binding, bool, str]]] = defaultdict(list)
        for _, binding, enabled, tooltip in self.screen.active_bindings.values():
            if binding.show:
                by_action[binding.action].append((binding, enabled, tooltip))
        entries = []
        for action, bindings in by_action.items():
            binding, enabled, tooltip = bindings[0]
            keys = "/".join(dict.fromkeys(self.app.get_key_display(b) for b, _, _ in bindings))
            entries.append(
                FooterKey(binding.key, keys, binding.description, action, not enabled, tooltip)
            )
        return entries

    def compose(self) -> ComposeResult:
        if not self._bindings_ready:
            return
        self.packed_for = width = self.size.width or self.screen.size.width
        entries = self._entries()
        rows = packed(entries, width)
        # As few rows as at full width, made as even as they go: the narrowest packing that
        # needs no more rows.
        while width > 1 and len(narrower := packed(entries, width - 1)) == len(rows):
            rows, width = narrower, width - 1
        for row in rows:
            with HorizontalGroup():
                for entry in row:
                    yield entry.data_bind(compact=Footer.compact)

    def on_resize(self, event: events.Resize) -> None:
        if self._bindings_ready and event.size.width != self.packed_for:
            self.call_after_refresh(self.recompose)


def packed(entries: list[FooterKey], width: int) -> list[list[FooterKey]]:
    """The entries in order, on as few rows of `width` cells as they fill one after another."""
    rows: list[list[FooterKey]] = [[]]
    used = 0
    for entry in entries:
        # compact: "key description", then a space (the last one on a row may be cut off)
        needs = cell_len(f"{entry.key_display} {entry.description}") + 1
        if rows[-1] and used + needs - 1 > width:
            rows.append([])
            used = 0
        rows[-1].append(entry)
        used += needs
    return rows


def console_of(node: DOMNode) -> Console:
    """The app, typed: screens reach the client, outbox and writer through it."""
    return cast("Console", node.app)
