"""Points for events (a visit, a review, a completed profile, a referral, a birthday), each
capped per member so it cannot be farmed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from tortoise.expressions import F
from tortoise.transactions import in_transaction

from loyalty import leaderboard, ledger, members, validation
from loyalty.actors import Actor
from loyalty.errors import Conflict, InvalidInput
from loyalty.idempotency import derived_key, request_hash
from loyalty.ledger import Purse, SystemAccount
from loyalty.models import EventAward, JournalTransaction, MemberStanding, Role, TransactionKind
from loyalty.programme import engine, expiry, explain, snapshot, standing, tiers
from loyalty.programme.definitions import EVENTS, PROFILE_EVENTS, EventPoints
from loyalty.programme.engine import POINTS, Line
from loyalty.programme.facts import event_awards_in_period
from loyalty.programme.rules import CompiledRule


class AlreadyRewarded(Conflict):
    """Every rule for the event had already rewarded this reference."""


@dataclass(frozen=True, slots=True)
class EventResult:
    awarded: list[Line]
    transaction: JournalTransaction | None


def rules_for(
    programme: snapshot.Programme, event: str, reference: str, at: datetime
) -> list[CompiledRule]:
    return [
        rule
        for rule in engine.rules_in_force(programme, at, None)
        if isinstance(rule.params, EventPoints)
        and rule.params.event == event
        and rule.params.rewards(reference)
    ]


async def _due(
    programme: snapshot.Programme, member_id: int, event: str, reference: str, at: datetime
) -> list[CompiledRule]:
    """The rules that would reward `reference` now: in force, not yet rewarded it, within
    their caps. Raises AlreadyRewarded if every rule in force had rewarded it already."""
    rules = rules_for(programme, event, reference, at)
    if not rules:
        return []
    done = set(
        await EventAward.filter(
            member_id=member_id, reference=reference, rule_id__in=[r.id for r in rules]
        ).values_list("rule_id", flat=True)
    )
    if len(done) == len(rules):
        raise AlreadyRewarded(f"{event} {reference} was already rewarded for this member")
    due = []
    for rule in rules:
        params: EventPoints = rule.params  # type: ignore[assignment]
        if rule.id in done or (
            params.capped
            and await event_awards_in_period(member_id, rule.id, params.cap_period, at)
            >= params.cap_count
        ):
            continue
        due.append(rule)
    return due


async def points_due(member_id: int, event: str, reference: str) -> int:
    """The points `award` would give for `reference` now (0 when it was rewarded already)."""
    try:
        due = await _due(await snapshot.current(), member_id, event, reference, datetime.now(UTC))
    except AlreadyRewarded:
        return 0
    return sum(rule.params.points for rule in due)  # type: ignore[union-attr]


async def award(
    actor: Actor,
    *,
    member_id: int,
    event: str,
    reference: str,
    purchase_id: int | None = None,
    at: datetime | None = None,
) -> EventResult:
    """Give the points the event rules offer for `event`, each rule once per `reference`,
    within its cap. Raises AlreadyRewarded if every rule in force had rewarded it already.

    Call inside a database transaction when part of a larger write (referral, profile);
    staff record events such as a product review through `record`.
    """
    if event not in EVENTS:
        raise InvalidInput(f"unknown event {event!r}", field="event")
    at = at or datetime.now(UTC)
    programme = await snapshot.current()
    own = await standing.lock(member_id)
    awarded: list[Line] = []
    # The member's standing is locked: what is due cannot race another award of theirs.
    for rule in await _due(programme, member_id, event, reference, at):
        params: EventPoints = rule.params  # type: ignore[assignment]
        await EventAward.create(
            member_id=member_id,
            event=event,
            reference=reference,
            rule_id=rule.id,
            points=params.points,
            created_at=at,
        )
        awarded.append(
            Line(
                rule.kind.value,
                POINTS,
                params.points,
                engine.why(rule, programme) + explain.rewarded_for(params, reference),
                rule.id,
                rule.version,
            )
        )
    if not awarded:
        return EventResult([], None)
    transaction = await earn_points(
        own,
        programme,
        awarded,
        at,
        idempotency_key=derived_key(
            "event", member_id, event, reference, *(line.rule_id for line in awarded)
        ),
        request_hash=request_hash({"op": "event", "event": event, "reference": reference}),
        reason_code=f"event_{event}",
        purchase_id=purchase_id,
        staff_id=actor.staff_id,
    )
    return EventResult(awarded, transaction)


async def earn_points(
    own: MemberStanding,
    programme: snapshot.Programme,
    lines: list[Line],
    at: datetime,
    **details: object,
) -> JournalTransaction:
    """Post points earned outside a purchase (events, surveys): one EARN of the lines' total,
    expiring by the policy and counting towards tiers. Call inside a database transaction
    holding the member's standing lock (`own`); `details` go to the ledger (key, reason code...).
    """
    member_id: int = own.member_id  # type: ignore[attr-defined]
    total = sum(line.amount for line in lines)
    expires = expiry.expires_at(programme.expiry_policy, at)  # type: ignore[arg-type]
    accounts = ledger.member_accounts_of(member_id, own.points_account_id, own.credit_account_id)
    transaction = await ledger.transfer_from(
        accounts[Purse.POINTS],
        total,
        SystemAccount.POINTS_ISSUED,
        kind=TransactionKind.EARN,
        member_id=member_id,
        reason="; ".join(line.text.en for line in lines)[:500],
        lines=[line.as_json() for line in lines],
        tier_points=total,
        points_expire_at=expires,
        **details,
    )
    values: dict = {"tier_points_total": F("tier_points_total") + total}
    if expires is not None and (own.next_expiry_at is None or expires < own.next_expiry_at):
        values["next_expiry_at"] = expires
    await MemberStanding.filter(id=own.id).update(**values)
    own.tier_points_total += total
    # These points count towards tiers like any other: a threshold crossed moves the member up.
    await tiers.upgrade_if_reached(own, programme, at)
    return transaction


async def award_once(actor: Actor, *, member_id: int, event: str) -> EventResult:
    """Give `event`'s points unless the member already had them (a profile completed once)."""
    try:
        return await award(actor, member_id=member_id, event=event, reference=event)
    except AlreadyRewarded:
        return EventResult([], None)


async def record(actor: Actor, *, member_id: int, event: str, reference: str) -> EventResult:
    """Staff record an event for a member (e.g. a product review they approved)."""
    actor.require_staff(Role.MANAGER, Role.CASHIER, Role.OPERATOR)
    reference = validation.text(reference, field="reference", max_length=100, required=True)
    if event == "visit":
        # Visits are purchases: counting them here too would let them be farmed.
        raise InvalidInput("visits are recorded by recording a purchase", field="event")
    if event in PROFILE_EVENTS:
        # Each is rewarded for what the profile holds: any other reference would farm it.
        raise InvalidInput("profile points are earned by filling in the profile", field="event")
    await members.get(member_id)
    with leaderboard.collecting() as earned:
        async with in_transaction():
            result = await award(actor, member_id=member_id, event=event, reference=reference)
    await leaderboard.record_points(earned)
    return result
