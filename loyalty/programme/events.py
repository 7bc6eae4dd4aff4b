"""Points for events (a visit, a review, a completed profile, a referral, a birthday), each
capped per member so it cannot be farmed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from tortoise.expressions import F
from tortoise.transactions import in_transaction

from loyalty import ledger, members, validation
from loyalty.actors import Actor
from loyalty.errors import Conflict, InvalidInput
from loyalty.idempotency import derived_key, request_hash
from loyalty.ledger import Purse, SystemAccount
from loyalty.models import EventAward, JournalTransaction, MemberStanding, Role, TransactionKind
from loyalty.programme import engine, expiry, snapshot, standing, tiers
from loyalty.programme.definitions import EVENTS, EventPoints
from loyalty.programme.engine import POINTS, Line
from loyalty.programme.facts import event_awards_in_period
from loyalty.programme.rules import CompiledRule


class AlreadyRewarded(Conflict):
    """Every rule for the event had already rewarded this reference."""


@dataclass(frozen=True, slots=True)
class EventResult:
    awarded: list[Line]
    transaction: JournalTransaction | None


def rules_for(programme: snapshot.Programme, event: str, at: datetime) -> list[CompiledRule]:
    return [
        rule
        for rule in engine.rules_in_force(programme, at, None)
        if isinstance(rule.params, EventPoints) and rule.params.event == event
    ]


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
    rules = rules_for(programme, event, at)
    # The member's standing is locked: these reads cannot race another award of theirs.
    done = set(
        await EventAward.filter(
            member_id=member_id, reference=reference, rule_id__in=[r.id for r in rules]
        ).values_list("rule_id", flat=True)
    )
    if rules and len(done) == len(rules):
        raise AlreadyRewarded(f"{event} {reference} was already rewarded for this member")
    for rule in rules:
        params: EventPoints = rule.params  # type: ignore[assignment]
        if rule.id in done:
            continue
        if await event_awards_in_period(member_id, rule.id, params.cap_period, at) >= (
            params.cap_count
        ):
            continue
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
                engine.why(rule, programme),
                rule.id,
                rule.version,
            )
        )
    if not awarded:
        return EventResult([], None)
    total = sum(line.amount for line in awarded)
    expires = expiry.expires_at(programme.expiry_policy, at)  # type: ignore[arg-type]
    accounts = ledger.member_accounts_of(member_id, own.points_account_id, own.credit_account_id)
    transaction = await ledger.transfer_from(
        accounts[Purse.POINTS],
        total,
        SystemAccount.POINTS_ISSUED,
        kind=TransactionKind.EARN,
        member_id=member_id,
        idempotency_key=derived_key(
            "event", member_id, event, reference, *(line.rule_id for line in awarded)
        ),
        request_hash=request_hash({"op": "event", "event": event, "reference": reference}),
        reason_code=f"event_{event}",
        reason="; ".join(line.text.en for line in awarded)[:500],
        purchase_id=purchase_id,
        staff_id=actor.staff_id,
        lines=[line.as_json() for line in awarded],
        tier_points=total,
        points_expire_at=expires,
    )
    values: dict = {"tier_points_total": F("tier_points_total") + total}
    if expires is not None and (own.next_expiry_at is None or expires < own.next_expiry_at):
        values["next_expiry_at"] = expires
    await MemberStanding.filter(id=own.id).update(**values)
    own.tier_points_total += total
    # Event points count towards tiers like any other: a threshold crossed moves the member up.
    await tiers.upgrade_if_reached(own, programme, at)
    return EventResult(awarded, transaction)


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
    await members.get(member_id)
    async with in_transaction():
        return await award(actor, member_id=member_id, event=event, reference=reference)
