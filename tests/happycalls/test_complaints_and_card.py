"""Complaints raised on calls and their follow-ups; the member's card an operator reads."""

from __future__ import annotations

from datetime import timedelta

import pytest

from loyalty.errors import DomainError, ErrorCode
from loyalty.happycalls import card, complaints, queue
from loyalty.ledger import Purse
from loyalty.messaging import messages
from loyalty.models import (
    BenefitKind,
    Complaint,
    ComplaintCategory,
    ComplaintStatus,
    HappyCall,
    HappyCallOutcome,
    MessagePurpose,
    RewardKind,
)
from loyalty.notifications import Notification
from loyalty.programme import rewards, tiers
from loyalty.programme.coupons import Benefit
from loyalty.programme.rewards import RewardSpec
from loyalty.programme.tiers import TierSpec
from tests import factories as f
from tests.happycalls.conftest import ANSWERS, BASE, Club, claim, record


@pytest.fixture
async def call(club: Club) -> HappyCall:
    await club.rule("sample", sample_percent=100)
    await club.buy(club.sara, branch=club.isfahan)
    await queue.fill(BASE)
    claimed = await claim(club.ali)
    assert claimed is not None
    return claimed


async def raise_one(club: Club, call: HappyCall, **more: object) -> tuple[Complaint, bool]:
    return await complaints.raise_complaint(
        more.pop("actor", club.ali),  # type: ignore[arg-type]
        call_id=call.id,
        category=more.pop("category", ComplaintCategory.WAITING_TIME),  # type: ignore[arg-type]
        note=more.pop("note", "۲۰ دقیقه منتظر ماند"),  # type: ignore[arg-type]
        idempotency_key=more.pop("key", f.key()),  # type: ignore[arg-type]
        at=BASE,
        **more,  # type: ignore[arg-type]
    )


async def test_a_complaint_goes_to_the_purchases_branch(club: Club, call: HappyCall) -> None:
    complaint, replayed = await raise_one(club, call, question="staff")
    assert not replayed
    assert (complaint.member_id, complaint.branch_id, complaint.call_id) == (  # type: ignore[attr-defined]
        club.sara,
        club.isfahan,
        call.id,
    )
    assert (complaint.status, complaint.question, complaint.raised_by_id) == (  # type: ignore[attr-defined]
        ComplaintStatus.OPEN,
        "staff",
        club.ali.id,
    )
    assert complaint.note == "۲۰ دقیقه منتظر ماند"


async def test_raising_a_complaint_again_with_its_key_is_a_replay(
    club: Club, call: HappyCall
) -> None:
    key = f.key()
    first, _ = await raise_one(club, call, key=key)
    again, replayed = await raise_one(club, call, key=key)
    assert replayed and again.id == first.id
    with pytest.raises(DomainError) as excinfo:
        await raise_one(club, call, key=key, note="something else")
    assert excinfo.value.code is ErrorCode.IDEMPOTENCY_CONFLICT
    assert await Complaint.all().count() == 1


@pytest.mark.parametrize(
    ("more", "code"),
    [
        ({"question": "colour"}, ErrorCode.INVALID_INPUT),
        ({"note": "  "}, ErrorCode.INVALID_INPUT),
        ({"note": "x" * 1001}, ErrorCode.INVALID_INPUT),
        ({"key": "no spaces allowed"}, ErrorCode.INVALID_INPUT),
    ],
)
async def test_bad_complaints_are_refused(
    club: Club, call: HappyCall, more: dict, code: ErrorCode
) -> None:
    with pytest.raises(DomainError) as excinfo:
        await raise_one(club, call, **more)
    assert excinfo.value.code is code
    assert await Complaint.all().count() == 0


async def test_only_call_centre_staff_raise_and_follow_up(club: Club, call: HappyCall) -> None:
    with pytest.raises(DomainError) as excinfo:
        await raise_one(club, call, actor=club.cashier)
    assert excinfo.value.code is ErrorCode.PERMISSION_DENIED
    complaint, _ = await raise_one(club, call, actor=club.supervisor)
    with pytest.raises(DomainError) as excinfo:
        await complaints.follow_up(
            club.cashier, complaint_id=complaint.id, note="done", idempotency_key=f.key()
        )
    assert excinfo.value.code is ErrorCode.PERMISSION_DENIED
    with pytest.raises(DomainError) as excinfo:
        await complaints.follow_up(club.ali, complaint_id=999, note="done", idempotency_key=f.key())
    assert excinfo.value.code is ErrorCode.NOT_FOUND


