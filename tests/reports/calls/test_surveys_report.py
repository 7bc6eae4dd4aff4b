"""The surveys and happy-calls report on the happy-call tests' worked day: Ali completed
(9, yes, Kind) and (6, no, Fine) at Tehran and had one unanswered call; Mina completed
(3, yes, Rude) at Isfahan."""

from __future__ import annotations

from datetime import timedelta

from loyalty.happycalls import complaints
from loyalty.models import ComplaintCategory, HappyCall
from loyalty.reports import Period, scope_for
from loyalty.reports.surveys import nps, surveys
from tests import factories as f
from tests.happycalls.conftest import BASE, Club
from tests.happycalls.test_stats import DAY


def test_nps_is_promoters_less_detractors() -> None:
    assert nps({10: 2, 9: 1, 8: 3, 7: 1, 6: 1, 0: 2}) == 0.0  # (3 - 3) / 10
    assert nps({9: 1, 6: 1, 3: 1}) == -33.3
    assert nps({}) is None


async def test_the_worked_day(worked: Club) -> None:
    first, second = await HappyCall.all().order_by("id").limit(2)
    raised = [
        (await complaints.raise_complaint(
            worked.boss, call_id=call.id, category=ComplaintCategory.SERVICE, note="cold coffee",
            idempotency_key=f.key(), at=BASE + timedelta(hours=1),
        ))[0]
        for call in (first, second)
    ]  # fmt: skip
    await complaints.follow_up(worked.boss, complaint_id=raised[0].id, note="called back",
                               idempotency_key=f.key(), close=True,
                               at=BASE + timedelta(hours=4))  # fmt: skip
    scope = await scope_for(worked.boss, Period(DAY, DAY))
    report = await surveys(worked.boss, scope)
    [script] = [s for s in report.surveys if s.survey == "تماس رضایت"]
    assert (script.offered, script.responses) == (0, 3)  # calls are not invitations
    questions = {q.question: q for q in report.questions if q.survey == "تماس رضایت"}
    recommend = questions["ما را پیشنهاد می‌کنید؟"]
    assert (recommend.answered, recommend.average, recommend.nps) == (3, 6.0, -33.3)
    assert questions["کارکنان"].nps is None  # only 0-10 questions have one
    operators = sorted((o.calls, o.completed, o.completion_rate, o.satisfaction)
                       for o in report.operators)  # fmt: skip
    assert operators == [(1, 1, 1.0, 3.0), (3, 2, 0.6667, 7.5)]
    by_branch = {(b.branch, b.question): (b.answers, b.average) for b in report.branches}
    assert by_branch[("Branch THR", "ما را پیشنهاد می‌کنید؟")] == (2, 7.5)
    assert by_branch[("Branch ISF", "ما را پیشنهاد می‌کنید؟")] == (1, 3.0)
    found = report.complaints
    assert (found.raised, found.closed, found.open_now, found.average_hours_to_close) == (
        2, 1, 1, 3.0,
    )  # fmt: skip
    isfahan = await surveys(worked.boss, await scope_for(worked.boss, Period(DAY, DAY), "ISF"))
    assert [o.calls for o in isfahan.operators] == [1]
