"""The members report's RFM section: segment sizes at the first and last full analysis run
of the period, and how members moved between segments from one to the other. Segments are
scored over the whole club, so a branch's report shows the club's."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from loyalty.analysis import rfm
from loyalty.models import RfmSegment
from loyalty.programme.explain import Text
from loyalty.reports.period import day_label
from loyalty.reports.table import Chart, Table, column, table

NAMES: dict[RfmSegment | None, Text] = {
    RfmSegment.CHAMPIONS: Text("Champions", "قهرمانان"),
    RfmSegment.LOYAL: Text("Loyal", "وفادار"),
    RfmSegment.POTENTIAL_LOYALIST: Text("Potential loyalist", "وفادار بالقوه"),
    RfmSegment.NEW: Text("New", "تازه‌وارد"),
    RfmSegment.PROMISING: Text("Promising", "امیدوارکننده"),
    RfmSegment.NEED_ATTENTION: Text("Need attention", "نیازمند توجه"),
    RfmSegment.ABOUT_TO_SLEEP: Text("About to sleep", "در آستانهٔ خواب"),
    RfmSegment.AT_RISK: Text("At risk", "در خطر"),
    RfmSegment.CANT_LOSE: Text("Can't lose", "نباید از دست برود"),
    RfmSegment.HIBERNATING: Text("Hibernating", "خفته"),
    RfmSegment.LOST: Text("Lost", "از دست رفته"),
    None: Text("Not scored", "بی‌امتیاز"),
}


@dataclass(frozen=True, slots=True)
class SegmentSizeRow:
    segment: str = column("Segment", "بخش", "text")
    at_first_run: int = column("First run", "نخستین اجرا")
    at_last_run: int = column("Last run", "آخرین اجرا")
    change: int = column("Change", "تغییر")


@dataclass(frozen=True, slots=True)
class MovementRow:
    source: str = column("From", "از", "text")
    target: str = column("To", "به", "text")
    members: int = column("Members", "اعضا")


@dataclass(frozen=True, slots=True)
class RfmSection:
    first: rfm.RunSizes
    last: rfm.RunSizes
    moves: list[rfm.Movement]  # members who changed segment from the first run to the last

    def tables(self, language: str) -> list[Table]:
        def name(segment: RfmSegment | None) -> str:
            return NAMES[segment].pick(language)

        first, last = self.first.sizes, self.last.sizes
        sizes = [SegmentSizeRow(name(s), first[s], last[s], last[s] - first[s]) for s in RfmSegment]
        moves = [MovementRow(name(m.source), name(m.target), m.members) for m in self.moves]
        on = _runs(self.first.run_on, self.last.run_on)
        return [
            table("rfm_segments", Text("RFM segments", "بخش‌های RFM") + on, SegmentSizeRow,
                  sizes, Chart("bar", "segment", ("at_last_run",))),
            table("rfm_movement", Text("Moves between RFM segments", "جابه‌جایی میان بخش‌ها") + on,
                  MovementRow, moves),
        ]  # fmt: skip


def _runs(first: date, last: date) -> Text:
    dates = f"\u2066{day_label(first)}\u2069 – \u2066{day_label(last)}\u2069"
    return Text(f", runs of {dates}", f"، اجراهای {dates}")


async def rfm_section(first: date, last: date) -> RfmSection | None:
    """The club's segments over the full runs from `first` to `last` (None: no run then)."""
    runs = await rfm.sizes(first, last)
    if not runs:
        return None
    moves = await rfm.movement(runs[0].run_on, runs[-1].run_on)
    return RfmSection(runs[0], runs[-1], [m for m in moves if m.source != m.target])
