"""What a tool is: typed arguments, a plan (a preview, no side effect), a run once
confirmed, and an undo.

Rule 3 of DESIGN.md in code: ``plan`` may only read; the world changes in ``run``, which
the companion calls only after the person confirmed that exact plan (its arguments are
kept in the journal, so what runs is what was previewed). ``run`` returns what ``undo``
needs to put things back, where the world allows. A tool that only reads (find a file,
summarize the inbox) answers from ``plan`` with a string and never proposes anything.

Arguments are a pydantic model per tool: its JSON schema is what the model fills in
(grammar-constrained) when it chooses the tool from the person's words, and what
validates a slash command, a CLI call or an MCP call. Keep them flat and few, with
strings the person's own words can be copied into ("next Thursday at one"); the tool,
not the 1.5B model, turns those words into dates, paths and addresses.

Tools reach memory through the small ``MemoryAccess`` protocol (the ``Memory`` class
satisfies it), so skills stay beside memory in the layering instead of above it.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from pydantic import BaseModel, ValidationError

from os1.errors import InputError
from os1.models.base import LLM
from os1.skills.reach import FileReach
from os1.store import UserStore


def one_line(text: str, limit: int = 160) -> str:
    """``text`` on one line, cut with an ellipsis past ``limit`` characters: how a tool
    quotes a memory or a sentence in a preview or an answer."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


class Recalled(Protocol):
    @property
    def kind(self) -> Any: ...
    @property
    def id(self) -> int: ...
    @property
    def text(self) -> str: ...
    @property
    def time(self) -> float: ...


class MemoryAccess(Protocol):
    async def search(
        self, store: UserStore, query: str, k: int = ..., *, by_meaning: bool = ...
    ) -> Sequence[Recalled]: ...

    async def forget(self, store: UserStore, kind: Any, ids: list[int]) -> int: ...

    async def note(self, store: UserStore, text: str, source: str = ...) -> int: ...


@dataclass(frozen=True)
class ToolContext:
    """What a tool may use. ``home`` is the person's os1 data dir (None in bare unit
    tests); ``now`` is the clock, so "next Thursday" is testable; ``files`` is where on
    the server's disk this person's tools may go (``skills.reach``; nowhere unless the
    core says otherwise); ``person`` is what to call the person ("" if unknown), e.g. to
    sign a letter in their name."""

    store: UserStore
    memory: MemoryAccess | None = None
    llm: LLM | None = None
    home: Path | None = None
    now: Callable[[], float] = time.time
    files: FileReach = field(default_factory=FileReach.nowhere)
    person: str = ""

    def skill_dir(self, skill: str) -> Path:
        """A folder of the skill's own for this person, e.g. the declutter archive.

        Raises:
            LookupError: there is no data dir (a bare unit test).
        """
        if self.home is None:
            raise LookupError("this skill needs os1's data folder")
        path = self.home / "skills" / str(self.store.user.id) / skill
        path.mkdir(parents=True, exist_ok=True)
        return path


async def context_for(
    store: UserStore,
    *,
    memory: MemoryAccess | None = None,
    llm: LLM | None = None,
    home: Path | None = None,
    local: bool = False,
    person: str = "",
) -> ToolContext:
    """The context a person's tools run in. ``local``: the person at this machine's own
    terminal, whose tools reach any file their shell can; otherwise the account's own
    reach, read afresh from the store (``skills.reach``)."""
    if local:
        files = FileReach.anywhere()
    else:
        files = FileReach.of(await store.file_reach(), home, store.user.id)
    return ToolContext(store, memory, llm, home, files=files, person=person)


@dataclass(frozen=True)
class Plan:
    """What would happen: a one-line title, a preview to read, and the exact arguments
    ``run`` will get (JSON data; they are kept in the journal). A tool that touches the
    server's files names in ``paths`` every file or folder its run (and undo) will touch,
    as real absolute paths: the core checks them against the person's reach now, and
    again when the plan is confirmed or undone."""

    title: str
    preview: str
    args: dict[str, Any] = field(default_factory=dict)
    undoable: bool = True
    paths: tuple[str, ...] = ()


@dataclass(frozen=True)
class Outcome:
    message: str
    undo: dict[str, Any] | None = None


class ReadOnly:
    """A base for tools that only read (a search, a listing, a draft): they never
    propose, so there is never anything of theirs to run or undo."""

    async def run(self, ctx: ToolContext, args: dict[str, Any]) -> Outcome:
        raise LookupError("this tool only reads; there is nothing to run")

    async def undo(self, ctx: ToolContext, undo: dict[str, Any]) -> str:
        raise LookupError("this tool only reads; there is nothing to undo")


class Tool(Protocol):
    """Set these as plain class attributes: ``name = "add_event"``, ``Args = EventArgs``.

    Optional attributes: ``hints``, words that suggest a request for the tool
    (``skills.gate``), and ``cues``, words one of which a request for it always holds
    (``skills.choose``).

    Say what the tool touches with ``touches`` (``skills.reach``): ``"nothing"``,
    ``"own_data"``, ``"account"`` or ``"server_files"``; a tool that does not say is
    treated as touching server files. Mark each argument that names a file or folder on
    the server with ``Field(json_schema_extra={reach.PATH: True})``: the core resolves it
    within the person's reach before ``plan`` sees it.
    """

    @property
    def name(self) -> str:
        """lower_snake, also the slash command: /name"""
        ...

    @property
    def summary(self) -> str:
        """One line the model reads when choosing a tool: what it does, distinctively."""
        ...

    @property
    def Args(self) -> type[BaseModel]: ...

    @property
    def examples(self) -> tuple[str, ...]:
        """Things a person might say to use it."""
        ...

    def from_command(self, text: str) -> BaseModel:
        """Arguments from the words after ``/name`` (``args_from_text`` fits most tools).

        Raises:
            InputError: the words do not make arguments; the message shows an example.
        """
        ...

    async def plan(self, ctx: ToolContext, args: Any) -> Plan | str:
        """A plan for ``args`` (an ``Args`` instance), or the answer / the reason there is
        nothing to do, as a sentence or short text for the person."""
        ...

    async def run(self, ctx: ToolContext, args: dict[str, Any]) -> Outcome: ...

    async def undo(self, ctx: ToolContext, undo: dict[str, Any]) -> str: ...


def args_from_text(tool: Tool, text: str) -> BaseModel:
    """``Args`` with ``text`` in its first field, the others at their defaults.

    Raises:
        InputError: empty text, or it does not validate; the hint is the tool's first example.
    """
    fields = list(tool.Args.model_fields)
    example = f"/{tool.name} {tool.examples[0]}" if tool.examples else f"/{tool.name} …"
    if not text.strip() or not fields:
        raise InputError("missing_arguments", f"Say what /{tool.name} should do, e.g. {example}")
    return validate_args(tool, {fields[0]: text.strip()})


def validate_args(tool: Tool, data: Any) -> BaseModel:
    """``data`` (e.g. the model's JSON) as the tool's ``Args``.

    Raises:
        InputError: it does not fit, with pydantic's first complaint in words.
    """
    try:
        return tool.Args.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "arguments"
        raise InputError(
            "bad_arguments", f"/{tool.name}: {where}: {first['msg']}.", f"Try: {tool.examples[0]}"
        ) from exc
