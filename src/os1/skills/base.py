"""What a tool is: it plans (a preview, no side effect), runs once confirmed, and undoes.

Rule 3 of DESIGN.md in code: ``plan`` may only read; the world changes in ``run``, which
the companion calls only after the person confirmed that exact plan (its arguments are
kept in the journal, so what runs is what was previewed). ``run`` returns what ``undo``
needs to put things back, where the world allows.

Tools reach memory through the small ``MemoryAccess`` protocol (the ``Memory`` class
satisfies it), so skills stay beside memory in the layering instead of above it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from os1.store import UserStore


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
    store: UserStore
    memory: MemoryAccess | None = None


@dataclass(frozen=True)
class Plan:
    """What would happen: a one-line title, a preview to read, and the exact arguments."""

    title: str
    preview: str
    args: dict[str, Any] = field(default_factory=dict)
    undoable: bool = True


@dataclass(frozen=True)
class Outcome:
    message: str
    undo: dict[str, Any] | None = None


class Tool(Protocol):
    name: str
    summary: str

    async def plan(self, ctx: ToolContext, request: str) -> Plan | str:
        """A plan for ``request``, or a sentence saying why there is nothing to do."""
        ...

    async def run(self, ctx: ToolContext, args: dict[str, Any]) -> Outcome: ...

    async def undo(self, ctx: ToolContext, undo: dict[str, Any]) -> str: ...
