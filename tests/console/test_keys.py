"""Every action has its key shown in the footer, at 80x24 as at 132 columns (the footer wraps
onto more rows); "?" (or F1) lists all of them in the keys panel. Read from what the screen
draws, not from the bindings lists alone."""

from __future__ import annotations

from collections import defaultdict

import pytest
from textual.app import App
from textual.app import App as TextualApp
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import HelpPanel
from textual.widgets._footer import FooterKey

from console.screens.call import CallScreen
from console.screens.home import HomeScreen
from console.screens.modals import BranchScreen, CallBackScreen, ComplaintScreen, FollowUpScreen
from console.screens.sign_in import SignInScreen
from console.screens.supervisor import SupervisorScreen
from loyalty.models import Role
from tests.console.conftest import ConsoleFactory, make_staff
from tests.console.pilot import drawn, footer_lines, shown, sign_in, to_the_text_question, until
from tests.console.test_follow_ups import two_open_complaints

NARROW = (80, 24)
WIDE = (132, 36)
# Textual's own keys (Tab moves the focus...), not the console's actions.
TEXTUAL_OWN = {
    (binding.key, binding.action)
    for binding in Binding.make_bindings([*Screen.BINDINGS, *TextualApp.BINDINGS])
}


def actions(app: App) -> dict[str, list[str]]:
    """Each action the screen offers now (that has a description): the ways it may be written,
    key(s) then description."""
    keys: defaultdict[str, list[str]] = defaultdict(list)
    described: dict[str, str] = {}
    for node, binding, enabled, _ in app.screen.active_bindings.values():
        own = (binding.key, binding.action) in TEXTUAL_OWN
        if node not in (app, app.screen) or binding.system or not enabled or own:
            continue
        assert binding.description, f"{binding.key} on {app.screen!r} says nothing"
        keys[binding.action].append(app.get_key_display(binding))
        described[binding.action] = binding.description
    return {
        action: [
            f"{keys[action][0]} {description}",
            f"{'/'.join(dict.fromkeys(keys[action]))} {description}",
        ]
        for action, description in described.items()
    }


async def assert_every_action_is_shown(pilot, rows: int = 1) -> str:  # type: ignore[no-untyped-def]
    """Every action's key is in the footer, which spans the screen in at most `rows` rows;
    the footer's text, for more checks."""
    app = pilot.app
    lines = await footer_lines(pilot)
    assert 1 <= len(lines) <= rows, f"{app.screen!r} footer takes {len(lines)} rows: {lines}"
    assert all(len(line) == app.size.width for line in lines)
    footer = "\n".join(lines)
    offered = actions(app)
    assert offered, f"{app.screen!r} offers no keys"
    for action, ways in offered.items():
        assert any(way in footer for way in ways), (
            f"{action} ({ways[0]}) is not in the footer of {app.screen!r}:\n{footer}"
        )
    return footer


async def assert_the_keys_panel_lists_them(pilot, key: str = "question_mark") -> None:  # type: ignore[no-untyped-def]
    app = pilot.app
    offered = actions(app)
    await pilot.press(key)
    await until(pilot, lambda: bool(app.screen.query(HelpPanel)))
    await pilot.pause()
    panel = "\n".join(drawn(app, "BindingsTable"))  # all of it, scrolled into view or not
    for action, ways in offered.items():
        description = ways[0].split(" ", 1)[1]
        assert description in panel, f"{action} is not in the keys panel:\n{panel}"
    await pilot.press(key)
    await until(pilot, lambda: not app.screen.query(HelpPanel))


@pytest.mark.parametrize("size", [NARROW, WIDE], ids=["80x24", "132x36"])
async def test_every_screen_shows_every_key_in_its_footer(
    console_for: ConsoleFactory, size: tuple[int, int]
) -> None:
    await two_open_complaints(console_for().settings.server)
    await make_staff("boss", Role.SUPERVISOR, "Boss")
    app = console_for()
    async with app.run_test(size=size) as pilot:
        await until(pilot, lambda: isinstance(app.screen, SignInScreen) and app.focused is not None)
        await assert_every_action_is_shown(pilot)

        await sign_in(pilot, "boss")
        assert "s Supervisor" in await assert_every_action_is_shown(pilot)
        await assert_the_keys_panel_lists_them(pilot)

        await pilot.press("n")  # the call has open complaints: Follow up is offered too
        await until(pilot, lambda: isinstance(app.screen, CallScreen))
        await until(pilot, lambda: "Follow up" in shown(app, "FooterKey"))
        footer = await assert_every_action_is_shown(pilot, rows=2)
        for way in ["0-9 Answer", "y/n Yes/No", "! Complaint", "f Follow up", "c Done",
                    "x Opt out", "esc Release", "?/f1 Keys", "^q Quit"]:  # fmt: skip
            assert way in footer
        await assert_the_keys_panel_lists_them(pilot)
        for key, modal in [("exclamation_mark", ComplaintScreen), ("f", FollowUpScreen),
                           ("l", CallBackScreen)]:  # fmt: skip
            await pilot.press(key)
            await until(pilot, lambda modal=modal: isinstance(app.screen, modal))
            await pilot.pause()
            await assert_every_action_is_shown(pilot)
            await pilot.press("escape")
            await until(pilot, lambda: isinstance(app.screen, CallScreen))

        await pilot.press("escape")  # released
        await until(pilot, lambda: isinstance(app.screen, HomeScreen))
        await pilot.press("s")
        await until(pilot, lambda: isinstance(app.screen, SupervisorScreen))
        await until(pilot, lambda: "Queue:" in shown(app, "#live"))
        await assert_every_action_is_shown(pilot)
        await assert_the_keys_panel_lists_them(pilot)
        await pilot.press("b")
        await until(pilot, lambda: isinstance(app.screen, BranchScreen))
        await pilot.pause()
        await assert_every_action_is_shown(pilot)


async def test_a_typed_question_mark_is_text_and_f1_still_shows_the_keys(
    console_for: ConsoleFactory,
) -> None:
    await two_open_complaints(console_for().settings.server)
    app = console_for()
    async with app.run_test(size=NARROW) as pilot:
        answer = await to_the_text_question(pilot, "sara")
        # The keys that would type are not offered while the answer has them.
        footer = await footer_lines(pilot)
        assert footer[0].split() == ["esc", "Release", "^q", "Quit", "f1", "Keys"]
        await pilot.press("w", "h", "y", "question_mark")
        assert answer.value == "why?"
        assert not app.screen.query(HelpPanel)
        await assert_the_keys_panel_lists_them(pilot, "f1")


async def test_a_key_in_the_footer_is_clicked_like_a_key(console_for: ConsoleFactory) -> None:
    await make_staff("boss", Role.SUPERVISOR, "Boss")
    app = console_for()
    async with app.run_test(size=NARROW) as pilot:
        await sign_in(pilot, "boss")
        await footer_lines(pilot)
        supervise = next(k for k in app.screen.query(FooterKey) if k.action == "supervise")
        await pilot.click(supervise)
        await until(pilot, lambda: isinstance(app.screen, SupervisorScreen))
