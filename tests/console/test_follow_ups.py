"""Complaint follow-ups from the call screen, against the real API: a note on one complaint,
another closed; the card shows them as the server has them."""

from __future__ import annotations

from textual.app import App

from console.client import Client
from console.screens.modals import FollowUpScreen
from loyalty.models import Complaint, ComplaintFollowUp, Role
from tests.console.club import buyer, open_club
from tests.console.conftest import ConsoleFactory, Proxy, make_staff
from tests.console.pilot import shown, type_text, until
from tests.console.test_calls import sara_claims
from tests.factories import PASSWORD


async def two_open_complaints(server: str) -> None:
    """Sara's call is queued; an earlier call to the member left two open complaints."""
    await buyer(await open_club())
    await make_staff("sara", Role.OPERATOR, "Sara")
    await make_staff("reza", Role.OPERATOR, "Reza")
    reza = Client(server)
    await reza.sign_in("reza", PASSWORD)
    call = await reza.claim_next("reza-claims")
    assert call is not None
    for key, category, note in [("k1", "PRODUCT", "cold coffee"), ("k2", "STAFF", "rude")]:
        await reza.raise_complaint(
            {"callId": call.id, "category": category, "note": note, "idempotencyKey": key}
        )
    await reza.release(call.id)
    await reza.aclose()


def footer_keys(app: App) -> list[str]:
    """The actions the footer offers now."""
    return [active.binding.action for active in app.screen.active_bindings.values()]


async def test_follow_ups_are_added_and_a_complaint_closed_from_the_call(
    console_for: ConsoleFactory,
) -> None:
    await two_open_complaints(console_for().settings.server)
    app = console_for()
    async with app.run_test(size=(140, 45)) as pilot:
        screen = await sara_claims(pilot)
        await until(pilot, lambda: "follow_up" in footer_keys(app))
        await pilot.press("f")
        await until(pilot, lambda: isinstance(app.screen, FollowUpScreen))
        await pilot.press("down", "enter")  # newest first: rude, then cold coffee
        await type_text(pilot, "a new coffee is on us")
        await pilot.press("enter")
        await until(pilot, lambda: app.screen is screen)
        await until(pilot, lambda: "Sara: a new coffee is on us" in shown(app, "#card-text"))

        await pilot.press("f")
        await until(pilot, lambda: isinstance(app.screen, FollowUpScreen))
        await pilot.press("enter")  # rude
        await pilot.press("enter")  # no note yet: refused on the spot
        assert "Write what was done" in shown(app, "#status")
        await type_text(pilot, "spoke to the manager")
        await pilot.press("f2", "enter")  # and close it
        await until(pilot, lambda: app.screen is screen)
        await until(pilot, lambda: "STAFF CLOSED" in shown(app, "#card-text"))

        await pilot.press("f")  # only the open one is offered now
        await until(pilot, lambda: isinstance(app.screen, FollowUpScreen))
        assert [c.note for c in app.screen.complaints] == ["cold coffee"]  # type: ignore[attr-defined]
        await pilot.press("enter")
        await type_text(pilot, "refunded")
        await pilot.press("f2", "enter")
        await until(pilot, lambda: app.screen is screen)
        await until(pilot, lambda: "PRODUCT CLOSED" in shown(app, "#card-text"))
        await until(pilot, lambda: "follow_up" not in footer_keys(app))
        await pilot.press("f")  # nothing open: the key is gone from the footer and does nothing
        await pilot.pause()
        assert app.screen is screen
    statuses = {c.note: c.status for c in await Complaint.all()}
    assert statuses == {"cold coffee": "closed", "rude": "closed"}
    follow_ups = await ComplaintFollowUp.all().order_by("id").prefetch_related("complaint")
    assert [(f.complaint.note, f.note, f.closed) for f in follow_ups] == [
        ("cold coffee", "a new coffee is on us", False),
        ("rude", "spoke to the manager", True),
        ("cold coffee", "refunded", True),
    ]


async def test_a_follow_up_the_network_dropped_is_sent_again_once(
    console_for: ConsoleFactory, proxy: Proxy
) -> None:
    await two_open_complaints(console_for().settings.server)
    app = console_for(server=f"http://127.0.0.1:{proxy.port}")
    async with app.run_test(size=(140, 45)) as pilot:
        screen = await sara_claims(pilot)
        await pilot.press("f")
        await until(pilot, lambda: isinstance(app.screen, FollowUpScreen))
        await pilot.press("enter")
        await type_text(pilot, "spoke to the manager")
        await proxy.cut()
        await pilot.press("enter")
        await until(pilot, lambda: "Enter sends it again" in shown(app, "#status"))
        await proxy.restore()
        await pilot.press("enter")
        await until(pilot, lambda: app.screen is screen)
        assert "Sara: spoke to the manager" in shown(app, "#card-text")
    assert await ComplaintFollowUp.all().count() == 1
