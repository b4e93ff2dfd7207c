"""The MCP door: the companion as tools for other agents and desktop clients.

One ``MCPServer`` (the ``mcp`` SDK) offers twenty-seven tools: ``search_memories``,
``ask_memories`` (an answer with the memories it rests on), ``remember``, ``talk``,
``profile``, ``live_conversations``, ``upload_file`` (a file for the person's skills
to work on: only the owner names the server's own files), ``write_letter``,
``revise_letter`` and ``list_letters``, and ``list_hands`` and ``learn_hand`` (the
person's handwriting from a picture of the filled-in sheet), ``compose_music``,
``list_music`` and ``write_song``, and ``search_library``, ``ask_library``,
``list_library`` and ``add_to_library`` (the person's books), ``list_personas`` and
``ask_persona`` (a writer rebuilt from their words, ``os1 persona``), and ``converse``
(two of them talk, ``os1 converse``), ``read_feelings`` (``os1 affect``) and
``companion_feelings`` (``os1 feelings``), ``people_suggestions`` (``os1 people
suggestions``), ``list_introductions`` and ``answer_introduction`` (``os1 people
introductions``, ``os1 people answer``). Like every door it has no
logic of its own: recall, answers, notes and the profile are ``companion.memories``,
letters are ``companion.letters``, a turn is the same event stream the WebSocket
renders; over HTTP a question to memory or a letter is a model turn under the same
limits (``model_turn``).

Who a call speaks for is decided per transport and handed to the tools as a ``Speaker``:

- stdio (``os1 mcp``) is a local process started by the person's own client, trusted
  like ``os1 chat``: the person named on the command line, turns straight through
  ``Companion.turn``, and one live conversation held for the process's life.
- streamable HTTP (``/mcp`` on ``os1 serve``) sits behind ``BearerGate``, which checks
  the API key before the SDK sees the request (no key or a wrong one: 401, no tool runs),
  and the account afresh (the key check is cached for seconds; a change made by
  ``os1 users`` in another process must not wait for it), and leaves the account on
  the ASGI scope. The SDK hands each tool call the HTTP request
  that carried it, so the tools read the account from there; turns go through
  ``turn_events`` (rate, line, timeout, shutdown), and each call touches presence.

The gate also marks the scope as an authenticated SDK user whose identity is the
account, so the SDK binds every MCP session to the account that opened it: another
person's key cannot ride a leaked session id. Session cookies are not accepted here: a
browser sends cookies on its own, keys it never does. Each session the gate sees opened
is held in ``Services.live`` with the key that opened it, so it ends (its streams
closed, its id answering 404) when the account is disabled or deleted or its keys are
revoked, like a socket. The SDK offers no public way to end a session from the server's
side; ``SessionEnder`` uses the one its manager uses itself (mcp 2.3), and a test fails
if an upgrade changes it.

Tool failures the caller can fix (an empty query, ``k`` out of range, over the turn
rate) come back as tool errors with a plain message; they never end the session.
"""

from __future__ import annotations

import base64
import logging
from collections.abc import AsyncGenerator, Awaitable, Callable
from contextlib import aclosing
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Protocol, TypeVar

from mcp.server.auth.middleware.bearer_auth import AuthenticatedUser
from mcp.server.auth.provider import AccessToken
from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp.server.streamable_http import MCP_SESSION_ID_HEADER
from mcp.server.streamable_http_manager import StreamableHTTPASGIApp, StreamableHTTPSessionManager
from pydantic import BaseModel, Field
from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from os1.companion import Companion
from os1.config import Settings
from os1.core.accounts import Account
from os1.core.feelings import HONEST
from os1.core.introductions import Introduction
from os1.core.letters import Kept as LetterKept
from os1.core.memories import Answer, iso_time
from os1.core.music import Shelved
from os1.errors import Os1Error
from os1.events import ErrorEvent, TurnEvent, TurnFinished
from os1.server.auth import credential, identify
from os1.server.problems import HttpProblem
from os1.server.services import Services
from os1.server.turns import ask_memory, model_turn, turn_events

log = logging.getLogger(__name__)

