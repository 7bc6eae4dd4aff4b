"""The mobile app's contract: the exported schema, its descriptions, and the app's operations."""

from __future__ import annotations

from pathlib import Path

import pytest
from graphql import (
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLObjectType,
    GraphQLUnionType,
    OperationDefinitionNode,
    parse,
    validate,
)

from loyalty.settings import get_settings
from schema import build_schema
from schema.export import sdl

CONTRACT = Path(__file__).resolve().parents[1] / "mobile_contract"
OPERATIONS = sorted((CONTRACT / "operations").glob("*.graphql"))


def test_exported_schema_matches_the_code() -> None:
    exported = (CONTRACT / "schema.graphql").read_text(encoding="utf-8")
    assert exported == sdl(), (
        "mobile_contract/schema.graphql is stale: run `loyalty schema > "
        "mobile_contract/schema.graphql` and review the diff"
    )


def test_every_type_field_and_argument_is_described() -> None:
    schema = build_schema(get_settings())._schema
    missing = []
    for name, type_ in schema.type_map.items():
        if name.startswith("__") or name in {"String", "Int", "Float", "Boolean", "ID"}:
            continue
        if not type_.description:
            missing.append(name)
        if isinstance(type_, GraphQLObjectType | GraphQLInterfaceType | GraphQLInputObjectType):
            for field_name, field in type_.fields.items():
                if not field.description:
                    missing.append(f"{name}.{field_name}")
                for arg_name, arg in getattr(field, "args", {}).items():
                    if not arg.description:
                        missing.append(f"{name}.{field_name}({arg_name})")
        elif not isinstance(type_, GraphQLEnumType | GraphQLUnionType) and not type_.description:
            missing.append(name)
    assert missing == []


def test_the_app_has_operations() -> None:
    assert {p.stem for p in OPERATIONS} >= {
        "RequestSignInCode", "SignInWithCode", "RefreshSession", "Me", "History", "Purchases",
    }  # fmt: skip


@pytest.mark.parametrize("path", OPERATIONS, ids=lambda p: p.stem)
def test_operation_is_valid_against_the_schema(path: Path) -> None:
    document = parse(path.read_text(encoding="utf-8"))
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    assert [op.name.value for op in operations if op.name] == [path.stem]
    errors = validate(build_schema(get_settings())._schema, document)
    assert errors == []
