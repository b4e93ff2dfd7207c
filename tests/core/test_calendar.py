"""``companion.calendar``, the calendar API every door calls, on the cheap open: a real
world file with broken events comes in through the import proposal, its bad events named
and the rest listed; a file that is no calendar is refused by name; the time zone,
reminders and export answer in the person's words."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from core_parts import opened

from os1.companion import Companion
from os1.errors import InputError
from os1.events import ActionSettled, ProposalMade

BERLIN = "Europe/Berlin"

__all__ = ["opened"]  # a fixture, used by name


def _stamp(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")


def _tomorrow_noon() -> dt.datetime:
    return dt.datetime.combine(dt.date.today() + dt.timedelta(days=1), dt.time(12), dt.UTC)


def _broken_file() -> str:
    """Three shapes that crashed the reader or the listing, beside one plain event."""
    noon = _tomorrow_noon()
    return "\r\n".join(
        [
            "BEGIN:VCALENDAR",
            "VERSION:2.0",
            "BEGIN:VEVENT",  # a SUMMARY line without its colon (line 3)
            "UID:nocolon@example",
            "SUMMARY",
            "END:VEVENT",
            "BEGIN:VEVENT",  # an RDATE holding a time of day, which the expander trips on
            "UID:odd-rdate@example",
            f"DTSTART:{_stamp(noon - dt.timedelta(hours=3))}",
            f"DTEND:{_stamp(noon - dt.timedelta(hours=2))}",
            "RRULE:FREQ=DAILY;COUNT=3",
            "RDATE;VALUE=TIME:120000",
            "SUMMARY:Odd repeats",
            "END:VEVENT",
            "BEGIN:VEVENT",
            "UID:tea@example",
            f"DTSTART:{_stamp(noon + dt.timedelta(hours=3))}",
            f"DTEND:{_stamp(noon + dt.timedelta(hours=4))}",
            "SUMMARY:Tea with Sam",
            "END:VEVENT",
            "END:VCALENDAR",
            "",
        ]
    )


async def _import(companion: Companion, path: Path) -> ProposalMade:
    proposal = await companion.propose("ada", "import_calendar", {"path": str(path)})
    assert isinstance(proposal, ProposalMade), proposal
    [settled] = [e async for e in companion.decide("ada", proposal.proposal_id, confirm=True)]
    assert isinstance(settled, ActionSettled) and settled.status == "done", settled
    return proposal


async def test_one_bad_event_is_named_and_the_rest_imported_and_listed(
    opened: Companion, tmp_path: Path
) -> None:
    await opened.calendar.timezone("ada", BERLIN)
    path = tmp_path / "shared.ics"
    path.write_text(_broken_file())
    proposal = await _import(opened, path)
    assert "2 new event(s)" in proposal.preview
    assert "Skipped event 1 (line 3)" in proposal.preview  # named by its place: no title

    listed = await opened.calendar.what_is_on("ada", "next 8 days")
    assert "Tea with Sam" in listed and "Odd repeats" in listed  # its first time at least
    assert "Some repeats are not shown (“Odd repeats”)" in listed
    exported = await opened.calendar.export("ada")
    assert exported.count == 2 and "Tea with Sam" in exported.ics


async def test_a_bare_event_file_imports_with_a_note(opened: Companion, tmp_path: Path) -> None:
    noon = _tomorrow_noon()
    path = tmp_path / "breakfast.ics"
    path.write_text(
        f"BEGIN:VEVENT\nUID:bare@example\nDTSTART:{_stamp(noon)}\n"
        f"DTEND:{_stamp(noon + dt.timedelta(hours=1))}\nSUMMARY:Breakfast\nEND:VEVENT\n"
    )
    proposal = await _import(opened, path)
    assert "breakfast.ics holds its items without a calendar around them" in proposal.preview
    assert "Breakfast" in await opened.calendar.what_is_on("ada", "next 8 days")


async def test_a_file_that_is_no_calendar_is_refused_by_name_and_why(
    opened: Companion, tmp_path: Path
) -> None:
    photo = tmp_path / "photo.ics"
    photo.write_bytes(b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(300))
    refused = await opened.propose("ada", "import_calendar", {"path": str(photo)})
    assert isinstance(refused, str)
    assert "photo.ics is a binary file, not an iCalendar (.ics) file" in refused
    letter = tmp_path / "letter.ics"
    letter.write_text("Dear Amy, see you Thursday at one.\n")
    refused = await opened.propose("ada", "import_calendar", {"path": str(letter)})
    assert isinstance(refused, str) and "letter.ics is not an iCalendar" in refused
    tasks = tmp_path / "tasks.ics"
    tasks.write_text("BEGIN:VTODO\nUID:milk@example\nSUMMARY:Buy milk\nEND:VTODO\n")
    said = await opened.propose("ada", "import_calendar", {"path": str(tasks)})
    assert isinstance(said, str) and "Nothing to import from tasks.ics" in said
    assert "not events (tasks, journal entries) were left out" in said


async def test_zone_reminders_request_and_account(opened: Companion, tmp_path: Path) -> None:
    assert "Berlin" in await opened.calendar.timezone("ada", BERLIN)
    assert "Berlin" in await opened.calendar.timezone("ada")  # kept
    with pytest.raises(InputError):
        await opened.calendar.timezone("ada", "Atlantis/Lost_City")
    assert "Berlin" in await opened.calendar.timezone("ada")  # a refused zone changes nothing

    soon = dt.datetime.now(dt.UTC).replace(microsecond=0) + dt.timedelta(minutes=40)
    path = tmp_path / "call.ics"
    path.write_text(
        "BEGIN:VCALENDAR\nVERSION:2.0\nBEGIN:VEVENT\nUID:call@example\n"
        f"DTSTART:{_stamp(soon)}\nDTEND:{_stamp(soon + dt.timedelta(minutes=30))}\n"
        "SUMMARY:Call the plumber\nBEGIN:VALARM\nACTION:DISPLAY\nDESCRIPTION:Call\n"
        "TRIGGER:-PT15M\nEND:VALARM\nEND:VEVENT\nEND:VCALENDAR\n"
    )
    await _import(opened, path)
    [due] = await opened.calendar.reminders("ada", within_minutes=60)
    assert due.summary == "Call the plumber" and due.at and due.when
    assert await opened.calendar.reminders("ada", within_minutes=5) == []

    title, when, where = opened.calendar.split_request(
        "lunch with Amy next Thursday at one at Café Rose"
    )
    assert (title, when, where) == ("lunch with Amy", "next Thursday at one", "Café Rose")
    assert await opened.calendar.account("ada") is None
