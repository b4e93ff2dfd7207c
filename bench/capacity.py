"""The capacity model: what a person's day costs os1's store, and what a million people need.

Real conversations are lived through os1's core API, as any door would: LoCoMo
(snap-research/LoCoMo, ``data/locomo10.json``, CC BY-NC 4.0, for evaluation only; read
from the path given, never committed). Each of its ten conversations is a person (the
one who speaks first); each session, days or weeks apart in their lives, is a
day of talking to os1. The companion's replies are the other speaker's real lines,
replayed, so both sides are human-made text of human length. What os1 asks a model for
besides replies (learning facts, summaries, choosing a tool) gets the smallest answer
its schema allows, unless ``--learn`` gives it to the embedded model as os1's defaults
do (about a minute an exchange here: run it on one conversation and a few days for the
facts' share). Many people share one store, as on a server: the vector index's chunks,
allocated a thousand vectors at a time, are then shared too.

After each day, with the background work done and the vectors indexed, the store is
measured: its bytes on disk (after a WAL checkpoint; each table and index from
SQLite's ``dbstat``), its rows, and the text said. The baseline is that text itself:
``stored / said`` is how many bytes os1 keeps for each byte a person and their companion
say (messages, episodes, full-text and vector indexes, facts, summaries).

From those, and from ``bench/scale.py``'s measured server CPU per turn, the model is
projected to ``--people`` people. The figures that are not measured here are named as
assumptions on the command line: exchanges a day, the peak-to-mean ratio, and a GPU's
batched prompt and generation throughput for a 1.5B model (this machine has no GPU; the
CPU figures are the embedded model's speeds measured here by ``bench/llm_overhead.py``).
Rows are counted in os1's own tables, not in the indexes' shadow tables.

Run: .venv/bin/python bench/capacity.py PATH/TO/locomo10.json [--conversations 0,1]
     [--days 3] [--learn] [--people 1000000]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import tempfile
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from figures import FOLDER, save
from load_standin import minimal
from os1.companion import Companion
from os1.config import load_settings
from os1.core.extensions import build_llm
from os1.models.base import LLM, CancelToken, ChatMessage, Chunk, GenerationOptions, Usage
from os1.store.driver import connect

console = Console()
DAY = 86_400.0


@dataclass(frozen=True)
class Exchange:
    said: str  # the person's lines, one message
    reply: str  # the other speaker's next lines, replayed as the companion's reply


def days_of(sample: dict[str, Any], most: int) -> list[list[Exchange]]:
    """The first ``most`` sessions of a LoCoMo conversation as days of exchanges: its
    first speaker is the person, lines in a row by one speaker are one turn."""
    conversation = sample["conversation"]
    person = conversation.get("speaker_a") or conversation["session_1"][0]["speaker"]
    days: list[list[Exchange]] = []
    number = 1
    while f"session_{number}" in conversation and len(days) < most:
        lines = conversation[f"session_{number}"]
        number += 1
        if not lines:
            continue
        runs: list[tuple[bool, list[str]]] = []  # (the person's?, lines in a row)
        for line in lines:
            text = line.get("text", "")
            if line.get("blip_caption"):
                text = f"{text} [shares a photo: {line['blip_caption']}]".strip()
            mine = line["speaker"] == person
            if runs and runs[-1][0] == mine:
                runs[-1][1].append(text)
            else:
                runs.append((mine, [text]))
        exchanges = [
            Exchange(" ".join(said), " ".join(runs[at + 1][1]))
            for at, (mine, said) in enumerate(runs[:-1])
            if mine
        ]
        days.append([e for e in exchanges if e.said.strip() and e.reply.strip()])
    return days


@dataclass
class Replay:
    """A model whose chat replies are the next real lines of the conversation; what os1
    asks besides (learning, summaries, choosing a tool) goes to ``inner`` (the embedded
    model), or, without one, gets the smallest answer its schema allows. Prompt tokens
    are counted with ``counter``, the embedded model's own tokenizer."""

    counter: LLM
    inner: LLM | None
    name: str = "replay"
    n_ctx: int = 4096
    replies: list[str] = field(default_factory=list)
    prompt_tokens: list[int] = field(default_factory=list)
    reply_tokens: list[int] = field(default_factory=list)
    other_model_seconds: float = 0.0

    def count_tokens(self, text: str) -> int:
        return self.counter.count_tokens(text)

    async def stream(
        self,
        messages: list[ChatMessage],
        options: GenerationOptions,
        cancel: CancelToken | None = None,
    ) -> AsyncIterator[Chunk]:
        if options.json_schema is None and not options.background and self.replies:
            reply = self.replies.pop(0)
            prompt = sum(self.count_tokens(m.content) for m in messages)
            self.prompt_tokens.append(prompt)
            self.reply_tokens.append(self.count_tokens(reply))
            yield Chunk(reply)
            yield Chunk("", "stop", Usage(prompt, self.reply_tokens[-1]))
            return
        started = time.perf_counter()
        try:
            if self.inner is None:
                value = minimal(options.json_schema) if options.json_schema else ""
                text = json.dumps(value) if options.json_schema else "…"
                yield Chunk(text)
                yield Chunk("", "stop", Usage(0, 1))
                return
            async for chunk in self.inner.stream(messages, options, cancel):
                yield chunk
        finally:
            self.other_model_seconds += time.perf_counter() - started

    async def aclose(self) -> None:
        if self.inner is not None:
            await self.inner.aclose()


