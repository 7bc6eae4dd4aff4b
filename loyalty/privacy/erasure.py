"""Erasure: a member's personal data pseudonymised, on their request (in the app) or a
manager's (on the member's request).

Removed: phone (a tombstone takes its place, so the number can enrol again as a new member),
names, birthday, gender, city, area, interests, leaderboard name; push tokens (devices switched
off); refresh tokens (signed out everywhere) and one-time codes sent to the phone; every free
text the member wrote or that was written about them (survey comments and text answers,
happy-call comments, complaint notes and follow-ups) and the titles and bodies of the messages
sent to them. Their consents are withdrawn (and the withdrawal recorded); active cards are
blocked.

Kept, so the ledger, reports and totals stay as they were: the member's id, enrolment branch
and date, language and calendar; accounts, balances, every ledger transaction and posting;
purchases and their items; tiers, stamps, coupons, rewards, game entries; survey scores and
choices; call outcomes; complaint categories and states; consent history; messages' kind,
purpose and status; the audit log (which keeps no personal values). `loyalty reconcile` stays
clean: no balance or posting is touched.

The member leaves the leaderboards at once. Erasing twice changes nothing more. Erasure is
audited, by whomever asked.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from tortoise.transactions import in_transaction

from loyalty import audit, consents, leaderboard
from loyalty.actors import Actor
from loyalty.errors import NotFound
from loyalty.leaderboard.scores import month_of
from loyalty.models import (
    Card,
    CardStatus,
    Complaint,
    ComplaintFollowUp,
    Consent,
    Device,
    HappyCallAttempt,
    InboxMessage,
    Member,
    Message,
    OtpChallenge,
    RefreshToken,
    SubjectKind,
    SurveyAnswer,
    SurveyResponse,
)
from loyalty.privacy.export import require_subject_or_manager

ERASED_REASON = "member erased"


def tombstone(member_id: int) -> str:
    """What stands in the phone's place: unique, and no phone number."""
    return f"erased-{member_id}"


@dataclass(frozen=True, slots=True)
class Erasure:
    member_id: int
    erased_at: datetime
    # False when the member had been erased already: nothing was changed.
    changed: bool


async def _blank_texts(member_id: int) -> None:
    responses = await SurveyResponse.filter(member_id=member_id).values_list("id", flat=True)
    await SurveyResponse.filter(id__in=responses).update(comment="")
    await SurveyAnswer.filter(response_id__in=responses).update(text="")
    await HappyCallAttempt.filter(member_id=member_id).update(comment="")
    complaints = await Complaint.filter(member_id=member_id).values_list("id", flat=True)
    await Complaint.filter(id__in=complaints).update(note="")
    await ComplaintFollowUp.filter(complaint_id__in=complaints).update(note="")
    await Message.filter(member_id=member_id).update(title="", body="")
    await InboxMessage.filter(member_id=member_id).update(title="", body="")


async def erase(actor: Actor, member_id: int, at: datetime | None = None) -> Erasure:
    """Pseudonymise the member (see the module's notes for what goes and what stays)."""
    require_subject_or_manager(actor, member_id)
    erasure = await _pseudonymise(actor, member_id, at or datetime.now(UTC))
    # Off the boards at once, not at the next rebuild; again on a repeat, should the board
    # (Redis) have failed the first time.
    await leaderboard.current_board().keep_off(member_id, month_of(datetime.now(UTC)))
    return erasure


async def _pseudonymise(actor: Actor, member_id: int, now: datetime) -> Erasure:
    async with in_transaction():
        member = await Member.filter(id=member_id).select_for_update().first()
        if member is None:
            raise NotFound("member", member_id)
        if member.erased_at is not None:
            return Erasure(member_id, member.erased_at, changed=False)
        phone = member.phone
        await consents.change(
            actor, member, {c: False for c in (Consent.MARKETING, Consent.PROFILING, Consent.CALLS)}
        )
        await Member.filter(id=member_id).update(
            phone=tombstone(member_id),
            first_name="",
            last_name="",
            birthday=None,
            birthday_calendar=None,
            gender=None,
            city="",
            area="",
            interests=[],
            display_name="",
            leaderboard_opt_out=True,
            erased_at=now,
        )
        for device in await Device.filter(member_id=member_id):
            device.token, device.active = f"erased-{device.id}", False
            await device.save(update_fields=["token", "active"])
        await RefreshToken.filter(
            subject_kind=SubjectKind.MEMBER, subject_id=member_id, revoked_at__isnull=True
        ).update(revoked_at=now)
        await OtpChallenge.filter(phone=phone).delete()
        await _blank_texts(member_id)
        await Card.filter(member_id=member_id, status=CardStatus.ACTIVE).update(
            status=CardStatus.BLOCKED,
            status_changed_at=now,
            status_changed_by_id=actor.staff_id,
            status_reason=ERASED_REASON,
        )
        await audit.record(actor, "eraseMember", audit.Subject("member", member_id))
    return Erasure(member_id, now, changed=True)
