"""The library: how fast a shelf of real books goes in, how fast it is searched, and
how much memory that takes, against a raw bulk insert into the same engine.

- Ingest: ``os1 library add DIR --json`` in a new process and a new home, the way a
  person meets it first. The baseline, in the same run and also in a new process: the
  same files read as UTF-8 and cut every 1,200 characters, straight into a tantivy index
  of os1's own schema and writer settings: no repair, no passages, no shelf, no kept
  text. MB/s of each (bytes of the files), and the ratio.
- Meanings: the same add then works out every passage's static embedding (the semantic
  layer, ``skills.library.meanings``); its seconds are reported apart from the words'.
- Memory: the peak resident set of each process (the kernel's ``ru_maxrss``).
- Search, through the core API (``Library.search``, 10 passages) in a warm process, over
  a mixed query set drawn from the books themselves with a fixed seed: rare words,
  common words, quoted phrases, and long questions in everyday wording. p50 and p99 of
  each kind and of all; and the first search in a new process (``os1 library search``,
  start-up included), the cold path.
- Other words: the local model is shown passages drawn from the books (seeded) and asked
  for a question each one answers, in other words than the passage's. Each question is
  searched by words alone and by words and meaning, and the passage it came from is
  looked for in the top 10 (and its book, a looser test).
- Ask: the real model answers questions made from sentences of the books, warm, and
  every quote is checked against the kept text; then the first question once more as
  ``os1 library ask`` in a new process (the model loaded, start-up included).

The headline run uses Project Gutenberg's books: the ``rcdm-uga/Gutenberg_Text``
repository (3,381 books, 1.22 GB), read from where you put it and never committed.

Run: .venv/bin/python bench/library.py DIR [--queries 50] [--other-words 50] [--ask 50]
[--quick]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from figures import save
from os1.stopwords import STOPWORDS

ROOT = Path(__file__).resolve().parents[1]
RAW_CHUNK = 1200  # characters a baseline document holds: about os1's passage length
_WORD = re.compile(r"[a-z]{3,}")
QUESTION_STARTS = ("what does the book say about", "where is there talk of",
                   "tell me about", "what happens when")  # fmt: skip


def _run_measured(argv: list[str], env: dict[str, str] | None = None) -> tuple[str, float, int]:
    """Run ``argv``; its stdout, wall seconds and peak memory in MB (its own, measured
    by the kernel as it is reaped)."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        began = time.perf_counter()
        child = subprocess.Popen(argv, stdout=out, stderr=err, env=env)
        _, status, usage = os.wait4(child.pid, 0)
        seconds = time.perf_counter() - began
        child.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        if child.returncode:
            raise SystemExit(f"{argv[:4]} failed:\n{err.read().decode()[-3000:]}")
        return out.read().decode(), seconds, usage.ru_maxrss // 1024


def raw_bulk(folder: Path, index_dir: Path) -> dict[str, Any]:
    """The baseline, run in its own process: the files straight into the engine."""
    import tantivy

    from os1.skills.library.index import WRITER_HEAP, WRITER_THREADS, _schema

    index = tantivy.Index(_schema(), path=str(index_dir))
    writer = index.writer(WRITER_HEAP, WRITER_THREADS)
    began = time.perf_counter()
    size = 0
    for book, path in enumerate(sorted(folder.rglob("*.txt"))):
        data = path.read_bytes()
        size += len(data)
        text = data.decode("utf-8", errors="replace")
        for start in range(0, len(text), RAW_CHUNK):
            doc = tantivy.Document()
            doc.add_integer("book", book)
            for field in ("start", "byte_start"):
                doc.add_integer(field, start)
            for field in ("end", "byte_end"):
                doc.add_integer(field, start + RAW_CHUNK)
            doc.add_text("chapter", "")
            doc.add_text("text", text[start : start + RAW_CHUNK])
            writer.add_document(doc)
    writer.commit()
    writer.wait_merging_threads()
    return {"bytes": size, "seconds": time.perf_counter() - began}