@dataclass(frozen=True)
class Measure:
    bytes: int
    tables: dict[str, int]  # bytes of each table with its indexes, by table
    rows: dict[str, int]
    said: int  # UTF-8 bytes of every message


def measure(db_path: Path) -> Measure:
    """The store as it stands on disk: the WAL folded in first, so its size is the file's."""
    conn = connect(db_path)
    try:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        sizes: dict[str, int] = {}
        owners = dict(
            conn.execute("SELECT name, tbl_name FROM sqlite_schema WHERE type IN ('index','table')")
        )
        for name, size in conn.execute("SELECT name, SUM(pgsize) FROM dbstat GROUP BY name"):
            table = _family(owners.get(name, name), owners)
            sizes[table] = sizes.get(table, 0) + int(size)
        tables = [
            name
            for (name,) in conn.execute(
                "SELECT name FROM sqlite_schema WHERE type = 'table' AND sql NOT LIKE"
                " 'CREATE VIRTUAL%' AND name NOT LIKE 'sqlite_%'"
            )
        ]
        rows = {
            name: conn.execute(f'SELECT COUNT(*) FROM "{name}"').fetchone()[0]
            for name in tables
            if _family(name, owners) == name  # not an index's shadow table
        }
        said = conn.execute("SELECT COALESCE(SUM(LENGTH(CAST(content AS BLOB))), 0) FROM messages")
        return Measure(db_path.stat().st_size, sizes, rows, int(said.fetchone()[0]))
    finally:
        conn.close()


def _family(name: str, owners: dict[str, str]) -> str:
    """The table a shadow table or index belongs to: an FTS5 or vec0 index keeps its
    data in tables named after it (``episodes_fts_data``), counted with it."""
    for virtual in sorted(owners, key=len, reverse=True):
        if name != virtual and name.startswith(f"{virtual}_") and owners[virtual] == virtual:
            return virtual
    return name


