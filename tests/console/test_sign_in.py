"""Signing in against the real API, a refused password, and a session that refreshes itself."""

from __future__ import annotations

from datetime import UTC, datetime

from console.screens.home import HomeScreen
from console.widgets import Status
from loyalty.models import Role
from tests.console.conftest import ConsoleFactory, make_staff
from tests.console.pilot import sign_in, until


async def test_an_operator_signs_in_and_a_wrong_password_is_told(
    console_for: ConsoleFactory,
) -> None:
    await make_staff("sara", Role.OPERATOR, "Sara")
    app = console_for()
    async with app.run_test(size=(100, 30)) as pilot:
        await until(pilot, lambda: app.focused is not None)
        app.screen.query_one("#username").value = "sara"  # type: ignore[attr-defined]
        app.screen.query_one("#password").value = "wrong"  # type: ignore[attr-defined]
        app.screen.query_one("#password").focus()
        await pilot.press("enter")
        status = app.screen.query_one(Status)
        await until(pilot, lambda: status.has_class("error"))
        assert "password" in str(status.render()).lower()
        await sign_in(pilot, "sara")
        assert isinstance(app.screen, HomeScreen)
        assert app.client.staff is not None and app.client.staff.role == "OPERATOR"


async def test_an_expired_access_token_is_refreshed_before_use(console_for: ConsoleFactory) -> None:
    await make_staff("sara", Role.OPERATOR)
    app = console_for()
    await app.client.sign_in("sara", "correct horse battery")
    assert app.client.tokens is not None
    first = app.client.tokens
    app.client.tokens = type(first)(first.access, datetime(2000, 1, 1, tzinfo=UTC), first.refresh)
    await app.client._refresh()
    assert app.client.tokens.refresh != first.refresh
    await app.client.aclose()
