"""Cards in the domain: the record binds a card to its tag; enrol, tap, block, replace; offline
replays the server refuses are kept for review."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from loyalty import ledger
from loyalty.actors import Actor
from loyalty.cards import cards, counter, keys, reviews, station
from loyalty.cards.cards import Tap
from loyalty.errors import Conflict, DomainError, ErrorCode, NotFound, PermissionDenied
from loyalty.ledger import Purse
from loyalty.models import CardStatus, OfflineReview, Role
from loyalty.settings import get_settings
from loyalty.wallet import CounterPayment
from tests import factories as f

UID = "04A224B2C35E80"
OTHER_UID = "04B335C3D46F91"


async def _written(actor: Actor, uid: str = UID) -> Tap:
    issued = await cards.issue_record(actor, uid)
    return Tap(issued.record.text, uid)


@pytest.fixture
async def shop():
    branch = await f.branch()
    return (
        branch,
        await f.staff_actor(Role.STATION, branch.id),
        await f.staff_actor(Role.CASHIER, branch.id),
    )


async def test_a_record_verifies_only_on_its_own_tag() -> None:
    record = keys.new_record(UID)
    assert keys.verify(record.text, UID.lower()) == record
    for uid in (OTHER_UID,):
        with pytest.raises(DomainError) as refused:
            keys.verify(record.text, uid)
        assert refused.value.code is ErrorCode.CARD_INVALID
    tampered = record.text[:-2] + ("AA" if not record.text.endswith("AA") else "BB")
    for text in (tampered, "LC1.000000000001.1." + record.mac, "hello", ""):
        with pytest.raises(DomainError) as refused:
            keys.verify(text, UID)
        assert refused.value.code is ErrorCode.CARD_INVALID


async def test_cards_under_an_older_key_keep_working_after_a_new_key(monkeypatch) -> None:
    old = keys.new_record(UID)
    assert old.key_version == 1
    monkeypatch.setitem(get_settings().card_keys, 2, "k" * 40)
    new = keys.new_record(UID)
    assert new.key_version == 2
    assert keys.verify(old.text, UID) == old
    assert keys.verify(new.text, UID) == new
    monkeypatch.delitem(get_settings().card_keys, 2)
    with pytest.raises(DomainError, match="does not hold"):
        keys.verify(new.text, UID)


async def test_tag_passwords_differ_per_tag() -> None:
    assert len(keys.tag_password(UID)) == 6
    assert keys.tag_password(UID) != keys.tag_password(OTHER_UID)


async def test_enrol_then_tap_finds_the_member(shop) -> None:
    branch, station_actor, _ = shop
    sara = await f.member("Sara")
    tap = await _written(station_actor)
    bound = await cards.enrol(station_actor, tap, sara.id)
    assert not bound.replayed
    assert (bound.card.uid, bound.card.key_version, bound.card.branch_id) == (UID, 1, branch.id)
    assert (await cards.enrol(station_actor, tap, sara.id)).replayed
    card = await cards.resolve(station_actor, tap)
    assert card.member.id == sara.id


async def test_a_bound_card_or_tag_is_refused(shop) -> None:
    _, station_actor, _ = shop
    sara, reza = await f.member("Sara"), await f.member("Reza")
    tap = await _written(station_actor)
    await cards.enrol(station_actor, tap, sara.id)
    with pytest.raises(Conflict):
        await cards.enrol(station_actor, tap, reza.id)
    with pytest.raises(Conflict):
        await cards.issue_record(station_actor, UID)


async def test_a_card_keeper_blocks_the_card_tapped(shop) -> None:
    _, station_actor, cashier = shop
    tap = await _written(station_actor)
    card = (await cards.enrol(station_actor, tap, (await f.member()).id)).card
    with pytest.raises(PermissionDenied):
        await cards.block_tapped(station_actor, tap, "lost")
    with pytest.raises(DomainError):  # the record copied onto another tag blocks nothing
        await cards.block_tapped(cashier, Tap(tap.record, OTHER_UID), "lost")
    assert (await cards.get(cashier, card.card_number)).status is CardStatus.ACTIVE
    blocked = await cards.block_tapped(cashier, tap, "damaged")
    assert (blocked.card_number, blocked.status, blocked.status_reason) == (
        card.card_number,
        CardStatus.BLOCKED,
        "damaged",
    )


async def test_a_copied_record_on_another_tag_is_refused(shop) -> None:
    _, station_actor, _ = shop
    tap = await _written(station_actor)
    await cards.enrol(station_actor, tap, (await f.member()).id)
    with pytest.raises(DomainError) as refused:
        await cards.resolve(station_actor, Tap(tap.record, OTHER_UID))
    assert refused.value.code is ErrorCode.CARD_INVALID


async def test_a_written_card_never_bound_is_not_found(shop) -> None:
    _, station_actor, _ = shop
    with pytest.raises(NotFound):
        await cards.resolve(station_actor, await _written(station_actor))


async def test_blocked_refused_and_the_replacement_takes_over_the_balances(shop) -> None:
    _, station_actor, cashier = shop
    sara = await f.member("Sara")
    await f.give(sara.id, Purse.CREDIT, 500_000)
    old = await _written(station_actor)
    old_card = (await cards.enrol(station_actor, old, sara.id)).card
    with pytest.raises(PermissionDenied):
        await cards.block(station_actor, old_card.card_number, "lost")
    blocked = await cards.block(cashier, old_card.card_number, "lost")
    assert blocked.status is CardStatus.BLOCKED
    with pytest.raises(DomainError) as refused:
        await cards.resolve(station_actor, old)
    assert refused.value.code is ErrorCode.CARD_BLOCKED

    new = await _written(station_actor, OTHER_UID)
    replaced = await cards.replace(cashier, old_card.card_number, new, "lost")
    assert not replaced.replayed
    assert (await cards.replace(cashier, old_card.card_number, new, "lost")).replayed
    assert (await cards.get(cashier, old_card.card_number)).status is CardStatus.REPLACED
    result = await counter.pay(
        station_actor, new, purse=Purse.CREDIT, amount=200_000, idempotency_key=f.key()
    )
    assert result.balances.credit == 300_000
    with pytest.raises(DomainError, match="replaced"):
        await cards.resolve(station_actor, old)


async def test_purchase_top_up_and_pay_by_card(shop) -> None:
    _, station_actor, _ = shop
    sara = await f.member()
    tap = await _written(station_actor)
    await cards.enrol(station_actor, tap, sara.id)
    bought = await counter.purchase(
        station_actor, tap, amount=1_000_000, receipt_number="R1", idempotency_key=f.key()
    )
    assert bought.purchase.member_id == sara.id
    top_up_key = f.key()
    topped = await counter.top_up(
        station_actor, tap, amount=300_000, paid_by=CounterPayment.CASH, idempotency_key=top_up_key
    )
    assert topped.transaction.reason_code == "top_up_cash"
    assert topped.transaction.reason.endswith("paid in cash")
    # A retry that says the member paid otherwise is another request: refused, nothing added.
    with pytest.raises(Conflict):
        await counter.top_up(
            station_actor,
            tap,
            amount=300_000,
            paid_by=CounterPayment.CARD,
            idempotency_key=top_up_key,
        )
    key = f.key()
    paid = await counter.pay(
        station_actor, tap, purse=Purse.CREDIT, amount=100_000, idempotency_key=key
    )
    assert paid.balances.credit == 200_000
    again = await counter.pay(
        station_actor, tap, purse=Purse.CREDIT, amount=100_000, idempotency_key=key
    )
    assert again.replayed and (await ledger.balances(sara.id)).credit == 200_000


async def test_an_offline_replay_refused_now_is_kept_for_review(shop) -> None:
    _, station_actor, cashier = shop
    sara = await f.member()
    tap = await _written(station_actor)
    card = (await cards.enrol(station_actor, tap, sara.id)).card
    done_before = f.key()
    await counter.top_up(
        station_actor,
        tap,
        amount=100_000,
        paid_by=CounterPayment.CARD,
        idempotency_key=done_before,
    )
    await cards.block(cashier, card.card_number, "stolen")
    accepted = datetime.now(UTC)
    key = f.key()
    for _ in range(2):  # a retried sync records it once
        with pytest.raises(DomainError, match="review") as refused:
            await counter.pay(
                station_actor,
                tap,
                purse=Purse.CREDIT,
                amount=50_000,
                idempotency_key=key,
                accepted_offline_at=accepted,
            )
        assert refused.value.code is ErrorCode.CARD_BLOCKED
    review = await OfflineReview.get(idempotency_key=key)
    assert (review.member_id, review.amount, review.error_code) == (sara.id, 50_000, "CARD_BLOCKED")
    # What went through before the card was blocked answers as it did, and is not reviewed.
    replay = await counter.top_up(
        station_actor,
        tap,
        amount=100_000,
        paid_by=CounterPayment.CARD,
        idempotency_key=done_before,
        accepted_offline_at=accepted,
    )
    assert replay.replayed
    manager = await f.manager()
    page = await reviews.listed(manager, open_only=True, first=10, before_id=None)
    assert [r.id for r in page.items] == [review.id]
    await reviews.resolve(manager, review.id, "refunded in cash")
    assert not (await reviews.listed(manager, open_only=True, first=10, before_id=None)).items
    with pytest.raises(Conflict):
        await reviews.resolve(manager, review.id, "again")


async def test_an_online_refusal_is_not_kept_for_review(shop) -> None:
    _, station_actor, _ = shop
    tap = await _written(station_actor)
    await cards.enrol(station_actor, tap, (await f.member()).id)
    with pytest.raises(DomainError):
        await counter.pay(
            station_actor, tap, purse=Purse.CREDIT, amount=50_000, idempotency_key=f.key()
        )
    assert await OfflineReview.all().count() == 0


async def test_the_station_reads_its_branch_and_offline_limits(shop) -> None:
    branch, station_actor, _ = shop
    config = await station.config(station_actor)
    assert config.branch.id == branch.id
    assert config.offline.credit_per_card_per_day > 0
