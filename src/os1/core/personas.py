"""Personas for every door: a writer rebuilt from their own words (``os1 persona
build``), listed, shown with its sources and what was derived, spoken with, and
forgotten with everything derived from it.

A persona belongs to the person who built it. Its sources go into that person's
library (books, essays, letters, mail and chat exports as text), so they are read,
repaired and searched the way every book is, and a persona's reply searches those books
alone. A persona never sees its owner's memories: it knows its writings and the
exchange with it, nothing else.

Consent comes first: a persona of a private person is refused without a recorded
consent, a consent that has ended stops the persona speaking, and every persona lists
its sources. Building again with more sources makes a new version; the old stay.
"""

from __future__ import annotations

import asyncio
import re
import time
import uuid
from collections import Counter
from collections.abc import AsyncGenerator, Callable
from contextlib import aclosing
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from os1.core.base import Core
from os1.core.library import Added, Library, Progress, Shelved, Skipped
from os1.errors import InputError, LibraryError, PersonaError, StoreError
from os1.events import Cited, Source, TextDelta, TurnEvent, TurnFinished, TurnStarted, Usage
from os1.models.base import CancelToken, GenerationOptions
from os1.skills.personas import derive, records, talking
from os1.skills.personas.records import Citation, Persona, Said, Statement
from os1.skills.personas.style import WritingStyle, languages_of, style_of
from os1.turn.perceive import clean_input

__all__ = ["BuildReport", "Forgotten", "PersonaCard", "PersonaSummary", "Personas", "Said",
           "Statement", "WritingStyle"]  # fmt: skip

KINDS = ("author", "person")
NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{0,39}$")
CONSENT_LEAST, CONSENT_MOST = 20, 2000  # characters: a statement, not a tick
_UNTIL = re.compile(r"\b(?:until|till|through|expires?(?: on)?)\s+(\d{4}-\d{2}-\d{2})\b", re.I)
LONGEST_MESSAGE = 4000  # characters of one message to a persona
TEXT_READ = 3_000_000  # characters of each source read to derive the persona
# words of talk, not of a subject: a greeting never counts as beyond the writings
_CHAT_WORDS = """hello thanks thank please sorry today tonight great really maybe think
thought could would should about there their where which what whats while again"""
CHAT_WORDS = frozenset(_CHAT_WORDS.split())
_QUESTION = re.compile(r"\?|^\s*(?:what|how|why|who|when|where|which|do|does|did|would|"
                       r"could|should|can|is|are|will)\b", re.I)  # fmt: skip


@dataclass(frozen=True)
class PersonaSummary:
    name: str
    kind: str
    writer: str
    version: int
    sources: int
    built_at: float


@dataclass(frozen=True)
class PersonaCard:
    """Everything a persona is: its consent, sources, style, positions, facts and
    self-description, at one version."""

    name: str
    kind: str
    writer: str
    consent: str
    consent_until: str | None
    version: int
    versions: int
    built_at: float
    seconds: float  # the build took
    sources: list[Shelved]
    missing_sources: int  # books since taken out of the library
    style: WritingStyle
    languages: tuple[str, ...]
    self_description: str
    positions: list[Statement]
    facts: list[Statement]

    def as_dict(self) -> dict[str, Any]:
        """The card as JSON for a door (``--json``, REST): sources by book, each view and
        fact with whether its passage supports it."""

        def said(one: Statement) -> dict[str, Any]:
            return {"text": one.text, "support": one.support, "supported": one.supported,
                    "citations": [asdict(c) for c in one.citations]}  # fmt: skip

        return {
            "name": self.name, "kind": self.kind, "writer": self.writer,
            "consent": self.consent, "consent_until": self.consent_until,
            "version": self.version, "versions": self.versions, "built_at": self.built_at,
            "seconds": round(self.seconds, 1),
            "sources": [{"book": b.id, "title": b.title, "author": b.author,
                         "source": b.source, "words": b.words} for b in self.sources],
            "missing_sources": self.missing_sources, "languages": list(self.languages),
            "style": asdict(self.style), "self_description": self.self_description,
            "positions": [said(s) for s in self.positions],
            "facts": [said(s) for s in self.facts],
        }  # fmt: skip


@dataclass(frozen=True)
class BuildReport:
    persona: PersonaCard
    added: list[Added] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    seconds: float = 0.0


@dataclass(frozen=True)
class Forgotten:
    name: str
    books_removed: int


def _name(name: str) -> str:
    clean = name.strip().lower()
    if not NAME.match(clean):
        raise PersonaError(
            "persona_bad_name",
            f"{name!r} cannot name a persona.",
            "Use up to 40 letters, digits, dots, dashes or underscores, e.g. 'thoreau'.",
        )
    return clean


