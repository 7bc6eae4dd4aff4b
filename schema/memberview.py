"""The member 360° view (staff who look after members): the whole record in one query, every
long list paged by cursor (loyalty/memberview.py)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Annotated, Any

import strawberry
from strawberry.types import Info

from loyalty import memberview
from loyalty import models as m
from loyalty.history import Page
from loyalty.programme import coupons
from schema.cards import Card
from schema.context import Context
from schema.errors import NotFoundError, result_union, returns_errors
from schema.happycalls import Complaint, EarlierCall, EarlierCallAnswer, InLanguage
from schema.journeys import MessagePurpose
from schema.profile import MessageChannel
from schema.rewards import Voucher
from schema.types import (
    AfterCursor,
    Connection,
    Member,
    PageSize,
    TierChange,
    connection,
    decode_cursor,
    parse_id,
)

MessageStatus = strawberry.enum(
    m.MessageStatus, description="What became of a message: scheduled, sent, held back, failed."
)
RecipientGroup = strawberry.enum(
    m.RecipientGroup, description="A campaign's treatment (messaged) or holdout (left out)."
)


@strawberry.type(description="A message to the member, on any channel, and what became of it.")
class MemberMessage:
    id: strawberry.ID = strawberry.field(description="The message's id.")
    at: datetime = strawberry.field(description="When it went, or is due (UTC).")
    channel: MessageChannel = strawberry.field(description="Where besides the inbox.")
    purpose: MessagePurpose = strawberry.field(description="Marketing or service.")
    status: MessageStatus = strawberry.field(description="Sent, held back, failed or waiting.")
    reason: str = strawberry.field(description="Why it was held back or failed.")
    source: str = strawberry.field(description="What sent it (a campaign, a journey…).")
    title: str = strawberry.field(description="Its title.")
    body: str = strawberry.field(description="Its text.")

    @classmethod
    def from_model(cls, x: m.Message) -> MemberMessage:
        return cls(
            id=strawberry.ID(str(x.id)),
            at=x.sent_at or x.due_at,
            channel=x.channel,
            purpose=x.purpose,
            status=x.status,
            reason=x.reason,
            source=x.source,
            title=x.title,
            body=x.body,
        )


@strawberry.type(description="A campaign the member was in: messaged, or held out to compare.")
class CampaignReceived:
    campaign_id: strawberry.ID = strawberry.field(description="The campaign.")
    campaign_name: str = strawberry.field(description="Its name.")
    group: RecipientGroup = strawberry.field(description="Treatment or holdout.")
    message_status: MessageStatus | None = strawberry.field(
        description="What became of the message (treatment only)."
    )
    voucher_code: str | None = strawberry.field(description="The voucher it gave, if any.")
    voucher_uses: int | None = strawberry.field(description="How often that voucher was used.")

    @classmethod
    def from_model(cls, r: m.CampaignRecipient) -> CampaignReceived:
        return cls(
            campaign_id=strawberry.ID(str(r.campaign.id)),
            campaign_name=r.campaign.name,
            group=r.group,
            message_status=r.message.status if r.message else None,
            voucher_code=r.voucher.code if r.voucher else None,
            voucher_uses=r.voucher.uses if r.voucher else None,
        )


@strawberry.type(description="A reward the member redeemed with points.")
class RewardRedeemedEntry:
    reward_id: strawberry.ID = strawberry.field(description="The reward.")
    reward_name: str = strawberry.field(description="Its name.")
    points: int = strawberry.field(description="Points it cost.")
    redeemed_at: datetime = strawberry.field(description="When (UTC).")
    voucher_code: str | None = strawberry.field(description="The voucher it gave, if any.")

    @classmethod
    def from_model(cls, r: m.RewardRedemption) -> RewardRedeemedEntry:
        return cls(
            reward_id=strawberry.ID(str(r.reward.id)),
            reward_name=r.reward.name,
            points=r.points,
            redeemed_at=r.created_at,
            voucher_code=r.voucher.code if r.voucher else None,
        )


@strawberry.type(description="A survey the member answered, in the app or on a call.")
class AnsweredSurvey:
    id: strawberry.ID = strawberry.field(description="The response's id.")
    survey_name: str = strawberry.field(description="The survey.")
    answered_at: datetime = strawberry.field(description="When (UTC).")
    comment: str = strawberry.field(description="The member's comment.")
    answers: list[EarlierCallAnswer] = strawberry.field(description="The answers, in words.")

    @classmethod
    def from_domain(cls, a: memberview.AnsweredSurvey, language: str) -> AnsweredSurvey:
        return cls(
            id=strawberry.ID(str(a.response.id)),
            survey_name=a.survey_name.pick(language),
            answered_at=a.response.answered_at,
            comment=a.response.comment,
            answers=EarlierCallAnswer.all_of(a.answers, language),
        )


@strawberry.type(
    description="A member's whole record: `member` holds the profile, consents (and their "
    "history), balances, tier, purchases and ledger; the rest is here, each long list newest "
    "first, a page at a time."
)
class MemberView:
    member: Member = strawberry.field(description="Profile, consents, balances, purchases…")
    member_id: strawberry.Private[int]

    async def _page(
        self,
        kind: str,
        fetch: Callable[..., Awaitable[Page]],
        first: int,
        after: str | None,
        to_node: Callable[[Any], Any],
        **key: Callable[[Any], int],
    ) -> Connection:
        """A page of the member's list `fetch` from the cursor `after` (one of `kind`'s), as a
        connection; `key=` says what an item's cursor holds (its id unless said)."""
        page = await fetch(self.member_id, first=first, before_id=decode_cursor(kind, after))
        return connection(kind, page, to_node, **key)

    @strawberry.field(description="Tier moves, newest first.")
    async def tier_changes(
        self, first: PageSize = 20, after: AfterCursor = None
    ) -> Connection[TierChange]:
        return await self._page(
            "tierchange", memberview.tier_changes, first, after, TierChange.from_model
        )

    @strawberry.field(description="Vouchers (offers as codes) the member holds, used or not.")
    async def vouchers(
        self, first: PageSize = 20, after: AfterCursor = None
    ) -> Connection[Voucher]:
        return await self._page(
            "voucher", coupons.vouchers, first, after, Voucher.from_domain, key=lambda v: v.code.id
        )

    @strawberry.field(description="Campaigns the member was in.")
    async def campaigns(
        self, first: PageSize = 20, after: AfterCursor = None
    ) -> Connection[CampaignReceived]:
        return await self._page(
            "recipient", memberview.campaigns, first, after, CampaignReceived.from_model
        )

    @strawberry.field(description="Rewards redeemed.")
    async def reward_redemptions(
        self, first: PageSize = 20, after: AfterCursor = None
    ) -> Connection[RewardRedeemedEntry]:
        return await self._page(
            "redemption", memberview.redemptions, first, after, RewardRedeemedEntry.from_model
        )

    @strawberry.field(description="Messages on every channel, sent or held back.")
    async def messages(
        self, first: PageSize = 20, after: AfterCursor = None
    ) -> Connection[MemberMessage]:
        return await self._page(
            "message", memberview.messages, first, after, MemberMessage.from_model
        )

    @strawberry.field(description="Surveys answered, with the answers.")
    async def surveys(
        self,
        info: Info[Context, None],
        first: PageSize = 20,
        after: AfterCursor = None,
        language: InLanguage = None,
    ) -> Connection[AnsweredSurvey]:
        words = (language or await info.context.language()).value
        return await self._page(
            "response",
            memberview.surveys,
            first,
            after,
            lambda a: AnsweredSurvey.from_domain(a, words),
            key=lambda a: a.response.id,
        )

    @strawberry.field(description="Happy calls (every try), with the answers of completed ones.")
    async def calls(
        self,
        info: Info[Context, None],
        first: PageSize = 20,
        after: AfterCursor = None,
        language: InLanguage = None,
    ) -> Connection[EarlierCall]:
        words = (language or await info.context.language()).value
        return await self._page(
            "attempt", memberview.calls, first, after, lambda c: EarlierCall.from_domain(c, words)
        )

    @strawberry.field(description="Complaints, open and closed, with their follow-ups.")
    async def complaints(
        self, first: PageSize = 20, after: AfterCursor = None
    ) -> Connection[Complaint]:
        return await self._page(
            "complaint", memberview.complaints, first, after, Complaint.from_model
        )

    @strawberry.field(description="The member's cards, newest first.")
    async def cards(self) -> list[Card]:
        return [Card.from_model(c) for c in await memberview.cards(self.member_id)]


MemberViewResult = result_union(
    "MemberViewResult", "Result of memberView.", MemberView, NotFoundError
)


@strawberry.type
class MemberViewQueries:
    @strawberry.field(
        description="Managers, supervisors and operators: a member's whole record (360° view)."
    )
    @returns_errors
    async def member_view(
        self,
        info: Info[Context, None],
        id: Annotated[strawberry.ID, strawberry.argument(description="The member's id.")],
    ) -> MemberViewResult:
        member = await memberview.member_for(info.context.require_actor(), parse_id(id, "id"))
        return MemberView(member=Member.from_model(member), member_id=member.id)
