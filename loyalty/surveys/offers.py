"""Offering in-app surveys after a purchase, once.

A member's pending surveys are worked out when the app asks for them, never in the purchase's
transaction: the purchase path stays as fast as it was. When the app asks, the member's newest
purchase that an active app survey matches (branch, amount, still within the survey's
`open_days`) is offered that survey, unless it was offered one before: an invitation row,
unique per purchase, records it. An older purchase is never offered once a newer one was, so
answering or dismissing a survey never brings up an older purchase's. An invitation stays
pending until it is answered, dismissed or closes, or its survey is switched off or ends.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from loyalty.actors import Actor, ActorKind
from loyalty.errors import Conflict, DomainError, ErrorCode, NotFound, PermissionDenied
from loyalty.models import (
    InvitationStatus,
    Purchase,
    Survey,
    SurveyChannel,
    SurveyInvitation,
)
from loyalty.surveys.definitions import Question, questions_of

# Purchases looked at, newest first, when looking for one to offer a survey for.
RECENT_PURCHASES = 5


@dataclass(frozen=True, slots=True)
class Offered:
    """A survey offered to the member, for one purchase."""

    invitation: SurveyInvitation
    survey: Survey
    questions: list[Question]
    purchased_at: datetime


def own_member(actor: Actor) -> int:
    if actor.kind is not ActorKind.MEMBER or actor.id is None:
        raise PermissionDenied("members answer their own surveys, in the app")
    return actor.id


def running(survey: Survey, at: datetime) -> bool:
    return (
        survey.active
        and (survey.starts_at is None or survey.starts_at <= at)
        and (survey.ends_at is None or at < survey.ends_at)
    )


def _matches(survey: Survey, purchase: Purchase, at: datetime) -> bool:
    return (
        (not survey.branch_ids or purchase.branch_id in survey.branch_ids)  # type: ignore[attr-defined]
        and purchase.amount >= survey.min_purchase_amount
        and purchase.refunded_amount < purchase.amount
        and (survey.starts_at is None or purchase.occurred_at >= survey.starts_at)
        and at < purchase.occurred_at + timedelta(days=survey.open_days)
    )


async def _offer_newest(member_id: int, surveys: list[Survey], at: datetime) -> None:
    """Offer a survey for the member's newest purchase one matches, if not offered before."""
    last = (
        await SurveyInvitation.filter(member_id=member_id)
        .order_by("-purchase_id")
        .first()
        .values_list("purchase_id", flat=True)
    )
    longest = max(s.open_days for s in surveys)
    query = Purchase.filter(member_id=member_id, occurred_at__gt=at - timedelta(days=longest))
    if last is not None:
        # The purchases up to the last one offered were decided already.
        query = query.filter(id__gt=last)
    for purchase in await query.order_by("-id").limit(RECENT_PURCHASES):
        survey = next((s for s in surveys if _matches(s, purchase, at)), None)
        if survey is None:
            continue
        try:
            async with in_transaction():  # a savepoint inside a caller's transaction
                await SurveyInvitation.create(
                    survey_id=survey.id,
                    member_id=member_id,
                    purchase_id=purchase.id,
                    branch_id=purchase.branch_id,  # type: ignore[attr-defined]
                    offered_at=at,
                    closes_at=purchase.occurred_at + timedelta(days=survey.open_days),
                )
        except IntegrityError:
            pass  # offered a moment ago, by a request running alongside
        return


async def pending(actor: Actor, *, at: datetime | None = None) -> list[Offered]:
    """The surveys the member is offered now, newest purchase first."""
    member_id = own_member(actor)
    now = at or datetime.now(UTC)
    # The newest survey first: it is the one offered when several match a purchase.
    surveys = [
        s
        for s in await Survey.filter(active=True, channel=SurveyChannel.APP).order_by("-id")
        if running(s, now)
    ]
    if not surveys:
        return []
    await _offer_newest(member_id, surveys, now)
    by_id = {s.id: s for s in surveys}
    invitations = (
        await SurveyInvitation.filter(
            member_id=member_id,
            status=InvitationStatus.OFFERED,
            closes_at__gt=now,
            survey_id__in=list(by_id),
        )
        .order_by("-purchase_id")
        .prefetch_related("purchase")
    )
    return [
        Offered(
            invitation=i,
            survey=by_id[i.survey_id],  # type: ignore[attr-defined]
            questions=questions_of(by_id[i.survey_id].questions),  # type: ignore[attr-defined]
            purchased_at=i.purchase.occurred_at,  # type: ignore[attr-defined]
        )
        for i in invitations
    ]


async def invitation_of(member_id: int, invitation_id: int) -> SurveyInvitation:
    """The member's own invitation (another member's is not found)."""
    invitation = await SurveyInvitation.get_or_none(id=invitation_id, member_id=member_id)
    if invitation is None:
        raise NotFound("survey", invitation_id)
    return invitation


def refusal(invitation: SurveyInvitation, survey: Survey, at: datetime) -> DomainError | None:
    """Why this invitation cannot be answered now, or None."""
    if invitation.status is InvitationStatus.ANSWERED:
        return Conflict("you have already answered this survey")
    if invitation.status is InvitationStatus.DISMISSED:
        return DomainError("you dismissed this survey", code=ErrorCode.NOT_ELIGIBLE)
    if at >= invitation.closes_at or not running(survey, at):
        return DomainError("this survey is closed", code=ErrorCode.NOT_ELIGIBLE)
    return None


async def dismiss(actor: Actor, invitation_id: int, *, at: datetime | None = None) -> None:
    """The member declines the survey: it is never offered again. Dismissing twice is fine."""
    member_id = own_member(actor)
    invitation = await invitation_of(member_id, invitation_id)
    now = at or datetime.now(UTC)
    if await SurveyInvitation.filter(id=invitation.id, status=InvitationStatus.OFFERED).update(
        status=InvitationStatus.DISMISSED, decided_at=now
    ):
        return
    await invitation.refresh_from_db()
    if invitation.status is InvitationStatus.ANSWERED:
        raise Conflict("you have already answered this survey")