DOOR = "mcp"
PATH = "/mcp"
ACCOUNT_KEY = "os1.account"  # where BearerGate leaves the caller on the ASGI scope
MAX_QUERY = 2_000
MAX_K = 50
MAX_TEXT = 20_000
INSTRUCTIONS = (
    "os1 is a personal companion that remembers its person. Use search_memories before "
    "answering questions about the person's life (or ask_memories for an answer with the "
    "memories it rests on), remember to keep something they asked "
    "you to keep, talk to speak with the companion itself, profile for what it knows of "
    "them, live_conversations for how many conversations it holds right now, write_letter "
    "and revise_letter for a letter in the person's voice from their memories, "
    "search_library for passages of the person's own books."
)

T = TypeVar("T")
TurnFn = Callable[[str], AsyncGenerator[TurnEvent, None]]


@dataclass(frozen=True)
class Speaker:
    """The person a tool call speaks for, and how their turns run behind this door."""

    name: str
    companion: Companion
    turn: TurnFn
    ask: AskFn
    model: ModelWork  # runs model work (a letter) under this door's limits


Resolve = Callable[[Context], Awaitable[Speaker]]
AskFn = Callable[[str, int], Awaitable[Answer]]


class ModelWork(Protocol):
    """Runs model work (a letter, a piece) under a door's limits."""

    def __call__(self, work: Callable[[], Awaitable[T]]) -> Awaitable[T]: ...


class Recalled(BaseModel):
    """One memory found by ``search_memories``."""

    ref: str = Field(description="e12 (something said) or f3 (a learned fact)")
    kind: str
    text: str
    time: str | None = Field(description="when it was said or became true, ISO 8601")
    speaker: str = Field(description="who said it ('' for a fact)")
    sources: list[str] = Field(description="where it came from: the messages it rests on")


class Piece(BaseModel):
    """A piece composed from a moment."""

    id: int
    about: str
    memories: list[str] = Field(description="the memories it photographs (refs)")
    key: str
    tempo: int
    instrument: str
    why: str = Field(description="why it is as it is, in plain words")


class SongMade(BaseModel):
    """A song written together: its words, chords and why."""

    id: int
    title: str
    key: str
    tempo: int
    words_and_chords: str = Field(description="the lyrics with chord names over the lines")
    changes: list[str] = Field(description="what a revision changed, in words")
    why: str


class Recall(BaseModel):
    memories: list[Recalled]


class Answered(BaseModel):
    """An answer from memory, with what it rests on."""

    answer: str = Field(description='the answer, or "I don\'t know." when nothing supports one')
    known: bool
    source_ids: list[str] = Field(description="where the cited memories came from")
    cited: list[str] = Field(description="refs of the memories the answer rests on (e12, f3)")


class Kept(BaseModel):
    ref: str = Field(description="the note's id among the person's memories (e12)")


class Letter(BaseModel):
    """A letter as kept, at one version."""

    id: int = Field(description="the letter's id; its PDF by hand: GET /api/letters/ID/letter.pdf")
    version: int
    to: str
    text: str
    cited: list[str] = Field(description="the memories it draws on: 'e12 (3 March 2025): …'")
    unsupported: list[str] = Field(
        description="sentences recalling a shared past that no memory backs: check them"
    )


class HandListed(BaseModel):
    """A hand a letter can be written in."""

    name: str
    characters: int = Field(description="how many characters it can draw")
    own: bool = Field(description="learned from the person's own writing")


def _letter(kept: LetterKept) -> Letter:
    draft = kept.draft
    return Letter(
        id=kept.letter,
        version=kept.version,
        to=draft.recipient,
        text=draft.text,
        cited=[f"{s.ref} ({s.day}): {s.text}" for s in draft.cited],
        unsupported=list(draft.unsupported),
    )


class Passage(BaseModel):
    """A passage of one of the person's books, found by ``search_library``."""

    book: int
    title: str
    author: str
    chapter: str
    start: int = Field(description="where it starts in the book's text, in characters")
    text: str


class BooksAnswer(BaseModel):
    answer: str
    known: bool = Field(description="False when the books do not say")
    quotes: list[Passage] = Field(description="the books' own words the answer rests on")


class BookListed(BaseModel):
    id: int
    title: str
    author: str
    words: int


class BooksAdded(BaseModel):
    added: list[BookListed]
    skipped: list[str] = Field(description="each file left out, and why")


class PersonaListed(BaseModel):
    name: str
    writer: str
    kind: str = Field(description="author (published writing) or person (a private one)")
    sources: int


class PersonaReply(BaseModel):
    reply: str
    sources: list[Passage] = Field(description="the writer's own words the reply rests on")
    beyond: bool = Field(description="True when it goes beyond the writings, and says so")