def consent_until(consent: str) -> str | None:
    """The date a consent ends, when it names one ("until 2027-06-30")."""
    found = _UNTIL.search(consent)
    return found.group(1) if found else None


def _ended(until: str | None) -> bool:
    try:
        return until is not None and date.fromisoformat(until) < date.today()
    except ValueError:
        return False


def checked_consent(kind: str, consent: str | None) -> str | None:
    """The consent as it will be kept.

    Raises:
        PersonaError: a private person with no consent (or a token one), or one that
            has already ended.
    """
    if kind not in KINDS:
        raise PersonaError(
            "persona_bad_kind", f"{kind!r} is not a kind of persona.", "Use author or person."
        )
    text = " ".join((consent or "").split())
    if kind == "person" and len(text) < CONSENT_LEAST:
        raise PersonaError(
            "persona_no_consent",
            "A persona of a living private person needs their consent, recorded with it: "
            "who may use it, for what, and until when.",
            'Add --consent, e.g. --consent "Lena agreed on 2026-12-01 that I may talk with '
            'a persona of her letters, for myself only, until 2027-12-01".',
        )
    if len(text) > CONSENT_MOST:
        raise PersonaError(
            "persona_consent_too_long",
            f"The consent is {len(text)} characters; it may be at most {CONSENT_MOST}.",
            "State who may use it, for what, and until when, in a few sentences.",
        )
    if _ended(consent_until(text)):
        raise PersonaError(
            "persona_consent_ended",
            f"That consent ended on {consent_until(text)}.",
            "Ask again for consent and record the new one.",
        )
    return text or None


