"""`loyalty report NAME --from --to [--branch CODE] --format csv|xlsx|png|html [--out FILE]`:
a report written to a file, as the shell's administrator (the system actor)."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path


def _report(args: argparse.Namespace) -> int:
    from cli.main import _with_orm
    from loyalty.actors import SYSTEM
    from loyalty.errors import DomainError, ReportNotReady
    from loyalty.reports import build
    from loyalty.reports.export import FORMATS

    form = FORMATS[args.format]
    written: list[bytes] = []

    async def work() -> int:
        try:
            # The shell waits for a first fill of the roll-ups; a report over the API would
            # answer REPORT_NOT_READY after rollups.REPORT_BUDGET.
            built = await build(SYSTEM, args.name, args.first, args.last, args.branch, wait=True)
        except DomainError as error:
            print(error, file=sys.stderr)
            # EX_TEMPFAIL: nothing wrong with the request; try it again later.
            return 75 if isinstance(error, ReportNotReady) else 2
        written.append(form.write(built, args.lang))
        return 0

    if status := asyncio.run(_with_orm(work)):
        return status
    if args.out == "-":
        sys.stdout.buffer.write(written[0])
        return 0
    out = Path(args.out or f"{args.name}-{args.first}-{args.last}.{form.extension}")
    out.write_bytes(written[0])
    print(out)
    return 0


def add_commands(commands: argparse._SubParsersAction) -> None:
    from loyalty.reports import REPORTS
    from loyalty.reports.export import FORMATS

    report = commands.add_parser(
        "report",
        help="write a report (dates in the club's calendar, whole days in its time zone)",
    )
    report.add_argument("name", choices=list(REPORTS))
    report.add_argument("--from", dest="first", required=True, help="first day, e.g. 1405-09-01")
    report.add_argument("--to", dest="last", required=True, help="last day, inclusive")
    report.add_argument("--branch", help="only this branch (its code)")
    report.add_argument("--format", choices=list(FORMATS), default="html")
    report.add_argument("--lang", choices=["fa", "en"], default="fa", help="headings' language")
    report.add_argument("--out", help="file to write (- for standard output; default: a name "
                        "from the report and its dates)")  # fmt: skip
    report.set_defaults(run=_report)
