"""The console application and its factory."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import date, datetime
from typing import Any, ClassVar

from tenacity import AsyncRetrying, retry_if_exception_type, wait_exponential
from textual import work
from textual.app import App
from textual.binding import Binding, BindingType
from textual.reactive import reactive
from textual.signal import Signal
from textual.widgets import HelpPanel

from console.client import AUTHENTICATION_FAILED, ApiError, Client, Unreachable
from console.outbox import Kind, Outbox, Unsent, deliver
from console.results import ClubSettings, Complaint
from console.screens.sign_in import SignInScreen
from console.settings import ConsoleSettings
from console.text import writer_for


def refused_by_server(exc: Exception) -> bool:
    """The server's typed answer ends an item's journey; an expired session does not."""
    return isinstance(exc, ApiError) and exc.code != AUTHENTICATION_FAILED


class Console(App[None]):
    """Operators sign in, claim calls, run the script, and record what happened."""

    TITLE = "Happy calls"
    CSS_PATH = "styles/console.tcss"
    ENABLE_COMMAND_PALETTE = False  # every action has its own key
    BINDINGS: ClassVar[list[BindingType]] = [
        # F1 too: "?" is a character while an answer is being typed.
        Binding("question_mark,f1", "toggle_keys", "Keys"),
        Binding("ctrl+q", "quit", "Quit", priority=True),
    ]

    unsent: reactive[int] = reactive(0)  # results kept here that the server has not answered

    def __init__(
        self,
        settings: ConsoleSettings,
        client: Client,
        outbox: Outbox,
        today: Callable[[], date] | None = None,
    ) -> None:
        super().__init__()
        self.settings = settings
        self.client = client
        self.outbox = outbox
        self.writer = writer_for(settings)
        self.today = today or (lambda: self.now().date())
        # (call id, complaint) once the server has taken a complaint raised on that call.
        self.complaint_taken: Signal[tuple[str, Complaint]] = Signal(self, "complaint_taken")

    def on_mount(self) -> None:
        self.push_screen(SignInScreen())

    def action_toggle_keys(self) -> None:
        """Every key of the screen, in Textual's panel beside it."""
        if self.screen.query(HelpPanel):
            self.action_hide_help_panel()
        else:
            self.action_show_help_panel()

    async def on_unmount(self) -> None:
        await self.client.aclose()

    @property
    def operator(self) -> str:
        assert self.client.staff is not None
        return self.client.staff.username

    def signed_in(self, club: ClubSettings) -> None:
        from console.screens.home import HomeScreen

        self.writer = writer_for(self.settings, club)
        self.switch_screen(HomeScreen())
        self.unsent = self.outbox.count(self.operator)  # left by an earlier session, maybe
        self.deliver_unsent()

    def keep(self, kind: Kind, payload: dict[str, Any]) -> str:
        """Confirm a result: it gets its idempotency key and is on disk before it is sent."""
        key = str(uuid.uuid4())
        self.outbox.put(Unsent(key, kind, self.operator, {**payload, "idempotencyKey": key}))
        self.unsent = self.outbox.count(self.operator)
        self.deliver_unsent()
        return key

    async def _send(self, item: Unsent) -> None:
        if item.kind is Kind.OUTCOME:
            await self.client.record_outcome(item.payload)
        else:
            complaint = await self.client.raise_complaint(item.payload)
            self.complaint_taken.publish((item.payload["callId"], complaint))

    @work(exclusive=True, group="outbox")
    async def deliver_unsent(self) -> None:
        """Send what is kept until the server has answered for all of it; a dropped network is
        waited out (growing pauses), and the same idempotency keys make the resends safe."""
        wait = wait_exponential(multiplier=0.2, max=self.settings.retry_max_seconds)
        try:
            async for attempt in AsyncRetrying(
                retry=retry_if_exception_type(Unreachable), wait=wait, reraise=True
            ):
                with attempt:
                    refusals = await deliver(
                        self.outbox, self.operator, self._send, refused_by_server
                    )
        except ApiError as error:  # the session ended: sending resumes after the next sign-in
            self.notify(f"Unsent results wait: {error.message}", severity="warning")
            return
        finally:
            self.unsent = self.outbox.count(self.operator)
        for refusal in refusals:
            self.notify(f"The server refused a {refusal.item.kind}: {refusal.reason}",
                        severity="error", timeout=10)  # fmt: skip

    def now(self) -> datetime:
        return datetime.now(self.writer.zone)


def make_console(
    settings: ConsoleSettings | None = None, today: Callable[[], date] | None = None
) -> Console:
    """The console for these settings (default: from the environment); `today` fixes the
    date the supervisor view starts from (tests)."""
    settings = settings or ConsoleSettings()
    client = Client(settings.server, timeout=settings.request_seconds, language=settings.language)
    outbox = Outbox(settings.unsent_path)
    return Console(settings, client, outbox, today)
