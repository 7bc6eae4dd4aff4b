"""Surveys and happy calls: each survey's response rate and its questions' averages, with the
Net Promoter Score of its 0-10 questions (promoters 9-10 less detractors 0-6, as a percentage
of those who answered); the call centre's figures per operator and per branch; complaints
raised in the period, those still open, and the hours they took to close.

Built on loyalty.surveys.results and loyalty.happycalls.stats, which count in the database.
"""

from __future__ import annotations

from dataclasses import dataclass

from loyalty import sql
from loyalty.actors import Actor
from loyalty.happycalls import stats
from loyalty.models import Branch, QuestionKind, Role, Survey
from loyalty.programme.explain import Text
from loyalty.reports import buckets
from loyalty.reports.scope import Scope
from loyalty.reports.table import Chart, Table, column, table
from loyalty.surveys import results as survey_results
from loyalty.surveys.definitions import MAX_RATING

PROMOTERS = range(9, MAX_RATING + 1)
DETRACTORS = range(0, 7)


@dataclass(frozen=True, slots=True)
class SurveyRow:
    survey: str = column("Survey", "نظرسنجی", "text")
    offered: int = column("Offered", "ارائه‌شده")
    answered: int = column("Answered", "پاسخ‌داده")
    response_rate: float | None = column("Response rate", "نرخ پاسخ", "share")
    responses: int = column("Responses (app and calls)", "پاسخ‌ها (برنامه و تماس)")


@dataclass(frozen=True, slots=True)
class QuestionRow:
    survey: str = column("Survey", "نظرسنجی", "text")
    question: str = column("Question", "پرسش", "text")
    answered: int = column("Answers", "پاسخ")
    average: float | None = column("Average", "میانگین", "number")
    nps: float | None = column("NPS", "NPS", "number")


@dataclass(frozen=True, slots=True)
class OperatorRow:
    operator: str = column("Operator", "اپراتور", "text")
    calls: int = column("Calls", "تماس")
    completed: int = column("Completed", "کامل‌شده")
    completion_rate: float = column("Completion rate", "نرخ تکمیل", "share")
    satisfaction: float | None = column("Satisfaction (0-10)", "رضایت (۰ تا ۱۰)", "number")


@dataclass(frozen=True, slots=True)
class BranchQuestionRow:
    branch: str = column("Branch", "شعبه", "text")
    question: str = column("Question", "پرسش", "text")
    answers: int = column("Answers", "پاسخ")
    average: float | None = column("Average (0-10)", "میانگین (۰ تا ۱۰)", "number")


@dataclass(frozen=True, slots=True)
class ComplaintRow:
    raised: int = column("Raised", "ثبت‌شده")
    closed: int = column("Closed", "بسته‌شده")
    open_now: int = column("Open now (all)", "باز اکنون (همه)")
    average_hours_to_close: float | None = column("Hours to close", "ساعت تا بستن", "number")


@dataclass(frozen=True, slots=True)
class SurveysReport:
    scope: Scope
    surveys: list[SurveyRow]
    questions: list[QuestionRow]
    operators: list[OperatorRow]
    branches: list[BranchQuestionRow]
    complaints: ComplaintRow

    def tables(self, language: str = "fa") -> list[Table]:
        return [
            table("surveys", Text("Surveys", "نظرسنجی‌ها"), SurveyRow, self.surveys,
                  Chart("bar", "survey", ("offered", "answered"))),
            table("questions", Text("Questions", "پرسش‌ها"), QuestionRow, self.questions),
            table("operators", Text("Happy calls per operator", "تماس‌ها بر اساس اپراتور"),
                  OperatorRow, self.operators, Chart("bar", "operator", ("calls", "completed"))),
            table("branches", Text("Happy-call answers per branch", "پاسخ تماس‌ها بر اساس شعبه"),
                  BranchQuestionRow, self.branches),
            table("complaints", Text("Complaints", "شکایت‌ها"), ComplaintRow, [self.complaints]),
        ]  # fmt: skip