async def live(args: argparse.Namespace) -> dict[str, Any]:
    samples = json.loads(await asyncio.to_thread(Path(args.locomo).read_text, "utf-8"))
    chosen = args.conversations or list(range(len(samples)))
    lives = {f"locomo{n}": days_of(samples[n], args.days or 10_000) for n in chosen}
    with tempfile.TemporaryDirectory(prefix="os1-capacity-", dir=args.data_dir) as home:
        settings = load_settings({"home": home})
        embedded = await build_llm(settings)
        model = Replay(counter=embedded, inner=embedded if args.learn else None)
        model.n_ctx = embedded.n_ctx
        companion = await Companion.start(settings, llm=model)
        try:
            for person in lives:
                await companion.skip_onboarding(person)
            await companion.wait_background()
            empty = measure(settings.db_path)
            after: list[Measure] = []
            total = sum(len(day) for days in lives.values() for day in days)
            with Progress(console=console, transient=True) as bar:
                task = bar.add_task("living the days", total=total)
                for person, days in lives.items():
                    for day in days:
                        await companion.new_conversation(person)
                        for exchange in day:
                            model.replies = [exchange.reply]
                            await collect(companion.turn(person, exchange.said))
                            bar.advance(task)
                        await companion.wait_background()
                        await companion.memories.index(person)
                    after.append(measure(settings.db_path))
        finally:
            await companion.aclose()
    return {
        "people": len(lives),
        "days": sum(len(days) for days in lives.values()),
        "exchanges": len(model.reply_tokens),
        "empty": empty,
        "after": after,
        "prompt_tokens": model.prompt_tokens,
        "reply_tokens": model.reply_tokens,
        "other_model_seconds": model.other_model_seconds,
    }


async def collect(events: AsyncIterator[Any]) -> None:
    async for _ in events:
        pass


def _scale_cpu_ms(path: Path) -> tuple[float, str]:
    """Server CPU per turn from ``bench/scale.py``'s saved run: the 2-worker fleet."""
    try:
        results = json.loads(path.read_text())["figures"]["results"]
    except (OSError, ValueError, KeyError):
        return float("nan"), f"{path} (not found: run bench/scale.py)"
    name = next((k for k in results if k.startswith("2 workers")), next(iter(results)))
    return float(results[name]["server_cpu_ms_per_turn"]), f"{path.name}, {name}"


def _cpu_speeds(path: Path) -> tuple[float, float]:
    """The embedded model's prompt and generation tokens/s on this machine: the median of
    ``bench/llm_overhead.py``'s saved runs through os1, else MODELS.md's figures."""
    try:
        runs = json.loads(path.read_text())["figures"]["runs"]["os1"]
        return (
            statistics.median(r["prompt_tps"] for r in runs),
            statistics.median(r["gen_tps"] for r in runs),
        )
    except (OSError, ValueError, KeyError, TypeError, statistics.StatisticsError):
        return 28.0, 13.0


