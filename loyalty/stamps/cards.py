"""Stamp cards as managers define them: what earns a stamp, how many fill a card, the reward a
full card gives, where and when. Every change is a new version, kept whole in the audit trail.

A card's reward is a free-product or voucher reward of the catalogue: a full card issues one of
its vouchers to the member, as redeeming it with points would. The stamps pay for it, so the
catalogue's own terms (price in points, dates, tiers, per-member limit, stock) do not apply: a
reward meant for stamp cards only can be switched off in the catalogue.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from loyalty import validation
from loyalty.actors import Actor
from loyalty.errors import InvalidInput, NotFound
from loyalty.history import Page, paged
from loyalty.models import Branch, Reward, Role, StampCard, StampUnit
from loyalty.programme import audit, coupons, explain
from loyalty.programme.coupons import Benefit
from loyalty.programme.explain import Text

MAX_STAMPS_NEEDED = 1_000
# However a card is set, one purchase earns at most this many stamps on it.
MAX_STAMPS_PER_PURCHASE = 1_000
MAX_ACTIVE_CARDS = 50
ENTITY = "stamp_card"


@dataclass(frozen=True, slots=True)
class StampCardSpec:
    """A stamp card as a manager writes it. `unit` ITEM: a stamp for each unit of the items
    of `category` or of `sku` (exactly one); PURCHASE: a stamp for each purchase of at least
    `min_amount` Rials."""

    name: str
    unit: StampUnit
    stamps_needed: int
    reward_id: int
    name_fa: str = ""
    category: str = ""
    sku: str = ""
    min_amount: int = 0
    branch_ids: list[int] | None = None
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    max_stamps_per_purchase: int | None = None
    active: bool = True


def _earning(spec: StampCardSpec) -> dict:
    """What earns a stamp; the fields the unit does not use are zeroed."""
    values = {"unit": spec.unit, "category": "", "sku": "", "min_amount": 0}
    if spec.unit is StampUnit.ITEM:
        category = validation.text(spec.category, field="earn.perItem.category", max_length=64)
        sku = validation.text(spec.sku, field="earn.perItem.sku", max_length=64)
        if bool(category) == bool(sku):
            raise InvalidInput(
                "earn.perItem: name exactly one of category or sku", field="earn.perItem"
            )
        return {**values, "category": category, "sku": sku}
    if spec.unit is StampUnit.PURCHASE:
        minimum = spec.min_amount
        if isinstance(minimum, bool) or not isinstance(minimum, int) or minimum < 0:
            raise InvalidInput(
                "earn.perPurchase.minAmount must be a whole number of Rials, not negative",
                field="earn.perPurchase.minAmount",
            )
        if minimum:
            validation.positive_amount(minimum, field="earn.perPurchase.minAmount")
        return {**values, "min_amount": minimum}
    raise InvalidInput("earn: give perItem or perPurchase", field="earn")


async def _reward(reward_id: int) -> Reward:
    reward = await Reward.get_or_none(id=reward_id)
    if reward is None:
        raise InvalidInput("rewardId names a reward that does not exist", field="rewardId")
    if reward.coupon_id is None:  # type: ignore[attr-defined]
        raise InvalidInput(
            "rewardId: a full card issues a voucher; choose a free-product or voucher reward, "
            "not a discount redeemed at the counter",
            field="rewardId",
        )
    return reward


async def _cleaned(spec: StampCardSpec) -> dict:
    needed = spec.stamps_needed
    if (
        isinstance(needed, bool)
        or not isinstance(needed, int)
        or not 2 <= needed <= (MAX_STAMPS_NEEDED)
    ):
        raise InvalidInput(
            f"stampsNeeded must be from 2 to {MAX_STAMPS_NEEDED:,}", field="stampsNeeded"
        )
    branch_ids = sorted(set(spec.branch_ids or []))
    if branch_ids and await Branch.filter(id__in=branch_ids).count() != len(branch_ids):
        raise InvalidInput("branchIds names a branch that does not exist", field="branchIds")
    reward = await _reward(spec.reward_id)
    return {
        "name": validation.text(spec.name, field="name", max_length=100, required=True),
        "name_fa": validation.text(spec.name_fa, field="nameFa", max_length=100),
        **_earning(spec),
        "stamps_needed": needed,
        "reward_id": reward.id,
        "branch_ids": branch_ids,
        **coupons.validity(spec.starts_at, spec.ends_at),
        "max_stamps_per_purchase": coupons.optional_limit(
            spec.max_stamps_per_purchase, "maxStampsPerPurchase", MAX_STAMPS_PER_PURCHASE
        ),
        "active": bool(spec.active),
    }


async def _room_for_one_more(card_id: int | None = None) -> None:
    others = StampCard.filter(active=True)
    if card_id is not None:
        others = others.exclude(id=card_id)
    if await others.count() >= MAX_ACTIVE_CARDS:
        raise InvalidInput(f"at most {MAX_ACTIVE_CARDS} stamp cards may be active at once")


async def create(actor: Actor, spec: StampCardSpec) -> StampCard:
    actor.require_staff(Role.MANAGER)
    values = await _cleaned(spec)
    if values["active"]:
        await _room_for_one_more()
    card = await audit.create_versioned(actor, StampCard, ENTITY, values)
    invalidate()
    return await get(card.id)


async def update(
    actor: Actor, card_id: int, spec: StampCardSpec, *, expected_version: int | None = None
) -> StampCard:
    """Replace a card's definition. Members keep the stamps they have: a new `stamps_needed`
    applies from their next stamp, and a new reward to the cards filled from then on."""
    actor.require_staff(Role.MANAGER)
    values = await _cleaned(spec)

    async def room(card: StampCard) -> dict:
        if values["active"] and not card.active:
            await _room_for_one_more(card.id)
        return {}

    await audit.update_versioned(
        actor, StampCard, ENTITY, card_id, values, expected_version=expected_version, also=room
    )
    invalidate()
    return await get(card_id)


async def set_active(
    actor: Actor, card_id: int, active: bool, *, expected_version: int | None = None
) -> StampCard:
    actor.require_staff(Role.MANAGER)
    card = await get(card_id)
    spec = StampCardSpec(
        name=card.name,
        name_fa=card.name_fa,
        unit=card.unit,
        category=card.category,
        sku=card.sku,
        min_amount=card.min_amount,
        stamps_needed=card.stamps_needed,
        reward_id=card.reward_id,  # type: ignore[attr-defined]
        branch_ids=card.branch_ids,
        starts_at=card.starts_at,
        ends_at=card.ends_at,
        max_stamps_per_purchase=card.max_stamps_per_purchase,
        active=active,
    )
    return await update(actor, card_id, spec, expected_version=expected_version)


async def get(card_id: int) -> StampCard:
    """A card, with its reward."""
    card = await StampCard.get_or_none(id=card_id).prefetch_related("reward")
    if card is None:
        raise NotFound("stamp card", card_id)
    return card


async def listed(
    actor: Actor, *, first: int = 20, before_id: int | None = None, include_inactive: bool = False
) -> Page[StampCard]:
    """The cards, newest first, with their rewards (managers)."""
    actor.require_staff(Role.MANAGER)
    query = StampCard.all() if include_inactive else StampCard.filter(active=True)
    page = await paged(query, first, before_id)
    await StampCard.fetch_for_list(page.items, "reward")
    return page


def in_force(card: StampCard, at: datetime, branch_id: int | None = None) -> bool:
    """Whether `card` gives stamps at `at` (and at `branch_id`, when one is named)."""
    if not card.active:
        return False
    if (card.starts_at is not None and at < card.starts_at) or (
        card.ends_at is not None and at >= card.ends_at
    ):
        return False
    return branch_id is None or not card.branch_ids or branch_id in card.branch_ids


def describe(card: StampCard, reward: Reward) -> Text:
    """What earns a stamp, how many fill the card and what a full card gives."""
    if card.unit is StampUnit.ITEM:
        what = card.sku or card.category
        text = Text(f"A stamp for each {what} bought", f"یک مهر برای هر {what} خریداری‌شده")
    elif card.min_amount:
        least = explain.money(card.min_amount)
        text = Text(
            f"A stamp for each purchase of at least {least.en}",
            f"یک مهر برای هر خرید دست‌کم {least.fa}",
        )
    else:
        text = Text("A stamp for each purchase", "یک مهر برای هر خرید")
    if card.max_stamps_per_purchase is not None:
        most = card.max_stamps_per_purchase
        text += Text(
            f" (at most {most:,} a purchase)", f" (حداکثر {explain.fa_number(most)} در هر خرید)"
        )
    gift = Benefit.of(reward).describe()
    needed = card.stamps_needed
    return text + Text(
        f"; {needed:,} stamps: {gift.en}", f"؛ {explain.fa_number(needed)} مهر: {gift.fa}"
    )


# The cards in force, cached: a purchase when no card is active costs no query.

_live: tuple[object | None, tuple[StampCard, ...]] = (None, ())


def invalidate() -> None:
    global _live
    _live = (None, ())


async def live(programme: object) -> tuple[StampCard, ...]:
    """The active cards, loaded with the programme's configuration (`snapshot.current()`,
    passed in): reloaded whenever it is, and at once after a change made here."""
    global _live
    loaded_for, cards = _live
    if loaded_for is not programme:
        cards = tuple(await StampCard.filter(active=True).order_by("id"))
        _live = (programme, cards)
    return cards
