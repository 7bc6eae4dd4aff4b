"""Operators' work through the console against the real API: claim, script, outcomes,
complaints; two operators never share a call; a dropped connection loses nothing."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from textual.widgets import Input

from console.client import Client
from console.screens.call import CallScreen
from console.screens.home import HomeScreen
from loyalty.models import Complaint, HappyCall, HappyCallAttempt, Role
from tests.console.club import buyer, open_club
from tests.console.conftest import TODAY, ConsoleFactory, Proxy, make_staff
from tests.console.pilot import shown, sign_in, type_text, until
from tests.factories import PASSWORD


async def claim(pilot) -> CallScreen:  # type: ignore[no-untyped-def]
    """Press the key for the next call; back when the script is on screen."""
    await pilot.press("n")
    await until(pilot, lambda: isinstance(pilot.app.screen, CallScreen))
    await until(pilot, lambda: "▶" in shown(pilot.app, "#questions"))
    assert isinstance(pilot.app.screen, CallScreen)
    return pilot.app.screen


async def sara_claims(pilot) -> CallScreen:  # type: ignore[no-untyped-def]
    await sign_in(pilot, "sara")
    return await claim(pilot)


async def back_home_and_sent(pilot) -> None:  # type: ignore[no-untyped-def]
    await until(pilot, lambda: isinstance(pilot.app.screen, HomeScreen) and pilot.app.unsent == 0)
    await pilot.app.workers.wait_for_complete()


@pytest.fixture
async def a_call_waits(orm: str) -> None:
    """Sara, an operator, and one member's first purchase queued for a call."""
    await buyer(await open_club())
    await make_staff("sara", Role.OPERATOR, "Sara")


async def test_an_operator_claims_answers_the_script_and_completes_the_call(
    console_for: ConsoleFactory, a_call_waits: None
) -> None:
    app = console_for()
    async with app.run_test(size=(140, 45)) as pilot:
        call = await sara_claims(pilot)
        card = shown(pilot.app, "#card-text")
        assert "Sara Ahmadi" in card and "Latte ×1" in card and "Tajrish" in card
        await pilot.press("c")  # nothing answered yet: refused on the spot
        assert "Answer first" in str(call.query_one("#status").render())
        await pilot.press("1", "0", "enter")  # rating 10
        await pilot.press("n", "enter")  # yes/no: no
        await pilot.press("4", "enter")  # choice: excellent
        await type_text(pilot, "great cake")
        await pilot.press("enter")
        await pilot.press("c")
        await back_home_and_sent(pilot)
        await until(pilot, lambda: "Calls today:          1" in str(
            app.screen.query_one("#stats").render()))  # fmt: skip
    done = await HappyCall.get()
    assert (done.status, done.outcome) == ("done", "completed")
    attempt = await HappyCallAttempt.get().prefetch_related("response__answers")
    answers = {a.question: a for a in attempt.response.answers}
    assert set(answers) == {"nps", "again", "staff", "note"}


@pytest.mark.parametrize(
    ("key", "outcome"),
    [("a", "NO_ANSWER"), ("b", "BUSY"), ("w", "WRONG_NUMBER"), ("x", "DO_NOT_CALL"),
     ("l", "CALL_BACK")],
)  # fmt: skip
async def test_each_outcome_is_recorded_by_its_key(
    console_for: ConsoleFactory, key: str, outcome: str, a_call_waits: None
) -> None:
    app = console_for()
    async with app.run_test(size=(140, 45)) as pilot:
        await sara_claims(pilot)
        await pilot.press(key)
        if outcome == "CALL_BACK":
            await type_text(pilot, f"{app.now().date() + timedelta(days=1)} 10:30")
            await pilot.press("enter")
        await back_home_and_sent(pilot)
    attempt = await HappyCallAttempt.get()
    assert attempt.outcome == outcome.lower()
    if outcome == "CALL_BACK":
        assert attempt.call_back_at is not None
        assert attempt.call_back_at.astimezone(app.writer.zone).hour == 10


