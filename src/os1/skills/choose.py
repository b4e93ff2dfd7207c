"""Choosing a tool from the person's words, with the model's output held to a JSON schema.

One grammar-constrained generation answers both questions, which tool and which
arguments: the schema is a choice (``anyOf``) between ``{"tool": "chat"}`` and, per tool,
``{"tool": NAME, "args": ARGS}`` with that tool's argument schema. The grammar makes an
unknown tool or a malformed argument impossible to write, so the 1.5B model only has to
get the meaning right; pydantic then checks the arguments as it checks a slash command.

Only the person's own message is ever routed (rule 4 of DESIGN.md): recalled memories,
mails and files never reach this prompt, so nothing they say can choose a tool. The
tool menu is the stable prefix of the prompt and the message comes last, so the local
model reuses its cache (a slot of its own, ``routing``) and reads only the new words.
Ideas credited: llama.cpp's JSON-schema grammars; Home Assistant's intent recognizer for
the "a small closed set of intents beats free-form function calling" point.
"""

from __future__ import annotations

import asyncio
import logging
import re
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from os1.errors import InputError, ModelError
from os1.models.base import LLM, CancelToken, ChatMessage, GenerationOptions, complete_json
from os1.skills.base import Tool, validate_args
from os1.skills.gate import RequestGate

log = logging.getLogger(__name__)

CHAT = "chat"
LONGEST_ARGUMENT = 400  # characters the model may write into one argument
# An argument marked ``Field(json_schema_extra={MESSAGE: True})`` is not written by the
# model: it gets the person's whole message (a letter pasted to proofread), which a 1.5B
# model would copy slowly, token by token, and might change on the way.
MESSAGE = "x-os1-message"
LONGEST_MESSAGE = 1500  # a longer message is conversation (or a paste), not a request
WARM_UP_TRIES = 40  # a menu read ahead in pieces between turns; each try reads on
WARM_UP_PAUSE_S = 1.0

_GUIDE = """You decide whether the person's message asks you to DO one of the tasks below.
If it does, answer with that tool and fill its arguments by copying the person's own words \
(dates, names, places and paths exactly as they said them; leave an argument empty when \
they did not say it). If the message is conversation, a question about the world or \
about you, a feeling, or a wish that does not ask for one of these tasks, answer \
{"tool": "chat"}.

Tools:"""


@dataclass(frozen=True)
class Choice:
    tool: Tool
    args: BaseModel


def _compact(schema: dict[str, Any]) -> dict[str, Any]:
    """Only what the grammar needs from a pydantic property: types, enums, bounds."""
    if "anyOf" in schema:
        return {"anyOf": [_compact(s) for s in schema["anyOf"]]}
    kept: dict[str, Any] = {
        k: schema[k] for k in ("type", "enum", "const", "maxItems") if k in schema
    }
    if schema.get("type") == "string" and "enum" not in schema and "const" not in schema:
        kept["maxLength"] = min(int(schema.get("maxLength", LONGEST_ARGUMENT)), LONGEST_ARGUMENT)
    if "items" in schema:
        kept["items"] = _compact(schema["items"])
    return kept


def message_fields(tool: Tool) -> list[str]:
    """The arguments filled with the person's message rather than written by the model."""
    return [
        name
        for name, info in tool.Args.model_fields.items()
        if isinstance(info.json_schema_extra, dict) and info.json_schema_extra.get(MESSAGE)
    ]


def args_schema(tool: Tool) -> dict[str, Any]:
    full = tool.Args.model_json_schema()
    if "$defs" in full:  # nested models are not for a 1.5B model to fill
        raise ValueError(f"tool {tool.name!r} has nested arguments; keep them flat")
    unwritten = message_fields(tool)
    written = {n: p for n, p in full.get("properties", {}).items() if n not in unwritten}
    return {
        "type": "object",
        "properties": {name: _compact(p) for name, p in written.items()},
        "required": [n for n in full.get("required", []) if n in written],
        "additionalProperties": False,
    }


_WORD = re.compile(r"[^\W_]{4,}")


def _grounded(value: str, message: str) -> bool:
    """Whether most longer words of ``value`` were said in ``message`` (a small model, shown
    examples, sometimes fills an argument with an example's words instead)."""
    words = _WORD.findall(value.lower())
    said = message.lower()
    return not words or sum(w[:5] in said for w in words) * 2 > len(words)


def _keep_said(tool: Tool, args: dict[str, Any], message: str) -> dict[str, Any]:
    """``args`` with what the person did not say taken out: an optional string goes back
    to its default, a required one becomes the whole message (the tool reads the words
    it needs from it; an example's words would send it looking for the wrong thing)."""
    fields = tool.Args.model_fields
    kept: dict[str, Any] = {}
    for name, value in args.items():
        if not isinstance(value, str) or name not in fields or _grounded(value, message):
            kept[name] = value
        elif fields[name].is_required():
            kept[name] = message
    return kept


