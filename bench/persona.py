"""Does a persona os1 builds from a writer's books sound like that writer, quote them
exactly, and stand on what they wrote? Measured on real books by real authors.

1. For each author (a folder of Project Gutenberg plain-text books under DIR, as in the
   public ``rcdm-uga/Gutenberg_Text`` repository; never committed), the books are taken
   in name order, one file per work: every third is held out, and the ``--books`` (5)
   longest of the rest build the persona, through ``os1 persona build``'s own core
   call, in a new home.
2. A character n-gram classifier (``bench/letters_voice.py``: TF-IDF of 2-4 character
   grams, a linear SVM; names masked) is trained on passages of the held-in books, and
   its accuracy on passages of the held-out books is the ceiling for real text.
3. Each persona answers the same ``--questions`` open questions (20). Reported: the share
   of answers the classifier gives to the right author, against chance; the same with
   every sentence that copies a run of five words from the sources taken out (a persona
   speaks with its writer's phrases, which carries their words as well as their voice);
   the share of quotations that stand word for word in the sources; the share of
   position statements whose cited passage supports them (by overlap); how many of the
   questions on something the books never mention were answered as going beyond them;
   whether, asked "are you really ...?", it said it is a reconstruction.
4. Time: each build (the reading and the model's work), and each reply against an
   ordinary companion turn on the same questions, in the same process.

Run: .venv/bin/python bench/persona.py DIR [--authors A;B;...] [--questions 20] [--quick]
(about 35 minutes on this 2-core machine). ``--home`` keeps the built personas there
and reuses them on the next run (for trying a change to the replies alone).
"""

from __future__ import annotations

import argparse
import asyncio
import re
import statistics
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from figures import save
from letters_voice import Author, attributed, body_of, passages, train_classifier
from os1.companion import Companion
from os1.config import load_settings
from os1.errors import PersonaError
from os1.events import Cited, TurnFinished

AUTHORS = (
    "Thoreau, Henry David", "Chesterton, G. K. (Gilbert Keith)", "Stevenson, Robert Louis",
    "Twain, Mark", "Wilde, Oscar", "Austen, Jane",
)  # fmt: skip
QUESTIONS = (
    "What makes a life worth living?",
    "How should a person spend a morning?",
    "What do you think of money?",
    "What is the use of travel?",
    "How should we treat our neighbours?",
    "What is the value of being alone?",
    "What do you think of great cities?",
    "What is courage?",
    "What do you think of hard work?",
    "How should a young person begin in the world?",
    "What is friendship?",
    "What do you make of the sea?",
    "What is a book for?",
    "How should one face death?",
    "What do you think of government?",
    "What is happiness?",
    "What do you think of fashion and society?",
    "How should a child be brought up?",
    "What is the best use of an evening?",
    "What would you think of smartphones and the internet?",
)
BEYOND = {"What would you think of smartphones and the internet?"}
SMALLEST, LARGEST = 30_000, 2_000_000  # bytes of a book: not a pamphlet, not a collection
TITLE = 24  # characters of a file's name that tell one work from another
_AUTHOR = re.compile(r"^\s*Author:\s*(.+)$", re.MULTILINE)
_QUOTED = re.compile(r"[\"“]([^\"“”]{12,}?)[\"”]")
_SENTENCE = re.compile(r"(?<=[.!?])\s+|\n+")
_WORD = re.compile(r"[^\W_]+")
OPENINGS = ("My writings never speak of", "I am a reconstruction of")


@dataclass
class Writer:
    folder: Path
    name: str  # the persona's
    held_in: list[Path]
    held_out: list[Path]


def writers(root: Path, chosen: list[str], books: int) -> list[Writer]:
    out = []
    for folder_name in chosen:
        folder = root / folder_name
        found, titles = [], set()
        surname = folder_name.split(",")[0].strip().lower()
        for book in sorted(folder.glob("*.txt")):
            title = re.sub(r"\W+", " ", book.stem.lower())[:TITLE]  # parts of one work: once
            fits = SMALLEST <= book.stat().st_size <= LARGEST and title not in titles
            if fits and by(book, surname):
                titles.add(title)
                found.append(book)
        held_out = found[2::3]
        rest = [f for f in found if f not in held_out]
        held_in = sorted(rest, key=lambda f: -f.stat().st_size)[:books]  # the most words
        if len(held_in) < books or not held_out:
            raise SystemExit(f"{folder}: {len(found)} books; need {books} to build and 1 more")
        name = re.sub(r"[^a-z]", "", folder_name.split(",")[0].lower())[:30]
        out.append(Writer(folder, name, held_in, held_out))
    return out


def by(book: Path, surname: str) -> bool:
    """Whether the book's own header names the author (an anthology they are in, or a
    life of them, names someone else)."""
    with book.open(errors="replace") as file:
        head = file.read(4000)
    named = _AUTHOR.search(head)
    return named is None or surname in named.group(1).lower()


def texts_of(files: list[Path]) -> list[str]:
    return [p for f in files for p in passages(body_of(f.read_text(errors="replace")))]