class TalkLine(BaseModel):
    speaker: str = Field(description="companion:NAME, persona:NAME or another os1's address")
    name: str
    text: str
    sources: list[str] = Field(description="a persona's own words the line rests on")


class TalkHad(BaseModel):
    id: int = Field(description="the talk's number in the person's talks")
    lines: list[TalkLine]


class FeelingRead(BaseModel):
    label: str = Field(description="a GoEmotions feeling (admiration … surprise) or neutral")
    intensity: float = Field(description="0..1")


class AffectRead(BaseModel):
    language: str = Field(description="en, or unknown: another language, or no words")
    feelings: list[FeelingRead] = Field(description="those present, strongest first")
    valence: float = Field(description="-1 unpleasant .. +1 pleasant")
    arousal: float = Field(description="0 calm .. 1 excited")
    words: list[str] = Field(description="the words that drove the first feeling")


class OwnFeelingOut(BaseModel):
    name: str = Field(description="glad, sad for you, worried, appreciated, hurt, cut off, "
                      "missed you or proud")  # fmt: skip
    intensity: float = Field(description="0..1; it fades by half every three days")
    reason: str


class OwnFeelings(BaseModel):
    feelings: list[OwnFeelingOut] = Field(description="strongest first; empty when calm")
    what_they_are: str


class NudgeOut(BaseModel):
    at: float = Field(description="when it was made, Unix seconds")
    about: str = Field(description="whom it suggests getting in touch with")
    text: str
    why: list[str] = Field(description="the signs and memories it was made from")


class PeopleSuggestions(BaseModel):
    nudges_on: bool
    nudges: list[NudgeOut] = Field(description="newest first")


class IntroductionOut(BaseModel):
    id: int
    label: str = Field(description="the other person: their name if they shared it")
    reasons: list[str] = Field(description="why the two of you were proposed")
    answer: str | None = Field(description="your answer: yes, no, or null")
    opened: bool = Field(description="true once both said yes")


class Uploaded(BaseModel):
    name: str
    size: int
    path: str = Field(description="how to name the file in a request, e.g. ~/letter.txt")


# The limits are advertised in each tool's JSON schema for clients to follow, and checked
# here rather than by the SDK's validator, so a caller hears one plain sentence, not a
# pydantic report.
Query = Annotated[
    str,
    Field(description="What to recall", json_schema_extra={"minLength": 1, "maxLength": MAX_QUERY}),
]
HowMany = Annotated[
    int,
    Field(
        description="At most this many memories",
        json_schema_extra={"minimum": 1, "maximum": MAX_K},
    ),
]
Text = Annotated[str, Field(json_schema_extra={"minLength": 1, "maxLength": MAX_TEXT})]
Short = Annotated[str, Field(json_schema_extra={"minLength": 1, "maxLength": 120})]
FileName = Annotated[
    str,
    Field(description="A plain file name, e.g. letter.txt", json_schema_extra={"maxLength": 200}),
]


def _plain(value: str, what: str, most: int) -> str:
    clean = value.strip()
    if not clean:
        raise ToolError(f"The {what} is empty: give some words.")
    if len(value) > most:
        raise ToolError(f"The {what} is too long ({len(value):,} characters; at most {most:,}).")
    return clean