def ingest(folder: Path, home: Path) -> dict[str, Any]:
    """Both ingests, each in a new process; os1's in a new home."""
    with tempfile.TemporaryDirectory() as raw_dir:
        out, _, raw_peak = _run_measured(
            [sys.executable, __file__, "--raw", str(folder), "--index", raw_dir]
        )
    raw = json.loads(out)
    env = {**os.environ, "OS1_HOME": str(home), "OS1_EMBEDDERS": "static"}
    out, wall, os1_peak = _run_measured(
        [str(ROOT / ".venv/bin/os1"), "library", "add", str(folder), "--json"], env
    )
    report = json.loads(out)
    codes: dict[str, int] = {}
    for skipped in report["skipped"]:
        codes[skipped["code"]] = codes.get(skipped["code"], 0) + 1
    raw_mb_s = raw["bytes"] / 1e6 / raw["seconds"]
    return {
        "files_mb": round(report["bytes"] / 1e6, 1),
        "books_added": len(report["added"]),
        "left_out": codes,
        "passages": sum(a["passages"] for a in report["added"]),
        "os1_mb_s": round(report["mb_per_s"], 1),
        "os1_seconds": round(report["seconds"], 1),
        "os1_process_seconds": round(wall, 1),
        "meaning_books": report["understood"],
        "meaning_seconds": round(report["meaning_seconds"], 1),
        "meaning_mb_s": round(report["bytes"] / 1e6 / max(report["meaning_seconds"], 1e-9), 1),
        "raw_mb_s": round(raw_mb_s, 1),
        "raw_seconds": round(raw["seconds"], 1),
        "ratio": round(report["mb_per_s"] / raw_mb_s, 2),
        "os1_peak_mb": os1_peak,
        "raw_peak_mb": raw_peak,
        "index_mb": round(_size(home / "library") / 1e6),
    }


def _size(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def queries(home: Path, per_kind: int, seed: int = 7) -> dict[str, list[str]]:
    """A mixed query set from the kept books (seeded): rare and common words by how
    many passages hold them, phrases as they stand, questions in everyday wording."""
    import tantivy

    from os1.skills.library.index import _schema

    rng = random.Random(seed)
    index = tantivy.Index.open(str(next((home / "library").glob("*/index"))))
    searcher = index.searcher()
    passages = searcher.num_docs
    books = sorted((home / "library").glob("*/books/*.txt"))
    rng.shuffle(books)
    kinds: dict[str, list[str]] = {"rare word": [], "common words": [], "phrase": [],
                                   "question": []}  # fmt: skip
    schema = _schema()
    for book in books:
        if all(len(v) >= per_kind for v in kinds.values()):
            break
        text = book.read_text(encoding="utf-8")
        if len(text) < 5000:
            continue
        at = rng.randrange(0, len(text) - 2000)
        words = _WORD.findall(text[at : at + 2000].lower())
        if len(words) < 40:
            continue

        def holding(word: str) -> int:
            term = tantivy.Query.term_query(schema, "text", word)
            return int(searcher.search(term, 1, count=True).count)  # type: ignore[attr-defined]

        rare = [w for w in words if len(w) >= 7 and holding(w) <= max(3, passages * 2e-5)]
        common = [w for w in words if holding(w) > passages * 0.05]
        if rare and len(kinds["rare word"]) < per_kind:
            kinds["rare word"].append(rng.choice(rare))
        if len(common) >= 2 and len(kinds["common words"]) < per_kind:
            kinds["common words"].append(" ".join(rng.sample(common, 2)))
        if len(kinds["phrase"]) < per_kind:
            start = rng.randrange(0, len(words) - 4)
            kinds["phrase"].append('"' + " ".join(words[start : start + 4]) + '"')
        if len(kinds["question"]) < per_kind:
            start = rng.randrange(0, len(words) - 8)
            about = " ".join(words[start : start + 6])
            kinds["question"].append(f"{rng.choice(QUESTION_STARTS)} {about}")
    del index
    return kinds


async def _timed_searches(home: Path, kinds: dict[str, list[str]]) -> dict[str, list[float]]:
    from os1.companion import Companion
    from os1.config import load_settings

    settings = load_settings({"home": home, "embedders": "static"})
    companion = await Companion.open(settings)
    try:
        await companion.library.search("me", "warm up")
        await companion.library.search("me", "what does the book say about the long winter")
        times: dict[str, list[float]] = {}
        for kind, asked in kinds.items():
            for query in asked:
                began = time.perf_counter()
                await companion.library.search("me", query, 10)
                times.setdefault(kind, []).append((time.perf_counter() - began) * 1000)
        return times
    finally:
        await companion.aclose()


def _p(values: list[float], share: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(share * len(ordered)))], 2)


