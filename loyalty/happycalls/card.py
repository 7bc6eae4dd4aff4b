"""What an operator sees while calling: the member's card (who they are, what they hold, what
they bought, earlier calls and their answers, complaints, messages sent, offers to mention),
the purchase the call is about, and the script."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime

from loyalty import ledger
from loyalty.actors import Actor
from loyalty.happycalls import complaints, queue
from loyalty.ledger import Balances
from loyalty.models import (
    Complaint,
    HappyCall,
    HappyCallAttempt,
    HappyCallOutcome,
    Member,
    Message,
    MessageStatus,
    Purchase,
    Survey,
    SurveyAnswer,
)
from loyalty.programme import offers, snapshot, tiers
from loyalty.programme import standing as standings
from loyalty.programme.explain import Text
from loyalty.programme.offers import MemberOffer
from loyalty.surveys.definitions import questions_of
from loyalty.surveys.results import labels

# How many of each the card shows, newest first.
SHOWN = 5


@dataclass(frozen=True, slots=True)
class GivenAnswer:
    question: Text
    answer: Text


@dataclass(frozen=True, slots=True)
class EarlierCall:
    at: datetime
    outcome: HappyCallOutcome
    operator_name: str
    answers: list[GivenAnswer]


@dataclass(frozen=True, slots=True)
class CallCard:
    member: Member
    tier_name: Text | None
    balances: Balances
    # With their branch and items fetched.
    recent_purchases: list[Purchase]
    earlier_calls: list[EarlierCall]
    # With their follow-ups (and who made them), who raised them and their branch fetched.
    complaints: list[Complaint]
    recent_messages: list[Message]
    offers: list[MemberOffer]


async def purchase_of(call: HappyCall) -> Purchase:
    """The purchase the call is about, with its branch and items."""
    return await Purchase.get(id=call.purchase_id).prefetch_related("branch", "items")  # type: ignore[attr-defined]


async def script_of(call: HappyCall) -> Survey:
    """The CALL survey the operator reads out."""
    return await Survey.get(id=call.survey_id)  # type: ignore[attr-defined]


async def _answers(response_ids: list[int]) -> dict[int, list[GivenAnswer]]:
    """Each response's answers in words, in the order of its survey's questions."""
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


async def _earlier_calls(member_id: int) -> list[EarlierCall]:
    attempts = (
        await HappyCallAttempt.filter(member_id=member_id)
        .order_by("-id")
        .limit(SHOWN)
        .prefetch_related("staff")
    )
    answers = await _answers([a.response_id for a in attempts if a.response_id])  # type: ignore[attr-defined]
    return [
        EarlierCall(
            at=a.at,
            outcome=a.outcome,
            operator_name=a.staff.display_name or a.staff.username,
            answers=answers.get(a.response_id, []),  # type: ignore[attr-defined]
        )
        for a in attempts
    ]


async def _tier_and_offers(
    member_id: int, points: int, at: datetime
) -> tuple[Text | None, list[MemberOffer]]:
    """The member's tier's name (as the app shows it) and the offers they can get."""
    programme, standing = await snapshot.current(), await standings.get(member_id)
    progress, found = await asyncio.gather(
        tiers.progress_of(standing, programme, at),
        offers.for_member_now(programme, standing, points, at),
    )
    tier = progress.tier
    return (Text(tier.name, tier.name_fa or tier.name) if tier else None), found


async def card(actor: Actor, call_id: int, at: datetime | None = None) -> CallCard:
    """The card of the member a call is to (operators, supervisors, managers)."""
    call = await queue.get(actor, call_id)
    now = at or datetime.now(UTC)
    member_id = call.member_id  # type: ignore[attr-defined]
    member, balances = await Member.get(id=member_id), await ledger.balances(member_id)
    (tier_name, found), purchases, earlier, raised, messages = await asyncio.gather(
        _tier_and_offers(member_id, balances.points, now),
        Purchase.filter(member_id=member_id)
        .order_by("-occurred_at", "-id")
        .limit(SHOWN)
        .prefetch_related("branch", "items"),
        _earlier_calls(member_id),
        complaints.of_member(member_id, now),
        Message.filter(member_id=member_id, status=MessageStatus.SENT).order_by("-id").limit(SHOWN),
    )
    return CallCard(member, tier_name, balances, purchases, earlier, raised, messages, found)