def build_server(resolve: Resolve) -> MCPServer:
    """The MCP server with os1's tools; ``resolve`` says whom each call speaks for."""
    server: MCPServer = MCPServer(
        "os1", instructions=INSTRUCTIONS, version="0.1.0", log_level="WARNING"
    )

    @server.tool()
    async def search_memories(query: Query, ctx: Context, k: HowMany = 8) -> Recall:
        """Search the person's memories by words, meaning and time, best first; each
        memory comes with where it came from."""
        text = _plain(query, "query", MAX_QUERY)
        if not 1 <= k <= MAX_K:
            raise ToolError(f"k must be between 1 and {MAX_K} (got {k}).")
        speaker = await resolve(ctx)
        memories = speaker.companion.memories
        hits = await _guard(memories.search(speaker.name, text, k=k))
        sources = await _guard(memories.sources(speaker.name, hits))
        return Recall(
            memories=[
                Recalled(
                    ref=f"{hit.kind[0]}{hit.id}",
                    kind=hit.kind,
                    text=hit.text,
                    time=iso_time(hit.time),
                    speaker=hit.speaker,
                    sources=sources.get(hit.id, [])
                    if hit.kind == "episode"
                    else list(hit.source_ids),
                )
                for hit in hits
            ]
        )

    @server.tool()
    async def ask_memories(question: Query, ctx: Context, k: HowMany = 10) -> Answered:
        """Answer a question about the person from their memories with the local model,
        citing the memories the answer rests on; "I don't know." when none supports one."""
        text = _plain(question, "question", MAX_QUERY)
        if not 1 <= k <= MAX_K:
            raise ToolError(f"k must be between 1 and {MAX_K} (got {k}).")
        speaker = await resolve(ctx)
        answer = await _guard(speaker.ask(text, k))
        return Answered(
            answer=answer.text,
            known=answer.known,
            source_ids=answer.source_ids,
            cited=[f"{hit.kind[0]}{hit.id}" for hit in answer.cited],
        )

    @server.tool()
    async def remember(text: Text, ctx: Context) -> Kept:
        """Keep a note the person wants remembered; it is searchable at once and the
        companion learns facts from it later, as from a chat."""
        note = _plain(text, "note", MAX_TEXT)
        speaker = await resolve(ctx)
        if not speaker.companion.memories.available:
            raise ToolError("This companion runs without memory; nothing can be kept.")
        ref = await _guard(speaker.companion.memories.note(speaker.name, note, source=DOOR))
        return Kept(ref=f"e{ref}")

    @server.tool()
    async def talk(message: Text, ctx: Context) -> str:
        """Say something to the companion, as the person, and get its reply."""
        said = _plain(message, "message", MAX_TEXT)
        speaker = await resolve(ctx)
        reply: TurnFinished | None = None
        try:
            async with aclosing(speaker.turn(said)) as events:  # closed even on error
                async for event in events:
                    if isinstance(event, ErrorEvent):
                        raise ToolError(f"{event.message} {event.hint}".strip())
                    if isinstance(event, TurnFinished):
                        reply = event
        except Os1Error as exc:
            raise ToolError(str(exc)) from exc
        if reply is None:
            raise ToolError("The companion gave no reply; try again.")
        return reply.text

    @server.tool()
    async def upload_file(name: FileName, content: Text, ctx: Context) -> Uploaded:
        """Keep a text file (a letter, an .ics calendar) for the person's skills to work
        on, e.g. then talk "/proofread letter.txt"; a file of the same name is replaced."""
        if len(content) > MAX_TEXT:
            raise ToolError(
                f"The file is too long ({len(content):,} characters; at most"
                f" {MAX_TEXT:,}). Upload larger files with PUT /api/files/NAME."
            )
        speaker = await resolve(ctx)
        data = content.encode("utf-8", "replace")
        stored = await _guard(speaker.companion.upload(speaker.name, name, data))
        return Uploaded(name=stored.name, size=stored.size, path=stored.path)

    @server.tool()
    async def write_letter(to: Short, about: Text, ctx: Context, who: str = "") -> Letter:
        """Draft a letter from the person to someone, in the person's own voice, from
        their memories: each memory it draws on is cited, and a sentence recalling a
        shared past that no memory backs is listed to check. ``who`` says who the
        recipient is when no memory mentions them. Kept with its versions."""
        speaker = await resolve(ctx)
        name, wants = _plain(to, "recipient", 120), _plain(about, "request", 2000)
        letters = speaker.companion.letters
        kept = await _guard(
            speaker.model(lambda: letters.write(speaker.name, name, wants, who=who[:200]))
        )
        return _letter(kept)

    @server.tool()
    async def revise_letter(letter: int, change: Text, ctx: Context) -> Letter:
        """A new version of one of the person's letters, changed as asked ("warmer",
        "shorter", "mention the lake house"); the old versions are kept."""
        speaker = await resolve(ctx)
        wanted = _plain(change, "change", 2000)
        letters = speaker.companion.letters
        kept = await _guard(speaker.model(lambda: letters.revise(speaker.name, letter, wanted)))
        return _letter(kept)

    @server.tool()
    async def list_letters(ctx: Context) -> list[Letter]:
        """The person's letters, each at its newest version, newest first."""
        speaker = await resolve(ctx)
        found = await _guard(speaker.companion.letters.listed(speaker.name))
        return [_letter(kept) for kept, _ in found]

    @server.tool()
    async def list_hands(ctx: Context) -> list[HandListed]:
        """The handwriting a letter can be written in: packaged, then the person's own
        (learned from the sheet at GET /api/letters/hand-template.pdf)."""
        speaker = await resolve(ctx)
        found = await _guard(speaker.companion.letters.hands(speaker.name))
        return [HandListed(name=h.name, characters=h.characters, own=h.own) for h in found]

    @server.tool()
    async def learn_hand(picture_base64: str, ctx: Context, name: str = "mine") -> str:
        """Learn the person's handwriting from a scan or photo (PNG or JPEG, base64) of the
        filled-in sheet; it is then a hand like any other, called ``name``."""
        speaker = await resolve(ctx)
        try:
            picture = base64.b64decode(picture_base64, validate=True)
        except ValueError as exc:
            raise ToolError(
                "The picture is not valid base64; send the file's bytes encoded."
            ) from exc
        learned = await _guard(speaker.companion.letters.learn_hand(speaker.name, picture, name))
        said = " ".join(learned.notes)
        return (
            f"Learned the hand '{learned.name}': {learned.characters} characters,"
            f" {learned.forms} forms. {said}"
        ).strip()

    @server.tool()
    async def compose_music(
        ctx: Context, about: str = "", memory: str = "", seed: int = 0
    ) -> Piece:
        """Compose a piece of music as a photograph of a moment: ``about`` in the
        person's words, or ``memory`` (a ref such as f3). The companion picks key, tempo
        and instrument from the moment and says why; the files are at
        /api/music/ID/piece.ogg (listen), piece.pdf (score), piece.mid."""
        speaker = await resolve(ctx)
        music = speaker.companion.music
        done = await _guard(
            speaker.model(
                lambda: music.compose(
                    speaker.name,
                    None,
                    about=about[:500] or None,
                    memory=memory[:40] or None,
                    seed=max(0, seed),
                    ogg=True,
                )
            )
        )
        return _piece(await _guard(music.piece(speaker.name, done.id)))

    @server.tool()
    async def list_music(ctx: Context) -> list[Piece]:
        """The pieces composed with the person, newest first, each with why."""
        speaker = await resolve(ctx)
        return [_piece(k) for k in await _guard(speaker.companion.music.pieces(speaker.name))]

    @server.tool()
    async def write_song(
        ctx: Context, about: str = "", memory: str = "", revise: int = 0, change: str = ""
    ) -> SongMade:
        """Write a song together about a moment (``about`` in the person's words, or
        ``memory``, a ref such as f3), or change song ``revise`` as ``change`` says ("in
        G", "slower", "make the chorus happier"). Files are at /api/songs/ID/song.txt,
        chords.svg (ukulele diagrams), lead.pdf, song.ogg (guide track)."""
        speaker = await resolve(ctx)
        music = speaker.companion.music
        if revise:
            done = await _guard(music.revise_song(speaker.name, revise, change[:200], ogg=True))
        else:
            done = await _guard(
                speaker.model(
                    lambda: music.song(
                        speaker.name,
                        None,
                        about=about[:500] or None,
                        memory=memory[:40] or None,
                        ogg=True,
                    )
                )
            )
        plan = done.song.plan
        return SongMade(
            id=done.id,
            title=done.song.lyrics.title,
            key=f"{plan.tonic} {plan.mode}",
            tempo=plan.tempo,
            words_and_chords=done.written.files["txt"].read_text(encoding="utf-8"),
            changes=list(done.changes),
            why=done.why,
        )

    @server.tool()
    async def search_library(query: Query, ctx: Context, k: HowMany = 5) -> list[Passage]:
        """Search the person's books (their library) for passages, best first; a phrase
        in double quotes is matched as it stands. Quote from the passages as given."""
        text = _plain(query, "query", MAX_QUERY)
        if not 1 <= k <= MAX_K:
            raise ToolError(f"k must be between 1 and {MAX_K} (got {k}).")
        speaker = await resolve(ctx)
        hits = await _guard(speaker.companion.library.search(speaker.name, text, k))
        return [
            Passage(book=h.book, title=h.title, author=h.author, chapter=h.chapter,
                    start=h.start, text=h.text)
            for h in hits
        ]  # fmt: skip

    @server.tool()
    async def ask_library(question: Query, ctx: Context) -> BooksAnswer:
        """Answer a question from the person's books with the local model; every quote
        given is the books' own words, with book and chapter. "Your books do not say."
        when no passage supports an answer."""
        text = _plain(question, "question", MAX_QUERY)
        speaker = await resolve(ctx)
        library = speaker.companion.library
        answer = await _guard(speaker.model(lambda: library.ask(speaker.name, text)))
        return BooksAnswer(
            answer=answer.text,
            known=answer.known,
            quotes=[
                Passage(book=q.book, title=q.title, author=q.author, chapter=q.chapter,
                        start=q.start, text=q.text)
                for q in answer.quotes
            ],
        )  # fmt: skip

    @server.tool()
    async def list_library(ctx: Context) -> list[BookListed]:
        """The books in the person's library, by title."""
        speaker = await resolve(ctx)
        books = await _guard(speaker.companion.library.books(speaker.name))
        return [BookListed(id=b.id, title=b.title, author=b.author, words=b.words) for b in books]

    @server.tool()
    async def add_to_library(paths: list[FileName], ctx: Context) -> BooksAdded:
        """Add books (.txt, .md, .html, .epub, .pdf, .docx, or folders of them) from the
        person's files to their library: upload_file first, then name it, e.g. ~/book.epub."""
        if not 1 <= len(paths) <= 100:
            raise ToolError("Name between 1 and 100 files or folders.")
        speaker = await resolve(ctx)
        named = [Path(_plain(p, "path", 1000)) for p in paths]
        done = await _guard(speaker.companion.library.add(speaker.name, named))
        return BooksAdded(
            added=[BookListed(id=a.book, title=a.title, author="", words=a.words)
                   for a in done.added],
            skipped=[f"{s.source}: {s.message}" for s in done.skipped],
        )  # fmt: skip

    @server.tool()
    async def list_personas(ctx: Context) -> list[PersonaListed]:
        """The person's personas: writers rebuilt from their own words, each with consent
        and sources recorded (built with `os1 persona build`)."""
        speaker = await resolve(ctx)
        found = await _guard(speaker.companion.personas.listed(speaker.name))
        return [PersonaListed(name=p.name, writer=p.writer, kind=p.kind, sources=p.sources)
                for p in found]  # fmt: skip

    @server.tool()
    async def ask_persona(persona: Short, message: Text, ctx: Context) -> PersonaReply:
        """Say something to one of the person's personas: its reply, from passages of its
        writer's works, with those passages (their exact words). It is a reconstruction,
        not the writer, and says so when it goes beyond the writings."""
        name, text = _plain(persona, "persona", 40), _plain(message, "message", MAX_TEXT)
        speaker = await resolve(ctx)
        personas = speaker.companion.personas

        async def reply() -> PersonaReply:
            said, cited = await personas.ask(speaker.name, name, text)
            sources = [Passage(book=s.book, title=s.title, author="", chapter=s.chapter,
                               start=s.start, text=s.text) for s in cited.sources]  # fmt: skip
            return PersonaReply(reply=said, sources=sources, beyond=cited.beyond)

        return await _guard(speaker.model(reply))

    @server.tool()
    async def converse(
        first: Short, second: Short, ctx: Context, turns: int = 4, topic: str = ""
    ) -> TalkHad:
        """Let two talk in turn: the person's companion (companion) and one of their
        personas (persona:NAME), or two personas. The companion tells only the person's
        likes and interests; the talk is kept in the person's talks, never as their own
        words."""
        if not 1 <= turns <= 40:
            raise ToolError("turns must be between 1 and 40.")
        a, b = _plain(first, "first", 300), _plain(second, "second", 300)
        about = topic.strip()[:500]
        speaker = await resolve(ctx)
        talks = speaker.companion.talks

        async def talk() -> TalkHad:
            had = await talks.have(speaker.name, a, b, lines=turns, topic=about)
            lines = [
                TalkLine(speaker=x.speaker, name=x.name, text=x.content,
                         sources=[c.text for c in x.citations])
                for x in had.lines
            ]  # fmt: skip
            return TalkHad(id=had.id, lines=lines)

        return await _guard(speaker.model(talk))

    @server.tool()
    async def read_feelings(text: Text, ctx: Context) -> AffectRead:
        """The feelings in a message (the 28 GoEmotions feelings, with intensities), its
        valence and arousal, and the words behind them. Another language, or no words,
        reads as unknown rather than a guess. Nothing is kept."""
        if len(text) > MAX_TEXT:
            raise ToolError(f"The text is too long ({len(text):,} characters; at most "
                            f"{MAX_TEXT:,}).")  # fmt: skip
        speaker = await resolve(ctx)
        [reading] = await _guard(speaker.companion.feelings.read([text]))
        return AffectRead(
            language=reading.language, valence=reading.valence, arousal=reading.arousal,
            feelings=[FeelingRead(label=f.label, intensity=f.intensity) for f in reading.feelings],
            words=list(reading.words),
        )  # fmt: skip

    @server.tool()
    async def companion_feelings(ctx: Context) -> OwnFeelings:
        """How the companion feels towards the person now, each feeling with its reason
        (what they shared, how they treated it, replies cut off, silences), and an honest
        account of what such feelings are."""
        speaker = await resolve(ctx)
        found = await _guard(speaker.companion.feelings.own(speaker.name))
        return OwnFeelings(
            feelings=[OwnFeelingOut(name=f.name, intensity=f.intensity, reason=f.reason)
                      for f in found],
            what_they_are=HONEST,
        )  # fmt: skip

    @server.tool()
    async def people_suggestions(ctx: Context) -> PeopleSuggestions:
        """Suggestions to get in touch with someone in the person's life, newest first,
        each with why it was made (signs of isolation, and who, from their memories). A
        new one is made first if one is due: at most one a week, and none if the person
        turned them off."""
        speaker = await resolve(ctx)
        people = speaker.companion.people
        await _guard(people.suggest(speaker.name))
        made = await _guard(people.nudges(speaker.name))
        return PeopleSuggestions(
            nudges_on=await _guard(people.nudges_on(speaker.name)),
            nudges=[NudgeOut(**n.as_dict()) for n in made],
        )

    @server.tool()
    async def list_introductions(ctx: Context) -> list[IntroductionOut]:
        """Introductions to others on this os1 proposed to the person (who opted in with
        ``os1 people introduce-me on``), newest first, each with why; only what the other
        chose to share is shown."""
        speaker = await resolve(ctx)
        found = await _guard(speaker.companion.introductions.proposals(speaker.name))
        return [_introduction_out(x) for x in found]

    @server.tool()
    async def answer_introduction(
        id: Annotated[int, Field(description="The introduction's id", ge=1, le=2**62)],
        yes: bool,
        ctx: Context,
    ) -> IntroductionOut:
        """Accept (yes) or decline an introduction, as the person told you to; a no is
        never shown to the other. With both yeses it opens."""
        speaker = await resolve(ctx)
        done = await _guard(speaker.companion.introductions.answer(speaker.name, id, yes))
        return _introduction_out(done)

    @server.tool()
    async def profile(ctx: Context) -> str:
        """What the companion knows of the person, from what they told it."""
        speaker = await resolve(ctx)
        name, known = await _guard(speaker.companion.memories.profile(speaker.name))
        heading = f"About {name}:" if name else "About you:"
        if known.is_empty():
            return f"{heading} nothing learned yet. Talk with me, or keep a note with remember."
        return f"{heading}\n{known.to_prompt(max_chars=100_000)}"

    @server.tool()
    async def live_conversations(ctx: Context) -> int:
        """How many conversations the companion is holding right now (the true count)."""
        speaker = await resolve(ctx)
        return speaker.companion.presence.count()

    return server


