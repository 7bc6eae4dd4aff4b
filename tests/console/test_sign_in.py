"""Signing in against the real API, a refused password, and a session that refreshes itself."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from console.client import Client
from console.screens.home import HomeScreen
from console.widgets import Status
from loyalty.models import Role
from tests.console.conftest import ConsoleFactory, make_staff
from tests.console.pilot import sign_in, until
from tests.factories import PASSWORD


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


async def test_an_expired_access_token_is_refreshed_before_use(server: str) -> None:
    await make_staff("sara", Role.OPERATOR)
    client = Client(server)
    try:
        await client.sign_in("sara", PASSWORD)
        assert client.tokens is not None
        first = client.tokens
        client.tokens = replace(first, access_expires_at=datetime(2000, 1, 1, tzinfo=UTC))
        stats = await client.my_stats()
        assert stats.calls == 0
        assert client.tokens.refresh != first.refresh
        assert client.tokens.access_expires_at > datetime.now(UTC)
    finally:
        await client.aclose()
