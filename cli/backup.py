"""`loyalty backup FILE` and `loyalty restore FILE`."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from loyalty.settings import get_settings


def _run(args: argparse.Namespace) -> int:
    from loyalty import backup

    work, done = (
        (backup.backup, "backed up to")
        if args.command == "backup"
        else (backup.restore, "restored from")
    )
    try:
        work(get_settings().database_url, Path(args.file))
    except backup.BackupFailed as exc:
        print(exc, file=sys.stderr)
        return 1
    print(f"{done} {args.file}")
    return 0


def add_commands(commands: argparse._SubParsersAction) -> None:
    made = commands.add_parser(
        "backup", help="copy the whole database to FILE (SQLite: online; PostgreSQL: pg_dump)"
    )
    made.add_argument("file")
    made.set_defaults(run=_run)
    back = commands.add_parser(
        "restore",
        help="replace the database's contents with FILE, a backup (stop the server first)",
    )
    back.add_argument("file")
    back.set_defaults(run=_run)
