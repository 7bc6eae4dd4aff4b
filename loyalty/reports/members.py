"""Members: new enrolments and active members (at least one purchase) in the period, and the
tier distribution now. A branch's report counts the members it enrolled (and, as active, the
members who bought there), from a roll-up (loyalty.reports.active). With the club's RFM
segments (loyalty.reports.segments)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from loyalty import sql
from loyalty.actors import Actor
from loyalty.models import Role, Tier
from loyalty.programme.explain import Text
from loyalty.reports import active, buckets, rollups
from loyalty.reports.period import day_label, month_label
from loyalty.reports.scope import Scope
from loyalty.reports.segments import RfmSection, rfm_section
from loyalty.reports.table import Chart, Table, column, share, table


@dataclass(frozen=True, slots=True)
class SummaryRow:
    new_members: int = column("New members", "عضو جدید")
    active_members: int = column("Active members", "عضو فعال")
    members_at_end: int = column("Members at the end", "اعضا در پایان دوره")
    active_share: float = column("Active share", "سهم فعال", "share")


@dataclass(frozen=True, slots=True)
class EnrolmentRow:
    label: str = column("Day", "روز", "text")
    new_members: int = column("New members", "عضو جدید")


@dataclass(frozen=True, slots=True)
class TierRow:
    tier: str = column("Tier", "سطح", "text")
    members: int = column("Members", "اعضا")
    members_share: float = column("Share", "سهم", "share")


@dataclass(frozen=True, slots=True)
class MembersReport:
    scope: Scope
    summary: SummaryRow
    enrolments_by_day: list[EnrolmentRow]
    enrolments_by_month: list[EnrolmentRow]
    tiers_now: list[TierRow]
    rfm: RfmSection | None = None  # the club's RFM segments, when analysed in the period

    def tables(self, language: str = "fa") -> list[Table]:
        by_month = table("enrolments_by_month", Text("Enrolments by month", "عضویت ماهانه"),
                         EnrolmentRow, self.enrolments_by_month,
                         Chart("bar", "label", ("new_members",)))  # fmt: skip
        first = by_month.columns[0]
        by_month.columns[0] = type(first)(first.key, Text("Month", "ماه"), first.kind)
        return [
            table("summary", Text("Members", "اعضا"), SummaryRow, [self.summary]),
            table("enrolments_by_day", Text("Enrolments by day", "عضویت روزانه"), EnrolmentRow,
                  self.enrolments_by_day, Chart("line", "label", ("new_members",))),
            by_month,
            table("tiers_now", Text("Tiers now", "سطوح اکنون"), TierRow, self.tiers_now,
                  Chart("bar", "tier", ("members",))),
            *(self.rfm.tables(language) if self.rfm else []),
        ]  # fmt: skip


_ENROLMENTS = """
SELECT {hour} AS bucket, COUNT(*) AS n FROM member m
WHERE m.enrolled_at >= ? AND m.enrolled_at < ?{branch} GROUP BY 1
"""
_AT_END = "SELECT COUNT(*) AS n FROM member m WHERE m.enrolled_at < ?{branch}"
# The join only for a branch's report: the club's reads a million standings, not two tables.
_TIERS = "SELECT s.tier_id AS tier_id, COUNT(*) AS n FROM member_standing s{branch} GROUP BY 1"
_TIERS_AT = " JOIN member m ON m.id = s.member_id WHERE m.enrolled_branch_id = ?"


async def members(actor: Actor, scope: Scope) -> MembersReport:
    actor.require_staff(Role.MANAGER)
    period = scope.period
    params: list = [period.since, period.until]
    branch = scope.branch_filter("m.enrolled_branch_id", params)
    hour = buckets.local_hour("m.enrolled_at")
    by_day = {day: 0 for day in period.days}
    for row in await sql.fetch(_ENROLMENTS.format(hour=hour, branch=branch), params):
        by_day[buckets.hour_of(row["bucket"]).date()] += int(row["n"])
    by_month: dict[str, int] = defaultdict(int)
    for day, n in by_day.items():
        by_month[month_label(day)] += n

    await rollups.refresh(rollups.REPORT_BUDGET)
    active_n = await active.members_who_bought(scope)
    end_params: list = [period.until]
    [at_end] = await sql.fetch(
        _AT_END.format(branch=scope.branch_filter("m.enrolled_branch_id", end_params)), end_params
    )
    at_branch = _TIERS_AT if scope.branch else ""
    tiers = await sql.fetch(_TIERS.format(branch=at_branch), [scope.branch_id] if at_branch else [])
    known = await Tier.all()
    names = {t.id: t.name_fa or t.name for t in known}
    ranks = {t.id: t.rank for t in known}
    total = sum(int(r["n"]) for r in tiers)
    new, at_end_n = sum(by_day.values()), int(at_end["n"])
    return MembersReport(
        scope=scope,
        summary=SummaryRow(new, active_n, at_end_n, share(active_n, at_end_n)),
        enrolments_by_day=[EnrolmentRow(day_label(d), n) for d, n in by_day.items()],
        enrolments_by_month=[EnrolmentRow(m, n) for m, n in by_month.items()],
        tiers_now=[
            TierRow(names.get(r["tier_id"], "—"), int(r["n"]), share(int(r["n"]), total))
            for r in sorted(tiers, key=lambda r: ranks.get(r["tier_id"], -1))
        ],
        rfm=await rfm_section(period.first, period.last),
    )