def nps(counts: dict[int, int]) -> float | None:
    """Promoters less detractors, in percent of the answers (None: no answers)."""
    total = sum(counts.values())
    if not total:
        return None
    promoters = sum(n for value, n in counts.items() if value in PROMOTERS)
    detractors = sum(n for value, n in counts.items() if value in DETRACTORS)
    return round(100 * (promoters - detractors) / total, 1)


_SURVEYS_USED = """
SELECT survey_id FROM survey_invitation WHERE offered_at >= ? AND offered_at < ?{b1}
UNION SELECT survey_id FROM survey_response WHERE answered_at >= ? AND answered_at < ?{b2}
"""
_COMPLAINTS = """
SELECT COUNT(*) AS raised, SUM(CASE WHEN c.closed_at IS NULL THEN 0 ELSE 1 END) AS closed,
       AVG(CASE WHEN c.closed_at IS NULL THEN NULL ELSE {seconds} END) AS seconds
FROM complaint c WHERE c.raised_at >= ? AND c.raised_at < ?{branch}
"""
_OPEN = "SELECT COUNT(*) AS n FROM complaint c WHERE c.status = 'open'{branch}"


async def surveys(actor: Actor, scope: Scope) -> SurveysReport:
    actor.require_staff(Role.MANAGER)
    period = scope.period
    params: list = [period.since, period.until]
    b1 = scope.branch_filter("branch_id", params)
    params += [period.since, period.until]
    b2 = scope.branch_filter("branch_id", params)
    ids = sorted(
        {r["survey_id"] for r in await sql.fetch(_SURVEYS_USED.format(b1=b1, b2=b2), params)}
    )
    within = survey_results.Scope(scope.branch_id, period.since, period.until)
    survey_rows, question_rows = [], []
    for survey in await Survey.filter(id__in=ids).order_by("id"):
        found = await survey_results.results(actor, survey.id, within)
        name = survey.name_fa or survey.name
        survey_rows.append(
            SurveyRow(name, found.offered, found.answered, found.response_rate, found.responses)
        )
        for q in found.questions:
            on_ten = q.question.kind is QuestionKind.RATING
            question_rows.append(
                QuestionRow(
                    name,
                    q.question.text_fa or q.question.text,
                    q.answered,
                    q.average_score,
                    nps({o.value: o.count for o in q.options}) if on_ten else None,
                )
            )
    supervision = await stats.supervision(
        actor, period.first, period.last, branch_id=scope.branch_id
    )
    branch_names = {b.id: b.name for b in await Branch.all()}
    complaint_params: list = [period.since, period.until]
    branch = scope.branch_filter("c.branch_id", complaint_params)
    [complaints] = await sql.fetch(
        _COMPLAINTS.format(
            seconds=buckets.seconds_between("c.raised_at", "c.closed_at"), branch=branch
        ),
        complaint_params,
    )
    open_params: list = []
    [still_open] = await sql.fetch(
        _OPEN.format(branch=scope.branch_filter("c.branch_id", open_params)), open_params
    )
    return SurveysReport(
        scope=scope,
        surveys=survey_rows,
        questions=question_rows,
        operators=[
            OperatorRow(
                user.display_name or user.username,
                f.calls,
                f.completed,
                f.completion_rate,
                f.average_satisfaction,
            )
            for user, f in supervision.operators
        ],
        branches=[
            BranchQuestionRow(
                branch_names.get(q.branch_id, "—") if q.branch_id else "—",
                q.question.text_fa or q.question.text,
                q.answers,
                q.average,
            )
            for q in supervision.questions
        ],
        complaints=ComplaintRow(
            int(complaints["raised"]),
            int(complaints["closed"] or 0),
            int(still_open["n"]),
            buckets.hours(complaints["seconds"]),
        ),
    )
