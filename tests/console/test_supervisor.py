"""The supervisor's view narrowed to one branch with a key, and back to all of them; its
export is named by the branch and the days."""

from __future__ import annotations

from dataclasses import replace

from loyalty import staff
from loyalty.actors import SYSTEM
from loyalty.models import Role
from tests.console.club import buyer, open_club
from tests.console.conftest import ConsoleFactory, make_staff
from tests.console.pilot import shown, sign_in, until


async def test_the_supervisor_picks_a_branch_with_a_key(console_for: ConsoleFactory) -> None:
    from console.screens.modals import BranchScreen

    club = await open_club()
    other = await staff.create_branch(SYSTEM, code="VNK", name="Vanak")
    await buyer(club)
    await buyer(club)
    await buyer(replace(club, branch_id=other.id))
    await make_staff("boss", Role.SUPERVISOR)
    app = console_for(name="boss", calendar=None)  # the club's: Jalali
    async with app.run_test(size=(140, 45)) as pilot:
        await sign_in(pilot, "boss")
        await pilot.press("s")
        await until(pilot, lambda: "All branches   Queue: 3" in shown(app, "#live"))
        await pilot.press("b")
        await until(pilot, lambda: isinstance(app.screen, BranchScreen))
        await pilot.press("down", "down", "enter")  # All branches, Tajrish, Vanak
        await until(pilot, lambda: "Vanak   Queue: 1" in shown(app, "#live"))
        await pilot.press("e")
        vanak = app.settings.export_dir / "happy-calls-VNK-1405-09-09-1405-09-15.csv"
        await until(pilot, vanak.exists)
        await pilot.press("b")
        await until(pilot, lambda: isinstance(app.screen, BranchScreen))
        await pilot.press("up", "enter")
        await until(pilot, lambda: "Tajrish   Queue: 2" in shown(app, "#live"))
        await pilot.press("b")
        await until(pilot, lambda: isinstance(app.screen, BranchScreen))
        await pilot.press("escape")  # keeps Tajrish
        await until(pilot, lambda: not isinstance(app.screen, BranchScreen))
        assert "Tajrish   Queue: 2" in shown(app, "#live")
        await pilot.press("b")
        await until(pilot, lambda: isinstance(app.screen, BranchScreen))
        await pilot.press("up", "enter")
        await until(pilot, lambda: "All branches   Queue: 3" in shown(app, "#live"))
        await pilot.press("e")
        every = app.settings.export_dir / "happy-calls-all-branches-1405-09-09-1405-09-15.csv"
        await until(pilot, every.exists)