async def test_follow_ups_until_one_closes_the_complaint(club: Club, call: HappyCall) -> None:
    complaint, _ = await raise_one(club, call)
    noted = await complaints.follow_up(
        club.supervisor,
        complaint_id=complaint.id,
        note="با شعبه تماس گرفتم",
        idempotency_key=f.key(),
    )
    assert noted.complaint.status is ComplaintStatus.OPEN
    key = f.key()
    closing = {"complaint_id": complaint.id, "note": "عذرخواهی شد", "idempotency_key": key}
    closed = await complaints.follow_up(club.boss, close=True, at=BASE, **closing)
    assert (closed.complaint.status, closed.complaint.closed_at) == (ComplaintStatus.CLOSED, BASE)
    assert [(x.note, x.closed) for x in closed.complaint.follow_ups] == [
        ("با شعبه تماس گرفتم", False),
        ("عذرخواهی شد", True),
    ]
    replay = await complaints.follow_up(club.boss, close=True, **closing)
    assert replay.replayed and replay.follow_up.id == closed.follow_up.id
    with pytest.raises(DomainError) as excinfo:
        await complaints.follow_up(
            club.ali, complaint_id=complaint.id, note="more", idempotency_key=f.key()
        )
    assert excinfo.value.code is ErrorCode.ALREADY_EXISTS


async def test_complaints_are_listed_by_status_and_branch(club: Club, call: HappyCall) -> None:
    first, _ = await raise_one(club, call)
    second, _ = await raise_one(club, call, category=ComplaintCategory.PRICE)
    await complaints.follow_up(
        club.ali, complaint_id=first.id, note="ok", idempotency_key=f.key(), close=True
    )
    page = await complaints.listed(club.ali)
    assert [c.id for c in page.items] == [second.id, first.id]
    assert [
        c.id for c in (await complaints.listed(club.ali, status=ComplaintStatus.OPEN)).items
    ] == [second.id]
    assert (await complaints.listed(club.ali, branch_id=club.tehran)).items == []
    assert len((await complaints.listed(club.ali, branch_id=club.isfahan)).items) == 2


async def test_the_card_shows_the_member_whole(club: Club, call: HappyCall) -> None:
    boss = club.boss
    await tiers.save(boss, TierSpec("Bronze", 0, 0, name_fa="برنزی"))
    await f.give(club.sara, Purse.POINTS, 120)
    await f.give(club.sara, Purse.CREDIT, 50_000)
    ten_percent = Benefit(BenefitKind.PERCENT_OFF, basis_points=1_000)
    await rewards.create(boss, RewardSpec("Ten percent", RewardKind.DISCOUNT, ten_percent, 100))
    for n in range(6):
        await club.buy(club.sara, at=BASE - timedelta(days=1, minutes=n), amount=10_000 + n)
    await messages.send(
        club.sara,
        Notification("receipt", "رسید", "خرید شما ثبت شد", ""),
        purpose=MessagePurpose.SERVICE,
        dedupe_key=f.key(),
    )
    await record(club.ali, call, HappyCallOutcome.COMPLETED, answers=ANSWERS)
    complaint, _ = await raise_one(club, call, question="staff")
    await complaints.follow_up(
        club.ali, complaint_id=complaint.id, note="پیگیری", idempotency_key=f.key()
    )

    seen = await card.card(club.mina, call.id, at=BASE)

    assert (seen.member.id, seen.member.first_name) == (club.sara, "Sara")
    assert seen.tier_name is not None and seen.tier_name.fa == "برنزی"
    assert (seen.balances.points, seen.balances.credit) >= (120, 50_000)
    assert len(seen.recent_purchases) == 5
    newest = seen.recent_purchases[0]
    assert (newest.branch.id, [i.name for i in newest.items]) == (club.isfahan, ["لاته"])
    [earlier] = seen.earlier_calls
    assert (earlier.outcome, earlier.at) == (HappyCallOutcome.COMPLETED, BASE)
    assert [(a.question.fa, a.answer.fa) for a in earlier.answers] == [
        ("ما را پیشنهاد می‌کنید؟", "۹"),
        ("Will you come again?", "بله"),
        ("کارکنان", "مهربان"),
    ]
    [shown] = seen.complaints
    assert shown.id == complaint.id and [x.note for x in shown.follow_ups] == ["پیگیری"]
    assert [m.title for m in seen.recent_messages] == ["رسید"]
    assert [o.title.en for o in seen.offers] == ["Ten percent"]


async def test_complaints_closed_long_ago_leave_the_card(club: Club, call: HappyCall) -> None:
    complaint, _ = await raise_one(club, call)
    await complaints.follow_up(
        club.ali, complaint_id=complaint.id, note="ok", idempotency_key=f.key(), close=True, at=BASE
    )
    assert len((await card.card(club.ali, call.id, at=BASE + timedelta(days=29))).complaints) == 1
    assert (await card.card(club.ali, call.id, at=BASE + timedelta(days=31))).complaints == []
    with pytest.raises(DomainError) as excinfo:
        await card.card(club.cashier, call.id)
    assert excinfo.value.code is ErrorCode.PERMISSION_DENIED
