"""The console's settings: environment variables `LOYALTY_CONSOLE_*` (or a `.env` file).

The console runs on an operator's PC, not on the server, so it has its own settings and reads
none of the server's.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo

from platformdirs import user_data_path
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class ConsoleSettings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="LOYALTY_CONSOLE_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    server: str = "http://127.0.0.1:8000"
    # The unsent results (SQLite); unset: the user's data directory.
    queue_path: Path | None = None
    # Where supervisor CSV exports go; unset: the current directory.
    export_dir: Path = Path()
    # The API exposes no club calendar or language to staff: the console's own settings say them.
    timezone: str = "Asia/Tehran"
    calendar: Literal["jalali", "gregorian"] = "jalali"
    language: Literal["fa", "en"] = "fa"  # which wording of questions and choices to read out
    # Terminals mostly lay out text left to right and do not join Arabic-script letters; off for a
    # terminal that does both itself (VTE/GNOME Terminal with bidi, Konsole, mlterm).
    bidi: bool = True
    currency: Literal["rial", "toman"] = "toman"
    request_seconds: float = Field(default=10.0, gt=0)
    retry_max_seconds: float = Field(default=30.0, gt=0)  # the longest wait between resends

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def unsent_path(self) -> Path:
        return self.queue_path or user_data_path("loyalty-console") / "unsent.sqlite3"