def project(run: dict[str, Any], args: argparse.Namespace) -> dict[str, Any]:
    empty: Measure = run["empty"]
    last: Measure = run["after"][-1]
    days, exchanges = run["days"], run["exchanges"]
    grown = last.bytes - empty.bytes
    said = last.said - empty.said
    per_exchange = grown / exchanges
    a_day = args.exchanges_a_day or exchanges / days
    rows = {t: (last.rows.get(t, 0) - empty.rows.get(t, 0)) / exchanges for t in last.rows}
    bytes_by_table = {
        t: (last.tables.get(t, 0) - empty.tables.get(t, 0)) / exchanges for t in last.tables
    }
    prompt = sum(run["prompt_tokens"]) / max(len(run["prompt_tokens"]), 1)
    reply = sum(run["reply_tokens"]) / max(len(run["reply_tokens"]), 1)
    cpu_ms, cpu_from = _scale_cpu_ms(args.scale_result)
    measured_prefill, measured_decode = _cpu_speeds(FOLDER / "llm_overhead.json")
    cpu_prefill, cpu_decode = (
        args.cpu_prefill or measured_prefill,
        args.cpu_decode or measured_decode,
    )
    gpu_turns = 1 / (prompt / args.gpu_prefill + reply / args.gpu_decode)
    cpu_turns = 1 / (prompt / cpu_prefill + reply / cpu_decode)
    mean_turns = args.people * a_day / DAY
    peak_turns = mean_turns * args.peak
    return {
        "measured": {
            "people": run["people"],
            "days": days,
            "exchanges": exchanges,
            "exchanges_per_day": round(exchanges / days, 1),
            "store_bytes_empty_person": empty.bytes,
            "store_bytes_per_exchange": round(per_exchange),
            "said_bytes_per_exchange": round(said / exchanges),
            "stored_per_said": round(grown / said, 2) if said else None,
            "rows_per_exchange": {t: round(v, 2) for t, v in sorted(rows.items()) if v},
            "bytes_per_exchange_by_table": {
                t: round(v) for t, v in sorted(bytes_by_table.items(), key=lambda kv: -kv[1]) if v
            },
            "bytes_after_each_person": [m.bytes for m in run["after"]],
            "prompt_tokens_per_turn": round(prompt),
            "reply_tokens_per_turn": round(reply),
            "other_model_seconds_per_exchange": round(run["other_model_seconds"] / exchanges, 2),
            "server_cpu_ms_per_turn": cpu_ms,
            "server_cpu_from": cpu_from,
        },
        "assumed": {
            "people": args.people,
            "exchanges_a_day": round(a_day, 1),
            "peak_to_mean": args.peak,
            "gpu_prefill_decode_tokens_per_second": [args.gpu_prefill, args.gpu_decode],
            "cpu_prefill_decode_tokens_per_second": [round(cpu_prefill, 1), round(cpu_decode, 1)],
        },
        "projected": {
            "bytes_per_person_per_day": round(per_exchange * a_day),
            "rows_per_person_per_day": round(sum(rows.values()) * a_day),
            "store_terabytes_per_year": round(per_exchange * a_day * args.people * 365 / 1e12, 2),
            "turns_per_second_mean": round(mean_turns, 1),
            "turns_per_second_peak": round(peak_turns, 1),
            "server_cores_at_peak": round(peak_turns * cpu_ms / 1000, 1),
            "prompt_tokens_per_second_peak": round(peak_turns * prompt),
            "reply_tokens_per_second_peak": round(peak_turns * reply),
            "gpus_at_peak": round(peak_turns / gpu_turns, 1),
            "turns_per_second_per_gpu": round(gpu_turns, 1),
            "turns_per_second_per_2_core_cpu": round(cpu_turns, 3),
        },
    }


def show(figures: dict[str, Any]) -> None:
    measured, assumed, projected = figures["measured"], figures["assumed"], figures["projected"]
    table = Table(title="a person's day in the store (measured)")
    table.add_column("table")
    table.add_column("rows / exchange", justify="right")
    table.add_column("bytes / exchange", justify="right")
    sizes = measured["bytes_per_exchange_by_table"]
    for name in sorted(
        set(sizes) | set(measured["rows_per_exchange"]), key=lambda t: -sizes.get(t, 0)
    ):
        rows = measured["rows_per_exchange"].get(name)
        table.add_row(name, f"{rows:.2f}" if rows else "", f"{sizes.get(name, 0):,}")
    console.print(table)
    console.print(
        f"{measured['exchanges']} exchanges, {measured['people']} people, "
        f"{measured['days']} days: "
        f"{measured['store_bytes_per_exchange']:,} bytes stored per exchange for "
        f"{measured['said_bytes_per_exchange']:,} said: stored/said = "
        f"[bold]{measured['stored_per_said']}[/bold] (the baseline is the text itself)"
    )
    console.print(
        f"prompt {measured['prompt_tokens_per_turn']:,} tokens and reply "
        f"{measured['reply_tokens_per_turn']:,} tokens a turn; other model work "
        f"{measured['other_model_seconds_per_exchange']} s an exchange; server CPU "
        f"{measured['server_cpu_ms_per_turn']} ms a turn ({measured['server_cpu_from']})"
    )
    plan = Table(
        title=f"{assumed['people']:,} people, {assumed['exchanges_a_day']} exchanges a day"
    )
    plan.add_column("what")
    plan.add_column("needs", justify="right")
    plan.add_row("bytes per person per day", f"{projected['bytes_per_person_per_day']:,}")
    plan.add_row("rows per person per day", f"{projected['rows_per_person_per_day']:,}")
    plan.add_row("store growth, TB a year", f"{projected['store_terabytes_per_year']}")
    mean, peak = projected["turns_per_second_mean"], projected["turns_per_second_peak"]
    plan.add_row("turns/s, mean / peak", f"{mean} / {peak} (peak ×{assumed['peak_to_mean']})")
    plan.add_row("server cores at peak", f"{projected['server_cores_at_peak']}")
    prompt, reply = (projected[f"{k}_tokens_per_second_peak"] for k in ("prompt", "reply"))
    plan.add_row("prompt / reply tokens/s at peak", f"{prompt:,} / {reply:,}")
    gpu, cpu = (
        assumed["gpu_prefill_decode_tokens_per_second"],
        assumed["cpu_prefill_decode_tokens_per_second"],
    )
    plan.add_row(
        f"GPUs at peak (assumed {gpu[0]:,.0f} prompt, {gpu[1]:,.0f} reply tok/s each)",
        f"{projected['gpus_at_peak']} ({projected['turns_per_second_per_gpu']} turns/s each)",
    )
    plan.add_row(
        f"turns/s of this 2-core CPU ({cpu[0]:g} prompt, {cpu[1]:g} reply tok/s, uncached)",
        f"{projected['turns_per_second_per_2_core_cpu']}",
    )
    console.print(plan)


