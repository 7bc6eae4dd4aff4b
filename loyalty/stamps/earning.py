"""Stamps earned by purchases and taken back by refunds.

The policy:

- A purchase earns its stamps in its own database transaction (so a replayed request, which
  writes nothing, earns nothing twice): on an ITEM card one stamp for each unit of the
  matching items (quantity counts), less the units a code or reward gave free; on a PURCHASE
  card one stamp when the member paid (in money or credit) at least the card's minimum, and
  more than nothing. At most the card's `max_stamps_per_purchase`.
- Every change is a stamp event (append-only; its unique key makes it once, ever); the
  member's count on the card is their sum, cached on the progress row by atomic UPDATEs.
- A full card is consumed at once: 10 → 0, extra stamps carry over, 25 coffees on a card of
  10 fill two cards and leave 5. Each full card issues one voucher of the card's reward.
- A refund takes back the purchase's stamps in the share refunded, floored on the running
  total as the points are (see `refunds`): a full refund takes them all. When the card no
  longer holds them (a full card consumed them), the newest voucher that card gave the member
  and they have not used is withdrawn (it expires now) and its stamps come back to the card
  first. If none is left unused, the member keeps their reward and the card goes below zero:
  stamps owed, repaid by the next stamps earned before the card fills again.
- Both run under the member's standing lock (the purchase's, or taken here), so a voucher is
  never withdrawn while a purchase of the same member is using it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from loyalty import sql
from loyalty.idempotency import derived_key
from loyalty.models import (
    CouponCode,
    Purchase,
    PurchaseItem,
    Reversal,
    Reward,
    StampCard,
    StampEvent,
    StampProgress,
    StampReason,
    StampUnit,
)
from loyalty.programme import coupons, explain
from loyalty.programme import standing as standings
from loyalty.programme.coupons import Benefit, Given, VoucherStatus
from loyalty.programme.explain import Text
from loyalty.stamps import cards
from loyalty.stamps.cards import MAX_STAMPS_PER_PURCHASE

_EVENT_COLUMNS = (
    "member_id",
    "card_id",
    "purchase_id",
    "delta",
    "reason",
    "voucher_id",
    "key",
    "created_at",
)
# One statement for every card a purchase stamps, creating the rows it needs: atomic, and on
# PostgreSQL it holds the rows it changed until the purchase commits.
_ADD = (
    "INSERT INTO stamp_progress (member_id, card_id, stamps, completed, updated_at) VALUES {} "
    "ON CONFLICT (member_id, card_id) DO UPDATE SET "
    "stamps = stamp_progress.stamps + excluded.stamps, updated_at = excluded.updated_at "
    "RETURNING card_id, stamps"
)
# Conditional: consumes only stamps the card holds.
_CONSUME = (
    "UPDATE stamp_progress SET stamps = stamps - ?, completed = completed + ?, updated_at = ? "
    "WHERE member_id = ? AND card_id = ? AND stamps >= ? RETURNING stamps"
)
_TAKE_BACK = (
    "UPDATE stamp_progress SET stamps = stamps + ?, completed = completed - ?, updated_at = ? "
    "WHERE member_id = ? AND card_id = ?"
)


def _matches(card: StampCard, item: PurchaseItem) -> bool:
    return item.sku == card.sku if card.sku else item.category == card.category


def stamps_for(card: StampCard, items: Sequence[PurchaseItem], free: Counter, paid: int) -> int:
    """Stamps a purchase earns on `card`: `free` counts the units given free, by SKU, and
    `paid` is what the member paid, in money or credit."""
    if card.unit is StampUnit.ITEM:
        bought: Counter = Counter()
        for item in items:
            if _matches(card, item):
                bought[item.sku] += item.quantity
        earned = sum(max(0, units - free[sku]) for sku, units in bought.items())
    else:
        earned = 1 if paid > 0 and paid >= card.min_amount else 0
    return min(earned, card.max_stamps_per_purchase or MAX_STAMPS_PER_PURCHASE)


def _event(
    purchase: Purchase,
    card_id: int,
    delta: int,
    reason: StampReason,
    key: str,
    now: datetime,
    voucher_id: int | None = None,
) -> tuple:
    member_id = purchase.member_id  # type: ignore[attr-defined]
    return (member_id, card_id, purchase.id, delta, reason.value, voucher_id, key, now)


async def after_purchase(
    programme: object,
    purchase: Purchase,
    items: Sequence[PurchaseItem],
    given: Sequence[Given],
) -> list[Text]:
    """Stamp the cards in force that this purchase earns on, fill and reward the full ones.
    Call inside the purchase's transaction, holding the member's standing lock. Returns the
    news for the counter, one line a card (no query when no card is in force)."""
    live = [
        card
        for card in await cards.live(programme)
        if cards.in_force(card, purchase.occurred_at, purchase.branch_id)  # type: ignore[attr-defined]
    ]
    if not live:
        return []
    free = Counter(g.sku for g in given if g.sku)
    paid = purchase.amount - purchase.discount
    earned = [(card, n) for card in live if (n := stamps_for(card, items, free, paid)) > 0]
    if not earned:
        return []
    member_id: int = purchase.member_id  # type: ignore[attr-defined,assignment]
    now = datetime.now(UTC)
    events = sql.insert_statement(
        "stamp_event",
        _EVENT_COLUMNS,
        [
            _event(
                purchase,
                card.id,
                n,
                StampReason.EARNED,
                derived_key("stamps", "purchase", purchase.id, "card", card.id),
                now,
            )
            for card, n in earned
        ],
    )
    add = (
        _ADD.format(sql.placeholders(len(earned), 5)),
        [value for card, n in earned for value in (member_id, card.id, n, 0, now)],
    )
    counts = {int(row["card_id"]): int(row["stamps"]) for row in await sql.run_all([events, add])}
    news: list[Text] = []
    for card, _ in earned:
        stamps = counts[card.id]
        if stamps >= card.stamps_needed:
            full = stamps // card.stamps_needed
            stamps, gift = await _fill(card, purchase, full, now)
            news.append(_filled(card, full, gift))
        news.append(_progress(card, stamps))
    return news


async def _fill(card: StampCard, purchase: Purchase, full: int, now: datetime) -> tuple[int, Text]:
    """Consume `full` cards' stamps and issue as many vouchers. Returns the stamps left and
    what each voucher gives."""
    member_id: int = purchase.member_id  # type: ignore[attr-defined,assignment]
    used = full * card.stamps_needed
    left = await sql.fetch(_CONSUME, [used, full, now, member_id, card.id, used])
    if not left:
        # The purchase's ADD holds the row until commit: nothing can have taken the stamps.
        raise RuntimeError(f"stamp card {card.id} of member {member_id} changed mid-purchase")
    reward = await Reward.get(id=card.reward_id)  # type: ignore[attr-defined]
    expires = now + timedelta(days=reward.voucher_days)
    rows = []
    for n in range(full):
        voucher = await coupons.issue_voucher(reward.coupon_id, member_id, expires)  # type: ignore[attr-defined]
        key = derived_key("stamps", "purchase", purchase.id, "card", card.id, "filled", n)
        rows.append(
            _event(
                purchase, card.id, -card.stamps_needed, StampReason.COMPLETED, key, now, voucher.id
            )
        )
    await sql.insert("stamp_event", _EVENT_COLUMNS, rows)
    return int(left[0]["stamps"]), Benefit.of(reward).describe()


def _progress(card: StampCard, stamps: int) -> Text:
    name = explain.name_of(card)
    needed = card.stamps_needed
    text = Text(
        f"Stamp card {name.en}: {max(stamps, 0)}/{needed}",
        f"کارت مهر {name.fa}: {explain.fa_number(max(stamps, 0))} از {explain.fa_number(needed)}",
    )
    if stamps < 0:
        text += Text(
            f" ({-stamps} owed from a refund)",
            f" ({explain.fa_number(-stamps)} مهر بدهی بابت مرجوعی)",
        )
    return text


def _filled(card: StampCard, full: int, gift: Text) -> Text:
    name = explain.name_of(card)
    if full == 1:
        return Text(
            f"Stamp card {name.en} complete: a voucher for {gift.en} issued",
            f"کارت مهر {name.fa} کامل شد: کوپن {gift.fa} صادر شد",
        )
    return Text(
        f"Stamp card {name.en} complete {full} times: {full} vouchers for {gift.en} issued",
        f"کارت مهر {name.fa} {explain.fa_number(full)} بار کامل شد: "
        f"{explain.fa_number(full)} کوپن {gift.fa} صادر شد",
    )


# Refunds.


async def take_back(
    purchase: Purchase, reversal: Reversal, *, refunded_before: int, refunded_after: int
) -> None:
    """Take back the stamps a purchase earned, in the share refunded (see the module's policy).
    Call inside the refund's transaction."""
    earned = await StampEvent.filter(purchase_id=purchase.id, reason=StampReason.EARNED)
    if not earned:
        return

    def share(stamps: int, refunded: int) -> int:
        return stamps * refunded // purchase.amount

    due = {
        event.card_id: n  # type: ignore[attr-defined]
        for event in earned
        if (n := share(event.delta, refunded_after) - share(event.delta, refunded_before)) > 0
    }
    if not due:
        return
    member_id: int = purchase.member_id  # type: ignore[attr-defined,assignment]
    await standings.lock(member_id)
    now = datetime.now(UTC)
    for card_id, stamps in due.items():
        progress = await StampProgress.get(member_id=member_id, card_id=card_id)
        key = derived_key("stamps", "refund", reversal.id, "card", card_id)
        withdrawn = []
        held = progress.stamps
        if held < stamps:
            for voucher, cost in await _unused_vouchers(member_id, card_id, now):
                if held >= stamps:
                    break
                if await CouponCode.filter(id=voucher.id, uses=0).update(expires_at=now):
                    held += cost
                    withdrawn.append(
                        _event(
                            purchase,
                            card_id,
                            cost,
                            StampReason.WITHDRAWN,
                            f"{key}:withdrawn:{voucher.id}",
                            now,
                            voucher.id,
                        )
                    )
        refunded = _event(purchase, card_id, -stamps, StampReason.REFUNDED, key, now)
        change = held - progress.stamps - stamps
        await sql.run_all(
            [
                sql.insert_statement("stamp_event", _EVENT_COLUMNS, [*withdrawn, refunded]),
                (_TAKE_BACK, [change, len(withdrawn), now, member_id, card_id]),
            ]
        )


async def _unused_vouchers(
    member_id: int, card_id: int, at: datetime
) -> list[tuple[CouponCode, int]]:
    """The vouchers full cards gave the member that they can still use, newest first, each
    with the stamps it cost."""
    filled = (
        await StampEvent.filter(member_id=member_id, card_id=card_id, reason=StampReason.COMPLETED)
        .order_by("-id")
        .prefetch_related("voucher__coupon")
    )
    return [
        (event.voucher, -event.delta)  # type: ignore[misc]
        for event in filled
        if event.voucher is not None
        and coupons.voucher_of(event.voucher, at).status is VoucherStatus.USABLE  # type: ignore[arg-type]
    ]
