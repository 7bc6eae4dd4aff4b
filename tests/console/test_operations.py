"""Every document the console sends is valid against the API's exported schema: a renamed
field fails here, not at an operator's desk."""

from __future__ import annotations

from pathlib import Path

import pytest
from graphql import build_schema, parse, validate

from console import operations

SCHEMA = build_schema(
    (Path(__file__).parents[2] / "mobile_contract" / "schema.graphql").read_text(encoding="utf-8")
)
DOCUMENTS = [
    "SIGN_IN",
    "REFRESH",
    "CLAIM_NEXT",
    "RELEASE",
    "RECORD_OUTCOME",
    "RAISE_COMPLAINT",
    "MY_STATS",
    "SUPERVISION",
]


@pytest.mark.parametrize("name", DOCUMENTS)
def test_the_document_is_valid_against_the_schema(name: str) -> None:
    assert validate(SCHEMA, parse(getattr(operations, name))) == []