def _introduction_out(found: Introduction) -> IntroductionOut:
    return IntroductionOut(
        id=found.id, label=found.other.label(), reasons=list(found.reasons),
        answer=found.answer, opened=found.opened,
    )  # fmt: skip


def _piece(kept: Shelved) -> Piece:
    plan = kept.plan
    return Piece(
        id=kept.id,
        about=kept.moment.about,
        memories=[m.ref for m in kept.moment.memories],
        key=f"{plan.tonic} {plan.mode}",
        tempo=plan.tempo,
        instrument=plan.instrument,
        why=kept.why,
    )


async def _guard(work: Awaitable[T]) -> T:
    """Store and model failures become tool errors with their message and hint."""
    try:
        return await work
    except Os1Error as exc:
        raise ToolError(str(exc)) from exc


# --- stdio: one trusted local person -------------------------------------------------


def local_resolver(companion: Companion, user: str) -> Resolve:
    """Every call speaks for ``user``; turns go straight to the companion."""

    def turn(text: str) -> AsyncGenerator[TurnEvent, None]:
        return companion.turn(user, text)

    async def ask(question: str, k: int) -> Answer:
        return await companion.memories.ask(user, question, k)

    async def model(work: Callable[[], Awaitable[T]]) -> T:
        return await work()

    speaker = Speaker(user, companion, turn, ask, model)

    async def resolve(ctx: Context) -> Speaker:
        return speaker

    return resolve