def search(home: Path, per_kind: int) -> dict[str, Any]:
    kinds = queries(home, per_kind)
    times = asyncio.run(_timed_searches(home, kinds))
    env = {**os.environ, "OS1_HOME": str(home), "OS1_EMBEDDERS": "static"}
    _, cold, _ = _run_measured(
        [str(ROOT / ".venv/bin/os1"), "library", "search", kinds["phrase"][0], "--json"], env
    )
    _, cold_meaning, _ = _run_measured(
        [str(ROOT / ".venv/bin/os1"), "library", "search", kinds["question"][0], "--json"], env
    )
    every = [t for ts in times.values() for t in ts]
    figures: dict[str, Any] = {
        kind: {"n": len(ts), "p50_ms": _p(ts, 0.5), "p99_ms": _p(ts, 0.99)}
        for kind, ts in times.items()
    }
    figures["all"] = {"n": len(every), "p50_ms": _p(every, 0.5), "p99_ms": _p(every, 0.99),
                      "mean_ms": round(statistics.mean(every), 2)}  # fmt: skip
    figures["first_search_new_process_s"] = round(cold, 2)
    figures["first_question_new_process_s"] = round(cold_meaning, 2)
    figures["examples"] = {kind: asked[:3] for kind, asked in kinds.items()}
    return figures


PARAPHRASE = (
    "Here is a passage from a book. Write one short question (at most 15 words) that "
    "this passage answers, the way a reader who half remembers it would ask. Use your "
    "own everyday words: do not copy names or unusual words from the passage.\n\n"
)


async def _other_words(home: Path, count: int, seed: int = 13) -> dict[str, Any]:
    """Questions in other words than the passage's, by words alone and with meaning."""
    from os1.companion import Companion
    from os1.config import load_settings
    from os1.models.base import ChatMessage, GenerationOptions, complete_json
    from os1.skills.library.index import PassageIndex

    companion = await Companion.start(load_settings({"home": home, "embedders": "static"}),
                                      local=True, warm=False)  # fmt: skip
    rng = random.Random(seed)
    books = sorted((home / "library").glob("*/books/*.txt"))
    rng.shuffle(books)
    index = PassageIndex(next((home / "library").glob("*/index")))
    schema = {"type": "object", "properties": {"question": {"type": "string", "maxLength": 160}},
              "required": ["question"], "additionalProperties": False}  # fmt: skip
    found = {"words": [0, 0], "words and meaning": [0, 0]}  # passage, book in the top 10
    examples, asked = [], 0
    try:
        for book in books:
            if asked >= count:
                break
            text = book.read_text(encoding="utf-8")
            passages = index.of_book(int(book.stem), 100_000)
            long = [p for p in passages if len(text[p.start : p.end].split()) >= 60]
            if not long:
                continue
            source = rng.choice(sorted(long, key=lambda p: p.start))
            shown = " ".join(text[source.start : source.end].split())
            reply = await complete_json(
                companion.llm,
                [ChatMessage("user", PARAPHRASE + shown)],
                schema,
                GenerationOptions(max_tokens=60, temperature=0.0),
            )
            question = str(reply.get("question", "")).strip()
            if len(question.split()) < 4:
                continue
            asked += 1
            if len(examples) < 3:
                examples.append(question)
            for way, meaning in (("words", False), ("words and meaning", True)):
                top = await companion.library.search("me", question, 10, by_meaning=meaning)
                found[way][0] += any((h.book, h.start) == (source.book, source.start) for h in top)
                found[way][1] += any(h.book == source.book for h in top)
    finally:
        await companion.aclose()
    return {
        "questions": asked,
        **{f"{way}_passage_at_10": n[0] for way, n in found.items()},
        **{f"{way}_book_at_10": n[1] for way, n in found.items()},
        "examples": examples,
    }


