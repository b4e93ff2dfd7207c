"""Which local embedder should os1 use: the numpy MiniLM or its static distillation?

Both routes run in one process on the same generated retrieval task. The task is the kind
of recall os1 does: a few hundred remembered facts about a person's life (people, pets,
places, hobbies, plans, work, food, birthdays), each asked about in different words
("Anna moved to Lisbon" / "Which city does Anna live in now?"), among distractor notes
that mention the same names. Every name appears in several facts and every topic for many
names, so a passage is found only by matching both who and what.

Printed per route: sentences/s (batches of 64, from one calling thread, as the worker
thread will call it), load time (for static: distillation the first time, then the
cached load), RSS growth, and recall@1 / recall@5 of cosine retrieval; then a one-line
recommendation drawn from those figures.

Run: .venv/bin/python bench/embeddings.py [--seed 7] [--pairs 300] [--json]
(the static table is distilled into a temporary cache dir, so the first-run cost is shown)
"""

from __future__ import annotations

import argparse
import gc
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
from rich.console import Console
from rich.table import Table

from os1.models.embed import EMBEDDERS, Embedder, embedder_from

NAMES = (
    "Anna", "Ben", "Carla", "David", "Elena", "Farid", "Grace", "Hugo", "Ines", "Jonas",
    "Kira", "Liam", "Maya", "Noah", "Olga", "Pedro", "Quinn", "Rosa", "Sam", "Tara",
    "Umar", "Vera", "Will", "Xenia", "Yusuf", "Zoe", "Marco", "Lena", "Omar", "Priya",
    "Tom", "Nina", "Felix", "Clara", "Ivan", "Sofia", "Leo", "Hannah", "Raj", "Emma",
)  # fmt: skip
RELATIONS = ("sister", "brother", "friend", "coworker", "neighbour", "cousin", "aunt", "uncle")
CITIES = (
    "Lisbon", "Berlin", "Tokyo", "Toronto", "Nairobi", "Oslo", "Madrid", "Seoul", "Dublin",
    "Lima", "Vienna", "Cairo", "Sydney", "Prague", "Chicago", "Mumbai",
)  # fmt: skip
# (kind as stated, kind as asked about)
PETS = (
    ("dog", "puppy"), ("cat", "kitten"), ("rabbit", "bunny"), ("parrot", "bird"),
    ("horse", "pony"), ("hamster", "little rodent"), ("turtle", "tortoise"),
)  # fmt: skip
PET_NAMES = ("Biscuit", "Luna", "Pepper", "Max", "Mochi", "Rex", "Daisy", "Ziggy", "Olive")
# (hobby as stated, a question about it)
HOBBIES = (
    ("playing the cello", "Which instrument does {n} play?"),
    ("learning the piano", "Which instrument is {n} practising?"),
    ("rock climbing at the gym", "Which sport is {n} into?"),
    ("running marathons", "Does {n} do any sport?"),
    ("painting watercolours", "What kind of art does {n} make?"),
    ("knitting scarves", "What does {n} make with wool?"),
    ("baking sourdough bread", "What does {n} like to cook?"),
    ("growing tomatoes", "What vegetables does {n} grow in the garden?"),
)
JOBS = (
    "a nurse at the children's hospital", "a teacher at a primary school",
    "a software engineer at a bank", "a chef in an Italian restaurant",
    "a pilot for a small airline", "an accountant at a law firm",
    "a carpenter building furniture", "a journalist at the local newspaper",
)  # fmt: skip
FOODS = ("peanuts", "shellfish", "gluten", "milk", "eggs", "strawberries")
MONTHS = (
    "January", "February", "March", "April", "May", "June", "July", "August",
    "September", "October", "November", "December",
)  # fmt: skip
CARS = ("red pickup truck", "small electric hatchback", "vintage motorbike", "camper van")
TRIPS = (
    "a hiking trip in the Alps", "a beach holiday in Greece", "a road trip along the coast",
    "a skiing weekend in Norway", "a camping trip by the lake", "a city break in Rome",
)  # fmt: skip

Fact = Callable[[random.Random, str], tuple[str, str]]  # (passage, query) about a name


def _home(rng: random.Random, n: str) -> tuple[str, str]:
    city, rel = rng.choice(CITIES), rng.choice(RELATIONS)
    passage = rng.choice(
        (
            f"My {rel} {n} moved to {city} last spring.",
            f"{n} packed everything up and relocated to {city} for good.",
            f"These days {n} has a flat in {city}.",
        )
    )
    query = rng.choice((f"Where does {n} live now?", f"Which city is {n} based in these days?"))
    return passage, query


