"""A generated multi-session life, with planted facts and questions about them.

Used by ``bench/memory.py``. Names, places and wording are drawn at random from small
vocabularies, and questions are phrased differently from the messages they are about
(a question never quotes its evidence), so neither os1 nor the BM25 baseline can match by
copying. Question types: single-hop, multi-hop (two messages in different sessions),
temporal (the answer is found by *when* it was said; the message itself names no date),
updated (an old fact contradicted by a newer one: only the newer counts) and
unanswerable (never mentioned). Everything is seeded, so a run is repeatable.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field

FIRST = [
    "Ottoline",
    "Marisol",
    "Keanu",
    "Priya",
    "Tomasz",
    "Ingrid",
    "Rafael",
    "Chiara",
    "Dmitri",
    "Aoife",
    "Bao",
    "Femi",
    "Leilani",
    "Soren",
    "Yusuf",
    "Wren",
    "Anselm",
    "Noor",
    "Cosima",
    "Idris",
    "Hedda",
    "Matteo",
    "Zuri",
    "Oskar",
]
CITIES = [
    "Lisbon",
    "Tromso",
    "Valparaiso",
    "Kyoto",
    "Edinburgh",
    "Marrakesh",
    "Tallinn",
    "Hobart",
    "Oaxaca",
    "Bergen",
    "Ljubljana",
    "Cusco",
    "Galway",
    "Trieste",
    "Dunedin",
    "Porto",
]
PETS = [
    ("dog", "terrier"),
    ("dog", "spaniel"),
    ("cat", "tabby"),
    ("cat", "kitten"),
    ("bird", "parrot"),
    ("rabbit", "bunny"),
    ("horse", "pony"),
    ("fish", "goldfish"),
]
PET_NAMES = [
    "Biscuit",
    "Pickle",
    "Juniper",
    "Mochi",
    "Pretzel",
    "Clementine",
    "Waffles",
    "Nutmeg",
    "Pip",
    "Saffron",
]
RELATIONS = [
    ("sister", "sis"),
    ("brother", "little brother"),
    ("cousin", "cousin"),
    ("aunt", "auntie"),
    ("best friend", "closest friend"),
    ("neighbour", "neighbor"),
    ("grandmother", "gran"),
    ("uncle", "uncle"),
]
JOBS = [
    ("nurse", "working shifts at the hospital"),
    ("baker", "up at four making bread"),
    ("teacher", "marking homework for my class"),
    ("carpenter", "building cabinets in the workshop"),
    ("pilot", "flying the morning route"),
    ("librarian", "shelving returns at the library"),
    ("chef", "running the kitchen at the bistro"),
    ("gardener", "pruning roses for clients"),
]
STREETS = [
    "Harbour Lane",
    "Elm Street",
    "Quarry Road",
    "Lantern Row",
    "Mill Street",
    "Orchard Close",
    "Castle Hill",
    "Ferry Road",
]
CARS = [
    "an old red Volvo",
    "a little blue Fiat",
    "a green camper van",
    "a silver hatchback",
    "a yellow Beetle",
    "an electric Renault",
]
ACTIVITIES = [
    ("went hiking in the mountains", "What did I do outdoors"),
    ("ran my first half marathon", "What race did I do"),
    ("learned to make fresh pasta", "What did I learn to cook"),
    ("painted the kitchen yellow", "What did I do to the house"),
    ("saw a concert by a jazz trio", "What music did I hear live"),
    ("took a pottery workshop", "What craft did I try"),
    ("visited the coast for a long weekend", "Where did I get away to"),
    ("planted a vegetable garden", "What did I grow"),
]
FILLER = [
    "It rained again all morning, {w}.",
    "I had {f} for lunch today.",
    "Watched a documentary about {t} last night.",
    "Work was busy, lots of emails about {t}.",
    "Feeling a bit tired, might go to bed early.",
    "The bus was late again this morning.",
    "I finally fixed the squeaky door.",
    "Thinking about repainting the hallway {w}.",
    "My phone battery dies so fast lately.",
    "I tried a new recipe with {f}, not bad.",
    "Do you think {t} is overrated?",
    "Bought new running shoes, {w}.",
    "Had a long call with the bank about {t}.",
    "The neighbours are renovating, so noisy.",
    "Read a few chapters of a novel about {t}.",
    "Cleaned the fridge, found old {f}.",
]
FILL_WORDS = {
    "w": ["honestly", "which was nice", "ugh", "for once", "again"],
    "f": ["soup", "noodles", "a sandwich", "leftover curry", "salad", "dumplings"],
    "t": ["whales", "taxes", "trains", "the moon", "old castles", "coffee", "bees"],
}
REPLIES = [
    "That sounds like quite a day.",
    "Tell me more about that!",
    "I hear you.",
    "Oh, interesting.",
    "How did that make you feel?",
    "Ha, I like that.",
]


@dataclass(frozen=True)
class Message:
    id: str
    speaker: str
    text: str
    time: dt.datetime
    session: str


@dataclass(frozen=True)
class Question:
    kind: str
    text: str
    relevant: frozenset[str]  # message ids; empty for unanswerable


@dataclass
class Corpus:
    messages: list[Message] = field(default_factory=list)
    questions: list[Question] = field(default_factory=list)
    now: dt.datetime = dt.datetime(2026, 11, 20, 12, 0)


class _Writer:
    def __init__(self, rng: random.Random, corpus: Corpus) -> None:
        self.rng, self.corpus, self.count = rng, corpus, 0

    def say(self, text: str, when: dt.datetime, session: str, reply: bool = True) -> str:
        self.count += 1
        mid = f"m{self.count}"
        self.corpus.messages.append(Message(mid, "user", text, when, session))
        if reply:
            self.count += 1
            answer = self.rng.choice(REPLIES)
            later = when + dt.timedelta(seconds=20)
            self.corpus.messages.append(
                Message(f"m{self.count}", "assistant", answer, later, session)
            )
        return mid

    def filler(self, when: dt.datetime, session: str) -> None:
        text = self.rng.choice(FILLER)
        for key, words in FILL_WORDS.items():
            text = text.replace("{" + key + "}", self.rng.choice(words))
        self.say(text, when, session)


def generate(sessions: int = 60, per_session: int = 12, seed: int = 7) -> Corpus:
    """A year of conversations ending at ``Corpus.now`` with planted facts and questions."""
    rng = random.Random(seed)
    corpus = Corpus()
    out = _Writer(rng, corpus)
    start = corpus.now - dt.timedelta(days=360)
    days = sorted(rng.sample(range(360), sessions))
    slots = [
        (start + dt.timedelta(days=d, hours=rng.randint(8, 21)), f"s{i}")
        for i, d in enumerate(days)
    ]
    people = rng.sample(FIRST, len(RELATIONS))
    plants: list[tuple[int, callable]] = []  # type: ignore[valid-type]
    for (relation, casual), name in zip(RELATIONS, people, strict=True):
        city = rng.choice(CITIES)
        pet_kind, pet_word = rng.choice(PETS)
        pet = rng.choice(PET_NAMES)
        first, second = rng.sample(range(sessions), 2)

        def plant_person(
            w=out,
            n=name,
            r=relation,
            c=casual,
            ci=city,
            pk=pet_kind,
            pw=pet_word,
            p=pet,
            a=first,
            b=second,
        ):
            when_a, sess_a = slots[a]
            when_b, sess_b = slots[b]
            m1 = w.say(
                f"My {c} {n} finally settled in {ci}, the flat has a view of the harbour.",
                when_a + dt.timedelta(minutes=3),
                sess_a,
            )
            m2 = w.say(
                f"{n} sent me photos of {p}, the new {pw}, chewing a slipper.",
                when_b + dt.timedelta(minutes=5),
                sess_b,
            )
            corpus.questions.append(
                Question("single-hop", f"Which city does my {r} live in?", frozenset({m1}))
            )
            corpus.questions.append(
                Question(
                    "multi-hop",
                    f"What is the {pk} of the person who moved to {ci} called?",
                    frozenset({m1, m2}),
                )
            )

        plants.append((first, plant_person))
    months_used: set[int] = set()
    for activity, question in ACTIVITIES:
        index = rng.randrange(sessions)
        when, session = slots[index]
        if when.month in months_used or (corpus.now - when).days < 40:
            continue
        months_used.add(when.month)

        def plant_when(w=out, a=activity, q=question, t=when, s=session):
            mid = w.say(f"This weekend I {a}, it was wonderful.", t + dt.timedelta(minutes=7), s)
            month = t.strftime("%B")
            corpus.questions.append(Question("temporal", f"{q} in {month}?", frozenset({mid})))

        plants.append((index, plant_when))
    job_a, job_b = rng.sample(JOBS, 2)
    street_a, street_b = rng.sample(STREETS, 2)
    car_a, car_b = rng.sample(CARS, 2)
    stories = [
        (
            f"I've been {job_a[1]} all week, being a {job_a[0]} is exhausting.",
            f"Big news: I quit and I'm a {job_b[0]} now, {job_b[1]}.",
            rng.choice(["What is my job these days?", "What do I do for work now?"]),
        ),
        (
            f"We finally moved into the flat on {street_a}, boxes everywhere.",
            f"Moving day again! Our new place is on {street_b}, much quieter.",
            rng.choice(["Where do I live now?", "What's my current address?"]),
        ),
        (
            f"My car is {car_a}, it still starts every winter.",
            f"Sold the old car, I drive {car_b} now.",
            rng.choice(["What car do I have at the moment?", "What am I driving these days?"]),
        ),
    ]
    for old_text, new_text, question in stories:
        a, b = sorted(rng.sample(range(sessions), 2))

        def plant_update(w=out, o=old_text, n=new_text, q=question, a=a, b=b):
            w.say(o, slots[a][0] + dt.timedelta(minutes=9), slots[a][1])
            new = w.say(n, slots[b][0] + dt.timedelta(minutes=9), slots[b][1])
            corpus.questions.append(Question("updated", q, frozenset({new})))

        plants.append((b, plant_update))
    for i, (when, session) in enumerate(slots):
        for j in range(per_session):
            out.filler(when + dt.timedelta(minutes=j), session)
        for index, plant in plants:
            if index == i:
                plant()
    for relation, _ in RELATIONS[:4]:
        corpus.questions.append(
            Question("unanswerable", f"What is my {relation}'s favourite film?", frozenset())
        )
    corpus.questions.append(Question("unanswerable", "What is the name of my boat?", frozenset()))
    corpus.messages.sort(key=lambda m: m.time)
    return corpus
