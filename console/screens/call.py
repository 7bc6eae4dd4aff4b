"""A call: the member's card beside the survey script, and the keys that end the call."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import Input, Static

from console.card import card_text
from console.client import ApiError, Unreachable
from console.outbox import Kind
from console.results import Complaint, HappyCall, Question
from console.screens.modals import CallBackScreen, ComplaintScreen, FollowUpScreen
from console.script import Script
from console.text import Paragraphs
from console.widgets import KeyFooter, Status, UnsentCount, console_of

OUTCOME_KEYS = [
    ("c", "COMPLETED", "Done"),
    ("a", "NO_ANSWER", "No answer"),
    ("b", "BUSY", "Busy"),
    ("w", "WRONG_NUMBER", "Wrong #"),
    ("l", "CALL_BACK", "Later"),
    ("x", "DO_NOT_CALL", "Opt out"),
]


class CallScreen(Screen[None]):
    CSS_PATH = "../styles/call.tcss"
    AUTO_FOCUS = ""  # arrows and digits belong to the script, not to a scrolling card
    # The footer wraps them onto a second row at 80 columns. "0-9 Answer" and "y/n Yes/No"
    # stand for the other digits and "n" (system bindings with no description: left out of
    # the footer and the keys panel).
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("1", "digit(1)", "Answer", key_display="0-9"),
        *(Binding(str(d), f"digit({d})", system=True) for d in (0, 2, 3, 4, 5, 6, 7, 8, 9)),
        Binding("y", "yes_no(True)", "Yes/No", key_display="y/n"),
        Binding("n", "yes_no(False)", system=True),
        Binding("down,enter", "move(1)", "Next"),
        Binding("up", "move(-1)", "Back"),
        Binding("backspace", "clear", "Clear"),
        Binding("exclamation_mark", "complaint", "Complaint", key_display="!"),
        Binding("f", "follow_up", "Follow up"),
        *(Binding(key, f"outcome('{outcome}')", label) for key, outcome, label in OUTCOME_KEYS),
        Binding("escape", "give_back", "Release"),
    ]

    def __init__(self, call: HappyCall) -> None:
        super().__init__()
        self.call = call
        self.script = Script(call.questions)

    def compose(self) -> ComposeResult:
        with Horizontal():
            with VerticalScroll(id="card"):
                yield Static(self._card(), id="card-text")
            with Vertical(id="script"):
                yield Static(id="questions")
                yield Input(placeholder="Type the answer, Enter to go on", id="answer-text")
                yield UnsentCount(id="unsent")
                yield Status(id="status")
        yield KeyFooter()

    def on_mount(self) -> None:
        console_of(self).complaint_taken.subscribe(self, self._complaint_taken)
        # After the first refresh: under load, Mount has been seen before the children were in.
        self.call_after_refresh(self.show_script)

    def _card(self) -> Text | Paragraphs:
        return console_of(self).writer.paragraphs(
            card_text(console_of(self).writer, self.call.card, self.call.purchase)
        )

    def show_card(self) -> None:
        self.query_one("#card-text", Static).update(self._card())

    def _wording(self, question: Question) -> str:
        fa = console_of(self).settings.language == "fa"
        return (question.text_fa or question.text_en) if fa else question.text_en

    def show_script(self, type_in: bool = True) -> None:
        """The questions and answers so far; a text question takes the keys unless `type_in`
        is off."""
        writer = console_of(self).writer
        language = console_of(self).settings.language
        lines = Text()
        for number, question in enumerate(self.script.questions):
            current = number == self.script.position
            marker = "▶ " if current else "  "
            lines.append(f"{marker}{number + 1}. ", style="bold" if current else "")
            lines.append(self._wording(question), style="bold" if current else "")
            lines.append(f"\n     → {self.script.shown(question, language)}\n")
            if current and question.kind == "CHOICE":
                for index, choice in enumerate(question.choices, start=1):
                    wording = (
                        (choice.text_fa or choice.text_en) if language == "fa" else choice.text_en
                    )
                    lines.append(f"     {index}) {wording}\n")
            elif current and question.kind == "RATING":
                lines.append("     0-9, or 1 then 0 for 10\n")
            elif current and question.kind == "YES_NO":
                lines.append("     y / n\n")
        if not self.script.questions:
            lines.append("This call has no script.")
        self.query_one("#questions", Static).update(writer.paragraphs(lines))
        text_input = self.query_one("#answer-text", Input)
        current = self.script.current
        text_input.display = current is not None and current.kind == "TEXT"
        if text_input.display:
            assert current is not None
            text_input.value = str(self.script.answers.get(current.code, ""))
        if text_input.display and type_in:
            text_input.focus()
        else:
            self.set_focus(None)

    def action_digit(self, digit: int) -> None:
        if self.script.digit(digit):
            self.show_script()

    def action_yes_no(self, yes: bool) -> None:
        if self.script.yes_no(yes):
            self.show_script()

    def action_move(self, step: int) -> None:
        self.script.next() if step > 0 else self.script.previous()
        self.show_script()

    def action_clear(self) -> None:
        self.script.clear()
        self.show_script()

    @on(Input.Submitted, "#answer-text")
    def text_answered(self, event: Input.Submitted) -> None:
        self.script.text(event.value)
        if self.script.position < len(self.script.questions) - 1:
            self.action_move(1)
        else:  # the script is done: the keys go back to the outcomes
            self.show_script(type_in=False)

    @on(Input.Changed, "#answer-text")
    def text_typed(self, event: Input.Changed) -> None:
        self.script.text(event.value)

    def action_complaint(self) -> None:
        current = self.script.current
        self.app.push_screen(
            ComplaintScreen(self._wording(current) if current else ""),
            lambda chosen: self._complain(chosen, current),
        )

    def _complain(self, chosen: tuple[str, str] | None, question: Question | None) -> None:
        if chosen is None:
            return
        category, note = chosen
        payload = {"callId": self.call.id, "category": category, "note": note}
        if question is not None:
            payload["question"] = question.code
        console_of(self).keep(Kind.COMPLAINT, payload)
        self.notify("Complaint kept; it is sent in the background.")

    def _complaint_taken(self, taken: tuple[str, Complaint]) -> None:
        """A complaint raised on this call is on the card as soon as the server has it."""
        call_id, complaint = taken
        if call_id == self.call.id:
            self._on_card(complaint)

    def _on_card(self, complaint: Complaint) -> None:
        """The complaint as the server has it now, in place on the card (newest first)."""
        card = self.call.card
        if any(c.id == complaint.id for c in card.complaints):
            complaints = [complaint if c.id == complaint.id else c for c in card.complaints]
        else:
            complaints = [complaint, *card.complaints]
        self.call = replace(self.call, card=replace(card, complaints=complaints))
        self.show_card()
        self.refresh_bindings()  # an open complaint can be followed up

    def _open_complaints(self) -> list[Complaint]:
        return [c for c in self.call.card.complaints if c.open]

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """The follow-up key shows only while the member has an open complaint."""
        return action != "follow_up" or bool(self._open_complaints())

    def action_follow_up(self) -> None:
        self.app.push_screen(FollowUpScreen(self._open_complaints()), self._followed_up)

    def _followed_up(self, complaint: Complaint | None) -> None:
        """The complaint as the server has it now, in place on the card."""
        if complaint is None:
            return
        self._on_card(complaint)
        self.notify("Follow-up saved." if complaint.open else "Complaint closed.")

    def action_outcome(self, outcome: str) -> None:
        if outcome == "COMPLETED" and (missing := self.script.unanswered()):
            self.query_one(Status).error(
                "Answer first: "
                + ", ".join(str(self.script.questions.index(q) + 1) for q in missing)
            )
            return
        if outcome == "CALL_BACK":
            self.app.push_screen(CallBackScreen(self.call.calling_hours), self._call_back)
            return
        self._record(outcome, None)

    def _call_back(self, at: datetime | None) -> None:
        if at is not None:
            self._record("CALL_BACK", at)

    def _record(self, outcome: str, call_back_at: datetime | None) -> None:
        payload = {
            "callId": self.call.id,
            "outcome": outcome,
            "answers": self.script.answer_inputs() if outcome == "COMPLETED" else [],
            "comment": "",
            "callBackAt": call_back_at.isoformat() if call_back_at else None,
        }
        console_of(self).keep(Kind.OUTCOME, payload)
        self.app.pop_screen()

    def action_give_back(self) -> None:
        self.give_back()

    @work(exclusive=True)
    async def give_back(self) -> None:
        """Return the call to the queue (unanswered); without the server, its claim times out."""
        status = self.query_one(Status)
        status.loading("Giving the call back")
        try:
            await console_of(self).client.release(self.call.id)
        except (ApiError, Unreachable) as error:
            status.error(f"{error} (press Escape again, or record an outcome)")
            return
        self.app.pop_screen()