def ask_questions(home: Path, count: int, seed: int = 11) -> list[tuple[str, str]]:
    """``count`` questions from sentences of the kept books (seeded), each with the
    title of the book it came from: "What does the book say about <its words>?"."""
    rng = random.Random(seed)
    books = sorted((home / "library").glob("*/books/*.txt"))
    rng.shuffle(books)
    asked: list[tuple[str, str]] = []
    for book in books:
        if len(asked) >= count:
            break
        text = book.read_text(encoding="utf-8")
        if len(text) < 5000:
            continue
        at = rng.randrange(0, len(text) - 3000)
        sentences = [s for s in re.split(r"(?<=[.!?])\s+", text[at : at + 3000])
                     if 8 <= len(s.split()) <= 30]  # fmt: skip
        if not sentences:
            continue
        words = [w for w in _WORD.findall(rng.choice(sentences).lower()) if w not in STOPWORDS]
        if len(words) >= 3:
            asked.append((f"What does the book say about {' '.join(words[:5])}?", book.stem))
    return asked


async def _timed_asks(home: Path, asked: list[tuple[str, str]]) -> dict[str, Any]:
    from os1.companion import Companion
    from os1.config import load_settings

    companion = await Companion.start(load_settings({"home": home}), local=True, warm=False)
    try:
        await companion.library.ask("me", "What does the book say about the sea?")  # warm
        seconds, quotes, verbatim, known, unverified, same_book = [], 0, 0, 0, 0, 0
        for question, book in asked:
            began = time.perf_counter()
            answer = await companion.library.ask("me", question)
            seconds.append(time.perf_counter() - began)
            known += answer.known
            unverified += answer.unverified
            same_book += any(str(q.book) == book for q in answer.shown)
            for quote in answer.quotes:
                kept = await companion.library.text("me", quote.book, quote.start, quote.end)
                quotes += 1
                verbatim += kept == quote.text
        return {
            "questions": len(asked),
            "answered": known,
            "quotes": quotes,
            "quotes_verbatim": verbatim,
            "quotations_in_answers_not_found": unverified,
            "source_book_among_passages": same_book,
            "p50_s": _p(seconds, 0.5),
            "p90_s": _p(seconds, 0.9),
            "max_s": round(max(seconds), 2) if seconds else 0.0,
            "examples": [q for q, _ in asked[:3]],
        }
    finally:
        await companion.aclose()


def cold_ask(home: Path, question: str) -> float:
    """Seconds of ``os1 library ask QUESTION --json`` in a new process: the local model
    loaded, the library opened, the passages read, the answer written."""
    env = {**os.environ, "OS1_HOME": str(home)}
    argv = [str(ROOT / ".venv/bin/os1"), "library", "ask", question, "--json"]
    _, seconds, _ = _run_measured(argv, env)
    return round(seconds, 2)


