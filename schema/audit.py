"""The staff audit log: which mutations it records, the hook that records them, and the
managers' query of the log.

Every mutation of the schema is either in AUDITED (staff doing it leaves one entry, written in
the mutation's own transaction) or in NOT_AUDITED with the reason; tests/privacy enforce that.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any

import strawberry
from strawberry.extensions import FieldExtension
from strawberry.scalars import JSON
from strawberry.types import Info
from strawberry.utils.str_converters import to_camel_case

from loyalty import audit
from loyalty.models import AuditEntry as AuditEntryModel
from schema.context import Context
from schema.errors import Error
from schema.types import AfterCursor, Connection, PageSize, connection, decode_cursor, parse_id


@dataclass(frozen=True, slots=True)
class Audited:
    """How a mutation is logged: the kind of row it changes, and where that row's id is: a
    dotted path into the mutation's `input` or into its success `result`."""

    entity: str
    id_at: str


def _member(at: str = "input.member_id") -> Audited:
    return Audited("member", at)


# GraphQL mutation name → how staff doing it is logged.
AUDITED: dict[str, Audited] = {
    # members and their balances
    "enrolMember": _member("result.member.id"),
    "updateMemberProfile": _member(),
    "recordPurchase": Audited("purchase", "result.purchase.id"),
    "topUpCredit": _member(),
    "spendAtCounter": _member(),
    "adjustBalance": _member(),
    "reverseTransaction": Audited("transaction", "input.transaction_id"),
    "refundPurchase": Audited("purchase", "input.purchase_id"),
    "awardEventPoints": _member(),
    "redeemReward": _member(),
    "issueCouponCodes": Audited("coupon", "input.coupon_id"),
    # the club
    "createBranch": Audited("branch", "result.branch.id"),
    "createStaffUser": Audited("staff_user", "result.staff.id"),
    # rules and the programme's configuration
    "createEarningRule": Audited("earning_rule", "result.rule.id"),
    "updateEarningRule": Audited("earning_rule", "input.id"),
    "setEarningRuleActive": Audited("earning_rule", "input.id"),
    "saveTier": Audited("tier", "result.tier.id"),
    "setTierPolicy": Audited("setting", "tier_policy"),
    "setExpiryPolicy": Audited("setting", "expiry_policy"),
    "createCoupon": Audited("coupon", "result.coupon.id"),
    "updateCoupon": Audited("coupon", "input.id"),
    "createReward": Audited("reward", "result.reward.id"),
    "updateReward": Audited("reward", "input.id"),
    "createStampCard": Audited("stamp_card", "result.card.id"),
    "updateStampCard": Audited("stamp_card", "input.id"),
    "setStampCardActive": Audited("stamp_card", "input.id"),
    "createSurvey": Audited("survey", "result.survey.id"),
    "updateSurvey": Audited("survey", "input.id"),
    "setSurveyActive": Audited("survey", "input.id"),
    "createWheel": Audited("wheel", "result.wheel.id"),
    "updateWheel": Audited("wheel", "input.id"),
    "activateWheel": Audited("wheel", "input.id"),
    "endWheel": Audited("wheel", "input.id"),
    "rotateWheelSeed": Audited("wheel", "input.wheel_id"),
    "createLottery": Audited("lottery", "result.lottery.id"),
    "updateLottery": Audited("lottery", "input.id"),
    "activateLottery": Audited("lottery", "input.id"),
    "createCampaign": Audited("campaign", "result.campaign.id"),
    "updateCampaign": Audited("campaign", "input.id"),
    "scheduleCampaign": Audited("campaign", "input.id"),
    "cancelCampaign": Audited("campaign", "input.id"),
    "createJourney": Audited("journey", "result.journey.id"),
    "updateJourney": Audited("journey", "input.id"),
    "pauseJourney": Audited("journey", "input.id"),
    "resumeJourney": Audited("journey", "input.id"),
    "setMessagingPolicy": Audited("setting", "messaging_policy"),
    "createHappyCallRule": Audited("happy_call_rule", "result.rule.id"),
    "updateHappyCallRule": Audited("happy_call_rule", "input.id"),
    "setHappyCallPolicy": Audited("setting", "happy_call_policy"),
    "setOfflinePolicy": Audited("setting", "offline_policy"),
    "setAnalysisPolicy": Audited("setting", "analysis_policy"),
    "setLiabilityPolicy": Audited("setting", "liability_policy"),
    "createSavedSegment": Audited("saved_segment", "result.saved_segment.id"),
    "updateSavedSegment": Audited("saved_segment", "input.id"),
    # cards
    "issueCardRecord": Audited("card", "result.card_number"),
    "enrolCard": Audited("card", "result.card.card_number"),
    "blockCard": Audited("card", "input.card_number"),
    "blockTappedCard": Audited("card", "result.card.card_number"),
    "replaceCard": Audited("card", "result.card.card_number"),
    "purchaseByCard": Audited("purchase", "result.purchase.id"),
    "topUpByCard": Audited("transaction", "result.entry.id"),
    "payByCard": Audited("transaction", "result.entry.id"),
    "resolveOfflineReview": Audited("offline_review", "input.id"),
    # happy calls and complaints
    "claimNextHappyCall": Audited("happy_call", "result.call.id"),
    "releaseHappyCall": Audited("happy_call", "input.call_id"),
    "recordHappyCallOutcome": Audited("happy_call", "input.call_id"),
    "raiseComplaint": Audited("complaint", "result.complaint.id"),
    "addComplaintFollowUp": Audited("complaint", "input.complaint_id"),
}

