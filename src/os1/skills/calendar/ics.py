"""Whole calendars in and out as .ics files.

Reading splits the file into its VEVENT blocks first and parses each on its own, so one
broken event (a bad date, a line that is not iCalendar, no END) costs only itself: it
is skipped and named in the report with the reason, and the rest come in. The file as
a whole is refused, with what to do instead, when it is empty, too big, binary or not
iCalendar at all. Text that is not UTF-8 is read as Windows-1252 and the report says so
(accents may then be wrong). Each event keeps its original text, so nothing another
program wrote is lost; time zones it refers to travel with it.

Writing puts every event, with the VTIMEZONE definitions it needs, into one calendar.

A calendar file comes from anyone, so it is read in the parsing pool, a separate process
(``read_off_loop``): parsing holds the GIL, and in this process a large or hostile file
would hold up every person the server answers. The reading has a budget that grows with
the file's size; a file that overruns it is refused with what to do instead. Events
whose repeat rule fires too often are skipped with the reason (``events.too_often``).
"""

from __future__ import annotations

import hashlib
import re
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import icalendar

from os1.errors import InputError
from os1.parsing_pool import ParsingError, parse_bulk
from os1.skills.calendar.events import (
    BadEvent,
    EventRecord,
    calendar_text,
    problem,
    read_event,
    record_of,
    touch,
)

MAX_BYTES = 64 * 1024 * 1024
_TZID = re.compile(r"TZID=\"?([^\":;]+)")


@dataclass(frozen=True)
class Skipped:
    which: str  # "event 3 (line 57, “Dentist”)"
    why: str
    line: int = 0


@dataclass(frozen=True)
class ReadResult:
    records: list[EventRecord]
    skipped: list[Skipped] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def decode(data: bytes, name: str = "the file") -> tuple[str, list[str]]:
    """The text of an .ics file, and notes about how it was read.

    Raises:
        InputError: empty, too big, binary, or not iCalendar.
    """
    if not data.strip():
        raise InputError("empty_calendar", f"{name} is empty.", "Export the calendar again.")
    if len(data) > MAX_BYTES:
        raise InputError(
            "calendar_too_big",
            f"{name} is {len(data) / 1e6:.0f} MB; I read calendars up to {MAX_BYTES // 2**20} MB.",
            "Export a shorter stretch of time, or split the file.",
        )
    notes = []
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        if b"\x00" in data[:65536]:
            raise InputError(
                "not_a_calendar",
                f"{name} is a binary file, not an iCalendar (.ics) file.",
                "Export the calendar as .ics (iCalendar) and import that.",
            ) from None
        text = data.decode("cp1252", errors="replace")
        notes.append("The file is not UTF-8; I read it as Windows-1252, so check accented names.")
    head = text[:4096]
    if "\x00" in text[:65536] or not re.search(r"^BEGIN:V[A-Z]+\s*$", head, re.I | re.M):
        raise InputError(
            "not_a_calendar",
            f"{name} is not an iCalendar (.ics) file (it has no BEGIN:VCALENDAR or BEGIN:VEVENT).",
            "Export the calendar as .ics (iCalendar) and import that.",
        )
    if not re.search(r"^BEGIN:VCALENDAR\s*$", head, re.I | re.M):
        # Other clients read a bare VEVENT (or VTODO) file, as some tools export one event
        notes.append(
            f"{name} holds its items without a calendar around them (no BEGIN:VCALENDAR);"
            " I read them as one calendar."
        )
    return text, notes


@dataclass
class _Block:
    kind: str
    line: int
    lines: list[str]
    ordinal: int = 0  # which event of the file (1 = the first), for the report

    @property
    def text(self) -> str:
        return "\r\n".join(self.lines) + "\r\n"


def _blocks(text: str) -> tuple[list[_Block], list[Skipped], str]:
    """Top-level components of the calendar(s) in ``text``, the events that never end,
    and the X-WR-TIMEZONE header (Google's "floating times are in this zone")."""
    blocks: list[_Block] = []
    broken: list[Skipped] = []
    current: _Block | None = None
    depth = events = 0
    wr_zone = ""
    for number, line in enumerate(text.splitlines(), 1):
        upper = line.upper().rstrip()
        cut = upper in ("BEGIN:VCALENDAR", "END:VCALENDAR") or (
            upper == "BEGIN:VEVENT" and current is not None and current.kind == "VEVENT"
        )
        if current is not None and cut:
            broken.append(_skip(current, f"it never ends (no END:{current.kind})"))
            current = None
        if current is None:
            if upper.startswith("BEGIN:") and upper != "BEGIN:VCALENDAR":
                events += upper == "BEGIN:VEVENT"
                current, depth = _Block(upper[6:], number, [line], events), 1
            elif upper.startswith("X-WR-TIMEZONE:"):
                wr_zone = line.partition(":")[2].strip()
            continue
        depth += upper.startswith("BEGIN:") - upper.startswith("END:")
        current.lines.append(line)
        if depth == 0:
            blocks.append(current)
            current = None
    if current is not None:
        broken.append(_skip(current, f"it never ends (no END:{current.kind})"))
    return blocks, broken, wr_zone


