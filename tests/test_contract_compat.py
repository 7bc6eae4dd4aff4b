"""The app keeps working: no breaking schema change lands without a line in the changelog."""

from __future__ import annotations

import re
from pathlib import Path

from graphql import BreakingChangeType, build_schema, find_breaking_changes, print_schema

from schema.export import sdl

CONTRACT = Path(__file__).resolve().parents[1] / "mobile_contract"
CHANGELOG = CONTRACT / "CHANGELOG.md"
RECORD = re.compile(r"^- breaking (?P<type>\w+): (?P<description>.+?)\s*$", re.MULTILINE)


def latest_release() -> Path:
    releases = {
        int(match[1]): path
        for path in (CONTRACT / "released").glob("schema-v*.graphql")
        if (match := re.fullmatch(r"schema-v(\d+)\.graphql", path.name))
    }
    return releases[max(releases)]


def recorded(changelog: str) -> set[tuple[str, str]]:
    return {(m["type"], m["description"]) for m in RECORD.finditer(changelog)}


def unrecorded_breaking_changes(released: str, current: str, changelog: str) -> list[str]:
    """The changelog lines missing for the breaking changes from `released` to `current`."""
    accepted = recorded(changelog)
    return [
        f"- breaking {change.type.name}: {change.description}"
        for change in find_breaking_changes(build_schema(released), build_schema(current))
        if (change.type.name, change.description) not in accepted
    ]


def test_every_breaking_change_since_the_release_is_recorded() -> None:
    missing = unrecorded_breaking_changes(
        latest_release().read_text(encoding="utf-8"), sdl(), CHANGELOG.read_text(encoding="utf-8")
    )
    assert missing == [], (
        f"breaking changes to the app's contract since {latest_release().name}: agree them with "
        "the app team and add these lines to mobile_contract/CHANGELOG.md, or undo them"
    )


def test_the_changelog_records_only_known_kinds_of_change() -> None:
    kinds = {kind for kind, _ in recorded(CHANGELOG.read_text(encoding="utf-8"))}
    assert kinds <= set(BreakingChangeType.__members__)


def test_a_removed_field_is_caught_until_it_is_recorded() -> None:
    released = latest_release().read_text(encoding="utf-8")
    changed = build_schema(released)
    del changed.type_map["Member"].fields["phone"]
    current = print_schema(changed)
    line = "- breaking FIELD_REMOVED: Field Member.phone was removed."

    assert unrecorded_breaking_changes(released, current, "## Unreleased\n") == [line]
    assert unrecorded_breaking_changes(released, current, f"## Unreleased\n\n{line}\n") == []
    assert unrecorded_breaking_changes(released, released, "") == []
