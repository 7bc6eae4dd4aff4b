"""The console's settings: environment variables `LOYALTY_CONSOLE_*` (or a `.env` file).

The console runs on an operator's PC, not on the server, so it has its own settings and reads
none of the server's.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from platformdirs import user_data_path
from pydantic import Field, field_validator
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
    # How dates and money are written: unset (None), as the club says (read after sign-in).
    timezone: str | None = None
    calendar: Literal["jalali", "gregorian"] | None = None
    currency: Literal["rial", "toman"] | None = None
    language: Literal["fa", "en"] = "fa"  # which wording of questions and choices to read out
    # Terminals mostly lay out text left to right and do not join Arabic-script letters; off for a
    # terminal that does both itself (VTE/GNOME Terminal with bidi, Konsole, mlterm).
    bidi: bool = True
    request_seconds: float = Field(default=10.0, gt=0)
    retry_max_seconds: float = Field(default=30.0, gt=0)  # the longest wait between resends

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                ZoneInfo(value)
            except (ZoneInfoNotFoundError, ValueError) as unknown:
                raise ValueError(f"unknown time zone {value!r} (an IANA name)") from unknown
        return value

    @property
    def unsent_path(self) -> Path:
        return self.queue_path or user_data_path("loyalty-console") / "unsent.sqlite3"