def _tzid(block: _Block) -> str:
    return next(
        (ln.partition(":")[2].strip() for ln in block.lines if ln.upper().startswith("TZID")), ""
    )


def _reason(exc: Exception) -> str:
    """An error from the iCalendar libraries in a few words (their text can be long)."""
    said = " ".join(str(exc).split())[:120]
    return said or type(exc).__name__


def _skip(block: _Block, why: str) -> Skipped:
    return Skipped(_name(block), why, block.line)


def _name(block: _Block) -> str:
    # a SUMMARY line without its colon is broken, not fatal: partition gives ""
    title = next(
        (ln.partition(":")[2].strip() for ln in block.lines if ln.upper().startswith("SUMMARY")),
        "",
    )
    title = f", “{title[:60]}”" if title else ""
    return f"event {block.ordinal} (line {block.line}{title})"


@lru_cache(maxsize=512)
def _named_zone(tzid: str) -> bool:
    try:
        ZoneInfo(tzid)
    except (ZoneInfoNotFoundError, ValueError, OSError):  # OSError: a name too long for a file
        return False
    return True


def _parse_event(block: _Block, zones: dict[str, str]) -> icalendar.Component:
    """The VEVENT of ``block``; a zone that is no IANA name is read from the file's own
    VTIMEZONE (parsed along with the event) so its times are not taken as local."""
    own = [zones[z] for z in set(_TZID.findall(block.text)) if z in zones and not _named_zone(z)]
    if not own:
        return icalendar.Event.from_ical(block.text)
    calendar = icalendar.Calendar.from_ical(calendar_text([*own, block.text]))
    events = calendar.walk("VEVENT")
    if len(events) != 1:
        raise ValueError("the event could not be told apart from its time zone")
    return events[0]


def read_calendar(data: bytes, name: str = "the file") -> ReadResult:
    """The events in an .ics file (CPU work: ``read_off_loop`` runs it in the pool).

    Raises:
        InputError: the file as a whole is unusable (see ``decode``).
    """
    text, notes = decode(data, name)
    blocks, skipped, wr_zone = _blocks(text)
    zones = {}
    for block in blocks:
        if block.kind == "VTIMEZONE":
            zones[_tzid(block)] = block.text
    grouped: dict[str, list[tuple[icalendar.Component, str]]] = defaultdict(list)
    block_of: dict[str, _Block] = {}  # each UID's first block, to name it if it fails
    others = 0
    for block in blocks:
        if block.kind != "VEVENT":
            others += block.kind not in ("VTIMEZONE",)
            continue
        try:
            event = _parse_event(block, zones)
            why = problem(event)
        except Exception as exc:  # the library's error on one event: skip only that event
            skipped.append(_skip(block, f"it is not readable iCalendar ({_reason(exc)})"))
            continue
        if why:
            skipped.append(_skip(block, why))
            continue
        uid = str(event.get("UID", "")).strip()
        if not uid:
            uid = hashlib.sha256(block.text.encode()).hexdigest()[:32] + "@imported.os1"
            event.add("uid", uid)
            block.lines.insert(1, f"UID:{uid}")
        grouped[uid].append((event, block.text))
        block_of.setdefault(uid, block)
    if others:
        notes.append(
            f"{others} item(s) that are not events (tasks, journal entries) were left out."
        )
    header = f"X-WR-TIMEZONE:{wr_zone}\r\n" if wr_zone else ""
    records = []
    for uid, parts in grouped.items():
        texts = [t for _, t in parts]
        used = {z for t in texts for z in _TZID.findall(t)}
        blocks_text = [zones[z] for z in sorted(used) if z in zones] + texts
        try:
            records.append(record_of([e for e, _ in parts], calendar_text(blocks_text, header)))
        except Exception as exc:  # as above: this event (and its changed occurrences) only
            first = block_of[uid]
            skipped.append(_skip(first, f"it is not readable iCalendar ({_reason(exc)})"))
    skipped.sort(key=lambda s: s.line)
    floating = sum(
        1
        for r in records
        if not r.all_day and getattr(r.start, "tzinfo", None) is None and not wr_zone
    )
    if floating:
        notes.append(
            f"{floating} event(s) have no time zone; I read their times as your local time."
        )
    return ReadResult(records, skipped, notes)


