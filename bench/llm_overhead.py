"""What os1's turn path costs on top of the raw model.

The same prompt and sampling go (a) through ``Companion.turn`` (store writes, prompt
assembly, token budgeting, event stream) and (b) straight into xllamacpp's server object,
alternating, in one process and one loaded model. The prompt is the exact message list
os1 built (recorded on its way to the model), with the prompt cache off for both so each
run processes the whole prompt. Prints prompt and generation tokens/s, time to first
token, and os1/raw ratios (target: generation ratio >= 0.95).

Run: make bench   (or: .venv/bin/python bench/llm_overhead.py --reps 5 --json)
"""

from __future__ import annotations

import argparse
import asyncio
import json
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

from os1.companion import Companion
from os1.config import load_settings
from os1.events import TextDelta, TurnFinished
from os1.models.assets import resolve_llm_path
from os1.models.base import CancelToken, ChatMessage, Chunk, GenerationOptions
from os1.models.local_gguf import LocalGGUF, request_body, usage_from
from os1.store import Database
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


async def main(reps: int, max_tokens: int, as_json: bool) -> dict[str, Any]:
    console = Console(stderr=True)
    settings = load_settings()
    started = time.perf_counter()
    llm = LocalGGUF(resolve_llm_path(settings), n_ctx=settings.n_ctx, threads=settings.threads)
    load_s = time.perf_counter() - started
    recording = Recording(llm)
    home = Path(tempfile.mkdtemp(prefix="os1-bench-"))
    db = await Database.open(home / "os1.db")
    limits = TurnLimits(
        n_ctx=settings.n_ctx,
        max_reply_tokens=max_tokens,
        temperature=0.0,
        seed=1,
        cache_prompt=False,
    )
    companion = Companion(db, recording, limits)  # type: ignore[arg-type]
    await companion.identity("bench")
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
                else:
                    runs["raw"].append(await asyncio.to_thread(raw_run, llm, messages, options))
    # what a person sees on the next turn of a conversation: the prompt cache at work
    cached = await os1_cached_turn(companion)
    await db.aclose()
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
    companion.limits = TurnLimits(companion.limits.n_ctx, 32, 0.0, 1, cache_prompt=True)
    companion._deps = type(companion._deps)(companion.llm, companion.limits, companion._schedule)
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
    if args.json:
        print(json.dumps(figures, indent=2))
    else:
        show(figures)
