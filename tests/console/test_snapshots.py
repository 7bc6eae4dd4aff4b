"""The main screens as pictures (pytest-textual-snapshot's SVG snapshots), in English and in
Persian (Jalali dates, Persian wording laid out for the terminal), from fixed data at a fixed
moment. After a deliberate change of a screen: `pytest tests/console --snapshot-update`."""

from __future__ import annotations

import pytest
from pytest_textual_snapshot import SVGImageExtension
from syrupy.assertion import SnapshotAssertion

# from console.screens.call import CallScreen
# from console.screens.supervisor import SupervisorScreen
# from loyalty.models import Role
# from tests.console.club import PHONE, buyer, open_club
from tests.console.conftest import ConsoleFactory
from tests.console.pilot import screenshot, until

SIZE = (120, 36)
LANGUAGES = {
    "en": {"language": "en", "calendar": "gregorian"},
    "fa": {"language": "fa", "calendar": "jalali"},
}


@pytest.fixture
def svg(snapshot: SnapshotAssertion) -> SnapshotAssertion:
    return snapshot.use_extension(SVGImageExtension)


@pytest.mark.parametrize("language", LANGUAGES)
async def test_sign_in(console_for: ConsoleFactory, svg: SnapshotAssertion, language: str) -> None:
    app = console_for(server="http://calls.club.test:8000", **LANGUAGES[language])
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: app.focused is not None)
        assert await screenshot(pilot) == svg