def _cued(tool: Tool, message: str) -> bool:
    """A tool may name words one of which a request for it always holds (``cues``): the
    model's choice of it stands only then. A small model sends some questions to a search
    tool ("what is the capital of France?" to the mail search); a mail search asked for
    never lacks a word like "mail" or "inbox"."""
    cues: tuple[str, ...] = getattr(tool, "cues", ())
    said = message.lower()
    return not cues or any(cue in said for cue in cues)


def choice_schema(tools: list[Tool]) -> dict[str, Any]:
    options: list[dict[str, Any]] = [
        {
            "type": "object",
            "properties": {"tool": {"const": CHAT}},
            "required": ["tool"],
            "additionalProperties": False,
        }
    ]
    for tool in tools:
        options.append(
            {
                "type": "object",
                "properties": {"tool": {"const": tool.name}, "args": args_schema(tool)},
                "required": ["tool", "args"],
                "additionalProperties": False,
            }
        )
    return {"anyOf": options}


def _signature(tool: Tool) -> str:
    fields = tool.Args.model_fields
    parts = []
    for name, info in fields.items():
        if name in message_fields(tool):
            continue  # filled with the message itself
        optional = "" if info.is_required() else "?"
        about = f" ({info.description})" if info.description else ""
        parts.append(f"{name}{optional}{about}")
    return ", ".join(parts)


def menu(tools: list[Tool]) -> str:
    """The system prompt: the guide and one entry per tool with examples."""
    lines = [_GUIDE]
    for tool in tools:
        lines.append(f"- {tool.name}: {tool.summary}. Arguments: {_signature(tool)}.")
        lines += [f'    e.g. "{example}"' for example in tool.examples[:3]]
    lines.append(f"- {CHAT}: anything else (talk, questions, advice, feelings).")
    return "\n".join(lines)


class ToolChooser:
    """Picks a tool (or none) for a message; built once per set of tools."""

    def __init__(self, llm: LLM, tools: list[Tool]) -> None:
        self.llm = llm
        self.tools = {tool.name: tool for tool in tools}
        self._system = menu(tools)
        self._schema = choice_schema(tools)
        self.gate = RequestGate(tools)

    async def warm_up(self) -> None:
        """Read the tool menu into the model's cache while nobody is waiting (about 25 s
        on 2 cores), so the person's first request does not wait for it. It runs as
        background work: a turn stops it within one prompt batch (well under a second),
        and the part read so far stays cached; it reads on after the turn, so a busy first
        minute does not leave the menu unread for the first request."""
        messages = [ChatMessage("system", self._system), ChatMessage("user", "hello")]
        options = GenerationOptions(max_tokens=1, temperature=0.0, routing=True, background=True)
        for _ in range(WARM_UP_TRIES):
            try:
                await complete_json(self.llm, messages, self._schema, options)
                return
            except ModelError as exc:
                if exc.code != "generation_stopped":
                    log.debug("the tool menu was not read ahead (%s)", exc.code)
                    return
            # someone needed the model: go on from where it stopped once they are served
            # (each try waits for their turn, then reads on from the part already cached)
            await asyncio.sleep(WARM_UP_PAUSE_S)
        log.debug("the tool menu was not read ahead: the model was never free for long")

    async def choose(self, message: str, cancel: CancelToken | None = None) -> Choice | None:
        """The tool the person asks for, with its arguments; None to just talk.

        A message that cannot be a request (``skills.gate``) is not shown to the model.
        A model failure or arguments that do not validate mean "just talk": the person
        is answered as usual instead of being shown an error about a guess.
        """
        text = message.strip()
        if not self.tools or not text or len(text) > LONGEST_MESSAGE:
            return None
        if not self.gate.might_ask(text):
            return None
        return await self._ask_model(text, cancel)

    async def _ask_model(self, text: str, cancel: CancelToken | None) -> Choice | None:
        messages = [ChatMessage("system", self._system), ChatMessage("user", text)]
        options = GenerationOptions(max_tokens=300, temperature=0.0, routing=True)
        try:
            picked = await complete_json(self.llm, messages, self._schema, options, cancel)
        except ModelError as exc:
            log.info("tool choice failed (%s); answering as conversation", exc.code)
            return None
        tool = self.tools.get(str(picked.get("tool")))
        if tool is None or not _cued(tool, text):
            return None
        hinted = self.gate.hinted(text)
        if hinted is not None and tool.name not in hinted:
            log.info("%s was chosen for a message that holds none of its words", tool.name)
            return None
        try:
            args = _keep_said(tool, dict(picked.get("args") or {}), text)
            args |= {name: text for name in message_fields(tool)}
            return Choice(tool, validate_args(tool, args))
        except InputError:
            log.info("the model's arguments for %s did not validate", tool.name)
            return None
