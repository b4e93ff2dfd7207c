"""What enters and leaves the OpenAI-compatible door (``/v1``), as pydantic models.

Requests are read leniently, the way OpenAI clients and proxies send them: unknown fields
are ignored, common sampling fields are accepted. What os1 cannot honour is refused up
front with a 400 naming the field (``n`` > 1, forced tool calls, JSON output, log
probabilities), because a client that silently got something else would misbehave later.
Wrong types are pydantic's 422, which names the field too.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from os1.core.turns import says_nothing
from os1.server.problems import HttpProblem

MODEL_ID = "os1"


class Lenient(BaseModel):
    model_config = ConfigDict(extra="ignore")


class ContentPart(Lenient):
    """One part of a message's content; only ``text`` parts carry words os1 can read."""

    type: str
    text: str | None = None


class InMessage(Lenient):
    role: Literal["system", "developer", "user", "assistant", "tool", "function"]
    content: str | list[ContentPart] | None = None

    def text(self) -> str:
        """The words of the message: the string, or its text parts joined by newlines."""
        if isinstance(self.content, str):
            return self.content
        parts = [p.text for p in self.content or [] if p.type == "text" and p.text is not None]
        if self.content and not parts:
            kinds = sorted({p.type for p in self.content})
            raise _bad(
                "unsupported_content",
                f"The last user message has only {', '.join(kinds)} parts; os1 reads text.",
                "Send the message as text, or add a part of type 'text'.",
            )
        return "\n".join(parts)


class StreamOptions(Lenient):
    include_usage: bool = False


class ResponseFormat(Lenient):
    type: str = "text"


class ChatRequest(Lenient):
    """A chat-completions request. ``temperature``, ``top_p``, ``stop``, ``seed`` and the
    penalties are accepted and ignored: the companion keeps its own sampling."""

    model: str = Field(default=MODEL_ID, max_length=256)
    messages: list[InMessage]
    stream: bool = False
    stream_options: StreamOptions | None = None
    max_tokens: int | None = Field(default=None, ge=1)
    max_completion_tokens: int | None = Field(default=None, ge=1)
    n: int | None = Field(default=None, ge=1)
    temperature: float | None = Field(default=None, ge=0.0, le=2.0)
    top_p: float | None = Field(default=None, ge=0.0, le=1.0)
    user: str | None = Field(default=None, max_length=256)
    logprobs: bool | None = None
    response_format: ResponseFormat | None = None
    tool_choice: str | dict[str, Any] | None = None

    @property
    def include_usage(self) -> bool:
        return self.stream_options is not None and self.stream_options.include_usage

    @property
    def reply_cap(self) -> int | None:
        """The most tokens the caller wants back, if it said."""
        caps = [c for c in (self.max_tokens, self.max_completion_tokens) if c is not None]
        return min(caps) if caps else None

    def prompt_text(self) -> str:
        """What the person says this turn: the last user message, checked.

        Raises:
            HttpProblem: 400 for what os1 cannot honour, naming the field.
        """
        if self.n is not None and self.n > 1:
            raise _bad("unsupported_n", "n must be 1: os1 gives one answer per turn.")
        if self.logprobs:
            raise _bad("unsupported_logprobs", "logprobs are not available from os1.")
        if self.response_format is not None and self.response_format.type != "text":
            raise _bad(
                "unsupported_response_format",
                f"response_format {self.response_format.type!r} is not supported; "
                "the companion answers in text.",
            )
        if self.tool_choice not in (None, "auto", "none"):
            raise _bad(
                "unsupported_tool_choice",
                "tool_choice cannot force a tool call: the companion uses its own skills.",
            )
        if not self.messages:
            raise _bad("empty_messages", "messages is empty: send at least one user message.")
        users = [m for m in self.messages if m.role == "user"]
        if not users:
            raise _bad("no_user_message", "messages has no message with role 'user'.")
        text = users[-1].text()
        if says_nothing(text):
            raise _bad("empty_message", "The last user message in messages is empty.")
        return text

    def talk(self) -> list[tuple[str, str]]:
        """A talk's lines for the model ``talk``: the caller's side as ``user``, the
        companion's as ``assistant``, in order (system messages are not read)."""
        self.prompt_text()  # the same refusals as a turn
        return [(m.role, m.text()) for m in self.messages if m.role in ("user", "assistant")]


def _bad(code: str, message: str, hint: str = "") -> HttpProblem:
    return HttpProblem(400, code, message, hint or "The API is described at /openapi.json.")


class ModelCard(BaseModel):
    id: str
    object: Literal["model"] = "model"
    created: int
    owned_by: str = MODEL_ID


class ModelList(BaseModel):
    object: Literal["list"] = "list"
    data: list[ModelCard]


class PromptDetails(BaseModel):
    cached_tokens: int = 0


class CompletionUsage(BaseModel):
    prompt_tokens: int
    completion_tokens: int
    total_tokens: int
    prompt_tokens_details: PromptDetails = Field(default_factory=PromptDetails)


class OutMessage(BaseModel):
    role: Literal["assistant"] = "assistant"
    content: str


class Choice(BaseModel):
    index: int = 0
    message: OutMessage
    finish_reason: Literal["stop", "length"]
    logprobs: None = None


class ChatCompletion(BaseModel):
    id: str
    object: Literal["chat.completion"] = "chat.completion"
    created: int
    model: str
    choices: list[Choice]
    usage: CompletionUsage


class ChunkChoice(BaseModel):
    index: int = 0
    delta: dict[str, str]
    finish_reason: Literal["stop", "length"] | None = None
    logprobs: None = None


class ChatCompletionChunk(BaseModel):
    id: str
    object: Literal["chat.completion.chunk"] = "chat.completion.chunk"
    created: int
    model: str
    choices: list[ChunkChoice]
    usage: CompletionUsage | None = None
