"""Every operation of the app has an example, and every example is what a real server answers:
`loyalty serve` on a fresh demo club, the operations sent by document id, as the app sends them.

When one fails: `loyalty contract examples` shows the difference, `--write` rewrites them.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from graphql import OperationDefinitionNode, OperationType, parse

from api import trusted_documents as trusted
from cli import contract

OPERATIONS = contract.operations()


@pytest.fixture(scope="module")
def live() -> dict[str, contract.Exchange]:
    return contract.run_examples()


def test_every_operation_has_an_example_and_every_example_an_operation() -> None:
    assert contract.missing_examples() == []


def test_an_operation_without_an_example_is_caught(tmp_path: Path) -> None:
    operations = tmp_path / "operations"
    shutil.copytree(trusted.OPERATIONS, operations)
    (operations / "NotYetExampled.graphql").write_text("query NotYetExampled { me { id } }\n")
    assert contract.missing_examples(operations) == [
        "NotYetExampled: no example (run `loyalty contract examples --write`, then check its "
        "variables)"
    ]


@pytest.mark.parametrize("name", sorted(OPERATIONS))
def test_the_example_is_what_the_live_server_answers(
    live: dict[str, contract.Exchange], name: str
) -> None:
    assert contract.stale_examples({name: live[name]}) == []


def test_a_differing_response_is_caught(live: dict[str, contract.Exchange], tmp_path: Path) -> None:
    shutil.copytree(contract.EXAMPLES, tmp_path, dirs_exist_ok=True)
    me = json.loads((tmp_path / "Me.json").read_text(encoding="utf-8"))
    me["response"]["data"]["me"]["balances"]["points"] += 1
    (tmp_path / "Me.json").write_text(json.dumps(me), encoding="utf-8")
    points = me["response"]["data"]["me"]["balances"]["points"]
    problems = contract.stale_examples(live, tmp_path)
    assert [p.splitlines()[0] for p in problems] == ["Me: the server answers otherwise"]
    assert f'-          "points": {points},' in problems[0]
    assert f'+          "points": {points - 1},' in problems[0]


def test_the_member_signs_in_first_and_reads_before_writing() -> None:
    order = contract.run_order(OPERATIONS, json.loads(contract.ORDER.read_text()))
    assert order[:2] == ["RequestSignInCode", "SignInWithCode"]
    assert sorted(order) == sorted(OPERATIONS)

    def is_query(name: str) -> bool:
        definitions = parse(OPERATIONS[name]).definitions
        return any(
            isinstance(d, OperationDefinitionNode) and d.operation is OperationType.QUERY
            for d in definitions
        )

    kinds = [is_query(name) for name in order[2:]]
    assert kinds == sorted(kinds, reverse=True)  # every query before every other mutation


def test_placeholders_replace_only_what_changes_between_runs() -> None:
    response = {
        "tokens": {"accessToken": "eyJ0eX", "refreshToken": "r-4k2", "accessTokenExpiresAt": "x"},
        "referralCode": "K7M2Q9",
        "enrolledAt": "2026-03-01T20:30:00.123456+00:00",
        "birthday": "1990-05-12",
        "edges": [{"cursor": "bGVkZ2VyOjUzNQ==", "node": {"id": "535", "points": 78}}],
        "reason": "1 point for every 10,000 Toman paid",
        "code": "NOT_FOUND",
        "voucher": {"code": "K7M2Q9XA4TPB", "status": "ACTIVE"},
        "transaction": {"request_hash": "b11fba3349e9a2bc", "idempotency_key": "#purchase:1"},
    }
    assert contract.normalise(response) == {
        "tokens": {
            "accessToken": "<token>",
            "refreshToken": "<token>",
            "accessTokenExpiresAt": "x",
        },
        "referralCode": "<token>",
        "enrolledAt": "<datetime>",
        "birthday": "<date>",
        "edges": [{"cursor": "bGVkZ2VyOjUzNQ==", "node": {"id": "535", "points": 78}}],
        "reason": "1 point for every 10,000 Toman paid",
        "code": "NOT_FOUND",
        "voucher": {"code": "<token>", "status": "ACTIVE"},
        "transaction": {"request_hash": "<hash>", "idempotency_key": "#purchase:1"},
    }
