"""The survey script answered by keys: choices, ratings (1 then 0 is 10), yes/no, text."""

from __future__ import annotations

from console.results import Choice, Question
from console.script import Script


def question(code: str, kind: str, required: bool = True, choices: int = 0) -> Question:
    options = [Choice(f"c{n}", "") for n in range(choices)]
    return Question(code, kind, required, code, "", options)


def test_keys_answer_each_kind_and_become_api_answers() -> None:
    script = Script(
        [
            question("taste", "CHOICE", choices=4),
            question("score", "RATING"),
            question("again", "YES_NO"),
            question("note", "TEXT", required=False),
        ]
    )
    assert not script.digit(5)  # no fifth choice
    assert script.digit(2)
    script.next()
    script.digit(1)
    script.digit(0)
    script.next()
    assert not script.digit(1)
    script.yes_no(False)
    script.next()
    script.text("  خیلی خوب بود ")
    assert script.unanswered() == []
    assert script.answer_inputs() == [
        {"question": "taste", "choice": 1},
        {"question": "score", "rating": 10},
        {"question": "again", "yes": False},
        {"question": "note", "text": "خیلی خوب بود"},
    ]


def test_a_rating_of_zero_and_going_back_to_change_an_answer() -> None:
    script = Script([question("score", "RATING"), question("again", "YES_NO")])
    script.digit(0)
    script.next()
    script.next()  # stays on the last question
    assert script.current is not None and script.current.code == "again"
    assert [q.code for q in script.unanswered()] == ["again"]
    script.previous()
    script.digit(7)
    script.clear()
    assert [q.code for q in script.unanswered()] == ["score", "again"]
