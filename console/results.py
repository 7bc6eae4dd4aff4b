"""Typed results of the API's answers: screens read these, never raw JSON."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any

Json = dict[str, Any]


def moment(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


@dataclass(frozen=True)
class Staff:
    id: str
    username: str
    display_name: str
    role: str  # OPERATOR, SUPERVISOR, MANAGER...

    @property
    def supervises(self) -> bool:
        return self.role in {"SUPERVISOR", "MANAGER"}

    @classmethod
    def from_json(cls, data: Json) -> Staff:
        return cls(data["id"], data["username"], data["displayName"], data["role"])


@dataclass(frozen=True)
class ClubSettings:
    """How the club writes dates and money: the console follows it unless told otherwise."""

    calendar: str  # jalali, gregorian
    time_zone: str
    currency: str  # rial, toman

    @classmethod
    def from_json(cls, data: Json) -> ClubSettings:
        return cls(data["calendar"].lower(), data["timeZone"], data["currencyDisplay"].lower())


@dataclass(frozen=True)
class Tokens:
    access: str
    access_expires_at: datetime
    refresh: str

    @classmethod
    def from_json(cls, data: Json) -> Tokens:
        expires = moment(data["accessTokenExpiresAt"])
        assert expires is not None
        return cls(data["accessToken"], expires, data["refreshToken"])


@dataclass(frozen=True)
class Branch:
    id: str  # empty: every branch
    name: str
    code: str  # the club's short code, e.g. TJR: file names use it

    @classmethod
    def from_json(cls, data: Json) -> Branch:
        return cls(data["id"], data["name"], data["code"])


ALL_BRANCHES = Branch("", "All branches", "all-branches")


@dataclass(frozen=True)
class Item:
    name: str
    quantity: int
    amount: int


@dataclass(frozen=True)
class Purchase:
    at: datetime
    branch: str
    amount: int
    items: list[Item]

    @classmethod
    def from_json(cls, data: Json) -> Purchase:
        return cls(
            datetime.fromisoformat(data["occurredAt"]),
            data["branch"]["name"],
            int(data["amount"]),
            [Item(i["name"], int(i["quantity"]), int(i["amount"])) for i in data["items"]],
        )


@dataclass(frozen=True)
class Choice:
    text_en: str
    text_fa: str


@dataclass(frozen=True)
class Question:
    code: str
    kind: str  # CHOICE, RATING, YES_NO, TEXT
    required: bool
    text_en: str
    text_fa: str
    choices: list[Choice]

    @classmethod
    def from_json(cls, data: Json) -> Question:
        choices = [Choice(c["textEn"], c["textFa"]) for c in data["choices"]]
        return cls(
            data["code"], data["kind"], data["required"], data["textEn"], data["textFa"], choices
        )


@dataclass(frozen=True)
class Answer:
    question: str
    answer: str


@dataclass(frozen=True)
class EarlierCall:
    at: datetime
    outcome: str | None
    operator: str
    answers: list[Answer]


@dataclass(frozen=True)
class FollowUp:
    at: datetime
    by: str
    note: str


@dataclass(frozen=True)
class Complaint:
    id: str
    category: str
    note: str
    status: str
    raised_at: datetime
    raised_by: str
    follow_ups: list[FollowUp]

    @property
    def open(self) -> bool:
        return self.status == "OPEN"

    @classmethod
    def from_json(cls, data: Json) -> Complaint:
        return cls(
            data["id"],
            data["category"],
            data["note"],
            data["status"],
            datetime.fromisoformat(data["raisedAt"]),
            data["raisedBy"],
            [
                FollowUp(datetime.fromisoformat(f["at"]), f["by"], f["note"])
                for f in data["followUps"]
            ],
        )


@dataclass(frozen=True)
class Message:
    at: datetime
    channel: str
    title: str
    body: str


@dataclass(frozen=True)
class Offer:
    title: str
    details: str
    ready: bool  # the member gets it now; otherwise the details say what it takes


@dataclass(frozen=True)
class Card:
    member_id: str
    name: str
    phone: str
    tier: str | None
    points: int
    credit: int
    purchases: list[Purchase]
    earlier_calls: list[EarlierCall]
    complaints: list[Complaint]
    messages: list[Message]
    offers: list[Offer]

    @classmethod
    def from_json(cls, data: Json) -> Card:
        return cls(
            member_id=data["memberId"],
            name=data["name"],
            phone=data["phone"],
            tier=data["tier"],
            points=int(data["points"]),
            credit=int(data["credit"]),
            purchases=[Purchase.from_json(p) for p in data["recentPurchases"]],
            earlier_calls=[
                EarlierCall(
                    datetime.fromisoformat(c["at"]),
                    c["outcome"],
                    c["operatorName"],
                    [Answer(a["question"], a["answer"]) for a in c["answers"]],
                )
                for c in data["earlierCalls"]
            ],
            complaints=[Complaint.from_json(c) for c in data["complaints"]],
            messages=[
                Message(datetime.fromisoformat(m["at"]), m["channel"], m["title"], m["body"])
                for m in data["recentMessages"]
            ],
            offers=[Offer(o["title"], o["details"], o["ready"]) for o in data["offers"]],
        )


@dataclass(frozen=True)
class CallingHours:
    """The club's daily hours for calls (local time; overnight when start is after end)."""

    start: time
    end: time

    def __contains__(self, moment: time) -> bool:
        if self.start == self.end:
            return True
        if self.start > self.end:
            return moment >= self.start or moment < self.end
        return self.start <= moment < self.end

    def __str__(self) -> str:
        return f"{self.start:%H:%M}-{self.end:%H:%M}"


