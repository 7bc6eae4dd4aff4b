"""`loyalty`: run the club and administer it from the shell.

Each subcommand imports what it needs when it runs, so `loyalty db upgrade` does not load the
web stack and `loyalty serve` starts fast.
"""

import argparse
import asyncio
import getpass
import json
import logging
import os
import sys
from collections.abc import Awaitable, Callable
from dataclasses import asdict
from datetime import datetime

from loyalty.settings import get_settings


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    settings = get_settings()
    if args.workers > 1 and settings.database_url.startswith("sqlite"):
        print("SQLite allows one writer: use one worker, or PostgreSQL.", file=sys.stderr)
        return 2
    uvicorn.run(
        "api.app:create_app",
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
        log_level=args.log_level,
        access_log=args.access_log,
    )
    return 0


def _console(args: argparse.Namespace) -> int:
    from textual.logging import TextualHandler

    from console.app import make_console
    from console.settings import ConsoleSettings

    # Log lines written to the terminal would land in the middle of the screen.
    logging.basicConfig(level=logging.INFO, handlers=[TextualHandler(stderr=False)], force=True)
    settings = ConsoleSettings()
    if args.server:
        settings = settings.model_copy(update={"server": args.server})
    make_console(settings).run()
    return 0


def _worker(args: argparse.Namespace) -> int:
    from arq.worker import run_worker

    from jobs.worker import worker_settings

    logging.basicConfig(level=args.log_level.upper(), format="%(asctime)s %(name)s %(message)s")
    try:
        options = worker_settings(get_settings(), dispatch=args.dispatch)
    except ValueError as exc:
        print(exc, file=sys.stderr)
        return 2
    run_worker(options, burst=args.burst)
    return 0


async def _with_orm(work: Callable[[], Awaitable[int]], database_url: str | None = None) -> int:
    from tortoise import Tortoise

    from loyalty.db import tortoise_config

    await Tortoise.init(config=tortoise_config(database_url or get_settings().database_url))
    try:
        return await work()
    finally:
        await Tortoise.close_connections()


def _db_upgrade(args: argparse.Namespace) -> int:
    from loyalty.db import upgrade

    asyncio.run(upgrade(get_settings().database_url))
    print("database is up to date")
    return 0


def _db_makemigrations(args: argparse.Namespace) -> int:
    from tortoise.cli.cli import run_cli_async

    argv = ["-c", "loyalty.db.MIGRATIONS_CONFIG", "makemigrations"]
    if args.name:
        argv += ["--name", args.name]
    return asyncio.run(run_cli_async(argv))


def _create_staff(args: argparse.Namespace) -> int:
    from loyalty import staff
    from loyalty.actors import SYSTEM
    from loyalty.errors import DomainError
    from loyalty.models import Branch, Role

    password = os.environ.get("LOYALTY_STAFF_PASSWORD") or getpass.getpass("Password: ")

    async def work() -> int:
        branch_id = None
        if args.branch:
            branch = await Branch.get_or_none(code=args.branch)
            if branch is None:
                print(f"no branch with code {args.branch}", file=sys.stderr)
                return 2
            branch_id = branch.id
        try:
            user = await staff.create_staff(
                SYSTEM,
                username=args.username,
                password=password,
                role=Role(args.role),
                display_name=args.name or "",
                branch_id=branch_id,
            )
        except DomainError as exc:
            print(f"{exc.code}: {exc.message}", file=sys.stderr)
            return 2
        print(f"created {user.role} {user.username} (id {user.id})")
        return 0

    return asyncio.run(_with_orm(work))


def _reconcile(args: argparse.Namespace) -> int:
    from loyalty.reconcile import reconcile

    async def work() -> int:
        report = await reconcile()
        print(
            json.dumps(
                {
                    "ok": report.ok,
                    "accounts_checked": report.accounts_checked,
                    "transactions_checked": report.transactions_checked,
                    "mismatches": [asdict(m) for m in report.mismatches],
                    "unbalanced": [asdict(u) for u in report.unbalanced],
                    "stamp_mismatches": [asdict(s) for s in report.stamp_mismatches],
                },
                indent=2,
            )
        )
        return 0 if report.ok else 1

    return asyncio.run(_with_orm(work))


def _moment(value: str | None) -> datetime | None:
    """`--at`: a moment with its zone; exits with 2 on anything else."""
    if value is None:
        return None
    try:
        at = datetime.fromisoformat(value)
    except ValueError:
        at = None
    if at is None or at.tzinfo is None:
        print("--at takes a moment with its zone, e.g. 2026-03-21T00:00+03:30", file=sys.stderr)
        sys.exit(2)
    return at


def _expire_points(args: argparse.Namespace) -> int:
    from loyalty.programme import expiry

    at = _moment(args.at)

    async def work() -> int:
        run = await expiry.expire_due(at)
        print(json.dumps({"members": run.members, "points": run.points}))
        return 0

    return asyncio.run(_with_orm(work))