def _pet(rng: random.Random, n: str) -> tuple[str, str]:
    (kind, asked), pet = rng.choice(PETS), rng.choice(PET_NAMES)
    passage = rng.choice(
        (
            f"{n} adopted a {kind} called {pet} from the shelter.",
            f"{n}'s new {kind} is named {pet}.",
        )
    )
    query = rng.choice((f"What is the name of {n}'s {asked}?", f"Does {n} have any animals?"))
    return passage, query


def _hobby(rng: random.Random, n: str) -> tuple[str, str]:
    hobby, asked = rng.choice(HOBBIES)
    passage = rng.choice(
        (
            f"{n} has been {hobby} every evening.",
            f"Lately {n} spends the weekends {hobby}.",
        )
    )
    query = rng.choice((asked.format(n=n), f"What does {n} do in their free time?"))
    return passage, query


def _plan(rng: random.Random, n: str) -> tuple[str, str]:
    trip, month = rng.choice(TRIPS), rng.choice(MONTHS)
    passage = rng.choice(
        (
            f"{n} and I are planning {trip} in {month}.",
            f"In {month} I'm going on {trip} with {n}.",
        )
    )
    query = rng.choice((f"When is my holiday with {n}?", f"What trip have I planned with {n}?"))
    return passage, query


def _job(rng: random.Random, n: str) -> tuple[str, str]:
    job = rng.choice(JOBS)
    passage = rng.choice((f"{n} started working as {job}.", f"{n} got hired as {job}."))
    query = rng.choice((f"What does {n} do for a living?", f"Where is {n} employed?"))
    return passage, query


def _food(rng: random.Random, n: str) -> tuple[str, str]:
    food = rng.choice(FOODS)
    passage = rng.choice(
        (f"{n} is allergic to {food}.", f"{n} gets really sick after eating {food}.")
    )
    query = rng.choice(
        (f"What food should I avoid when cooking for {n}?", f"Can {n} eat everything?")
    )
    return passage, query


def _birthday(rng: random.Random, n: str) -> tuple[str, str]:
    day, month = rng.randint(1, 28), rng.choice(MONTHS)
    passage = rng.choice(
        (f"{n}'s birthday is on {month} {day}.", f"{n} was born on the {day}th of {month}.")
    )
    query = rng.choice((f"When is {n}'s birthday?", f"What date should I wish {n} happy birthday?"))
    return passage, query


def _car(rng: random.Random, n: str) -> tuple[str, str]:
    car = rng.choice(CARS)
    passage = rng.choice(
        (f"{n} bought a second-hand {car}.", f"{n} swapped the old car for a {car}.")
    )
    query = rng.choice((f"What does {n} drive?", f"Which vehicle did {n} get?"))
    return passage, query


FACTS: tuple[Fact, ...] = (_home, _pet, _hobby, _plan, _job, _food, _birthday, _car)
DISTRACTORS = (
    "I had coffee with {n} on Tuesday morning.",
    "{n} called me yesterday but I missed it.",
    "I still owe {n} ten euros from the concert.",
    "{n} sent me a funny video about penguins.",
    "It rained the whole afternoon when I met {n}.",
    "{n} recommended a good book about history.",
    "I lent {n} my umbrella last week.",
    "{n} and I watched a football match on TV.",
)


@dataclass(frozen=True)
class Task:
    queries: list[str]
    passages: list[str]
    relevant: list[int]  # index into passages for each query


def build_task(seed: int, pairs: int) -> Task:
    """``pairs`` (query, passage) pairs, one per (name, topic), plus one distractor each."""
    rng = random.Random(seed)
    slots = [(name, fact) for name in NAMES for fact in FACTS]
    rng.shuffle(slots)
    queries: list[str] = []
    passages: list[str] = []
    relevant: list[int] = []
    for name, fact in slots[:pairs]:
        passage, query = fact(rng, name)
        relevant.append(len(passages))
        passages.append(passage)
        queries.append(query)
    passages += [rng.choice(DISTRACTORS).format(n=rng.choice(NAMES)) for _ in range(pairs)]
    return Task(queries, passages, relevant)


@dataclass(frozen=True)
class RouteResult:
    route: str
    first_load_s: float  # static: includes distilling the table
    load_s: float  # every later start
    rss_mb: float  # growth from loading the embedder and embedding the task once
    sentences_per_s: float
    recall_at_1: float
    recall_at_5: float


def _rss_mb() -> float:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * resource.getpagesize() / 1e6


def _throughput(embedder: Embedder, texts: list[str], min_seconds: float) -> float:
    done, start = 0, time.perf_counter()
    while (elapsed := time.perf_counter() - start) < min_seconds or done == 0:
        for first in range(0, len(texts), 64):
            embedder.embed(texts[first : first + 64])
        done += len(texts)
    return done / elapsed


