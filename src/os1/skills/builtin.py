"""os1's own skills and their tables, registered through the same hooks third-party
plugins use."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from os1.plugins.hookspecs import hookimpl
from os1.skills.calendar import schema as calendar_schema
from os1.skills.calendar.tools import AddEvent, CancelEvent, ImportCalendar, ListEvents
from os1.skills.files.tools import Declutter, FindFile
from os1.skills.letters import archive as letters_archive
from os1.skills.letters import own_hands
from os1.skills.letters.tools import WriteLetter
from os1.skills.library import shelf as library_shelf
from os1.skills.library.tools import SearchLibrary, WhereWasI
from os1.skills.mail import schema as mail_schema
from os1.skills.mail.tools import CheckMail, DraftReply, FindMail, SendMail
from os1.skills.memory_tools import ForgetMemories, RememberNote
from os1.skills.music import shelf as music_shelf
from os1.skills.music import songbook
from os1.skills.music.tools import ComposeMusic, WriteSong
from os1.skills.personas import records as persona_records
from os1.skills.personas import talks as persona_talks
from os1.skills.proofread.tools import Proofread


@hookimpl
def register_tools(register: Callable[[Any], None]) -> None:
    for tool in (
        RememberNote(),
        ForgetMemories(),
        Declutter(),
        FindFile(),
        Proofread(),
        AddEvent(),
        ListEvents(),
        CancelEvent(),
        ImportCalendar(),
        CheckMail(),
        FindMail(),
        DraftReply(),
        SendMail(),
        WriteLetter(),
        ComposeMusic(),
        WriteSong(),
        SearchLibrary(),
        WhereWasI(),
    ):
        register(tool)


@hookimpl
def register_migrations(register: Callable[[str, Callable[[Any], None]], None]) -> None:
    migrations = (
        *calendar_schema.MIGRATIONS,
        *mail_schema.MIGRATIONS,
        *letters_archive.MIGRATIONS,
        *own_hands.MIGRATIONS,
        *music_shelf.MIGRATIONS,
        *songbook.MIGRATIONS,
        *library_shelf.MIGRATIONS,
        *persona_records.MIGRATIONS,
        *persona_talks.MIGRATIONS,
    )
    for name, migrate in migrations:
        register(name, migrate)