def _review_tiers(args: argparse.Namespace) -> int:
    from loyalty.programme import tiers

    at = _moment(args.at)

    async def work() -> int:
        print(json.dumps({"reviewed": await tiers.review_due(at)}))
        return 0

    return asyncio.run(_with_orm(work))


def _draw_lotteries(args: argparse.Namespace) -> int:
    from loyalty.games import lottery

    at = _moment(args.at)

    async def work() -> int:
        run = await lottery.draw_due(at)
        print(json.dumps({"drawn": run.drawn, "paid": run.paid}))
        return 0

    return asyncio.run(_with_orm(work))


def _leaderboard_rebuild(args: argparse.Namespace) -> int:
    from loyalty import leaderboard
    from loyalty.errors import DomainError
    from loyalty.models import Branch

    async def work() -> int:
        branch_id = None
        if args.branch:
            branch = await Branch.get_or_none(code=args.branch)
            if branch is None:
                print(f"no branch with code {args.branch}", file=sys.stderr)
                return 2
            branch_id = branch.id
        try:
            entries = await leaderboard.rebuild(args.period, branch_id)
        except DomainError as exc:
            print(f"{exc.code}: {exc.message}", file=sys.stderr)
            return 2
        finally:
            await leaderboard.close()
        kept_in = "redis" if get_settings().redis_url else "database"
        print(json.dumps({"kept_in": kept_in, "entries": entries}))
        return 0

    return asyncio.run(_with_orm(work))


