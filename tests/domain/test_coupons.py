"""Coupons and codes: managing them, every rule of using a code at the counter (and the clear
refusal when one fails, which changes nothing), the rate limit on guessing, and races."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest

from loyalty import ledger, purchases
from loyalty.errors import (
    DomainError,
    ErrorCode,
    InvalidInput,
    NotFound,
    PermissionDenied,
    RateLimited,
)
from loyalty.models import (
    BenefitKind,
    CodeGuess,
    ConfigChange,
    Coupon,
    CouponCode,
    DiscountSource,
    Purchase,
    PurchaseDiscount,
    Role,
    RuleKind,
)
from loyalty.programme import coupons, rules
from loyalty.programme.coupons import Benefit, CouponSpec
from loyalty.programme.rules import RuleSpec
from loyalty.reconcile import reconcile
from tests import factories as f

NOW = datetime.now(UTC)
TEN_PERCENT = Benefit(BenefitKind.PERCENT_OFF, basis_points=1_000)


@pytest.fixture
async def club() -> dict:
    boss = await f.manager()
    shop = await f.branch()
    return {
        "boss": boss,
        "shop": shop.id,
        "cashier": await f.staff_actor(Role.CASHIER, shop.id),
        "sara": (await f.member("Sara")).id,
        "reza": (await f.member("Reza")).id,
    }


async def a_code(club: dict, spec: CouponSpec | None = None, **issue: object) -> str:
    coupon = await coupons.create(club["boss"], spec or CouponSpec("Ten off", TEN_PERCENT))
    (code,) = await coupons.issue_codes(club["boss"], coupon.id, count=1, **issue)  # type: ignore[arg-type]
    return code.code


async def buy(club: dict, amount: int, *codes: str, member: str = "sara", **more: object):
    key = f.key()
    return await purchases.record(
        more.pop("cashier", club["cashier"]),  # type: ignore[arg-type]
        branch_id=club["shop"],
        member_id=club[member],
        amount=amount,
        receipt_number=more.pop("receipt_number", key),  # type: ignore[arg-type]
        idempotency_key=more.pop("key", key),  # type: ignore[arg-type]
        coupon_codes=codes,
        **more,  # type: ignore[arg-type]
    )


async def refused(club: dict, amount: int, *codes: str, member: str = "sara", **more) -> str:
    """The message of a purchase refused for its codes; proves it changed nothing."""
    before = await f.row_counts()
    uses = dict(await CouponCode.all().values_list("code", "uses"))
    with pytest.raises(DomainError) as excinfo:
        await buy(club, amount, *codes, member=member, **more)
    assert excinfo.value.code is ErrorCode.CODE_NOT_VALID, excinfo.value.message
    assert await f.row_counts() == before
    assert dict(await CouponCode.all().values_list("code", "uses")) == uses
    return excinfo.value.message


async def test_a_coupon_is_validated() -> None:
    boss = await f.manager()
    bad = [
        (CouponSpec("", TEN_PERCENT), "name"),
        (CouponSpec("X", Benefit(BenefitKind.PERCENT_OFF, basis_points=0)), "basisPoints"),
        (CouponSpec("X", Benefit(BenefitKind.PERCENT_OFF, basis_points=10_001)), "basisPoints"),
        (CouponSpec("X", Benefit(BenefitKind.PERCENT_OFF, 500, max_discount=0)), "maxDiscount"),
        (CouponSpec("X", Benefit(BenefitKind.AMOUNT_OFF, amount=-5)), "amount"),
        (CouponSpec("X", Benefit(BenefitKind.FREE_PRODUCT, sku=" ")), "sku"),
        (CouponSpec("X", TEN_PERCENT, min_basket=-1), "minBasket"),
        (CouponSpec("X", TEN_PERCENT, uses_per_code=0), "usesPerCode"),
        (CouponSpec("X", TEN_PERCENT, max_uses_per_member=0), "maxUsesPerMember"),
        (CouponSpec("X", TEN_PERCENT, max_uses_total=-1), "maxUsesTotal"),
        (CouponSpec("X", TEN_PERCENT, starts_at=datetime(2030, 1, 1)), "startsAt"),
        (CouponSpec("X", TEN_PERCENT, starts_at=NOW, ends_at=NOW), "endsAt"),
    ]
    for spec, field in bad:
        with pytest.raises(InvalidInput) as excinfo:
            await coupons.create(boss, spec)
        assert excinfo.value.field == field, spec
    cashier = await f.staff_actor(Role.CASHIER)
    with pytest.raises(PermissionDenied):
        await coupons.create(cashier, CouponSpec("X", TEN_PERCENT))
    assert await Coupon.all().count() == 0


async def test_a_coupon_is_versioned_and_audited() -> None:
    boss = await f.manager()
    coupon = await coupons.create(boss, CouponSpec("Ten off", TEN_PERCENT))
    # Fields the benefit does not use are not kept.
    changed = await coupons.update(
        boss,
        coupon.id,
        CouponSpec("Fifty off", Benefit(BenefitKind.AMOUNT_OFF, basis_points=9, amount=50_000)),
        expected_version=1,
    )
    assert (changed.version, changed.amount, changed.basis_points) == (2, 50_000, 0)
    with pytest.raises(DomainError) as excinfo:
        await coupons.update(boss, coupon.id, CouponSpec("Stale", TEN_PERCENT), expected_version=1)
    assert excinfo.value.code is ErrorCode.VERSION_CONFLICT
    with pytest.raises(NotFound):
        await coupons.update(boss, 999, CouponSpec("X", TEN_PERCENT))
    trail = await ConfigChange.filter(entity="coupon").order_by("id")
    assert [(c.action, c.version, c.staff_id) for c in trail] == [  # type: ignore[attr-defined]
        ("create", 1, boss.id),
        ("update", 2, boss.id),
    ]
    assert trail[1].snapshot["name"] == "Fifty off"


async def test_codes_are_unique_unguessable_and_issued_in_batches(club: dict) -> None:
    coupon = await coupons.create(club["boss"], CouponSpec("Ten off", TEN_PERCENT))
    codes = await coupons.issue_codes(club["boss"], coupon.id, count=200)
    texts = [c.code for c in codes]
    assert len(set(texts)) == 200
    assert all(len(t) >= 10 and set(t) <= set(coupons.CODE_ALPHABET) for t in texts)
    assert not set("".join(texts)) & set("0O1I")
    bound = await coupons.issue_codes(
        club["boss"], coupon.id, count=2, member_id=club["sara"], expires_at=NOW + timedelta(days=3)
    )
    assert all(c.member_id == club["sara"] for c in bound)  # type: ignore[attr-defined]
    for count in (0, 1001, True):
        with pytest.raises(InvalidInput):
            await coupons.issue_codes(club["boss"], coupon.id, count=count)  # type: ignore[arg-type]
    with pytest.raises(NotFound):
        await coupons.issue_codes(club["boss"], coupon.id, count=1, member_id=99_999)
    with pytest.raises(PermissionDenied):
        await coupons.issue_codes(club["cashier"], coupon.id, count=1)
    assert await ConfigChange.filter(entity="coupon", action="issue_codes").count() == 2
    page = await coupons.codes_of(coupon.id, first=500)
    assert len(page.items) == 100 and page.has_more
    assert [c.id for c in page.items[:2]] == [c.id for c in reversed(bound)]
    rest = await coupons.codes_of(coupon.id, first=100, before_id=page.items[-1].id)
    last = await coupons.codes_of(coupon.id, first=100, before_id=rest.items[-1].id)
    assert (len(rest.items), len(last.items), last.has_more) == (100, 2, False)


async def test_percent_off_with_a_cap_is_taken_off_and_recorded(club: dict) -> None:
    spec = CouponSpec("Ten off", Benefit(BenefitKind.PERCENT_OFF, 1_000, max_discount=30_000))
    code = await a_code(club, spec)
    # Typed by a person: lower case, with a dash.
    result = await buy(club, 500_000, f"{code[:4].lower()}-{code[4:]}")
    assert result.purchase.discount == 30_000
    (line,) = result.discounts
    assert (line.code, line.purse, line.amount) == ("coupon", "discount", 30_000)
    assert line.text.en == f"Code {code}: 10% off (up to 3,000 Toman)"
    assert line.text.fa.startswith(f"کد {code}: ۱۰٪ تخفیف")
    (row,) = await PurchaseDiscount.all()
    assert (row.source, row.amount, row.member_id) == (DiscountSource.COUPON, 30_000, club["sara"])  # type: ignore[attr-defined]
    assert row.code_id == (await CouponCode.get(code=code)).id  # type: ignore[attr-defined]
    assert (await CouponCode.get(code=code)).uses == 1
    assert (await Coupon.get()).used_total == 1
    assert (await Purchase.get(id=result.purchase.id)).discount == 30_000


async def test_the_discount_never_exceeds_the_amount(club: dict) -> None:
    off = Benefit(BenefitKind.AMOUNT_OFF, amount=80_000)
    codes = [await a_code(club, CouponSpec(f"Off {i}", off)) for i in range(3)]
    message = await refused(club, 100_000, *codes)
    assert message == f"code {codes[2]}: nothing is left of this purchase to take off"
    result = await buy(club, 100_000, *codes[:2])
    assert [line.amount for line in result.discounts] == [80_000, 20_000]
    assert result.purchase.discount == 100_000


async def test_earning_on_the_net_is_net_of_the_code(club: dict) -> None:
    await rules.create(
        club["boss"],
        RuleSpec(
            "Points on what is paid",
            RuleKind.POINTS_PER_AMOUNT,
            {"points": 1, "per_amount": 10_000, "base": "net"},
        ),
    )
    code = await a_code(club, CouponSpec("Half", Benefit(BenefitKind.PERCENT_OFF, 5_000)))
    result = await buy(club, 200_000, code)
    assert result.purchase.discount == 100_000
    assert sum(e.points for e in result.earned) == 10
    assert (await ledger.balances(club["sara"])).points == 10
    # A dry run says the same, and writes nothing.
    other = await a_code(club, CouponSpec("Half again", Benefit(BenefitKind.PERCENT_OFF, 5_000)))
    quote = await purchases.quote(
        club["cashier"], member_id=club["sara"], branch_id=club["shop"], amount=200_000,
        coupon_codes=[other],
    )  # fmt: skip
    assert (quote.points, quote.net_amount) == (10, 100_000)
    assert [line.code for line in quote.discounts] == ["coupon"]
    assert (await CouponCode.get(code=other)).uses == 0


async def test_a_free_product_is_the_price_of_one(club: dict) -> None:
    code = await a_code(
        club, CouponSpec("Free latte", Benefit(BenefitKind.FREE_PRODUCT, sku="LATTE"))
    )
    message = await refused(
        club, 90_000, code, items=[purchases.LineItem("TEA", 90_000, quantity=2)]
    )
    assert message == f"code {code} gives a free LATTE, which is not in this basket"
    result = await buy(
        club,
        150_000,
        code,
        items=[
            purchases.LineItem("TEA", 30_000),
            purchases.LineItem("LATTE", 120_000, quantity=2),
        ],
    )
    assert result.purchase.discount == 60_000
    assert (await PurchaseDiscount.get()).sku == "LATTE"


async def test_every_reason_a_code_is_refused_is_said_and_changes_nothing(club: dict) -> None:
    later = CouponSpec("Later", TEN_PERCENT, starts_at=NOW + timedelta(days=1))
    assert "can be used from" in await refused(club, 100_000, await a_code(club, later))

    ended = CouponSpec("Ended", TEN_PERCENT, ends_at=NOW - timedelta(seconds=1))
    assert "expired on" in await refused(club, 100_000, await a_code(club, ended))

    short = await a_code(club, expires_at=NOW - timedelta(minutes=1))
    assert "expired on" in await refused(club, 100_000, short)
    # An offline station's purchase from before the code expired is still good.
    await buy(club, 100_000, short, occurred_at=NOW - timedelta(hours=1))

    big = CouponSpec("Big baskets", TEN_PERCENT, min_basket=1_000_000)
    message = await refused(club, 999_990, await a_code(club, big))
    assert "needs a purchase of at least 100,000 Toman; this one is 99,999 Toman" in message

    withdrawn = await a_code(club)
    coupon = await Coupon.get(codes__code=withdrawn)
    await coupons.update(club["boss"], coupon.id, CouponSpec("Off", TEN_PERCENT, active=False))
    assert "withdrawn" in await refused(club, 100_000, withdrawn)

    hers = await a_code(club, member_id=club["sara"])
    assert "not yours" in await refused(club, 100_000, hers, member="reza")
    await buy(club, 100_000, hers)
    assert "already been used up" in await refused(club, 100_000, hers)

    message = await refused(club, 100_000, "ABCDEFGHJK")
    assert message == "code ABCDEFGHJK does not exist; check it and type it again"
    # One bad code refuses the whole purchase, good codes with it included.
    assert "does not exist" in await refused(club, 100_000, await a_code(club), "NOPE")
    with pytest.raises(InvalidInput):
        await buy(club, 100_000, hers, hers.lower())
    with pytest.raises(InvalidInput) as excinfo:
        await purchases.record(
            club["cashier"], branch_id=club["shop"], amount=1_000, receipt_number="r1",
            idempotency_key=f.key(), coupon_codes=[hers],
        )  # fmt: skip
    assert excinfo.value.field == "memberId"


async def test_multi_use_codes_with_per_member_and_total_limits(club: dict) -> None:
    spec = CouponSpec(
        "Shared", TEN_PERCENT, uses_per_code=None, max_uses_per_member=2, max_uses_total=3
    )
    code = await a_code(club, spec)
    await buy(club, 100_000, code)
    await buy(club, 100_000, code)
    message = await refused(club, 100_000, code)
    assert message == f"code {code}: you have used this offer the 2 times it allows"
    await buy(club, 100_000, code, member="reza")
    message = await refused(club, 100_000, code, member="reza")
    assert message == f"code {code}: this offer has been used up by other members"
    assert (await CouponCode.get(code=code)).uses == 3

    twice = await a_code(club, CouponSpec("Two uses", TEN_PERCENT, uses_per_code=2))
    await buy(club, 100_000, twice)
    await buy(club, 100_000, twice, member="reza")
    assert "used up" in await refused(club, 100_000, twice)


async def test_a_replayed_purchase_uses_its_code_once(club: dict) -> None:
    code = await a_code(club)
    key = f.key()
    first = await buy(club, 100_000, code, key=key, receipt_number="R-1")
    again = await purchases.record(
        club["cashier"], branch_id=club["shop"], member_id=club["sara"], amount=100_000,
        receipt_number="R-1", idempotency_key=key, coupon_codes=[code],
    )  # fmt: skip
    assert again.replayed and again.purchase.id == first.purchase.id
    assert [line.amount for line in again.discounts] == [10_000]
    assert (await CouponCode.get(code=code)).uses == 1
    assert await PurchaseDiscount.all().count() == 1


async def test_guessing_codes_is_rate_limited_per_subject(club: dict) -> None:
    good = await a_code(club)
    for i in range(coupons.GUESSES_PER_HOUR):
        await refused(club, 100_000, f"WRONG{i}")
    # The failures were kept though every purchase was refused.
    assert await CodeGuess.filter(subject=f"staff:{club['cashier'].id}").count() == 10
    with pytest.raises(RateLimited) as excinfo:
        await buy(club, 100_000, good)
    assert excinfo.value.retry_after_seconds == 3600
    with pytest.raises(RateLimited):
        await purchases.quote(
            club["cashier"], member_id=club["sara"], branch_id=club["shop"], amount=100_000,
            coupon_codes=[good],
        )  # fmt: skip
    # Purchases without codes go on; so does another cashier, and the hour passes.
    await buy(club, 100_000)
    colleague = await f.staff_actor(Role.CASHIER, club["shop"])
    await buy(club, 100_000, good, cashier=colleague)
    await CodeGuess.all().update(created_at=NOW - timedelta(hours=1, seconds=1))
    await buy(club, 100_000, await a_code(club))


async def test_two_purchases_racing_for_a_single_use_code_one_wins(club: dict) -> None:
    code = await a_code(club)
    results = await asyncio.gather(
        buy(club, 100_000, code, member="sara"),
        buy(club, 100_000, code, member="reza"),
        return_exceptions=True,
    )
    kinds = Counter(type(r).__name__ for r in results)
    assert kinds == {"PurchaseResult": 1, "DomainError": 1}, results
    (loser,) = [r for r in results if isinstance(r, DomainError)]
    assert loser.code is ErrorCode.CODE_NOT_VALID
    assert (await CouponCode.get(code=code)).uses == 1
    assert await Purchase.all().count() == 1
    assert await PurchaseDiscount.all().count() == 1
    assert (await reconcile()).ok


async def test_a_code_and_a_rule_discount_on_one_purchase_are_both_kept(club: dict) -> None:
    await rules.create(
        club["boss"],
        RuleSpec("Five off", RuleKind.DISCOUNT, {"basis_points": 500}),
    )
    code = await a_code(club)
    bought = await buy(club, 1_000_000, code)

    assert [(line.code, line.amount) for line in bought.discounts] == [
        ("coupon", 100_000),
        ("discount", 50_000),
    ]
    rows = await PurchaseDiscount.filter(purchase_id=bought.purchase.id).order_by("id")
    assert [(row.source, row.amount) for row in rows] == [
        (DiscountSource.COUPON, 100_000),
        (DiscountSource.RULE, 50_000),
    ]
    assert rows[0].code_id is not None and rows[1].code_id is None
    stored = await Purchase.get(id=bought.purchase.id)
    assert stored.discount == bought.purchase.discount == 150_000
    replayed = await buy(
        club,
        1_000_000,
        code,
        key=bought.purchase.idempotency_key,
        receipt_number=bought.purchase.receipt_number,
    )
    assert replayed.replayed
    assert [(line.code, line.amount) for line in replayed.discounts] == [
        ("coupon", 100_000),
        ("discount", 50_000),
    ]