def _numbers(text: str) -> list[int]:
    try:
        return [int(n) for n in text.split(",") if n.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a list like 0,3") from None


def parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("locomo", type=Path, help="LoCoMo's data/locomo10.json")
    parser.add_argument("--conversations", type=_numbers, default=[],
                        help="which of the ten, e.g. 0,3 (default: all)")  # fmt: skip
    parser.add_argument("--days", type=int, default=0, help="sessions of each (default: all)")
    parser.add_argument("--learn", action="store_true",
                        help="the embedded model learns facts, as by default (slow)")  # fmt: skip
    parser.add_argument("--people", type=int, default=1_000_000)
    parser.add_argument("--exchanges-a-day", type=float, default=0.0,
                        help="assumed; 0 (the default) takes the sessions' own mean")  # fmt: skip
    parser.add_argument("--peak", type=float, default=3.0, help="assumed peak-to-mean ratio")
    parser.add_argument("--gpu-prefill", type=float, default=40_000.0,
                        help="assumed prompt tokens/s of one GPU, batched")  # fmt: skip
    parser.add_argument("--gpu-decode", type=float, default=2_000.0,
                        help="assumed generated tokens/s of one GPU, batched")  # fmt: skip
    parser.add_argument("--cpu-prefill", type=float, default=0.0,
                        help="prompt tokens/s here (default: llm_overhead.py's run)")  # fmt: skip
    parser.add_argument("--cpu-decode", type=float, default=0.0,
                        help="generated tokens/s here (default: the same)")  # fmt: skip
    parser.add_argument("--scale-result", type=Path, default=FOLDER / "scale-ws-2000-80.json")
    parser.add_argument("--data-dir", type=Path, default=None, help="where the home is made")
    parser.add_argument("--no-save", action="store_true", help="leave bench/results as it is")
    args = parser.parse_args()
    if not args.locomo.is_file():
        parser.error(f"{args.locomo} is not a file: give the path of LoCoMo's locomo10.json")
    if args.days < 0 or any(not 0 <= n <= 9 for n in args.conversations):
        parser.error("--days cannot be negative, and the conversations are 0-9")
    return args


def main() -> None:
    args = parse()
    run = asyncio.run(live(args))
    if not run["exchanges"]:
        raise SystemExit("No exchange was lived: is this LoCoMo's locomo10.json?")
    figures = project(run, args)
    show(figures)
    if not args.no_save:
        saved = save(
            "capacity", {"settings": {k: str(v) for k, v in vars(args).items()}, **figures}
        )
        console.print(f"saved {saved}")


if __name__ == "__main__":
    main()
