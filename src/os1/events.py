"""The typed events a turn yields; every door renders this one stream.

Events are frozen dataclasses. ``to_dict`` gives the JSON form every door sends: ``os1 chat
--json`` (one event per line), the WebSocket, the OpenAI-compatible stream and MCP.
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
class Source:
    """Words of a persona's writer as they stand in a source: ``text`` is the kept text
    of book ``book`` from ``start`` to ``end``."""

    number: int  # as the reply cites it: [1], [2]
    book: int
    title: str
    chapter: str
    start: int
    end: int
    text: str


@dataclass(frozen=True)
class Cited(TurnEvent):
    """The passages a persona's reply rests on (just before ``TurnFinished``); ``read``
    are all it was shown, ``beyond`` says the reply goes beyond the writings, and
    ``unverified`` counts quotations it made that were not the writer's exact words
    (shown without quotation marks)."""

    kind: ClassVar[str] = "citations"
    sources: tuple[Source, ...]
    read: tuple[Source, ...] = ()
    beyond: bool = False
    unverified: int = 0


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


@dataclass(frozen=True)
class Transcribed(TurnEvent):
    """What the person said aloud, as heard; the turn that answers it follows."""

    kind: ClassVar[str] = "transcript"
    text: str
    seconds: float  # length of the speech heard


@dataclass(frozen=True)
class BargedIn(TurnEvent):
    """The person spoke over the reply: it stopped; ``heard`` is what they had heard."""

    kind: ClassVar[str] = "barge_in"
    heard: str
    stop_ms: float  # from the start of their speech to silence


@dataclass(frozen=True)
class VoiceTimings(TurnEvent):
    """Where the time went between the end of the person's speech and the first audio
    of the reply, in seconds (each stage from the end of the one before)."""

    kind: ClassVar[str] = "voice_timings"
    end_of_turn: float  # silence waited until the turn was judged over
    stt: float  # transcription still to do after that (0 if done during the pause)
    llm_first_piece: float  # the model, until the first speakable piece
    tts_first_piece: float  # synthesizing that piece
    first_audio: float  # the sum: end of speech to first audio
    reply_audio: float  # seconds of reply audio
    drafted: bool = False  # the reply was begun at a pause, before the turn surely ended