def show(figures: dict[str, Any]) -> None:
    console = Console(width=100)
    got = figures["ingest"]
    table = Table(title=f"Ingest: {got['files_mb']} MB of books, each in a new process")
    for column in ("", "MB/s", "seconds", "peak MB"):
        table.add_column(column, justify="right")
    table.add_row("os1 library add", str(got["os1_mb_s"]), str(got["os1_seconds"]),
                  str(got["os1_peak_mb"]))  # fmt: skip
    table.add_row("raw bulk insert, same engine", str(got["raw_mb_s"]), str(got["raw_seconds"]),
                  str(got["raw_peak_mb"]))  # fmt: skip
    console.print(table)
    console.print(
        f"ratio os1/raw {got['ratio']} (target >= 0.7); target >= 40 MB/s; "
        f"{got['books_added']} books, {got['passages']:,} passages, left out {got['left_out']}; "
        f"index and kept text {got['index_mb']} MB; whole process {got['os1_process_seconds']} s"
    )
    console.print(
        f"then the meanings of {got['meaning_books']} books in {got['meaning_seconds']} s "
        f"({got['meaning_mb_s']} MB/s of files), in the same process and peak"
    )
    table = Table(title="Search (10 passages, warm process)")
    for column in ("queries", "n", "p50 ms", "p99 ms"):
        table.add_column(column, justify="right")
    for kind, row in figures["search"].items():
        if isinstance(row, dict) and "p50_ms" in row:
            table.add_row(kind, str(row["n"]), str(row["p50_ms"]), str(row["p99_ms"]))
    console.print(table)
    console.print(
        f"targets p50 <= 5 ms, p99 <= 50 ms; first search in a new process "
        f"{figures['search']['first_search_new_process_s']} s, first question (by meaning "
        f"too) {figures['search']['first_question_new_process_s']} s (start-up included)"
    )
    other = figures.get("other_words")
    if other:
        n = other["questions"]
        console.print(
            f"questions in other words (local model, {n}): the passage in the top 10 by words "
            f"{other['words_passage_at_10']}/{n}, by words and meaning "
            f"{other['words and meaning_passage_at_10']}/{n}; its book "
            f"{other['words_book_at_10']}/{n} and {other['words and meaning_book_at_10']}/{n}"
        )
    asks = figures.get("ask")
    if asks:
        console.print(
            f"ask (real model, warm): {asks['questions']} questions, {asks['answered']} "
            f"answered; quotes verbatim {asks['quotes_verbatim']}/{asks['quotes']} "
            f"(target all); quotations in answers not found "
            f"{asks['quotations_in_answers_not_found']}; the question's own book among "
            f"the passages read {asks['source_book_among_passages']}/{asks['questions']}; "
            f"time p50 "
            f"{asks['p50_s']} s, p90 {asks['p90_s']} s, max {asks['max_s']} s (target <= 10 s); "
            f"the first in a new process {asks['first_ask_new_process_s']} s (start-up included)"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("folder", type=Path, help="a folder of books (.txt), e.g. Gutenberg_Text")
    parser.add_argument("--queries", type=int, default=50, help="of each kind")
    parser.add_argument("--ask", type=int, default=50, help="questions to the model (0: none)")
    parser.add_argument("--other-words", type=int, default=50,
                        help="questions in other words, by the model (0: none)")  # fmt: skip
    parser.add_argument("--quick", action="store_true", help="5 queries a kind; not saved")
    parser.add_argument("--raw", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--index", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if not args.folder.is_dir():
        raise SystemExit(f"{args.folder} is not a folder of books")
    if args.raw:
        print(json.dumps(raw_bulk(args.folder, args.index)))
        return
    with tempfile.TemporaryDirectory() as home_dir:
        home = Path(home_dir)
        figures: dict[str, Any] = {"ingest": ingest(args.folder, home)}
        figures["search"] = search(home, 5 if args.quick else args.queries)
        asks = min(args.ask, 2) if args.quick else args.ask
        if args.other_words:
            figures["other_words"] = asyncio.run(
                _other_words(home, 3 if args.quick else args.other_words)
            )
        if asks:
            asked = ask_questions(home, asks)
            figures["ask"] = asyncio.run(_timed_asks(home, asked))
            figures["ask"]["first_ask_new_process_s"] = cold_ask(home, asked[0][0])
    figures["corpus"] = args.folder.name
    show(figures)
    if not args.quick:
        print(f"saved: {save('library', figures)}")


if __name__ == "__main__":
    main()
