"""The member 360° view staff read: every long list a page at a time, newest first.

The happy-call card (loyalty/happycalls/card.py) is built from the same pieces: its earlier
calls and messages are the first page of these lists.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from loyalty import members
from loyalty.actors import Actor
from loyalty.happycalls.complaints import DETAILS
from loyalty.history import Page, paged
from loyalty.models import (
    CampaignRecipient,
    Card,
    Complaint,
    HappyCallAttempt,
    HappyCallOutcome,
    Member,
    Message,
    MessageStatus,
    RewardRedemption,
    Role,
    Survey,
    SurveyAnswer,
    SurveyResponse,
    TierChange,
)
from loyalty.programme.explain import Text, name_of
from loyalty.surveys.definitions import questions_of
from loyalty.surveys.results import labels

# Who reads a member's whole record: those who look after members (calls, complaints, the
# club's rules). Counter staff see what the counter needs through findMember.
VIEWERS = (Role.MANAGER, Role.SUPERVISOR, Role.OPERATOR)


@dataclass(frozen=True, slots=True)
class GivenAnswer:
    question: Text
    answer: Text


@dataclass(frozen=True, slots=True)
class EarlierCall:
    id: int
    at: datetime
    outcome: HappyCallOutcome
    operator_name: str
    answers: list[GivenAnswer]


@dataclass(frozen=True, slots=True)
class AnsweredSurvey:
    # With its survey fetched.
    response: SurveyResponse
    answers: list[GivenAnswer]

    @property
    def survey_name(self) -> Text:
        return name_of(self.response.survey)


async def member_for(actor: Actor, member_id: int) -> Member:
    """The member whose view `actor` opens."""
    actor.require_staff(*VIEWERS)
    return await members.get(member_id)


async def answers_of(response_ids: list[int]) -> dict[int, list[GivenAnswer]]:
    """Each response's answers in words, in the order they were given."""
    rows = await SurveyAnswer.filter(response_id__in=response_ids).order_by("id")
    surveys = {
        s.id: {q.code: q for q in questions_of(s.questions)}
        for s in await Survey.filter(id__in={a.survey_id for a in rows})  # type: ignore[attr-defined]
    }
    found: dict[int, list[GivenAnswer]] = {r: [] for r in response_ids}
    for row in rows:
        question = surveys[row.survey_id].get(row.question)  # type: ignore[attr-defined]
        if question is None:
            continue
        value = row.choice if row.choice is not None else row.score
        words = dict(labels(question)).get(value) if value is not None else None
        found[row.response_id].append(  # type: ignore[attr-defined]
            GivenAnswer(
                Text(question.text, question.text_fa or question.text),
                words or Text(row.text, row.text),
            )
        )
    return found


async def calls(member_id: int, *, first: int = 20, before_id: int | None = None) -> Page:
    """Every try to call the member, with the answers of completed calls."""
    page = await paged(
        HappyCallAttempt.filter(member_id=member_id).prefetch_related("staff"), first, before_id
    )
    answers = await answers_of([a.response_id for a in page.items if a.response_id])  # type: ignore[attr-defined]
    return Page(
        [
            EarlierCall(
                id=a.id,
                at=a.at,
                outcome=a.outcome,
                operator_name=a.staff.display_name or a.staff.username,
                answers=answers.get(a.response_id, []),  # type: ignore[attr-defined]
            )
            for a in page.items
        ],
        page.has_more,
    )


async def surveys(member_id: int, *, first: int = 20, before_id: int | None = None) -> Page:
    """Surveys the member answered (in the app or on a call), with the answers."""
    page = await paged(
        SurveyResponse.filter(member_id=member_id).prefetch_related("survey"), first, before_id
    )
    answers = await answers_of([r.id for r in page.items])
    return Page([AnsweredSurvey(r, answers[r.id]) for r in page.items], page.has_more)


async def messages(
    member_id: int, *, first: int = 20, before_id: int | None = None, sent_only: bool = False
) -> Page[Message]:
    """Messages to the member on every channel: sent, and (unless `sent_only`) held back."""
    query = Message.filter(member_id=member_id)
    if sent_only:
        query = query.filter(status=MessageStatus.SENT)
    return await paged(query, first, before_id)


async def complaints(
    member_id: int, *, first: int = 20, before_id: int | None = None
) -> Page[Complaint]:
    """All the member's complaints, with follow-ups, who raised them and their branch."""
    return await paged(
        Complaint.filter(member_id=member_id).prefetch_related(*DETAILS), first, before_id
    )


async def tier_changes(
    member_id: int, *, first: int = 20, before_id: int | None = None
) -> Page[TierChange]:
    return await paged(TierChange.filter(member_id=member_id), first, before_id)


async def campaigns(
    member_id: int, *, first: int = 20, before_id: int | None = None
) -> Page[CampaignRecipient]:
    """Campaigns the member was in, with their message and voucher."""
    query = CampaignRecipient.filter(member_id=member_id).prefetch_related(
        "campaign", "message", "voucher"
    )
    return await paged(query, first, before_id)


async def redemptions(
    member_id: int, *, first: int = 20, before_id: int | None = None
) -> Page[RewardRedemption]:
    """Rewards the member redeemed, with the reward and any voucher."""
    query = RewardRedemption.filter(member_id=member_id).prefetch_related("reward", "voucher")
    return await paged(query, first, before_id)


async def cards(member_id: int) -> list[Card]:
    """The member's cards, newest first (a few at most)."""
    return await Card.filter(member_id=member_id).order_by("-id")