class Personas:
    def __init__(self, core: Core, library: Library) -> None:
        self.core = core
        self.library = library

    async def build(
        self,
        user: str,
        name: str,
        paths: list[Path],
        *,
        consent: str | None = None,
        kind: str | None = None,
        progress: Callable[[str, float, float], None] | None = None,
    ) -> BuildReport:
        """Build the persona ``name`` from the writing under ``paths`` (a new version
        when it exists: its sources and these); ``kind`` is ``author`` (published
        writing) or ``person`` (a private person's, which needs ``consent``), the
        persona's own when it exists.

        Raises:
            PersonaError: a bad name, one a person on this os1 goes by, no consent for a
                private person, or no readable writing among the sources.
        """
        began = time.perf_counter()
        name = _name(name)
        store = await self.core.store(user)
        earlier = None
        if await records.persona_id(store, name) is not None:
            earlier = await records.load(store, name)
            kind = kind or earlier.kind
            if earlier.kind != kind:
                raise PersonaError(
                    "persona_kind_differs",
                    f"{name!r} is a persona of kind {earlier.kind}, not {kind}.",
                    f"Build it again with --kind {earlier.kind}, or choose another name.",
                )
        else:
            await self._not_a_person(name)
        kind = kind or "author"
        recorded = earlier.consent if earlier is not None else None
        kept_consent = checked_consent(kind, consent or recorded)
        if not paths and earlier is None:
            raise _no_sources([])

        def reading(step: Progress) -> None:
            if progress is not None:
                progress(step.stage, step.done, max(1, step.total))

        report = await self.library.add(user, paths, reading) if paths else None
        added = report.added if report else []
        skipped = report.skipped if report else []
        found = [a.book for a in added] + [s.book for s in skipped if s.book is not None]
        books = list(dict.fromkeys([*(earlier.version.books if earlier else ()), *found]))
        on_shelf = {b.id: b for b in await self.library.books(user)}
        books = [b for b in books if b in on_shelf]
        if not books:
            raise _no_sources(skipped)
        sources = []
        for book in books:
            shelved = on_shelf[book]
            text = await self.library.text(user, book, 0, TEXT_READ)
            sources.append(derive.Source(book, shelved.title, shelved.author, text))
        if progress is not None:
            progress("deriving", 0, 3)
        authors = Counter(s.author for s in sources if s.author)
        writer = authors.most_common(1)[0][0] if authors else name.replace("-", " ").title()
        style = await asyncio.to_thread(style_of, [s.text for s in sources])
        languages = await asyncio.to_thread(languages_of, [s.text[:50_000] for s in sources])
        async with self.core.person_waiting():
            said = await derive.statements(self.core.llm, writer, sources)
            if progress is not None:
                progress("deriving", 2, 3)
            positions = [s for s in said if s.kind == "position" and s.supported]
            me = await derive.self_description(
                self.core.llm, writer, [s.title for s in sources], positions, style.describe()
            )
        if progress is not None:
            progress("deriving", 3, 3)
        seconds = time.perf_counter() - began
        built = records.Built(
            name=name, kind=kind, writer=writer,
            consent=kept_consent if (consent or earlier is None) else None,
            consent_until=consent_until(kept_consent or ""),
            books=tuple(books), brought=tuple(a.book for a in added), style=style.as_dict(),
            languages=languages, self_description=me,
            statements=tuple([*derive.works(sources), *said]), seconds=seconds,
        )  # fmt: skip
        version = await records.save(store, built)
        card = await self.show(user, name, version)
        return BuildReport(card, added, skipped, seconds)

    async def _not_a_person(self, name: str) -> None:
        try:
            await self.core.db.user(name, create=False)
        except StoreError:
            return
        raise PersonaError(
            "persona_name_taken",
            f"{name!r} is the name of a person on this os1; a persona may not take it.",
            f"Choose another name, e.g. '{name}-writings'.",
        )

    async def listed(self, user: str) -> list[PersonaSummary]:
        store = await self.core.store(user)
        out = []
        for name in await records.names(store):
            persona = await records.load(store, name)
            v = persona.version
            out.append(PersonaSummary(persona.name, persona.kind, persona.writer, v.number,
                                      len(v.books), v.built_at))  # fmt: skip
        return out

    async def show(self, user: str, name: str, version: int | None = None) -> PersonaCard:
        """Raises: PersonaError: there is no such persona (or version)."""
        store = await self.core.store(user)
        persona = await records.load(store, _name(name), version)
        on_shelf = {b.id: b for b in await self.library.books(user)}
        v = persona.version
        sources = [on_shelf[b] for b in v.books if b in on_shelf]
        said = v.statements
        return PersonaCard(
            persona.name, persona.kind, persona.writer, persona.consent, persona.consent_until,
            v.number, persona.versions, v.built_at, v.seconds, sources,
            len(v.books) - len(sources), WritingStyle.from_dict(v.style), v.languages,
            v.self_description, [s for s in said if s.kind == "position"],
            [s for s in said if s.kind == "fact"],
        )  # fmt: skip

    async def forget(self, user: str, name: str) -> Forgotten:
        """The persona, every version and statement, what was said with it, and the
        sources its builds put on the shelf (those no other persona stands on).

        Raises:
            PersonaError: there is no such persona.
        """
        store = await self.core.store(user)
        persona = await records.load(store, _name(name))
        others = await records.books_of_others(store, persona.id)
        await records.remove(store, persona.id)
        removed = 0
        for book in sorted(persona.brought - others):
            try:
                await self.library.remove(user, book)
                removed += 1
            except LibraryError:
                pass  # the person took it out of the library already
        return Forgotten(persona.name, removed)

    async def history(self, user: str, name: str, limit: int = 20) -> list[Said]:
        store = await self.core.store(user)
        persona = await records.load(store, _name(name))
        return await records.said(store, persona.id, limit)

    async def reply(
        self,
        user: str,
        name: str,
        text: str,
        *,
        cancel: CancelToken | None = None,
        talk: list[Said] | None = None,
        asker: str = "",
        topic: str = "",
    ) -> AsyncGenerator[TurnEvent, None]:
        """The persona's answer to ``text``, as a turn's events: ``TurnStarted``
        (the persona's id as its conversation), ``TextDelta``s, ``Cited`` and
        ``TurnFinished``.

        In a talk with another party (``os1 converse``), ``talk`` is that talk so far and
        ``asker`` who speaks: the exchange is the talk's, kept with it, never added to the
        persona's own chat with its owner. The talk's ``topic`` joins the search for
        passages, so that small talk ("how are you?") is still answered from the writings.

        Raises:
            PersonaError: no such persona, or its consent has ended.
            InputError: the message is empty or too long.
        """
        store = await self.core.store(user)
        persona = await records.load(store, _name(name))
        if _ended(persona.consent_until):
            raise PersonaError(
                "persona_consent_ended",
                f"The consent recorded for {persona.name!r} ended on {persona.consent_until}.",
                "Record a new consent with `os1 persona build NAME --consent ...`, or forget it.",
            )
        message = _message(text)
        turn_id = uuid.uuid4().hex
        yield TurnStarted(turn_id, persona.id)
        if talk is None:
            history = await records.said(store, persona.id, talking.HISTORY)
            await records.keep_said(store, persona.id, "user", message)
        else:
            history = talk

        async def keep(answer: str, citations: tuple[Citation, ...] = ()) -> int | None:
            if talk is not None:
                return None
            return await records.keep_said(store, persona.id, "persona", answer, citations)

        writer = persona.writer
        if (who := talking.impersonation(message, writer, persona.name)) is not None:
            answer = talking.declined(who, writer)
            yield TextDelta(answer)
            kept = await keep(answer)
            yield Cited(())
            yield TurnFinished(turn_id, answer, message_id=kept)
            return
        sought = f"{message} {topic}" if topic else message
        passages = await self._passages(user, persona, sought)
        beyond = await self._beyond(user, persona, message, asker)
        opening = (talking.beyond_note(beyond) if beyond else "") or (
            derive.honest_opening(writer) + " " if talking.asks_if_real(message) else ""
        )
        card = WritingStyle.from_dict(persona.version.style)
        asked = talking.prompt(
            writer=writer, style=card.describe(),
            passages=passages, history=history, message=message,
            opening=opening, beyond=beyond, asker=asker,
        )  # fmt: skip
        gate = talking.QuoteGate(passages)
        parts: list[str] = []
        if opening:
            parts.append(opening)
            yield TextDelta(opening)
        settings = self.core.settings
        most = settings.max_reply_tokens if settings else talking.REPLY_TOKENS
        options = GenerationOptions(
            max_tokens=min(most, talking.REPLY_TOKENS),
            temperature=settings.temperature if settings else 0.7,
        )
        usage, interrupted, cut = Usage(), False, False
        echo, repeats, stop = talking.EchoCut(opening), talking.Repeats(), CancelToken()
        async for chunk in self.core.llm.stream(asked, options, stop):
            if cancel is not None and cancel.cancelled:
                stop.cancel()
            if repeats.feed(chunk.text):
                stop.cancel()  # looping: what it said stands, the repeat is dropped
            if not stop.cancelled and (piece := gate.feed(echo.feed(chunk.text))):
                parts.append(piece)
                yield TextDelta(piece)
            if chunk.usage is not None:
                usage = chunk.usage
            interrupted = cancel is not None and cancel.cancelled
            cut = cut or chunk.finish_reason == "length"
        if tail := gate.feed(echo.flush()) + gate.flush() + ("…" if cut else ""):
            parts.append(tail)
            yield TextDelta(tail)
        ending = talking.closing_quote(sought, passages) if not gate.verified else None
        if ending is not None and not beyond and not interrupted:
            parts.append(talking.quoted(*ending))
            yield TextDelta(parts[-1])
        answer = "".join(parts).strip()
        used = talking.cited(answer, passages)
        kept = await keep(answer, tuple(p.citation for p in used))
        shown = [_source(n, p) for n, p in enumerate(passages, 1)]
        yield Cited(
            tuple(s for s, p in zip(shown, passages, strict=True) if p in used), tuple(shown),
            bool(beyond), gate.unverified,
        )  # fmt: skip
        yield TurnFinished(turn_id, answer, interrupted, kept, usage)

    async def ask(self, user: str, name: str, text: str) -> tuple[str, Cited]:
        """``reply`` run to its end, for a door that answers at once (``persona ask``,
        REST, MCP): the reply's text and the passages it rests on.

        Raises: as ``reply``.
        """
        said, cited = "", Cited(())
        async with aclosing(self.reply(user, name, text)) as events:
            async for event in events:
                if isinstance(event, Cited):
                    cited = event
                elif isinstance(event, TurnFinished):
                    said = event.text
        return said, cited

    async def _passages(self, user: str, persona: Persona, message: str) -> list[talking.Passage]:
        try:
            hits = await self.library.search(
                user, message, talking.PASSAGES, within=persona.version.books
            )
        except LibraryError:
            return []  # nothing in the message to search by
        return [talking.Passage(hit) for hit in hits]

    async def _beyond(
        self, user: str, persona: Persona, message: str, asker: str = ""
    ) -> list[str]:
        """The subjects of a question that the writings never mention (by the library's
        index of them): the reply then says it goes beyond them. In a talk, only the
        question asked counts, never the asker's name or their small talk around it."""
        if asker:
            questions = [s for s in re.split(r"(?<=[.!?])\s+", message) if s.endswith("?")]
            message = questions[-1] if questions else ""
        if not _QUESTION.search(message):
            return []
        names = set(asker.lower().split())
        asked = [w for w in talking.subjects(message) if w not in CHAT_WORDS | names]
        return await self.library.unmentioned(user, asked[:8], persona.version.books)


def _message(text: str) -> str:
    message = clean_input(text)
    if not message:
        raise InputError("empty_input", "There is nothing to answer: the message was empty.")
    if len(message) > LONGEST_MESSAGE:
        raise InputError(
            "message_too_long",
            f"That message is {len(message)} characters; a persona reads at most "
            f"{LONGEST_MESSAGE}.",
            "Ask about one thing at a time.",
        )
    return message


def _source(number: int, passage: talking.Passage) -> Source:
    h = passage.hit
    return Source(number, h.book, h.title, h.chapter, h.start, h.end, h.text)


def _no_sources(skipped: list[Skipped]) -> PersonaError:
    why = "; ".join(f"{Path(s.source).name}: {s.message}" for s in skipped[:5])
    return PersonaError(
        "persona_no_sources",
        "None of the sources holds writing os1 can read" + (f" ({why})." if why else "."),
        "Give text, EPUB, PDF, HTML, Markdown or Word files of their writing.",
    )