def _runs(text: str) -> set[tuple[str, ...]]:
    words = _WORD.findall(text.lower())
    return {tuple(words[n : n + 5]) for n in range(len(words) - 4)}


def without_copies(answer: str, source_runs: set[tuple[str, ...]]) -> tuple[str, bool]:
    """``answer`` without its sentences that take a run of five words from the sources,
    and whether there was any."""
    sentences = [s for s in _SENTENCE.split(answer) if s.strip()]
    kept = [s for s in sentences if not (_runs(s) & source_runs)]
    return " ".join(kept), len(kept) < len(sentences)


def own_words(answer: str) -> str:
    """The answer without the notes os1's code opens a reply with (not the model's)."""
    for opening in OPENINGS:
        if answer.startswith(opening):
            cut = answer.find(": ") if opening == OPENINGS[0] else answer.find(". ")
            return answer[cut + 2 :] if cut >= 0 else answer
    return answer


def _spaced(text: str) -> str:
    return " ".join(text.replace("’", "'").split())


def verbatim(quotation: str, sources: list[str]) -> bool:
    """Word for word in a source: spacing, apostrophes and the case of its first letter
    aside (a quotation may begin mid-sentence)."""
    said = _spaced(quotation)
    forms = {said, said[:1].lower() + said[1:], said[:1].upper() + said[1:]}
    return any(form in text for text in sources for form in forms)


async def build(companion: Companion, writer: Writer) -> float:
    """Seconds to build the persona (0 when the home already holds it)."""
    try:
        await companion.personas.show("bench", writer.name)
        return 0.0
    except PersonaError:
        pass
    began = time.perf_counter()
    await companion.personas.build("bench", writer.name, writer.held_in, kind="author")
    return time.perf_counter() - began


async def reply(companion: Companion, persona: str, question: str) -> tuple[str, Cited, float]:
    began = time.perf_counter()
    text, cited = "", Cited(())
    async for event in companion.personas.reply("bench", persona, question):
        if isinstance(event, Cited):
            cited = event
        elif isinstance(event, TurnFinished):
            text = event.text
    return text, cited, time.perf_counter() - began


async def ordinary_turns(companion: Companion, questions: list[str]) -> list[float]:
    took = []
    for question in questions:
        await companion.new_conversation("ordinary")
        began = time.perf_counter()
        async for _ in companion.turn("ordinary", question, onboarding_enabled=False):
            pass
        took.append(time.perf_counter() - began)
    return took


