"""Every notification the backend builds is one the app understands: it validates against
`mobile_contract/push/<type>.schema.json`, in Persian and in English."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator, ValidationError

from loyalty import inbox, notifications
from loyalty.models import Language
from tests import factories as f

PUSH = Path(__file__).resolve().parents[1] / "mobile_contract" / "push"
SCHEMAS = {p.name.removesuffix(".schema.json"): p for p in PUSH.glob("*.schema.json")}
PERSIAN = re.compile(r"[\u0600-\u06FF]")
EXPIRES = datetime(2027, 3, 1, 20, 30, tzinfo=UTC)

# Realistic arguments for every builder.
EXAMPLES: dict[str, dict[str, object]] = {
    "points_earned": {
        "purchase_id": 3412,
        "receipt_number": "THR-VANAK-000871",
        "branch_name": "کافه نارون — ونک",
        "amount": 2_450_000,
        "points_earned": 36,
        "credit_earned": 73_500,
        "points_balance": 1_204,
    },
    "tier_upgraded": {"tier_id": 2, "tier_name": "Silver", "multiplier_percent": 125},
    "points_expiring": {"points_expiring": 120, "expires_at": EXPIRES},
    "voucher_issued": {"code": "K7M2Q9XA4TPB", "benefit": "A free latte", "expires_at": EXPIRES},
    "survey_invitation": {
        "survey_id": 7,
        "survey_title": "رضایت از خرید امروز",
        "reward_points": 50,
    },
    "wheel_prize": {"game_id": 3, "prize": "100 points", "prize_points": 100},
    "lottery_won": {
        "lottery_id": 5,
        "lottery_name": "قرعه‌کشی نوروز",
        "prize": "یک ماه قهوه رایگان",
    },
    "stamp_card_completed": {"card_id": 41, "card_name": "Coffee card", "reward": "A free coffee"},
    "referral_rewarded": {"friend_name": "مریم", "points_awarded": 200},
    "offer": {
        "campaign_id": 12,
        "title": "۱۰٪ تخفیف آخر هفته",
        "body": "این آخر هفته روی همه‌ی نوشیدنی‌ها ۱۰٪ تخفیف بگیرید.",
        "coupon_code": "WEEKEND10",
    },
    "message": {"title": "ساعت کاری جمعه", "body": "جمعه‌ها از ساعت ۹ صبح باز هستیم."},
}
# Optional parts left out: the payload must still be valid.
SPARSE = {
    "points_earned": {**EXAMPLES["points_earned"], "points_earned": 0},
    "voucher_issued": {**EXAMPLES["voucher_issued"], "expires_at": None},
    "survey_invitation": {**EXAMPLES["survey_invitation"], "reward_points": 0},
    "offer": {**EXAMPLES["offer"], "coupon_code": None},
    "tier_upgraded": {**EXAMPLES["tier_upgraded"], "multiplier_percent": 100},
}


def validator(kind: str) -> Draft202012Validator:
    schema = json.loads(SCHEMAS[kind].read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


def test_every_type_has_a_schema_and_every_schema_a_builder() -> None:
    assert set(SCHEMAS) == set(notifications.BUILDERS) == set(EXAMPLES)


@pytest.mark.parametrize("language", list(Language))
@pytest.mark.parametrize("kind", sorted(notifications.BUILDERS))
def test_every_notification_validates_in_both_languages(kind: str, language: Language) -> None:
    for arguments in (EXAMPLES[kind], SPARSE.get(kind, EXAMPLES[kind])):
        built = notifications.BUILDERS[kind](language, **arguments)
        payload = built.payload()
        validator(kind).validate(payload)
        assert payload["type"] == kind
        assert all(isinstance(v, str) for v in payload["data"].values())
        if language is Language.FA:
            assert PERSIAN.search(payload["title"] + payload["body"]), payload


def test_texts_follow_the_language_and_the_club_calendar() -> None:
    fa = notifications.points_expiring(Language.FA, points_expiring=120, expires_at=EXPIRES)
    en = notifications.points_expiring(Language.EN, points_expiring=120, expires_at=EXPIRES)
    assert (fa.title, en.title) == ("۱۲۰ امتیاز به‌زودی منقضی می‌شود", "120 points expire soon")
    # 2027-03-01 20:30 UTC is 1405-12-11 in Tehran.
    assert "۱۴۰۵/۱۲/۱۱" in fa.body and "1405-12-11" in en.body
    assert fa.data == en.data == {"points": "120", "expiresAt": "2027-03-01T20:30:00+00:00"}
    receipt = notifications.points_earned(Language.EN, **EXAMPLES["points_earned"])
    assert receipt.title == "You earned 36 points and 7,350 Toman"
    assert receipt.link == "app://purchases/3412"


@pytest.mark.parametrize(
    ("kind", "broken"),
    [
        ("points_earned", lambda p: p.pop("link")),
        ("points_earned", lambda p: p["data"].update(points=36)),  # not a string: FCM refuses it
        ("points_earned", lambda p: p["data"].pop("purchaseId")),
        ("tier_upgraded", lambda p: p.update(link="app://purchases/1")),
        ("voucher_issued", lambda p: p.update(title="")),
        ("offer", lambda p: p["data"].update(extra="x")),
        ("message", lambda p: p.update(type="offer")),
    ],
    ids=["no-link", "number-in-data", "missing-data", "wrong-link", "empty-title", "unknown-data",
         "wrong-type"],
)  # fmt: skip
def test_a_broken_payload_fails(kind: str, broken) -> None:
    payload = notifications.BUILDERS[kind](Language.EN, **EXAMPLES[kind]).payload()
    validator(kind).validate(payload)
    broken(payload)
    with pytest.raises(ValidationError):
        validator(kind).validate(payload)


async def test_a_notification_is_delivered_to_the_inbox_once() -> None:
    member = await f.member()
    built = notifications.tier_upgraded(
        await notifications.language_of(member.id), tier_id=2, tier_name="نقره‌ای",
        multiplier_percent=125,
    )  # fmt: skip
    first, new = await notifications.deliver(member.id, built, dedupe_key="tier-2-member-1")
    again, new_again = await notifications.deliver(member.id, built, dedupe_key="tier-2-member-1")
    assert (new, new_again) == (True, False) and again.id == first.id
    page = await inbox.page(member.id)
    assert [(m.kind, m.title, m.link, m.data) for m in page.items] == [
        ("tier_upgraded", "به سطح نقره‌ای خوش آمدید", "app://tier", built.data)
    ]