def read_budget(size: int) -> float:
    """Seconds reading a calendar of ``size`` bytes may take: several times what ordinary
    files take on a slow machine (about 1.5 s per MB), never hours."""
    return 20.0 + 5.0 * size / 1_000_000


async def read_off_loop(data: bytes, name: str = "the file") -> ReadResult:
    """``read_calendar`` in the parsing pool, within ``read_budget``.

    Raises:
        InputError: the file as a whole is unusable, or could not be read in time.
    """
    try:
        return await parse_bulk(read_budget(len(data)), read_calendar, data, name)
    except ParsingError as exc:
        raise InputError(
            "calendar_unreadable",
            f"I could not read {name}: {exc.message}",
            "Export the calendar again, or a shorter stretch of time.",
        ) from exc


def stamped(records: list[EventRecord], uids: set[str], now: float) -> list[EventRecord]:
    """``records``, those with a UID in ``uids`` marked as changed at ``now`` (each is
    parsed again: run in the parsing pool)."""
    return [touch(r, now) if r.uid in uids else r for r in records]


def restored(texts: list[str], now: float) -> list[EventRecord]:
    """The events kept as ``texts``, marked as changed at ``now``; unreadable ones left
    out (run in the parsing pool)."""
    out = []
    for text in texts:
        try:
            out.append(touch(read_event(text), now))
        except BadEvent:
            continue
    return out


async def stamp_off_loop(
    records: list[EventRecord], uids: set[str], now: float
) -> list[EventRecord]:
    """``stamped`` in the parsing pool (a re-import of a big calendar re-parses every
    changed event)."""
    if not any(r.uid in uids for r in records):
        return records
    return await _in_pool(stamped, sum(len(r.ics) for r in records), records, uids, now)


async def restore_off_loop(texts: list[str], now: float) -> list[EventRecord]:
    """``restored`` in the parsing pool."""
    if not texts:
        return []
    return await _in_pool(restored, sum(len(t) for t in texts), texts, now)


async def _in_pool(
    fn: Callable[..., list[EventRecord]], size: int, *args: Any
) -> list[EventRecord]:
    try:
        return await parse_bulk(read_budget(size), fn, *args)
    except ParsingError as exc:
        raise InputError(
            "calendar_unreadable", f"The events could not be read: {exc.message}", exc.hint
        ) from exc


def write_calendar(records: Iterable[EventRecord]) -> str:
    """One .ics text holding every event and the time zones they use."""
    zones: dict[str, str] = {}
    events: list[str] = []
    for record in records:
        blocks, _, _ = _blocks(record.ics)
        for block in blocks:
            if block.kind == "VTIMEZONE":
                zones.setdefault(_tzid(block), block.text)
            elif block.kind == "VEVENT":
                events.append(block.text)
    needed = {z for text in events for z in _TZID.findall(text)} - set(zones)
    for tzid in sorted(needed):
        zones[tzid] = timezone_block(tzid)
    return calendar_text([z for z in zones.values() if z] + events)


def timezone_block(tzid: str) -> str:
    """A VTIMEZONE for the IANA zone ``tzid`` ("" if it is not one)."""
    try:
        text: str = icalendar.Timezone.from_tzid(tzid).to_ical().decode()
    except (ValueError, KeyError, LookupError, OSError):
        return ""
    return text


def with_timezones(ics: str) -> str:
    """``ics`` with a VTIMEZONE for each IANA zone it names but does not define (some
    servers and programs need them)."""
    # a whole line, stripped after: a lazy name before ``\s*$`` tried every split of a
    # run of spaces inside it (quadratic in the line)
    defined = {name.strip() for name in re.findall(r"^TZID:([^\r\n]*)", ics, re.M)} - {""}
    missing = sorted(set(_TZID.findall(ics)) - defined)
    blocks = [b for b in (timezone_block(z) for z in missing) if b]
    if not blocks:
        return ics
    at = ics.upper().find("BEGIN:VEVENT")
    return ics[:at] + "".join(blocks) + ics[at:]
