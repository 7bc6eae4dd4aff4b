"""The survey script of a call, answered with the keyboard alone.

Keys: 1–4 pick a choice; 0–9 rate, and 1 then 0 rates 10; y/n answer yes/no; a text question
takes typed text. The answers become the API's SurveyAnswerInput list.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from console.results import Question

Value = int | bool | str


@dataclass
class Script:
    questions: list[Question]
    answers: dict[str, Value] = field(default_factory=dict)
    position: int = 0

    @property
    def current(self) -> Question | None:
        return self.questions[self.position] if self.questions else None

    def next(self) -> None:
        self.position = min(self.position + 1, max(len(self.questions) - 1, 0))

    def previous(self) -> None:
        self.position = max(self.position - 1, 0)

    def digit(self, digit: int) -> bool:
        """A digit key on the current question; False when it means nothing there."""
        question = self.current
        if question is None:
            return False
        if question.kind == "CHOICE":
            if not 1 <= digit <= len(question.choices):
                return False
            self.answers[question.code] = digit - 1
            return True
        if question.kind == "RATING":
            after_one = self.answers.get(question.code) == 1
            self.answers[question.code] = 10 if digit == 0 and after_one else digit
            return True
        return False

    def yes_no(self, yes: bool) -> bool:
        question = self.current
        if question is None or question.kind != "YES_NO":
            return False
        self.answers[question.code] = yes
        return True

    def text(self, value: str) -> None:
        question = self.current
        if question is not None and question.kind == "TEXT":
            if value.strip():
                self.answers[question.code] = value.strip()
            else:
                self.answers.pop(question.code, None)

    def clear(self) -> None:
        if self.current is not None:
            self.answers.pop(self.current.code, None)

    def unanswered(self) -> list[Question]:
        """Required questions still without an answer."""
        return [q for q in self.questions if q.required and q.code not in self.answers]

    def answer_inputs(self) -> list[dict[str, Any]]:
        """The answers as the API takes them, in the script's order."""
        field_of = {"CHOICE": "choice", "RATING": "rating", "YES_NO": "yes", "TEXT": "text"}
        return [
            {"question": q.code, field_of[q.kind]: self.answers[q.code]}
            for q in self.questions
            if q.code in self.answers
        ]

    def shown(self, question: Question, language: str) -> str:
        """The answer as the operator reads it back."""
        value = self.answers.get(question.code)
        if value is None:
            return "…"
        if question.kind == "CHOICE":
            assert isinstance(value, int)
            choice = question.choices[value]
            return (choice.text_fa or choice.text_en) if language == "fa" else choice.text_en
        if question.kind == "YES_NO":
            return "yes" if value else "no"
        return str(value)
