"""Driving a console with Pilot: typing, and waiting for its workers."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TYPE_CHECKING

from textual.app import App
from textual.pilot import Pilot

if TYPE_CHECKING:
    from textual.widgets import Input

from console.widgets import Status
from tests.factories import PASSWORD

WAIT_SECONDS = 30  # a loaded machine (CI) is slow; a working one takes well under a second


async def until(pilot: Pilot, condition: Callable[[], bool]) -> None:
    """Let the app run until the condition holds (its workers talk to a real server)."""
    try:
        async with asyncio.timeout(WAIT_SECONDS):
            while not condition():
                await pilot.pause(0.02)
    except TimeoutError:
        app = pilot.app
        told = [n.message for n in app._notifications]
        status = [str(line.content) for line in app.screen.query(Status)]
        raise AssertionError(
            f"still waiting on {app.screen!r}; status: {status}; notifications: {told}"
        ) from None


async def type_text(pilot: Pilot, text: str) -> None:
    await pilot.press(*("space" if c == " " else c for c in text))


async def sign_in(pilot: Pilot, username: str, password: str = PASSWORD) -> None:
    from console.screens.home import HomeScreen

    await until(pilot, lambda: pilot.app.focused is not None)
    pilot.app.screen.query_one("#username").value = username  # type: ignore[attr-defined]
    pilot.app.screen.query_one("#password").value = password  # type: ignore[attr-defined]
    pilot.app.screen.query_one("#password").focus()
    await pilot.press("enter")
    await until(pilot, lambda: isinstance(pilot.app.screen, HomeScreen))


async def to_the_text_question(pilot: Pilot, username: str) -> Input:
    """Sign in, claim the club's call (tests.console.club's script) and answer on to its text
    question: the answer field, focused."""
    from textual.widgets import Input

    from console.screens.call import CallScreen

    await sign_in(pilot, username)
    await pilot.press("n")
    await until(pilot, lambda: isinstance(pilot.app.screen, CallScreen))
    await until(pilot, lambda: "▶" in shown(pilot.app, "#questions"))
    await pilot.press("8", "enter", "y", "enter", "3", "enter")
    answer = pilot.app.screen.query_one("#answer-text", Input)
    await until(pilot, lambda: answer.has_focus)
    return answer


async def screenshot(pilot: Pilot) -> str:
    """The screen as SVG once it is still (blinking cursors held on, animations over)."""
    from textual.widgets import Input

    for field in pilot.app.screen.query(Input):
        field.cursor_blink = False
    await pilot.pause()
    await pilot.wait_for_scheduled_animations()
    await pilot.pause()
    return pilot.app.export_screenshot()


def shown(app: App, selector: str) -> str:
    """What the widgets a selector names show (in logical order); nothing while the screen is
    being put together (a pushed screen is current before its widgets are in)."""
    from textual.widgets import Static

    return "".join(
        str(widget.content if isinstance(widget, Static) else widget.render())
        for widget in app.screen.query(selector)
    )


def drawn(app: App, selector: str) -> list[str]:
    """The lines a widget draws on the screen, as the terminal shows them."""
    widget = app.screen.query_one(selector)
    strips = widget.render_lines(widget.content_region.reset_offset)
    return [strip.text.rstrip() for strip in strips]


def screen_lines(app: App) -> list[str]:
    """Every line of the screen as the terminal shows it."""
    return [strip.text for strip in app.screen._compositor.render_strips()]


async def footer_lines(pilot: Pilot) -> list[str]:
    """The footer's rows as the terminal shows them, once the screen has been laid out (a
    pushed screen is current before it is) and the footer has packed its keys for its width."""
    from console.widgets import KeyFooter

    def laid_out() -> bool:
        footers = pilot.app.screen.query(KeyFooter)
        if not footers or not footers.first().query("FooterKey"):
            return False
        footer = footers.first()
        return footer.size.width == footer.packed_for and footer.region.bottom <= len(
            screen_lines(pilot.app)
        )

    await until(pilot, laid_out)
    await pilot.pause()
    region = pilot.app.screen.query_one(KeyFooter).region
    return screen_lines(pilot.app)[region.y : region.bottom]
