"""The surveys and happy-calls report on the happy-call tests' worked day: Ali completed
(9, yes, Kind) and (6, no, Fine) at Tehran and had one unanswered call; Mina completed
(3, yes, Rude) at Isfahan."""

from __future__ import annotations

from loyalty.reports import Period, scope_for
from loyalty.reports.surveys import nps, surveys
from tests.happycalls.conftest import Club
from tests.happycalls.test_stats import DAY


def test_nps_is_promoters_less_detractors() -> None:
    assert nps({10: 2, 9: 1, 8: 3, 7: 1, 6: 1, 0: 2}) == 0.0  # (3 - 3) / 10
    assert nps({9: 1, 6: 1, 3: 1}) == -33.3
    assert nps({}) is None


async def test_the_worked_day(worked: Club) -> None:
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
    assert (report.complaints.raised, report.complaints.open_now) == (0, 0)
    isfahan = await surveys(worked.boss, await scope_for(worked.boss, Period(DAY, DAY), "ISF"))
    assert [o.calls for o in isfahan.operators] == [1]