async def test_a_call_back_outside_calling_hours_is_refused_on_the_spot(
    console_for: ConsoleFactory, a_call_waits: None
) -> None:
    from console.screens.modals import CallBackScreen

    app = console_for()
    tomorrow = app.now().date() + timedelta(days=1)
    async with app.run_test(size=(140, 45)) as pilot:
        call = await sara_claims(pilot)
        await pilot.press("l")
        await until(pilot, lambda: isinstance(app.screen, CallBackScreen))
        assert "calling hours 09:00-21:00" in shown(app, ".title")
        await type_text(pilot, f"{tomorrow} 22:30")
        await pilot.press("enter")
        assert "We call between 09:00-21:00" in shown(app, "#status")
        assert isinstance(app.screen, CallBackScreen) and app.outbox.count() == 0
        app.screen.query_one("#when", Input).value = ""
        await type_text(pilot, f"{tomorrow} 20:30")
        await pilot.press("enter")
        await until(pilot, lambda: app.screen is not call)
        await back_home_and_sent(pilot)
    attempt = await HappyCallAttempt.get()
    assert attempt.call_back_at is not None
    assert attempt.call_back_at.astimezone(app.writer.zone).hour == 20


async def test_one_key_turns_the_current_answer_into_a_complaint(
    console_for: ConsoleFactory, a_call_waits: None
) -> None:
    app = console_for()
    async with app.run_test(size=(140, 45)) as pilot:
        call = await sara_claims(pilot)
        await pilot.press("enter", "enter")  # to the staff question
        await pilot.press("1")
        await pilot.press("exclamation_mark")
        await type_text(pilot, "3")
        await pilot.press("enter")
        await type_text(pilot, "the cashier shouted")
        await pilot.press("enter")
        assert app.screen is call
        await until(pilot, lambda: app.unsent == 0)
        await app.workers.wait_for_complete()
        # On the card at once, open, and the follow-up key is offered for it.
        await until(pilot, lambda: "STAFF OPEN  the cashier shouted" in shown(app, "#card-text"))
        await until(pilot, lambda: "f Follow up" in shown(app, "FooterKey"))
    complaint = await Complaint.get()
    assert (complaint.category, complaint.question, complaint.note) == (
        "staff",
        "staff",
        "the cashier shouted",
    )


async def test_nobody_to_call_is_said_and_a_call_given_back_returns_to_the_queue(
    console_for: ConsoleFactory,
) -> None:
    await make_staff("sara", Role.OPERATOR)
    app = console_for()
    async with app.run_test(size=(140, 45)) as pilot:
        await sign_in(pilot, "sara")
        await pilot.press("n")
        await until(
            pilot, lambda: "Nobody to call" in str(app.screen.query_one("#status").render())
        )
        club = await open_club()
        await buyer(club)
        await claim(pilot)
        assert (await HappyCall.get()).status == "claimed"
        await pilot.press("escape")
        await until(pilot, lambda: isinstance(app.screen, HomeScreen))
    assert (await HappyCall.get()).status == "queued"


async def test_two_consoles_claiming_at_once_never_get_the_same_call(server: str) -> None:
    club = await open_club()
    for _ in range(6):
        await buyer(club)
    for n in range(6):
        await make_staff(f"op{n}", Role.OPERATOR)
    clients = [Client(server) for _ in range(6)]
    try:
        await asyncio.gather(*(c.sign_in(f"op{n}", PASSWORD) for n, c in enumerate(clients)))
        calls = await asyncio.gather(*(c.claim_next(f"claim-{n}") for n, c in enumerate(clients)))
    finally:
        await asyncio.gather(*(c.aclose() for c in clients))
    assert all(calls)
    assert len({c.id for c in calls if c}) == 6
    assert len({c.card.member_id for c in calls if c}) == 6


async def test_a_dropped_connection_mid_call_loses_nothing_and_sends_once(
    console_for: ConsoleFactory, proxy: Proxy, a_call_waits: None
) -> None:
    app = console_for(server=f"http://127.0.0.1:{proxy.port}")
    async with app.run_test(size=(140, 45)) as pilot:
        await sara_claims(pilot)
        await pilot.press("9", "enter", "y", "enter", "2")
        await proxy.cut()
        await pilot.press("c")
        await until(pilot, lambda: isinstance(app.screen, HomeScreen))
        await pilot.pause(0.5)  # a few resends fail meanwhile
        assert app.unsent == 1
        assert "Unsent: 1" in str(app.screen.query_one("#unsent").render())
        assert (await HappyCall.get()).status == "claimed"
        await proxy.restore()
        await until(pilot, lambda: app.unsent == 0)
        await app.workers.wait_for_complete()
    assert await HappyCallAttempt.all().count() == 1
    assert (await HappyCall.get()).outcome == "completed"


