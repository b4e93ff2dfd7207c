"""Tool choice with the real embedded model: how often the right tool (and the right
words in its arguments) is chosen from what a person says, and how long that takes.

os1 holds the model to a JSON schema (``skills.choose.ToolChooser``: a grammar over the
tool names and each tool's arguments). The baseline, same run, same model, same menu,
asks for the same JSON in words only, with no grammar, and parses the first JSON object
in the reply: what a prompt-only tool caller gets from a 1.5B model.
"""

from __future__ import annotations

import json
import re
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from os1.models.base import LLM, ChatMessage, GenerationOptions, complete
from os1.skills.choose import CHAT, ToolChooser, menu
from os1.skills.registry import load_skills
from skills_corpus import REQUESTS, Request

__all__ = ["REQUESTS", "lines", "report"]

_ANSWER_SHAPE = (
    '\n\nAnswer with one JSON object only: {"tool": NAME, "args": {ARGUMENTS}}, '
    'or {"tool": "chat"}.'
)


@dataclass(frozen=True)
class Trial:
    request: Request
    tool: str
    args: dict[str, Any]
    seconds: float

    @property
    def right_tool(self) -> bool:
        return self.tool == self.request.tool

    @property
    def right_args(self) -> bool:
        return self.right_tool and all(
            word.lower() in str(self.args.get(name, "")).lower()
            for name, word in self.request.args.items()
        )


async def _os1(chooser: ToolChooser, request: Request) -> Trial:
    began = time.perf_counter()
    choice = await chooser.choose(request.text)
    seconds = time.perf_counter() - began
    if choice is None:
        return Trial(request, CHAT, {}, seconds)
    return Trial(request, choice.tool.name, choice.args.model_dump(), seconds)


async def _prompt_only(llm: LLM, system: str, request: Request) -> Trial:
    messages = [ChatMessage("system", system + _ANSWER_SHAPE), ChatMessage("user", request.text)]
    began = time.perf_counter()
    options = GenerationOptions(max_tokens=300, temperature=0.0, routing=True)
    reply = (await complete(llm, messages, options)).text
    seconds = time.perf_counter() - began
    found = re.search(r"\{.*\}", reply, re.DOTALL)
    try:
        value = json.loads(found.group(0)) if found else {}
    except json.JSONDecodeError:
        value = {}
    value = value if isinstance(value, dict) else {}
    args = value.get("args")
    return Trial(
        request, str(value.get("tool", "")), args if isinstance(args, dict) else {}, seconds
    )


def _figures(trials: list[Trial]) -> dict[str, float]:
    times = sorted(t.seconds for t in trials)
    actions = [t for t in trials if t.request.tool != CHAT]
    talk = [t for t in trials if t.request.tool == CHAT]
    return {
        "tool_accuracy": sum(t.right_tool for t in trials) / len(trials),
        "args_accuracy": sum(t.right_args for t in trials) / len(trials),
        "action_recall": sum(t.right_tool for t in actions) / max(1, len(actions)),
        "chat_kept": sum(t.right_tool for t in talk) / max(1, len(talk)),
        "p50_s": statistics.median(times),
        "p90_s": times[int(0.9 * (len(times) - 1))],
    }


def _gated(chooser: ToolChooser, requests: tuple[Request, ...]) -> dict[str, list[int]]:
    """How many conversation messages and how many requests the gate keeps from the model
    (answered at once, with no tool), against how many there are."""
    counts: dict[str, list[int]] = {"chat": [0, 0], "actions": [0, 0]}
    for request in requests:
        kind = counts["chat" if request.tool == CHAT else "actions"]
        kind[0] += not chooser.gate.might_ask(request.text)
        kind[1] += 1
    return counts


async def report(
    llm: LLM, quick: bool = False, tick: Callable[[], None] | None = None
) -> dict[str, Any]:
    """Run every request through os1's chooser and the prompt-only baseline, alternating
    which goes first so neither always finds the cache warm."""
    tools = load_skills(entry_points=False).tools()
    chooser = ToolChooser(llm, tools)
    system = menu(tools)
    requests = REQUESTS[::3] if quick else REQUESTS
    await chooser.warm_up()  # read the menu into the cache once, for both
    ours: list[Trial] = []
    theirs: list[Trial] = []
    for index, request in enumerate(requests):
        if index % 2:
            theirs.append(await _prompt_only(llm, system, request))
            ours.append(await _os1(chooser, request))
        else:
            ours.append(await _os1(chooser, request))
            theirs.append(await _prompt_only(llm, system, request))
        if tick:
            tick()
    return {
        "requests": len(requests),
        "tools": len(tools),
        "os1": _figures(ours),
        "prompt_only": _figures(theirs),
        # answered without a model call: the gate saw no request in them (skills.gate)
        "gated": _gated(chooser, requests),
        "misses": [
            {"text": t.request.text, "wanted": t.request.tool, "got": t.tool, "args": t.args}
            for t in ours
            if not t.right_args
        ],
    }


def lines(figures: dict[str, Any]) -> list[str]:
    ours, theirs = figures["os1"], figures["prompt_only"]
    return [
        f"tool choice ({figures['requests']} requests, {figures['tools']} tools + chat,"
        " real model):",
        f"  right tool: os1 {ours['tool_accuracy']:.0%}"
        f"   prompt-only {theirs['tool_accuracy']:.0%}",
        f"  right tool and argument words: os1 {ours['args_accuracy']:.0%}"
        f"   prompt-only {theirs['args_accuracy']:.0%}",
        f"  actions recognized {ours['action_recall']:.0%}, conversation left alone"
        f" {ours['chat_kept']:.0%}",
        f"  answered without a model call (no request words): conversation"
        f" {figures['gated']['chat'][0]} of {figures['gated']['chat'][1]},"
        f" requests {figures['gated']['actions'][0]} of {figures['gated']['actions'][1]}",
        f"  latency p50/p90: os1 {ours['p50_s']:.2f}/{ours['p90_s']:.2f} s   prompt-only"
        f" {theirs['p50_s']:.2f}/{theirs['p90_s']:.2f} s"
        f"   ratio {ours['p50_s'] / theirs['p50_s']:.2f}",
    ]