def _recall(embedder: Embedder, task: Task) -> tuple[float, float]:
    passages, queries = embedder.embed(task.passages), embedder.embed(task.queries)
    ranked = np.argsort(-(queries @ passages.T), axis=1)[:, :5]
    wanted = np.array(task.relevant)[:, None]
    return float((ranked[:, :1] == wanted).mean()), float((ranked == wanted).any(axis=1).mean())


def worker(route: str, cache_dir: Path, task: Task, min_seconds: float) -> dict[str, float]:
    """One measurement in a fresh process, so that RSS growth is this route's alone."""
    gc.collect()
    rss = _rss_mb()
    start = time.perf_counter()
    embedder = embedder_from(route, cache_dir)
    load_s = time.perf_counter() - start
    at1, at5 = _recall(embedder, task)
    rss_mb = _rss_mb() - rss
    speed = _throughput(embedder, task.passages + task.queries, min_seconds)
    return {"load_s": load_s, "rss_mb": rss_mb, "sentences_per_s": speed, "at1": at1, "at5": at5}


def _in_child(route: str, cache_dir: Path, args: argparse.Namespace) -> dict[str, float]:
    command = [sys.executable, __file__, "--worker", route, "--cache-dir", str(cache_dir)]
    command += ["--seed", str(args.seed), "--pairs", str(args.pairs)]
    command += ["--seconds", str(args.seconds)]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"measuring {route} failed:\n{done.stderr}")
    figures: dict[str, float] = json.loads(done.stdout)
    return figures


def measure(route: str, cache_dir: Path, args: argparse.Namespace) -> RouteResult:
    """Static: a cold start that distils the table, then a warm one that is measured.

    MiniLM has nothing to prepare, so its one start is both.
    """
    if route == "static":
        cold = _in_child(route, cache_dir, argparse.Namespace(**{**vars(args), "seconds": 0}))
        warm = _in_child(route, cache_dir, args)
    else:
        cold = warm = _in_child(route, cache_dir, args)
    return RouteResult(
        route=route,
        first_load_s=cold["load_s"],
        load_s=warm["load_s"],
        rss_mb=warm["rss_mb"],
        sentences_per_s=warm["sentences_per_s"],
        recall_at_1=warm["at1"],
        recall_at_5=warm["at5"],
    )


# MiniLM at this rate embeds a turn's query and its new memories in well under 50 ms.
INTERACTIVE_RATE = 100


def recommend(results: dict[str, RouteResult]) -> str:
    """One line, from the figures: static if it keeps MiniLM's recall, else the trade-off."""
    static, minilm = results["static"], results["minilm"]
    speedup = static.sentences_per_s / minilm.sentences_per_s
    kept = static.recall_at_5 / max(minilm.recall_at_5, 1e-9)
    if kept >= 0.95:
        return f"Use static: {speedup:.0f}x faster at {kept:.0%} of MiniLM's recall@5."
    if minilm.sentences_per_s >= INTERACTIVE_RATE:
        return (
            f"Use minilm: static is {speedup:.0f}x faster but keeps only {kept:.0%} of its "
            f"recall@5, and {minilm.sentences_per_s:,.0f} sentences/s is ample for a turn."
        )
    return (
        f"Use static: minilm's {minilm.sentences_per_s:,.0f} sentences/s is too slow for a "
        f"turn, and static keeps {kept:.0%} of its recall@5."
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--pairs", type=int, default=300)
    parser.add_argument("--seconds", type=float, default=3.0, help="per throughput run")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--worker", choices=EMBEDDERS, help=argparse.SUPPRESS)
    parser.add_argument("--cache-dir", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    task = build_task(args.seed, min(args.pairs, len(NAMES) * len(FACTS)))
    if args.worker:
        print(json.dumps(worker(args.worker, args.cache_dir, task, args.seconds)))
        return
    with tempfile.TemporaryDirectory(prefix="os1-bench-embed-") as tmp:
        results = {route: measure(route, Path(tmp), args) for route in ("minilm", "static")}
    if args.json:
        print(json.dumps({name: asdict(r) for name, r in results.items()}, indent=2))
        return
    title = f"Embeddings: {len(task.queries)} queries over {len(task.passages)} passages"
    table = Table(title=title)
    columns = ("route", "sentences/s", "first load s", "load s", "RSS +MB", "R@1", "R@5")
    for column in columns:
        table.add_column(column, justify="left" if column == "route" else "right")
    for r in results.values():
        table.add_row(
            r.route,
            f"{r.sentences_per_s:,.0f}",
            f"{r.first_load_s:.1f}",
            f"{r.load_s:.2f}",
            f"{r.rss_mb:.0f}",
            f"{r.recall_at_1:.3f}",
            f"{r.recall_at_5:.3f}",
        )
    console = Console()
    console.print(table)
    console.print(recommend(results))


if __name__ == "__main__":
    main()