async def test_a_complaint_kept_offline_reaches_the_card_once_the_server_takes_it(
    console_for: ConsoleFactory, proxy: Proxy, a_call_waits: None
) -> None:
    app = console_for(server=f"http://127.0.0.1:{proxy.port}")
    async with app.run_test(size=(140, 45)) as pilot:
        call = await sara_claims(pilot)
        await proxy.cut()
        await pilot.press("exclamation_mark")
        await type_text(pilot, "7")
        await pilot.press("enter")
        await type_text(pilot, "long wait")
        await pilot.press("enter")
        await until(pilot, lambda: app.screen is call)
        await pilot.pause(0.5)  # a few resends fail meanwhile
        assert app.unsent == 1
        assert "long wait" not in shown(app, "#card-text")
        await proxy.restore()
        await until(pilot, lambda: "OTHER OPEN  long wait" in shown(app, "#card-text"))
        assert app.unsent == 0
    assert await Complaint.all().count() == 1


async def test_a_restarted_console_sends_what_was_left(
    console_for: ConsoleFactory, proxy: Proxy, a_call_waits: None
) -> None:
    through_proxy = f"http://127.0.0.1:{proxy.port}"
    first = console_for(server=through_proxy)
    async with first.run_test(size=(140, 45)) as pilot:
        await sara_claims(pilot)
        await proxy.cut()
        await pilot.press("a")
        await until(pilot, lambda: isinstance(first.screen, HomeScreen))
        assert first.unsent == 1
    await proxy.restore()
    again = console_for(server=through_proxy)
    assert again.outbox.count() == 1
    async with again.run_test(size=(140, 45)) as pilot:
        await sign_in(pilot, "sara")
        await until(pilot, lambda: again.unsent == 0)
        await again.workers.wait_for_complete()
    assert [a.outcome for a in await HappyCallAttempt.all()] == ["no_answer"]


async def test_a_resend_with_the_same_key_records_once(server: str, a_call_waits: None) -> None:
    client = Client(server)
    try:
        await client.sign_in("sara", PASSWORD)
        call = await client.claim_next("claim")
        assert call is not None
        outcome = {"callId": call.id, "outcome": "BUSY", "idempotencyKey": "k-1"}
        await client.record_outcome(outcome)
        await client.record_outcome(outcome)
    finally:
        await client.aclose()
    assert await HappyCallAttempt.all().count() == 1


async def test_supervisor_charts_render_and_export_to_csv(console_for: ConsoleFactory) -> None:
    from textual_plotext import PlotextPlot

    club = await open_club()
    await buyer(club)
    await buyer(club)
    await make_staff("sara", Role.OPERATOR, "Sara")
    operator = Client(console_for().settings.server)
    await operator.sign_in("sara", PASSWORD)
    call = await operator.claim_next("c1")
    assert call is not None
    await operator.record_outcome(
        {
            "callId": call.id,
            "outcome": "COMPLETED",
            "idempotencyKey": "done-1",
            "answers": [
                {"question": "nps", "rating": 8},
                {"question": "again", "yes": True},
                {"question": "staff", "choice": 3},
            ],
        }
    )
    await operator.aclose()
    await make_staff("boss", Role.SUPERVISOR)
    app = console_for(name="boss")
    async with app.run_test(size=(140, 45)) as pilot:
        await sign_in(pilot, "boss")
        await pilot.press("s")
        await until(pilot, lambda: "Queue: 1" in str(app.screen.query_one("#live").render()))
        plot = app.screen.query_one("#per-operator", PlotextPlot)
        assert "Calls per operator" in plot.plt.build()
        await pilot.press("e")
        await pilot.pause()
    first_day = TODAY - timedelta(days=6)
    exported = app.settings.export_dir / f"happy-calls-all-branches-{first_day}-{TODAY}.csv"
    text = exported.read_text(encoding="utf-8")
    assert "Sara,1,1" in text and "nps" in text
