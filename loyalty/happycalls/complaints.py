"""Complaints raised on a call: a category and a note, assigned for follow-up to the branch of
the purchase the call was about. Follow-ups are added until one closes it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from tortoise.expressions import Q

from loyalty import validation
from loyalty.actors import Actor
from loyalty.errors import Conflict, InvalidInput, NotFound
from loyalty.happycalls import WORKERS, queue
from loyalty.history import Page, paged
from loyalty.idempotency import check_key, request_hash, run_once
from loyalty.models import (
    Complaint,
    ComplaintCategory,
    ComplaintFollowUp,
    ComplaintStatus,
    Survey,
)
from loyalty.surveys.definitions import questions_of

MAX_NOTE = 1000
# Closed complaints stay on the member's card this long.
SHOWN_AFTER_CLOSING = timedelta(days=30)
# What is shown with a complaint: its follow-ups and who made them, who raised it, its branch.
DETAILS = ("follow_ups__staff", "raised_by", "branch")


@dataclass(frozen=True, slots=True)
class Followed:
    follow_up: ComplaintFollowUp
    complaint: Complaint
    replayed: bool


async def raise_complaint(
    actor: Actor,
    *,
    call_id: int,
    category: ComplaintCategory,
    note: str,
    idempotency_key: str,
    question: str = "",
    at: datetime | None = None,
) -> tuple[Complaint, bool]:
    """A complaint from a call (optionally from one answer of its script); the complaint and
    whether this repeats an earlier request."""
    call = await queue.get(actor, call_id)
    key = check_key(idempotency_key)
    note = validation.text(note, field="note", max_length=MAX_NOTE, required=True)
    question = validation.text(question, field="question", max_length=32)
    if question:
        survey = await Survey.get(id=call.survey_id)  # type: ignore[attr-defined]
        if question not in {q.code for q in questions_of(survey.questions)}:
            raise InvalidInput(
                f"question: the script has no question {question!r}", field="question"
            )
    digest = request_hash(
        {
            "op": "raise_complaint",
            "call": call.id,
            "category": category.value,
            "note": note,
            "question": question,
        }
    )

    async def write() -> Complaint:
        return await Complaint.create(
            member_id=call.member_id,  # type: ignore[attr-defined]
            call_id=call.id,
            branch_id=call.branch_id,  # type: ignore[attr-defined]
            question=question,
            category=category,
            note=note,
            raised_by_id=actor.staff_id,
            raised_at=at or datetime.now(UTC),
            idempotency_key=key,
            request_hash=digest,
        )

    return await run_once(digest, lambda: Complaint.get_or_none(idempotency_key=key), write)


async def get(actor: Actor, complaint_id: int) -> Complaint:
    actor.require_staff(*WORKERS)
    complaint = await Complaint.get_or_none(id=complaint_id)
    if complaint is None:
        raise NotFound("complaint", complaint_id)
    return complaint


async def follow_up(
    actor: Actor,
    *,
    complaint_id: int,
    note: str,
    idempotency_key: str,
    close: bool = False,
    at: datetime | None = None,
) -> Followed:
    """What was done about a complaint; `close` closes it. A closed complaint takes no more."""
    complaint = await get(actor, complaint_id)
    key = check_key(idempotency_key)
    note = validation.text(note, field="note", max_length=MAX_NOTE, required=True)
    digest = request_hash(
        {"op": "complaint_follow_up", "complaint": complaint.id, "note": note, "close": close}
    )

    async def write() -> ComplaintFollowUp:
        now = at or datetime.now(UTC)
        # Written first: it claims the key, so a resent request replays instead of clashing.
        followed = await ComplaintFollowUp.create(
            complaint_id=complaint.id,
            staff_id=actor.staff_id,
            note=note,
            closed=close,
            at=now,
            idempotency_key=key,
            request_hash=digest,
        )
        if close:
            still_open = await Complaint.filter(
                id=complaint.id, status=ComplaintStatus.OPEN
            ).update(status=ComplaintStatus.CLOSED, closed_at=now)
        else:
            still_open = await Complaint.exists(id=complaint.id, status=ComplaintStatus.OPEN)
        if not still_open:
            raise Conflict("this complaint is closed")
        return followed

    followed, replayed = await run_once(
        digest, lambda: ComplaintFollowUp.get_or_none(idempotency_key=key), write
    )
    return Followed(followed, await detailed(complaint.id), replayed)


async def detailed(complaint_id: int) -> Complaint:
    return await Complaint.get(id=complaint_id).prefetch_related(*DETAILS)


async def listed(
    actor: Actor,
    *,
    status: ComplaintStatus | None = None,
    branch_id: int | None = None,
    first: int = 20,
    before_id: int | None = None,
) -> Page[Complaint]:
    """Complaints, newest first, by status and branch."""
    actor.require_staff(*WORKERS)
    query = Complaint.all().prefetch_related(*DETAILS)
    if status is not None:
        query = query.filter(status=status)
    if branch_id is not None:
        query = query.filter(branch_id=branch_id)
    return await paged(query, first, before_id)


async def of_member(member_id: int, at: datetime) -> list[Complaint]:
    """The member's open complaints and those closed lately, newest first, with follow-ups."""
    return (
        await Complaint.filter(
            Q(status=ComplaintStatus.OPEN) | Q(closed_at__gte=at - SHOWN_AFTER_CLOSING),
            member_id=member_id,
        )
        .order_by("-id")
        .prefetch_related(*DETAILS)
    )
