"""What os1's turn path costs on top of the raw model.

The same prompt and sampling go (a) through ``Companion.turn`` as shipped (the companion
``Companion.start`` builds from os1's default settings: memory with every embedder route,
recall, the tool gate and chooser, learning after the turn, store writes, prompt assembly,
token budgeting, the event stream) and (b) straight into xllamacpp's server object,
alternating, in one process and one loaded model. The raw path is given the exact message
list os1 sent in its latest run (recorded on its way to the model), with the prompt cache
off for both so each run processes the whole prompt. The conversation's memories grow from
run to run, so the prompts may differ by a recalled line; the ratios are per token.
Prints prompt and generation tokens/s, time to first token, and os1/raw ratios (target:
generation ratio >= 0.95).

Run: make bench   (or: .venv/bin/python bench/llm_overhead.py --reps 5 --json)
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import os
import statistics
import tempfile
import threading
import time
from collections.abc import AsyncIterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from figures import save
from os1.companion import Companion
from os1.config import load_settings
from os1.events import TextDelta, TurnFinished
from os1.models.assets import resolve_llm_path
from os1.models.base import CancelToken, ChatMessage, Chunk, GenerationOptions
from os1.models.local_gguf import LocalGGUF, request_body, usage_from
from os1.turn.context import TurnLimits

QUESTION = "Tell me a story of about 150 words about a lighthouse keeper and a lost cat."


@dataclass(frozen=True)
class Run:
    path: str
    prompt_tokens: int
    completion_tokens: int
    cached_tokens: int
    ttft_s: float
    gen_s: float

    @property
    def prompt_tps(self) -> float:
        return self.prompt_tokens / self.ttft_s

    @property
    def gen_tps(self) -> float:
        return max(0, self.completion_tokens - 1) / self.gen_s


class Recording:
    """Passes everything to the model and keeps the last message list it was sent."""

    def __init__(self, llm: LocalGGUF) -> None:
        self.llm, self.name, self.n_ctx = llm, llm.name, llm.n_ctx
        self.last: list[ChatMessage] = []

    def count_tokens(self, text: str) -> int:
        return self.llm.count_tokens(text)

    def stream(
        self,
        messages: list[ChatMessage],
        options: GenerationOptions,
        cancel: CancelToken | None = None,
    ) -> AsyncIterator[Chunk]:
        if not options.background:
            self.last = list(messages)
        return self.llm.stream(messages, options, cancel)

    async def aclose(self) -> None:
        return None


async def os1_run(companion: Companion, user: str) -> Run:
    await companion.new_conversation(user)
    started = time.perf_counter()
    first = 0.0
    async for event in companion.turn(user, QUESTION, onboarding_enabled=False):
        if isinstance(event, TextDelta) and not first:
            first = time.perf_counter()
        if isinstance(event, TurnFinished):
            end = time.perf_counter()
            usage = event.usage
    await companion.wait_background()
    return Run(
        "os1",
        usage.prompt_tokens,
        usage.completion_tokens,
        usage.cached_tokens,
        first - started,
        end - first,
    )


def raw_run(llm: LocalGGUF, messages: list[ChatMessage], options: GenerationOptions) -> Run:
    first = 0.0
    final: dict[str, Any] = {}
    done = threading.Event()

    def on_chunk(chunk: dict[str, Any]) -> bool:
        nonlocal first
        choice = (chunk.get("choices") or [{}])[0]
        if (choice.get("delta") or {}).get("content") and not first:
            first = time.perf_counter()
        if chunk.get("timings"):
            final.update(chunk)
            done.set()
        return False

    started = time.perf_counter()
    llm._server.handle_chat_completions(request_body(messages, options, stream=True), on_chunk)
    end = time.perf_counter()
    usage = usage_from(final)
    return Run(
        "raw",
        usage.prompt_tokens,
        usage.completion_tokens,
        usage.cached_tokens,
        first - started,
        end - first,
    )


def median(runs: list[Run], field: str) -> float:
    return statistics.median(getattr(r, field) for r in runs)


def with_limits(companion: Companion, limits: TurnLimits) -> None:
    """Fixed sampling (and the prompt cache on or off) on the shipped turn path."""
    companion.limits = limits
    companion._deps = dataclasses.replace(companion._deps, limits=limits)


async def main(reps: int, max_tokens: int, as_json: bool) -> dict[str, Any]:
    console = Console(stderr=True)
    home = Path(tempfile.mkdtemp(prefix="os1-bench-"))
    environ = {k: v for k, v in os.environ.items() if k not in ("OS1_HOME", "OS1_LLM_BACKEND")}
    settings = load_settings({"home": home}, environ=environ)
    started = time.perf_counter()
    llm = LocalGGUF(resolve_llm_path(settings), n_ctx=settings.n_ctx, threads=settings.threads)
    load_s = time.perf_counter() - started
    recording = Recording(llm)
    companion = await Companion.start(settings, llm=recording, local=True)  # type: ignore[arg-type]
    fixed = dataclasses.replace(
        companion.limits, max_reply_tokens=max_tokens, temperature=0.0, seed=1
    )
    with_limits(companion, dataclasses.replace(fixed, cache_prompt=False))
    await companion.skip_onboarding("bench")
    options = GenerationOptions(max_tokens=max_tokens, temperature=0.0, seed=1, cache_prompt=False)
    runs: dict[str, list[Run]] = {"os1": [], "raw": []}
    with console.status("benchmarking...") as status:
        status.update("warming up")
        await os1_run(companion, "bench")  # also records the exact prompt os1 sends
        messages = recording.last
        for rep in range(reps):
            # alternate which path goes first, so drift on a shared machine hits both
            order = ("os1", "raw") if rep % 2 == 0 else ("raw", "os1")
            for path in order:
                status.update(f"rep {rep + 1}/{reps}: {path}")
                if path == "os1":
                    runs["os1"].append(await os1_run(companion, "bench"))
                    messages = recording.last
                else:
                    runs["raw"].append(await asyncio.to_thread(raw_run, llm, messages, options))
        # what a person sees on the next turn of a conversation: the prompt cache at work
        with_limits(companion, dataclasses.replace(fixed, max_reply_tokens=32))
        cached = await os1_cached_turn(companion)
    await companion.aclose()
    llm.close()
    result = {
        "model_load_s": round(load_s, 2),
        "reps": reps,
        "max_tokens": max_tokens,
        "runs": {
            k: [asdict(r) | {"prompt_tps": r.prompt_tps, "gen_tps": r.gen_tps} for r in v]
            for k, v in runs.items()
        },
        "median": {
            k: {
                f: median(v, f)
                for f in (
                    "prompt_tps",
                    "gen_tps",
                    "ttft_s",
                    "prompt_tokens",
                    "completion_tokens",
                    "cached_tokens",
                )
            }
            for k, v in runs.items()
        },
        "next_turn_with_cache": asdict(cached) | {"prompt_tps": cached.prompt_tps},
    }
    med = result["median"]
    result["ratio"] = {
        "prompt_tps": med["os1"]["prompt_tps"] / med["raw"]["prompt_tps"],
        "gen_tps": med["os1"]["gen_tps"] / med["raw"]["gen_tps"],
        "ttft": med["os1"]["ttft_s"] / med["raw"]["ttft_s"],
    }
    return result


async def os1_cached_turn(companion: Companion) -> Run:
    """A second turn in a conversation with the prompt cache on, as in real use."""
    await companion.skip_onboarding("cached")
    await companion.new_conversation("cached")
    async for _ in companion.turn("cached", "Hello there!", onboarding_enabled=False):
        pass
    started, first = time.perf_counter(), 0.0
    async for event in companion.turn(
        "cached", "What's a good name for a cat?", onboarding_enabled=False
    ):
        if isinstance(event, TextDelta) and not first:
            first = time.perf_counter()
        if isinstance(event, TurnFinished):
            end, usage = time.perf_counter(), event.usage
    return Run(
        "os1-cached",
        usage.prompt_tokens,
        usage.completion_tokens,
        usage.cached_tokens,
        first - started,
        end - first,
    )


def show(result: dict[str, Any]) -> None:
    console = Console()
    med, ratio = result["median"], result["ratio"]
    table = Table(title=f"os1 turn path vs raw xllamacpp (median of {result['reps']} runs each)")
    for column in ("", "os1", "raw", "os1 / raw"):
        table.add_column(column, justify="right")
    table.add_row(
        "prompt tokens",
        f"{med['os1']['prompt_tokens']:.0f}",
        f"{med['raw']['prompt_tokens']:.0f}",
        "",
    )
    table.add_row(
        "prompt tok/s",
        f"{med['os1']['prompt_tps']:.1f}",
        f"{med['raw']['prompt_tps']:.1f}",
        f"{ratio['prompt_tps']:.3f}",
    )
    table.add_row(
        "generation tok/s",
        f"{med['os1']['gen_tps']:.1f}",
        f"{med['raw']['gen_tps']:.1f}",
        f"{ratio['gen_tps']:.3f}",
    )
    table.add_row(
        "time to first token (s)",
        f"{med['os1']['ttft_s']:.2f}",
        f"{med['raw']['ttft_s']:.2f}",
        f"{ratio['ttft']:.3f}",
    )
    console.print(table)
    cached = result["next_turn_with_cache"]
    console.print(
        f"next turn of a conversation (prompt cache on): {cached['cached_tokens']} of "
        f"{cached['cached_tokens'] + cached['prompt_tokens']} prompt tokens reused, "
        f"first token after {cached['ttft_s']:.2f} s"
    )
    console.print(f"model load: {result['model_load_s']:.1f} s")
    verdict = (
        "[green]meets[/]"
        if ratio["gen_tps"] >= 0.95 and ratio["prompt_tps"] >= 0.95
        else "[red]misses[/]"
    )
    console.print(f"target ratio >= 0.95 (prompt and generation): {verdict}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--reps", type=int, default=3, help="runs per path (default 3)")
    parser.add_argument(
        "--max-tokens", type=int, default=128, help="tokens to generate (default 128)"
    )
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()
    figures = asyncio.run(main(args.reps, args.max_tokens, args.json))
    save("llm_overhead", figures)
    if args.json:
        print(json.dumps(figures, indent=2))
    else:
        show(figures)
