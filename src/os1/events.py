"""The typed events a turn yields; every door renders this one stream.

Events are frozen dataclasses. ``to_dict`` gives the JSON form used by ``os1 chat --json``
(one event per line) and, later, by the server's WebSocket and SSE doors.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, ClassVar


@dataclass(frozen=True)
class TurnEvent:
    """Base class; ``kind`` names the event in its JSON form."""

    kind: ClassVar[str] = "event"

    def to_dict(self) -> dict[str, Any]:
        return {"type": self.kind, **asdict(self)}


@dataclass(frozen=True)
class TurnStarted(TurnEvent):
    kind: ClassVar[str] = "turn_started"
    turn_id: str
    conversation_id: int


@dataclass(frozen=True)
class Notice(TurnEvent):
    """Something the person should know that is not part of the reply."""

    kind: ClassVar[str] = "notice"
    code: str
    message: str


@dataclass(frozen=True)
class TextDelta(TurnEvent):
    """A piece of the companion's reply, in order."""

    kind: ClassVar[str] = "text_delta"
    text: str

    def to_dict(self) -> dict[str, Any]:
        return {"type": self.kind, "text": self.text}  # the hottest event: no deep copy


@dataclass(frozen=True)
class Usage:
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cached_tokens: int = 0
    prompt_ms: float = 0.0
    generation_ms: float = 0.0


@dataclass(frozen=True)
class TurnFinished(TurnEvent):
    """The turn is over. ``interrupted`` is true when it was stopped mid-reply."""

    kind: ClassVar[str] = "turn_finished"
    turn_id: str
    text: str
    interrupted: bool = False
    message_id: int | None = None
    usage: Usage = field(default_factory=Usage)


@dataclass(frozen=True)
class ErrorEvent(TurnEvent):
    """A stage failed; ``hint`` says what the person can do next."""

    kind: ClassVar[str] = "error"
    code: str
    message: str
    hint: str = ""


@dataclass(frozen=True)
class Queued(TurnEvent):
    """The model is busy with other people's turns; this one waits at ``position``."""

    kind: ClassVar[str] = "queued"
    position: int


@dataclass(frozen=True)
class ProposalMade(TurnEvent):
    """An action with a side effect, waiting for the person to confirm or decline it."""

    kind: ClassVar[str] = "proposal"
    proposal_id: int
    tool: str
    title: str
    preview: str
    undoable: bool = True


@dataclass(frozen=True)
class ActionSettled(TurnEvent):
    """What became of a proposal: ``done``, ``declined``, ``failed`` or ``undone``."""

    kind: ClassVar[str] = "action"
    proposal_id: int
    status: str
    message: str