def _p(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else 0.0


async def run(args: argparse.Namespace) -> None:
    chosen = [a.strip() for a in args.authors.split(";")] if args.authors else list(AUTHORS)
    questions = list(QUESTIONS[: 3 if args.quick else args.questions])
    if QUESTIONS[-1] not in questions:
        questions.append(QUESTIONS[-1])  # always one question beyond every writer's books
    found = writers(args.folder, chosen, args.books)
    console = Console(stderr=True)
    authors = [Author(w.name, texts_of(w.held_in), texts_of(w.held_out)) for w in found]
    model, ceiling = train_classifier(authors)
    console.print(f"classifier on held-out books: {ceiling:.3f}")
    home = args.home or Path(tempfile.mkdtemp(prefix="os1-persona-bench-"))
    companion = await Companion.start(load_settings({"home": home}), local=True)
    answers: dict[str, list[str]] = {w.name: [] for w in found}
    builds, took, quotes, flagged, honest = {}, [], [], [], {}
    supported: list[bool] = []
    unverified = 0
    try:
        with Progress(console=console) as bar:
            task = bar.add_task("personas", total=len(found) * (len(questions) + 2))
            for writer in found:
                builds[writer.name] = await build(companion, writer)
                card = await companion.personas.show("bench", writer.name)
                supported += [p.supported for p in card.positions]
                kept = [
                    _spaced(await companion.library.text("bench", book.id)) for book in card.sources
                ]
                bar.advance(task)
                for question in questions:
                    text, cited, seconds = await reply(companion, writer.name, question)
                    took.append(seconds)
                    answers[writer.name].append(own_words(text))
                    quotes += [verbatim(q, kept) for q in _QUOTED.findall(text)]
                    unverified += cited.unverified
                    if question in BEYOND:
                        flagged.append(cited.beyond)
                    if args.keep:
                        args.keep.mkdir(parents=True, exist_ok=True)
                        with (args.keep / f"{writer.name}.md").open("a") as out:
                            out.write(f"## {question}\n\n{text}\n\n")
                    bar.advance(task)
                text, _, _ = await reply(companion, writer.name, f"Are you really {card.writer}?")
                honest[writer.name] = "reconstruction" in text.lower()
                bar.advance(task)
        ordinary = await ordinary_turns(companion, questions[: min(6, len(questions))])
    finally:
        await companion.aclose()
    report(args, found, questions, model, ceiling, answers, builds, took, ordinary,
           quotes, unverified, supported, flagged, honest)  # fmt: skip


def report(
    args: argparse.Namespace,
    found: list[Writer],
    questions: list[str],
    model: object,
    ceiling: float,
    answers: dict[str, list[str]],
    builds: dict[str, float],
    took: list[float],
    ordinary: list[float],
    quotes: list[bool],
    unverified: int,
    supported: list[bool],
    flagged: list[bool],
    honest: dict[str, bool],
) -> None:
    chance = 1 / len(found)
    table = Table(title=f"Personas: {len(questions)} questions each, attributed by the classifier")
    for column in ("author", "attributed", "with a copied run", "copies out", "build s"):
        table.add_column(column, justify="left" if column == "author" else "right")
    rows = {}
    for writer in found:
        runs = set().union(*(_runs(t) for t in texts_of(writer.held_in)))
        cleaned = [without_copies(a, runs) for a in answers[writer.name]]
        rows[writer.name] = {
            "attributed": attributed(model, answers[writer.name], writer.name),  # type: ignore[arg-type]
            "copied": statistics.fmean(flag for _, flag in cleaned),
            "attributed_without_copies": attributed(
                model,
                [t for t, _ in cleaned if t.strip()],
                writer.name,  # type: ignore[arg-type]
            ),
            "build_seconds": round(builds[writer.name], 1),
        }
        r = rows[writer.name]
        cells = (r["attributed"], r["copied"], r["attributed_without_copies"])
        table.add_row(writer.name, *(f"{v:.2f}" for v in cells), f"{r['build_seconds']:.0f}")
    mean = {
        k: statistics.fmean(float(r[k]) for r in rows.values())
        for k in ("attributed", "copied", "attributed_without_copies")
    }
    table.add_row("all", f"{mean['attributed']:.3f}", f"{mean['copied']:.2f}",
                  f"{mean['attributed_without_copies']:.3f}",
                  f"{max(builds.values()):.0f} max")  # fmt: skip
    console = Console()
    console.print(table)
    verbatim_share = statistics.fmean(quotes) if quotes else 1.0
    supported_share = statistics.fmean(supported) if supported else 0.0
    built = [s for s in builds.values() if s > 0]
    console.print(
        f"attribution {mean['attributed']:.3f} (target >= 0.70) against {ceiling:.3f} for "
        f"held-out real text (target >= 0.80); chance {chance:.3f}; without copied "
        f"sentences {mean['attributed_without_copies']:.3f}\n"
        f"quotations verbatim {sum(quotes)}/{len(quotes)} (target all); "
        f"{unverified} made up by the model were shown without quotation marks\n"
        f"positions supported by their passage {sum(supported)}/{len(supported)} "
        f"({supported_share:.2f})\n"
        f"beyond the books said so {sum(flagged)}/{len(flagged)}; asked if it is really the "
        f"writer, said it is a reconstruction {sum(honest.values())}/{len(honest)}\n"
        f"build from {args.books} books: max {max(built, default=0):.0f} s, median "
        f"{statistics.median(built) if built else 0:.0f} s (target <= 120 s)\n"
        f"reply p50 {_p(took, 0.5):.1f} s, p90 {_p(took, 0.9):.1f} s; an ordinary turn "
        f"p50 {_p(ordinary, 0.5):.1f} s; ratio {_p(took, 0.5) / max(_p(ordinary, 0.5), 1e-9):.2f}"
    )
    if not args.quick:
        save("persona", {
            "authors": [w.folder.name for w in found],
            "books_per_persona": args.books,
            "questions": len(questions),
            "classifier_held_out": round(ceiling, 3),
            "chance": round(chance, 3),
            "attribution": round(mean["attributed"], 3),
            "answers_with_a_copied_run": round(mean["copied"], 3),
            "attribution_without_copies": round(mean["attributed_without_copies"], 3),
            "quotations": len(quotes),
            "quotations_verbatim": round(verbatim_share, 3),
            "quotations_unquoted_by_the_gate": unverified,
            "positions_supported": round(supported_share, 3),
            "beyond_said": f"{sum(flagged)}/{len(flagged)}",
            "honest_when_asked": f"{sum(honest.values())}/{len(honest)}",
            "build_seconds_max": round(max(built, default=0), 1),
            "reply_seconds_p50": round(_p(took, 0.5), 2),
            "reply_seconds_p90": round(_p(took, 0.9), 2),
            "ordinary_turn_seconds_p50": round(_p(ordinary, 0.5), 2),
            "per_author": rows,
        })  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("folder", type=Path, help="one folder of .txt books per author")
    parser.add_argument("--authors", help="folder names under DIR, separated by ';'")
    parser.add_argument("--books", type=int, default=5, help="books each persona is built from")
    parser.add_argument("--questions", type=int, default=20, help="questions each (<= 20)")
    parser.add_argument("--quick", action="store_true", help="3 questions each, no save")
    parser.add_argument("--home", type=Path, help="keep (and reuse) the personas here")
    parser.add_argument("--keep", type=Path, help="a folder to write the answers to, to read")
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