# Mutations staff do not make, or that change nothing the log is about, and why.
NOT_AUDITED: dict[str, str] = {
    "requestSignInCode": "a visitor asking for a code; no staff",
    "signInWithCode": "a member signing in",
    "signInWithFirebase": "a member signing in",
    "signInStaff": "signing in changes no member, balance, rule or card",
    "refreshSession": "renewing tokens changes nothing",
    "updateMyProfile": "the member themself",
    "updateLeaderboardSettings": "the member themself",
    "registerDevice": "the member themself",
    "unregisterDevice": "the member themself",
    "markInboxRead": "the member themself",
    "answerSurvey": "the member themself",
    "dismissSurvey": "the member themself",
    "spinWheel": "the member themself",
    "buyLotteryTickets": "the member themself",
    "eraseMyData": "the domain logs every erasure itself, a member's too",
    "eraseMember": "the domain logs every erasure itself, a member's too",
}


def _dig(value: Any, path: list[str]) -> Any:
    for name in path:
        value = getattr(value, name, None) if not isinstance(value, dict) else value.get(name)
        if value is None:
            return None
    return value


class AuditExtension(FieldExtension):
    """Runs a staff mutation and its log entry in one transaction (loyalty.audit.audited)."""

    def __init__(self, action: str, how: Audited) -> None:
        self.action = action
        self.how = how

    def subject(self, request: dict[str, Any], result: Any) -> audit.Subject | None:
        # A refusal, or a replay of a request already made, changed nothing.
        if isinstance(result, Error) or getattr(result, "replayed", False):
            return None
        if getattr(result, "created", True) is False:
            return None
        where, _, path = self.how.id_at.partition(".")
        if where == "input":
            found = _dig(request.get("input"), path.split("."))
        elif where == "result":
            found = _dig(result, path.split("."))
            if found is None:  # nothing made (no call left to claim)
                return None
        else:  # a fixed name: the club's one row of a setting
            found = self.how.id_at
        return audit.Subject(self.how.entity, "" if found is None else found)

    async def resolve_async(
        self, next_: Any, source: Any, info: Info[Context, None], **kwargs: Any
    ) -> Any:
        return await audit.audited(
            info.context.actor,
            self.action,
            lambda: next_(source, info, **kwargs),
            subject=lambda result: self.subject(kwargs, result),
            request=kwargs.get("input", kwargs),
        )


def install(mutation_type: type) -> None:
    """Put the hook on every audited mutation of the root Mutation type (once, at import)."""
    for field in mutation_type.__strawberry_definition__.fields:  # type: ignore[attr-defined]
        name = field.graphql_name or to_camel_case(field.python_name)
        how = AUDITED.get(name)
        if how is not None and not any(isinstance(e, AuditExtension) for e in field.extensions):
            field.extensions.append(AuditExtension(name, how))


@strawberry.type(description="One staff action in the audit log.")
class AuditEntry:
    id: strawberry.ID = strawberry.field(description="The entry's id.")
    at: datetime = strawberry.field(description="When it was done (UTC).")
    staff_id: strawberry.ID | None = strawberry.field(description="The staff user who did it.")
    role: str = strawberry.field(description="Their role then.")
    action: str = strawberry.field(description="The mutation, e.g. adjustBalance.")
    entity: str = strawberry.field(description="The kind of row changed, e.g. member, card.")
    entity_id: str = strawberry.field(description="Which one.")
    request: JSON = strawberry.field(description="The request, personal values blanked (•).")
    client: str = strawberry.field(description="The client it came through (console, station…).")
    ip: str = strawberry.field(description="The address it came from.")

    @classmethod
    def from_model(cls, row: AuditEntryModel) -> AuditEntry:
        return cls(
            id=strawberry.ID(str(row.id)),
            at=row.at,
            staff_id=strawberry.ID(str(row.staff_id)) if row.staff_id is not None else None,
            role=row.role,
            action=row.action,
            entity=row.entity,
            entity_id=row.entity_id,
            request=row.request,
            client=row.client,
            ip=row.ip,
        )


@strawberry.input(description="Which audit entries to list; every filter given must match.")
class AuditLogFilter:
    staff_id: strawberry.ID | None = strawberry.field(default=None, description="Staff user.")
    action: str | None = strawberry.field(default=None, description="Mutation name.")
    entity: str | None = strawberry.field(default=None, description="Kind of row.")
    entity_id: str | None = strawberry.field(default=None, description="Row id.")
    client: str | None = strawberry.field(default=None, description="Client name.")
    since: datetime | None = strawberry.field(default=None, description="From (inclusive).")
    until: datetime | None = strawberry.field(default=None, description="To (exclusive).")


@strawberry.type
class AuditQueries:
    @strawberry.field(description="Manager: the staff audit log, newest first.")
    async def audit_log(
        self,
        info: Info[Context, None],
        filter: Annotated[
            AuditLogFilter | None, strawberry.argument(description="What to list.")
        ] = None,
        first: PageSize = 50,
        after: AfterCursor = None,
    ) -> Connection[AuditEntry]:
        wanted = filter or AuditLogFilter()
        page = await audit.entries(
            info.context.require_actor(),
            staff_id=parse_id(wanted.staff_id, "staffId") if wanted.staff_id else None,
            action=wanted.action,
            entity=wanted.entity,
            entity_id=wanted.entity_id,
            client=wanted.client,
            since=wanted.since,
            until=wanted.until,
            first=first,
            before_id=decode_cursor("audit", after),
        )
        return connection("audit", page, AuditEntry.from_model)
