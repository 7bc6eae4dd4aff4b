"""Whole-database backups (`loyalty backup FILE`, `loyalty restore FILE`).

SQLite is copied page by page through its online backup API: a consistent copy while the club
keeps running. PostgreSQL goes through its own tools, pg_dump's custom format and pg_restore
(which must be installed, of the server's major version or newer).

Restore replaces everything the database holds with the backup: stop the server and workers
first.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from contextlib import closing
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from tortoise.backends.base.config_generator import expand_db_url
from tortoise.exceptions import ConfigurationError

# A file is a backup of this club's database when it has the migrations' table.
_MIGRATIONS_TABLE = "tortoise_migrations"


class BackupFailed(Exception):
    """The backup or restore could not be made; the message says why and what to do."""


def _engine(database_url: str) -> str:
    """The URL's database as tortoise reads it: `sqlite` or `postgres` (any of tortoise's
    PostgreSQL schemes: postgres, postgresql, asyncpg, psycopg)."""
    try:
        engine = expand_db_url(database_url)["engine"]
    except ConfigurationError as exc:
        raise BackupFailed(f"the database URL is not one tortoise reads: {exc}") from None
    if engine == "tortoise.backends.sqlite":
        return "sqlite"
    if engine in ("tortoise.backends.asyncpg", "tortoise.backends.psycopg"):
        return "postgres"
    raise BackupFailed(f"backups are made of SQLite and PostgreSQL databases, not {engine}")


def _sqlite_path(database_url: str) -> Path:
    path = expand_db_url(database_url)["credentials"]["file_path"]
    if not path or path == ":memory:":
        raise BackupFailed("an in-memory database has nothing to back up")
    return Path(path)


def _libpq_url(database_url: str) -> str:
    """The URL as libpq reads it: tortoise's scheme and pool options (?minsize=…) are not
    libpq's."""
    parts = urlsplit(database_url)
    return urlunsplit(("postgresql", parts.netloc, parts.path, "", ""))


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise BackupFailed(
            f"{name} was not found: install the PostgreSQL client tools "
            f"(e.g. apt install postgresql-client), of the server's version or newer"
        )
    return found


def _run(command: list[str]) -> None:
    done = subprocess.run(command, capture_output=True, text=True, env=os.environ.copy())
    if done.returncode != 0:
        raise BackupFailed(f"{Path(command[0]).name} failed: {done.stderr.strip()}")


def _check_sqlite_backup(path: Path) -> None:
    if not path.is_file():
        raise BackupFailed(f"{path} does not exist")
    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
            tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master")}
    except sqlite3.DatabaseError as exc:
        raise BackupFailed(f"{path} is not an SQLite backup: {exc}") from None
    if _MIGRATIONS_TABLE not in tables:
        raise BackupFailed(f"{path} is not a backup of a club's database")


def _copy_sqlite(source: Path, target: Path) -> None:
    with closing(sqlite3.connect(source)) as src, closing(sqlite3.connect(target)) as dst:
        src.backup(dst)


def backup(database_url: str, file: Path) -> None:
    """Write a backup of the database to `file` (replacing it)."""
    if _engine(database_url) == "postgres":
        _run([_tool("pg_dump"), "--format=custom", f"--file={file}", _libpq_url(database_url)])
        return
    source = _sqlite_path(database_url)
    if not source.is_file():
        raise BackupFailed(f"the database {source} does not exist")
    file.unlink(missing_ok=True)
    _copy_sqlite(source, file)


def restore(database_url: str, file: Path) -> None:
    """Replace the database's contents with the backup in `file`."""
    if _engine(database_url) == "postgres":
        if not file.is_file():
            raise BackupFailed(f"{file} does not exist")
        _run(
            [
                _tool("pg_restore"),
                "--clean",
                "--if-exists",
                "--no-owner",
                "--single-transaction",
                f"--dbname={_libpq_url(database_url)}",
                str(file),
            ]
        )
        return
    _check_sqlite_backup(file)
    target = _sqlite_path(database_url)
    target.parent.mkdir(parents=True, exist_ok=True)
    _copy_sqlite(file, target)