def _demo(args: argparse.Namespace) -> int:
    from tortoise.exceptions import OperationalError

    from loyalty import demo
    from loyalty.errors import DomainError

    if get_settings().production:
        print("refusing to load demo data into a production club", file=sys.stderr)
        return 2
    if args.members < 1:
        print("--members must be at least 1", file=sys.stderr)
        return 2
    password = os.environ.get("LOYALTY_DEMO_PASSWORD") or demo.DEFAULT_PASSWORD
    at = _moment(args.at)

    def progress(message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    async def work() -> int:
        try:
            report = await demo.load(
                args.members, args.seed, password=password, now=at, progress=progress
            )
        except OperationalError as exc:
            print(f"{exc} (has `loyalty db upgrade` been run?)", file=sys.stderr)
            return 2
        except (DomainError, demo.DemoError) as exc:
            print(f"cannot load the demo: {exc}", file=sys.stderr)
            return 2
        if report.already_loaded:
            print("the demo club is already loaded; nothing to do")
            return 0
        print(
            f"demo club loaded in {report.seconds:.1f} s: {report.branches} branches, "
            f"{report.members} members, {report.purchases:,} purchases "
            f"({report.member_purchases:,} by members, {report.line_items:,} line items), "
            f"{report.top_ups} credit top-ups, {report.credit_spends} credit spends, "
            f"{report.point_redemptions} rewards redeemed with points, {report.refunds} refunds; "
            f"{report.rules} earning rules and {len(demo.DEMO_TIERS)} tiers; "
            f"{report.happy_calls} happy calls queued"
        )
        print("staff sign-in (username / role / branch):")
        for login in report.staff:
            note = "" if login.created else "  (existed already; password unchanged)"
            print(f"  {login.username:<16} {login.role.value:<9} {login.branch_code or '-'}{note}")
        print(f"password for the demo staff: {password}")
        return 0

    # Thousands of small transactions: on SQLite, sync the WAL at checkpoints rather than at
    # every commit (a power cut could lose the last demo writes, never corrupt the file).
    url = get_settings().database_url
    if url.startswith("sqlite") and "synchronous=" not in url:
        url += ("&" if "?" in url else "?") + "synchronous=NORMAL"
    return asyncio.run(_with_orm(work, url))


def _schema(args: argparse.Namespace) -> int:
    from schema.export import sdl

    sys.stdout.write(sdl())
    return 0


def _contract_manifest(args: argparse.Namespace) -> int:
    from api import trusted_documents as trusted

    text = trusted.manifest_json(trusted.manifest_from())
    if args.check:
        current = trusted.DEFAULT_MANIFEST.read_text(encoding="utf-8")
        if current != text:
            print(f"{trusted.DEFAULT_MANIFEST} is stale: run `loyalty contract manifest`")
            return 1
        print("the trusted documents are up to date")
        return 0
    trusted.DEFAULT_MANIFEST.write_text(text, encoding="utf-8")
    print(f"wrote {text.count('sha256:')} documents to {trusted.DEFAULT_MANIFEST}")
    return 0


def _contract_examples(args: argparse.Namespace) -> int:
    from cli import contract

    run = contract.run_examples(progress=lambda line: print(line, file=sys.stderr))
    if args.write:
        contract.write_examples(run)
        print(f"wrote {len(run)} examples to {contract.EXAMPLES}")
        return 0
    problems = contract.missing_examples() + contract.stale_examples(run)
    print("\n".join(problems) or "every example matches the live server")
    return 1 if problems else 0


def build_parser() -> argparse.ArgumentParser:
    from cli.backup import add_commands as backup_commands
    from cli.reports import add_commands as report_commands
    from loyalty.models import Role
    from nfc_station.cli import add_commands as station_commands

    parser = argparse.ArgumentParser(prog="loyalty", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="run the API server")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=1)
    serve.add_argument("--log-level", default="info")
    serve.add_argument("--access-log", action=argparse.BooleanOptionalAction, default=True)
    serve.set_defaults(run=_serve)

    console = commands.add_parser("console", help="the happy-call console for operators")
    console.add_argument(
        "--server", help="the API's URL (default: LOYALTY_CONSOLE_SERVER, or http://127.0.0.1:8000)"
    )
    console.set_defaults(run=_console)

    worker = commands.add_parser(
        "worker", help="run the background jobs: arq on Redis, the schedule, the outbox"
    )
    worker.add_argument(
        "--dispatch",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="also hand outbox events to the queue (any number of workers may)",
    )
    worker.add_argument("--burst", action="store_true", help="stop when the queue is empty")
    worker.add_argument("--log-level", default="info")
    worker.set_defaults(run=_worker)

    db = commands.add_parser("db", help="database schema")
    db_commands = db.add_subparsers(dest="db_command", required=True)
    db_commands.add_parser("upgrade", help="apply pending migrations").set_defaults(run=_db_upgrade)
    make = db_commands.add_parser(
        "makemigrations", help="write a migration for model changes (developers)"
    )
    make.add_argument("--name", help="a name for the migration file")
    make.set_defaults(run=_db_makemigrations)

    staff = commands.add_parser(
        "create-staff",
        help="create a staff user (password from LOYALTY_STAFF_PASSWORD or a prompt)",
    )
    staff.add_argument("username")
    staff.add_argument("--role", choices=[r.value for r in Role], default=Role.MANAGER.value)
    staff.add_argument("--name", help="display name")
    staff.add_argument("--branch", help="branch code the user is bound to")
    staff.set_defaults(run=_create_staff)

    demo = commands.add_parser(
        "demo",
        help="load a demo club: 2 cafés, staff, members and a year of purchases "
        "(staff password from LOYALTY_DEMO_PASSWORD, default demo-password-123)",
    )
    demo.add_argument("--members", type=int, default=200, help="how many members (default 200)")
    demo.add_argument("--seed", type=int, default=1, help="same seed, same club (default 1)")
    demo.add_argument(
        "--at",
        help="as of this moment (ISO 8601 with a zone; default now): same seed and moment, "
        "same club",
    )
    demo.set_defaults(run=_demo)

    commands.add_parser(
        "reconcile", help="prove cached balances equal the ledger; exit 1 if not"
    ).set_defaults(run=_reconcile)
    expire = commands.add_parser(
        "expire-points", help="expire the points whose date has come (the scheduled job)"
    )
    expire.add_argument("--at", help="as of this moment (ISO 8601 with a zone; default now)")
    expire.set_defaults(run=_expire_points)
    review = commands.add_parser(
        "review-tiers", help="review the tiers of members whose review date has come (nightly)"
    )
    review.add_argument("--at", help="as of this moment (ISO 8601 with a zone; default now)")
    review.set_defaults(run=_review_tiers)
    draw = commands.add_parser(
        "draw-lotteries",
        help="draw the lotteries whose time has come and pay their winners (a re-run does "
        "nothing more)",
    )
    draw.add_argument("--at", help="as of this moment (ISO 8601 with a zone; default now)")
    draw.set_defaults(run=_draw_lotteries)
    board = commands.add_parser("leaderboard", help="the member leaderboard")
    board_commands = board.add_subparsers(dest="leaderboard_command", required=True)
    rebuild = board_commands.add_parser(
        "rebuild",
        help="build the boards afresh from the ledger (with Redis: after losing its data, "
        "or to repair drift); prints JSON",
    )
    rebuild.add_argument("--period", choices=["all_time", "month"], help="default: both")
    rebuild.add_argument("--branch", help="only this branch's boards (its code)")
    rebuild.set_defaults(run=_leaderboard_rebuild)
    commands.add_parser(
        "schema", help="print the GraphQL schema (SDL) as mobile_contract/schema.graphql holds it"
    ).set_defaults(run=_schema)

    contract = commands.add_parser("contract", help="the mobile app's contract (mobile_contract/)")
    contract_commands = contract.add_subparsers(dest="contract_command", required=True)
    manifest = contract_commands.add_parser(
        "manifest", help="write trusted-documents.json from operations/ (the app endpoint's)"
    )
    manifest.add_argument("--check", action="store_true", help="only say whether it is stale")
    manifest.set_defaults(run=_contract_manifest)
    examples = contract_commands.add_parser(
        "examples", help="run every operation on a fresh demo club and compare with examples/"
    )
    examples.add_argument("--write", action="store_true", help="rewrite examples/ instead")
    examples.set_defaults(run=_contract_examples)
    station_commands(commands)
    report_commands(commands)
    backup_commands(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    args = build_parser().parse_args(argv)
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
