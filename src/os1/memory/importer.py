"""Importing a conversation from JSON Lines: one message a line, kept as episodes.

Each line is ``{"id", "speaker", "text", "time" (ISO 8601), "session"?}``. A bad line is
reported with its number and skipped; the rest goes in. Lines are committed in batches,
each batch one transaction, and an ``(source, id)`` pair is stored once, so an import cut
off at any instant leaves no half record and simply continues when run again.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from os1.memory.episodes import EpisodeLog, NewEpisode
from os1.store import UserStore

MAX_LINE_BYTES = 1_000_000
BATCH = 1000


class ConversationLine(BaseModel):
    """One line of an imported conversation."""

    model_config = ConfigDict(extra="ignore")

    id: str = Field(min_length=1, max_length=200)
    speaker: str = Field(min_length=1, max_length=100)
    text: str = Field(min_length=1)
    time: dt.datetime
    session: str = Field(default="", max_length=200)

    @field_validator("id", "session", mode="before")
    @classmethod
    def _as_text(cls, value: Any) -> Any:
        if isinstance(value, int | float) and not isinstance(value, bool):
            return str(value)
        return "" if value is None else value

    def episode(self, source: str, learned: bool = True) -> NewEpisode:
        when = self.time if self.time.tzinfo else self.time.astimezone()  # naive: local time
        return NewEpisode(
            speaker=self.speaker.strip(),
            text=self.text,
            time=when.timestamp(),
            source=source,
            source_id=self.id,
            session=self.session,
            learned=learned,
        )


@dataclass(frozen=True)
class BadLine:
    number: int
    reason: str


@dataclass
class ImportReport:
    read: int = 0
    added: int = 0
    already: int = 0
    bad: list[BadLine] = field(default_factory=list)


def _reason(exc: ValidationError) -> str:
    first = exc.errors()[0]
    where = ".".join(str(p) for p in first["loc"]) or "line"
    return f"{where}: {first['msg']}"


def parse_lines(path: Path, report: ImportReport) -> Iterator[tuple[int, int, ConversationLine]]:
    """``(line number, bytes read so far, parsed line)`` for each good line; bad ones go
    into ``report.bad`` with the reason."""
    done = 0
    with path.open("rb") as fh:
        for number, raw in enumerate(fh, start=1):
            done += len(raw)
            if not raw.strip():
                continue
            report.read += 1
            if len(raw) > MAX_LINE_BYTES:
                report.bad.append(BadLine(number, f"longer than {MAX_LINE_BYTES:,} bytes"))
                continue
            try:
                data = json.loads(raw.decode("utf-8"))
            except UnicodeDecodeError:
                report.bad.append(BadLine(number, "not valid UTF-8"))
                continue
            except json.JSONDecodeError as exc:
                report.bad.append(BadLine(number, f"not valid JSON ({exc.msg})"))
                continue
            if not isinstance(data, dict):
                report.bad.append(BadLine(number, "not a JSON object"))
                continue
            try:
                yield number, done, ConversationLine.model_validate(data)
            except ValidationError as exc:
                report.bad.append(BadLine(number, _reason(exc)))


async def import_conversation(
    store: UserStore,
    path: Path,
    source: str = "import",
    progress: Callable[[int, int], None] | None = None,
    learn: bool = False,
) -> ImportReport:
    """Import ``path`` as episodes of ``store``'s person; with ``learn`` they join the
    queue of messages to extract facts from.

    Raises:
        OSError: the file cannot be read.
    """
    total = (await asyncio.to_thread(path.stat)).st_size
    report = ImportReport()
    log = EpisodeLog(store)
    batch: list[NewEpisode] = []
    done = 0
    for _, done, line in parse_lines(path, report):
        batch.append(line.episode(source, learned=not learn))
        if len(batch) >= BATCH:
            added = await log.add_many(batch)
            report.added += added
            report.already += len(batch) - added
            batch = []
            if progress:
                progress(done, total)
    if batch:
        added = await log.add_many(batch)
        report.added += added
        report.already += len(batch) - added
    if progress:
        progress(total, total)
    return report
