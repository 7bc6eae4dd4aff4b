"""Sign in with a staff username and password."""

from __future__ import annotations

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import Input, Label

from console.client import ApiError, Unreachable
from console.widgets import KeyFooter, Status, console_of


class SignInScreen(Screen[None]):
    CSS_PATH = "../styles/sign_in.tcss"

    def compose(self) -> ComposeResult:
        with Vertical(id="sign-in"):
            yield Label(f"Server: {console_of(self).settings.server}", id="server")
            yield Input(placeholder="Username", id="username")
            yield Input(placeholder="Password", password=True, id="password")
            yield Status(id="status")
        yield KeyFooter()

    @on(Input.Submitted, "#username")
    def next_field(self) -> None:
        self.query_one("#password", Input).focus()

    @on(Input.Submitted, "#password")
    def submit(self) -> None:
        self.sign_in(
            self.query_one("#username", Input).value, self.query_one("#password", Input).value
        )

    @work(exclusive=True)
    async def sign_in(self, username: str, password: str) -> None:
        status = self.query_one(Status)
        if not username or not password:
            status.error("Type your username and password.")
            return
        status.loading("Signing in")
        console = console_of(self)
        try:
            await console.client.sign_in(username, password)
            club = await console.client.club_settings()  # its calendar, time zone, money
        except (ApiError, Unreachable) as error:
            status.error(str(error))
            return
        console.signed_in(club)