# --- streamable HTTP: the person behind the API key ------------------------------------


async def _http_speaker(ctx: Context) -> Speaker:
    request = ctx.request_context.request
    account = request.scope.get(ACCOUNT_KEY) if isinstance(request, Request) else None
    if not isinstance(request, Request) or not isinstance(account, Account):
        # BearerGate admits nothing without an account; reaching here is a wiring fault
        raise ToolError("Not signed in: send 'Authorization: Bearer os1_…'.")
    svc: Services = request.app.state.services
    svc.companion.presence.touch(account.name, DOOR)

    def turn(text: str) -> AsyncGenerator[TurnEvent, None]:
        return turn_events(svc, account, text)

    async def ask(question: str, k: int) -> Answer:
        return await ask_memory(svc, account, question, k)

    async def model(work: Callable[[], Awaitable[T]]) -> T:
        return await model_turn(svc, account, work)

    return Speaker(account.name, svc.companion, turn, ask, model)


_ENDED = HttpProblem(
    401,
    "account_ended",
    "This account was disabled or deleted.",
    "Ask the admin for an account and a key.",
    {"WWW-Authenticate": "Bearer"},
)


class SessionEnder:
    """Ends one MCP session from the server's side, as the SDK's manager does when a
    client sends DELETE: the id is forgotten at once (404 from then on) and the
    session's streams are closed."""

    def __init__(self, sessions: StreamableHTTPSessionManager) -> None:
        self.sessions = sessions

    def alive(self, session_id: str) -> bool:
        return session_id in self.sessions._server_instances

    async def end(self, session_id: str) -> None:
        transport = self.sessions._server_instances.get(session_id)
        if transport is not None:
            await self.sessions._discard_session(session_id, transport)