@dataclass(frozen=True)
class HappyCall:
    id: str
    status: str
    due_by: datetime | None
    attempts: int
    calling_hours: CallingHours
    purchase: Purchase | None
    questions: list[Question]
    card: Card

    @classmethod
    def from_json(cls, data: Json) -> HappyCall:
        script = data["script"]
        return cls(
            id=data["id"],
            status=data["status"],
            due_by=moment(data["dueBy"]),
            attempts=data["attempts"],
            calling_hours=CallingHours(
                time.fromisoformat(data["callingHours"]["start"]),
                time.fromisoformat(data["callingHours"]["end"]),
            ),
            purchase=Purchase.from_json(data["purchase"]) if data["purchase"] else None,
            questions=[Question.from_json(q) for q in script["questions"]] if script else [],
            card=Card.from_json(data["card"]),
        )


@dataclass(frozen=True)
class OperatorStats:
    calls: int
    completed: int
    completion_rate: float
    average_satisfaction: float | None

    @classmethod
    def from_json(cls, data: Json) -> OperatorStats:
        return cls(
            data["calls"], data["completed"], data["completionRate"], data["averageSatisfaction"]
        )


@dataclass(frozen=True)
class OperatorLine:
    name: str
    calls: int
    completed: int
    average_satisfaction: float | None


@dataclass(frozen=True)
class QuestionLine:
    branch: str
    question: str
    text: str
    answers: int
    average: float | None


@dataclass(frozen=True)
class Supervision:
    first_day: date
    last_day: date
    branch: Branch  # the branch the figures are for, or all of them
    queue_size: int
    claimed_now: int
    overdue: int
    operators: list[OperatorLine]
    questions: list[QuestionLine]

    @classmethod
    def from_json(cls, data: Json, first_day: date, last_day: date, branch: Branch) -> Supervision:
        return cls(
            first_day,
            last_day,
            branch,
            data["queueSize"],
            data["claimedNow"],
            data["overdue"],
            [
                OperatorLine(
                    o["operator"]["displayName"] or o["operator"]["username"],
                    o["calls"],
                    o["completed"],
                    o["averageSatisfaction"],
                )
                for o in data["operators"]
            ],
            [
                QuestionLine(
                    q["branch"]["name"] if q["branch"] else "",
                    q["question"],
                    q["text"],
                    q["answers"],
                    q["average"],
                )
                for q in data["questions"]
            ],
        )
