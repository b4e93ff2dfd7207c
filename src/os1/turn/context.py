"""The ``Turn``: the one object the stages of a turn share, instead of globals.

Stages read what earlier stages filled in and add their own part; the pipeline hands the
same object to each in order. ``TurnDeps`` holds what a turn needs from outside (model,
limits, a way to schedule background work); it is built once by the companion.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any

from os1.events import Usage
from os1.memory.retrieval import Hit
from os1.memory.store import Memory
from os1.models.base import LLM, CancelToken, ChatMessage
from os1.persona.identity import Identity
from os1.persona.onboarding import Question
from os1.persona.own_feelings import OwnFeeling
from os1.skills.base import ToolContext
from os1.skills.choose import ToolChooser
from os1.skills.registry import SkillRegistry
from os1.store import UserStore
from os1.tentative import Tentative
from os1.turn.live import Circle


@dataclass(frozen=True)
class TurnLimits:
    n_ctx: int = 4096
    max_reply_tokens: int = 400
    temperature: float = 0.7
    seed: int | None = None
    cache_prompt: bool = True
    learn_after: float = 0.0  # seconds of quiet before facts are learned (0: at once)

    @property
    def prompt_budget(self) -> int:
        """Tokens the prompt may take: the window less the reply and a safety margin."""
        return self.n_ctx - self.max_reply_tokens - 48


@dataclass(frozen=True)
class TurnDeps:
    llm: LLM
    limits: TurnLimits
    schedule: Callable[[Coroutine[Any, Any, Any]], None]
    memory: Memory | None = None
    today: Callable[[], dt.date] = dt.date.today
    live_count: Callable[[], int] = lambda: 1
    # the companion's own feelings towards a person (``persona.own_feelings``), when asked
    own_feelings: Callable[[str], Awaitable[list[OwnFeeling]]] | None = None
    # the same, cheaply, to colour a reply's tone (None while the reader loads)
    tone: Callable[[str], Awaitable[list[OwnFeeling] | None]] | None = None
    # whom it talked with this year and how many it is close to (``core.circle``), when
    # asked; None when counting takes too long
    circle: Callable[[str], Awaitable[Circle | None]] | None = None
    # a nudge toward the people in the person's life, when one is due (``core.people``)
    nudge: Callable[[str], Awaitable[str]] | None = None
    skills: SkillRegistry | None = None
    chooser: ToolChooser | None = None  # None: tools only by command
    # what the person's tools may use; the core builds it (one place for every door)
    tool_context: Callable[[UserStore], Awaitable[ToolContext]] | None = None


@dataclass
class Turn:
    turn_id: str
    store: UserStore
    deps: TurnDeps
    conversation_id: int
    text: str
    cancel: CancelToken = field(default_factory=CancelToken)
    onboarding_enabled: bool = True
    tentative: Tentative | None = None  # begun before the person surely finished: keep nothing yet
    # filled in by the stages, in order
    stopped: bool = False
    handled: bool = False  # answered by a tool, not by the model's reply
    user_message_id: int | None = None
    identity: Identity | None = None
    answering: Question | None = None
    follow_up: Question | None = None
    afterword: str = ""  # said after the reply in code's words (its feelings, a nudge)
    onboarding_last: bool = False
    messages: list[ChatMessage] = field(default_factory=list)
    recalled: list[Hit] = field(default_factory=list)
    reply: list[str] = field(default_factory=list)
    finish_reason: str = ""
    usage: Usage = field(default_factory=Usage)
    reply_message_id: int | None = None
    saved: bool = False
    # the reply so far, written while it streams (``remember.keep_so_far``): a process
    # killed mid-reply leaves what the person saw, not nothing
    kept_at: float = 0.0
    keeping: asyncio.Task[None] | None = None

    @property
    def reply_text(self) -> str:
        return "".join(self.reply)

    @property
    def interrupted(self) -> bool:
        return self.finish_reason in ("cancelled", "") or self.cancel.cancelled