class BearerGate:
    """ASGI wrapper: only a request with a valid API key reaches the MCP app."""

    def __init__(self, app: ASGIApp, ender: SessionEnder) -> None:
        self.app = app
        self.ender = ender

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        svc: Services = scope["app"].state.services
        # a refusal (401, 429) raises here, before the SDK has read a byte; the app's
        # error handlers answer it in the usual JSON shape
        account = await identify(svc, Headers(scope=scope).get("authorization"), None)
        await svc.requests.take(f"u{account.id}", "requests")
        if not await svc.live.stands(account):  # the key check may be seconds old
            raise _ENDED
        scope[ACCOUNT_KEY] = account
        # the key itself stays out: the SDK only compares who owns a session
        token = AccessToken(token="os1-api-key", client_id=f"os1-account-{account.id}", scopes=[])
        scope["user"] = AuthenticatedUser(token)
        if MCP_SESSION_ID_HEADER not in Headers(scope=scope):  # may open a session
            send = self._holding(send, svc, account, Headers(scope=scope))
        await self.app(scope, receive, send)

    def _holding(self, send: Send, svc: Services, account: Account, headers: Headers) -> Send:
        """``send``, noting the session the answer opens (if any) in ``Services.live``."""
        key = credential(headers.get("authorization"), None)

        async def noting(message: Message) -> None:
            if message["type"] == "http.response.start" and message["status"] < 400:
                opened = Headers(raw=message.get("headers", [])).get(MCP_SESSION_ID_HEADER)
                if opened:
                    svc.live.hold(
                        account,
                        key,
                        lambda: self.ender.end(opened),
                        kind="mcp",
                        alive=lambda: self.ender.alive(opened),
                    )
            await send(message)

        return noting


@dataclass
class HttpDoor:
    """The ``/mcp`` endpoint: its route (every method; the SDK answers GET, POST and
    DELETE), and its session manager, which must run inside the app's lifespan."""

    route: Route
    sessions: StreamableHTTPSessionManager


def http_door(settings: Settings) -> HttpDoor:
    server = build_server(_http_speaker)
    # builds the SDK's session manager (with its DNS-rebinding guard when we listen on
    # loopback); the Starlette app it returns is not used, the route is ours
    server.streamable_http_app(max_request_body_size=settings.max_request_bytes, host=settings.host)
    sessions = server.session_manager
    gate = BearerGate(StreamableHTTPASGIApp(sessions), SessionEnder(sessions))
    return HttpDoor(Route(PATH, gate, include_in_schema=False), sessions)
