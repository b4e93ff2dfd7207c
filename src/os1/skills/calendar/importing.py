"""Import an .ics file as one proposal: the preview counts what is new, what changes and
what is skipped (and why); undo takes the new events out and puts changed ones back.

The plan records the file's SHA-256, and the run refuses a file that changed since the
preview, so what is imported is what the person saw counted.
"""

from __future__ import annotations

import asyncio
import hashlib
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from os1.errors import InputError
from os1.skills.base import Outcome, Plan, ToolContext, args_from_text
from os1.skills.calendar.events import EventRecord
from os1.skills.calendar.ics import (
    MAX_BYTES,
    ReadResult,
    read_off_loop,
    restore_off_loop,
    stamp_off_loop,
)
from os1.skills.calendar.store import CalendarStore
from os1.skills.calendar.sync import load_account
from os1.skills.reach import PATH

SHOW_SKIPPED = 10


class ImportCalendarArgs(BaseModel):
    path: str = Field(
        description="The .ics file to import, e.g. '~/Downloads/work.ics'.",
        max_length=1000,
        json_schema_extra={PATH: True},
    )


def _read(path: Path) -> tuple[bytes, str]:
    path = path.expanduser()
    if not path.is_file():
        raise InputError("no_such_file", f"There is no file {path}.", "Check the path.")
    if path.stat().st_size > MAX_BYTES:
        raise InputError(
            "calendar_too_big",
            f"{path.name} is {path.stat().st_size / 1e6:.0f} MB; I read calendars up to "
            f"{MAX_BYTES // 2**20} MB.",
            "Export a shorter stretch of time, or split the file.",
        )
    data = path.read_bytes()
    return data, hashlib.sha256(data).hexdigest()


async def load_file(path: Path) -> tuple[ReadResult, str]:
    """The events of the file and its SHA-256 (parsed in the parsing pool)."""
    data, digest = await asyncio.to_thread(_read, path)
    return await read_off_loop(data, path.name), digest


async def sort_out(
    calendar: CalendarStore, records: list[EventRecord]
) -> tuple[list[EventRecord], list[EventRecord], int]:
    """(new events, events that replace a different stored version, unchanged count)."""
    stored = {e.record.uid: e.record.ics for e in await calendar.all()}
    new = [r for r in records if r.uid not in stored]
    changed = [r for r in records if r.uid in stored and stored[r.uid] != r.ics]
    return new, changed, len(records) - len(new) - len(changed)


def report_lines(result: ReadResult) -> list[str]:
    lines = [f"Skipped {s.which}: {s.why}" for s in result.skipped[:SHOW_SKIPPED]]
    if len(result.skipped) > SHOW_SKIPPED:
        lines.append(f"… and {len(result.skipped) - SHOW_SKIPPED} more skipped.")
    return lines + result.notes


class ImportCalendar:
    name = "import_calendar"
    touches = "server_files"
    summary = "import the events of an .ics calendar file into the calendar"
    hints = ("import", ".ics", "ics ", "calendar", "ical")
    Args = ImportCalendarArgs
    examples = ("~/Downloads/work.ics", "import my holidays.ics file")

    def from_command(self, text: str) -> ImportCalendarArgs:
        return ImportCalendarArgs.model_validate(args_from_text(self, text).model_dump())

    async def plan(self, ctx: ToolContext, args: ImportCalendarArgs) -> Plan | str:
        path = Path(args.path.strip())
        try:
            result, digest = await load_file(path)
        except InputError as exc:
            return str(exc)
        new, changed, same = await sort_out(CalendarStore(ctx.store), result.records)
        if not result.records:
            lines = [f"Nothing to import from {path.name}: it holds no events I can read."]
            return "\n".join(lines + report_lines(result))
        if not new and not changed:
            lines = [f"Nothing to import from {path.name}: {same} event(s) already here."]
            return "\n".join(lines + report_lines(result))
        counts = f"{len(new)} new event(s), {len(changed)} changed, {same} already here"
        lines = [f"From {path.name}: {counts}."]
        lines += [f"- {r.summary}" for r in (new + changed)[:5]]
        lines += report_lines(result)
        if await load_account(ctx.store) is not None:
            lines.append("They go to your calendar server at the next sync.")
        real = await asyncio.to_thread(lambda: str(path.expanduser().resolve()))
        return Plan(
            title=f"Import {len(new) + len(changed)} event(s) from {path.name}",
            preview="\n".join(lines),
            args={"path": real, "sha256": digest},
            paths=(real,),
        )

    async def run(self, ctx: ToolContext, args: dict[str, Any]) -> Outcome:
        path = Path(str(args["path"]))
        result, digest = await load_file(path)
        if digest != args["sha256"]:
            raise InputError(
                "file_changed", f"{path.name} changed since I counted it.", "Ask again."
            )
        calendar = CalendarStore(ctx.store)
        before = {e.record.uid: e.record.ics for e in await calendar.all()}
        new, changed, _ = await sort_out(calendar, result.records)
        now = ctx.now()
        await calendar.put_many(await stamp_off_loop(new + changed, set(before), now))
        skipped = f" ({len(result.skipped)} skipped)" if result.skipped else ""
        counts = f"{len(new)} new and {len(changed)} changed event(s)"
        return Outcome(
            f"Imported {counts} from {path.name}{skipped}.",
            {"added": [r.uid for r in new], "replaced": [before[r.uid] for r in changed]},
        )

    async def undo(self, ctx: ToolContext, undo: dict[str, Any]) -> str:
        calendar = CalendarStore(ctx.store)
        now = ctx.now()
        for uid in undo.get("added", []):
            await calendar.remove(str(uid), now)
        restored = await restore_off_loop([str(t) for t in undo.get("replaced", [])], now)
        await calendar.put_many(restored)
        added = len(undo.get("added", []))
        return f"Took out {added} imported event(s); put back {len(restored)} earlier version(s)."
