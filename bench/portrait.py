"""How well os1 knows a person after the onboarding and ten ordinary turns: recall and
precision of the facts it learned, checked strictly.

Each scripted person answers the getting-to-know-you questions and then chats for ten
turns, with the real embedded model replying and learning in the background as it does
in use (os1's defaults). Then every current fact (``subject.attribute = value``, the
structure the companion reads) is checked against the person's truth:

- **recall**: the share of the person's *key facts* held by at least one current fact.
  A key fact lists the forms it may take, each a subject and a pattern over
  ``attribute: value``: "Kofi is Maya's brother" is ``Kofi / brother`` or
  ``user / brother: Kofi``. The free sentence a fact carries is not read, so a fact
  right only in its prose does not count. The name is checked in the name setting.
- **precision**: the share of current facts that are true: they match a key fact or one
  of the person's *also true* facts (things said in passing, written generously). A fact
  about the wrong person, a stale value that should have been replaced ("lives in Leeds"
  after the move to York) or an invented one counts against it, and is printed.

Theo, Priya and Tom are the development people (changes to learning are tried on them);
Maya, Henrik and Ana are held out: written in other voices (texting, formal, terse), each
with a value that changes part-way, and never used for tuning.

Run: .venv/bin/python bench/portrait.py [--people theo,maya] [--show-facts]  (~20 minutes)
"""

from __future__ import annotations

import argparse
import asyncio
import re
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from rich.console import Console
from rich.table import Table

from figures import save
from os1.companion import Companion
from os1.config import load_settings
from os1.memory.facts import Fact, FactBook
from os1.persona.onboarding import person_name

Form = tuple[str, str]  # (subject regex, pattern over "attribute: value"), both ignoring case


@dataclass(frozen=True)
class Truth:
    label: str
    forms: tuple[Form, ...]

    def held_by(self, fact: Fact) -> bool:
        slot = f"{fact.attribute.replace('_', ' ')}: {fact.value}"
        return any(
            re.fullmatch(subject, fact.subject, re.I) and re.search(pattern, slot, re.I)
            for subject, pattern in self.forms
        )


def truth(label: str, *forms: Form) -> Truth:
    return Truth(label, forms)


@dataclass(frozen=True)
class Person:
    key: str
    name: str
    held_out: bool
    onboarding: tuple[str, ...]  # answers to the four questions, in order
    turns: tuple[str, ...]
    key_facts: tuple[Truth, ...]
    also_true: tuple[Truth, ...] = field(default=())


U = "user"  # the person themself

PEOPLE = (
    Person(
        "theo",
        "Theo",
        held_out=False,
        onboarding=(
            "Call me Theo.",
            "I'm a nurse on the night shift, so I sleep in the mornings and work from nine"
            " at night.",
            "My sister Ottoline, she lives in Lisbon, and my best friend Raj.",
            "Honestly, sleeping better. And I'm trying to learn Portuguese before visiting"
            " Ottoline.",
        ),
        turns=(
            "Long shift last night, three admissions in a row.",
            "I adopted a grey cat called Pickle last week, she is shy.",
            "Raj wants me to come to his wedding in June.",
            "I really love swimming in the sea, even in winter.",
            "I can't stand coriander, it tastes like soap to me.",
            "Ottoline says Lisbon is sunny already.",
            "I'm a bit anxious about my Portuguese exam on Friday.",
            "Every Sunday I call my mum.",
            "Pickle finally sat on my lap!",
            "Going to bed now, good night.",
        ),
        key_facts=(
            truth("works as a nurse", (U, r"nurse")),
            truth("works nights", (U, r"night")),
            truth("sister Ottoline", ("ottoline", r"sister"), (U, r"sister.*ottoline")),
            truth("Ottoline lives in Lisbon", ("ottoline", r"lisbon")),
            truth("best friend Raj", ("raj", r"friend"), (U, r"friend.*raj")),
            truth("learning Portuguese", (U, r"portuguese")),
            truth("a cat called Pickle", (U, r"(cat|pet).*pickle|pickle"), ("pickle", r"cat")),
            truth("Raj's wedding in June", ("raj", r"wedding|marr"), (U, r"wedding")),
            truth("loves sea swimming", (U, r"swim")),
            truth("dislikes coriander", (U, r"coriander")),
            truth("anxious about the exam", (U, r"anxi|nervous|worr|exam")),
            truth("calls mum on Sundays", (U, r"mum|mother|call")),
        ),
        also_true=(
            truth("sleeps in the mornings", (U, r"sleep")),
            truth("visiting Ottoline", (U, r"visit|ottoline|lisbon"), ("ottoline", r"visit")),
            truth("the shift", (U, r"shift|admission|work")),
            truth("Pickle", ("pickle", r"grey|shy|lap|cat|pet")),
            truth("Raj invites", ("raj", r"invit|wants|june")),
            truth("Lisbon sunny", ("ottoline", r"sun|weather")),
            truth("mum", ("mum|mother", r"call|sunday|mother|mum")),
            truth("going to bed", (U, r"bed|tired|good night")),
        ),
    ),
    Person(
        "priya",
        "Priya",
        held_out=False,
        onboarding=(
            "Hiya, I'm Priya 😊",
            "I'm a pharmacist in Bristol, mostly weekend shifts at the moment",
            "My husband Dev, my twins Anya and Rohan (they're 6), and my nan who lives with us",
            "Getting fitter honestly, and I'd love to finally learn to play the guitar",
        ),
        turns=(
            "Dev's parents are flying in from Mumbai on Thursday 😬",
            "The twins start swimming lessons on Saturday mornings",
            "I'm lactose intolerant so the cheese board at work was torture",
            "Big news, I got the job at the new hospital pharmacy, starting in January!",
            "Nan turned 88 yesterday, we had cake in the garden",
            "My best friend Zara is getting married in Porto in August",
            "I'm obsessed with Korean dramas at the moment",
            "Rohan broke his wrist at football, poor kid",
            "I do yoga every Wednesday evening",
            "Right, school run, bye!",
        ),
        key_facts=(
            truth("works as a pharmacist", (U, r"pharmac")),
            truth("lives in Bristol", (U, r"bristol")),
            truth("husband Dev", ("dev", r"husband|spouse"), (U, r"(husband|spouse).*dev")),
            truth(
                "twins Anya and Rohan",
                ("anya|rohan|(the )?twins|anya and rohan", r"child|son|daughter|twin|kid"),
                (U, r"(child|kid|twin|son|daughter).*(anya|rohan)"),
            ),
            truth("nan lives with them", ("nan|grandmother|grandma|granny", r"nan|grand|live")),
            truth("wants to learn the guitar", (U, r"guitar")),
            truth(
                "Dev's parents visit on Thursday",
                ("dev|dev's parents|parents|in-laws", r"visit|fly|mumbai|coming"),
                (U, r"mumbai|parents|in-?laws"),
            ),
            truth("lactose intolerant", (U, r"lactose|dairy|milk")),
            truth("new job at the hospital pharmacy", (U, r"hospital")),
            truth("best friend Zara", ("zara", r"friend"), (U, r"friend.*zara")),
            truth("Zara's wedding in Porto in August", ("zara", r"wedding|marr|porto")),
            truth("into Korean dramas", (U, r"korean|drama")),
            truth("Rohan broke his wrist", ("rohan", r"wrist|broke|injur")),
            truth("yoga on Wednesdays", (U, r"yoga")),
        ),
        also_true=(
            truth("getting fitter", (U, r"fit|exercis|health")),
            truth("weekend shifts", (U, r"weekend|shift")),
            truth("the twins are 6", ("anya|rohan|(the )?twins|anya and rohan", r"6|six|age")),
            truth(
                "swimming lessons",
                ("anya|rohan|(the )?twins|anya and rohan", r"swim|lesson"),
                (U, r"swim|lesson"),
            ),
            truth("nan's 88th", ("nan|grandmother|grandma|granny", r"88|birthday|age|cake")),
            truth("the cheese board", (U, r"cheese")),
            truth("Rohan plays football", ("rohan", r"football")),
            truth("school run", (U, r"school")),
        ),
    ),
    Person(
        "tom",
        "Tom",
        held_out=False,
        onboarding=(
            "Tom. Thomas Reid if you want the full thing.",
            "I drive a taxi in Dundee, been at it twenty years.",
            "My wife passed two years back. There's my son Callum up in Aberdeen and my old"
            " pal Jimmy from the bowling club.",
            "I'd like to get out more. And sort out my garden.",
        ),
        turns=(
            "Callum's partner Eilidh is expecting in March, my first grandchild.",
            "Bad back again today, sat in the cab too long.",
            "Jimmy and I go to the pub quiz every Tuesday.",
            "I support Dundee United, for my sins.",
            "Can't eat shellfish, makes me ill.",
            "Thinking of selling the taxi and retiring next year.",
            "Planted tatties and leeks this morning.",
            "Callum rang, he's been made manager at the garage.",
            "My sister Jean is coming up from Leeds next weekend.",
            "Right, that's me for the night.",
        ),
        key_facts=(
            truth("drives a taxi", (U, r"taxi|driv|cab")),
            truth("lives in Dundee", (U, r"(live|home|based|city|locat).*dundee")),
            truth("widowed", (U, r"widow|wife|pass|died|late"), ("wife", r"pass|died|late|deceas")),
            truth("son Callum", ("callum", r"son"), (U, r"son.*callum")),
            truth("Callum lives in Aberdeen", ("callum", r"aberdeen")),
            truth("friend Jimmy", ("jimmy", r"friend|pal"), (U, r"(friend|pal).*jimmy")),
            truth("wants to sort the garden", (U, r"garden")),
            truth(
                "first grandchild due in March",
                ("callum|eilidh", r"expect|baby|pregnan|march|grand"),
                (U, r"grand"),
            ),
            truth("pub quiz on Tuesdays", (U, r"quiz"), ("jimmy", r"quiz")),
            truth("supports Dundee United", (U, r"united|football")),
            truth("can't eat shellfish", (U, r"shellfish")),
            truth("may retire next year", (U, r"retir|sell")),
            truth("Callum made manager at the garage", ("callum", r"manager|garage")),
            truth("sister Jean", ("jean", r"sister"), (U, r"sister.*jean")),
        ),
        also_true=(
            truth("full name", (U, r"reid|thomas")),
            truth("twenty years driving", (U, r"twenty|20|year")),
            truth("works in Dundee", (U, r"work.*dundee")),
            truth("shellfish makes him ill, the back", (U, r"feel.*(ill|bad)")),
            truth("the bowling club", ("jimmy", r"bowl|club"), (U, r"bowl")),
            truth("wants to get out more", (U, r"out more|social|get out")),
            truth("Eilidh is Callum's partner", ("eilidh", r"partner|callum|relation")),
            truth("bad back", (U, r"back|cab")),
            truth("planted vegetables", (U, r"tatt|potato|leek|plant")),
            truth("Jean visits from Leeds", ("jean", r"leeds|visit|coming")),
            truth("night", (U, r"night|bed")),
        ),
    ),
    Person(
        "maya",
        "Maya",
        held_out=True,
        onboarding=(
            "maya. or may, whatever",
            "i teach year 4 at a primary school in leeds, so up at 6 and marking til late lol",
            "my partner jonas, and my little brother kofi who's at uni in glasgow",
            "tbh running. training for the york half marathon in april and my knee is being"
            " dramatic",
        ),
        turns=(
            "ugh parents evening went on forever today",
            "jonas made his mushroom risotto again, i could eat it every single day",
            "fyi i'm allergic to cashews, found out the hard way last xmas",
            "kofi is coming down to visit on the 14th!!",
            "update: we actually moved to york last weekend, boxes everywhere",
            "i love horror films but jonas hates them so i watch them alone",
            "my mum's birthday is 2 march, need to sort a present",
            "knee physio every tuesday now",
            "feeling kinda low today tbh, the move wiped me out",
            "ok night x",
        ),
        key_facts=(
            truth("teaches at a primary school", (U, r"teach|school")),
            truth("partner Jonas", ("jonas", r"partner"), (U, r"partner.*jonas")),
            truth("brother Kofi", ("kofi", r"brother"), (U, r"brother.*kofi")),
            truth("Kofi at university in Glasgow", ("kofi", r"glasgow|uni|stud")),
            truth("training for the York half marathon", (U, r"marathon|run")),
            truth("likes mushroom risotto", (U, r"risotto")),
            truth("allergic to cashews", (U, r"cashew")),
            truth("Kofi visits on the 14th", ("kofi", r"visit"), (U, r"visit.*kofi|kofi")),
            truth("lives in York now", (U, r"(live|move|home|reside|locat).*york")),
            truth("loves horror films", (U, r"horror")),
            truth("Jonas hates horror films", ("jonas", r"horror")),
            truth(
                "mum's birthday on 2 March", ("mum|mother", r"birthday|march"), (U, r"mum|mother")
            ),
            truth("knee physio on Tuesdays", (U, r"physio")),
            truth("feeling low after the move", (U, r"low|tired|wiped|exhaust|down|sad")),
        ),
        also_true=(
            truth("a nickname", (U, r"\bmay\b|nickname")),
            truth("gets up early, marks late", (U, r"6|early|mark|late")),
            truth("the knee", (U, r"knee")),
            truth("parents evening", (U, r"parent|evening")),
            truth("Jonas cooks", ("jonas", r"risotto|cook|mushroom")),
            truth("moving", (U, r"box|flat|york")),
            truth("a present", (U, r"present|gift")),
            truth("watches alone", (U, r"alone|film")),
            truth("lived in Leeds before", (U, r"(previous|former|used|past|before).*leeds")),
            truth("works in Leeds", (U, r"(work|school).*leeds")),
            truth("Kofi is young", ("kofi", r"little|young")),
        ),
    ),
    Person(
        "henrik",
        "Henrik",
        held_out=True,
        onboarding=(
            "My name is Henrik Dahl, though friends simply call me Henrik.",
            "I have been retired for three years now, after a long career as a structural"
            " engineer; most days I walk along the harbour here in Bergen and then spend the"
            " afternoon restoring an old wooden boat.",
            "My wife Ingrid, above all, and our daughter Sofie, who is a doctor in Oslo.",
            "I would like to write down the history of my family before I forget it, and I"
            " could use some help staying organised.",
        ),
        turns=(
            "Ingrid and I celebrated our fortieth wedding anniversary on Saturday with a"
            " quiet dinner.",
            "I must confess I have never been fond of loud restaurants; I prefer a quiet"
            " table by the window.",
            "Our grandson Emil turns seven on the 9th of February, and he has asked for a"
            " telescope.",
            "The doctor has told me to avoid salt because of my blood pressure.",
            "Sofie has been promoted: she now leads the cardiology department.",
            "I find classical music, Grieg in particular, very calming in the evenings.",
            "On Thursdays I play chess with my neighbour Arne.",
            "Next month Ingrid and I are travelling to Rome for a week.",
            "The weather has been dreadful, rain all week.",
            "Thank you, that is all for today.",
        ),
        key_facts=(
            truth("retired structural engineer", (U, r"retir|engineer")),
            truth("lives in Bergen", (U, r"bergen")),
            truth("restores a wooden boat", (U, r"boat")),
            truth("wife Ingrid", ("ingrid", r"wife|spouse|married"), (U, r"(wife|spouse).*ingrid")),
            truth("daughter Sofie", ("sofie", r"daughter"), (U, r"daughter.*sofie")),
            truth("Sofie is a doctor", ("sofie", r"doctor|cardiolog|physician")),
            truth("Sofie lives in Oslo", ("sofie", r"oslo")),
            truth("wants to write the family history", (U, r"histor|write")),
            truth("fortieth wedding anniversary", (U, r"anniversary"), ("ingrid", r"anniversary")),
            truth("dislikes loud restaurants", (U, r"loud|restaurant|quiet")),
            truth("grandson Emil", ("emil", r"grandson|grandchild"), (U, r"grand.*emil")),
            truth("Emil's birthday on 9 February", ("emil", r"birthday|seven|7|february|turns")),
            truth("avoids salt", (U, r"salt|blood pressure")),
            truth("likes Grieg / classical music", (U, r"grieg|classical")),
            truth("chess with Arne on Thursdays", (U, r"chess"), ("arne", r"chess")),
            truth("trip to Rome next month", (U, r"rome"), ("ingrid", r"rome")),
        ),
        also_true=(
            truth("full name", (U, r"dahl|henrik")),
            truth("harbour walks", (U, r"harbour|walk")),
            truth("wants help organising", (U, r"organi|help")),
            truth("quiet dinner", (U, r"dinner|quiet|window")),
            truth("Emil wants a telescope", ("emil", r"telescope")),
            truth("Arne is a neighbour", ("arne", r"neighbou")),
            truth("evenings calm", (U, r"calm|evening|music")),
            truth("the rain", (U, r"rain|weather")),
            truth("Sofie promoted", ("sofie", r"promot|lead|head")),
            truth("Ingrid anniversary", ("ingrid", r"anniversary|wife|forty|40")),
        ),
    ),
    Person(
        "ana",
        "Ana",
        held_out=True,
        onboarding=(
            "Ana",
            "Software tester at a bank. Remote mostly. Lots of coffee.",
            "My dad, he's not well. And my dog Biscuit lol. And my best mate Chidi.",
            "Sleep and stress honestly. And I want to get back into painting.",
        ),
        turns=(
            "Dad has a hospital appointment on Monday, I'm driving him.",
            "I'm vegetarian, have been for ten years.",
            "Correction to earlier: I'm not a tester any more, I moved to the data team last week.",
            "Chidi lives in Manchester, we talk every Friday.",
            "Biscuit is a beagle, he's 4.",
            "Bought watercolours today!",
            "I hate mornings.",
            "We're going to Chidi's for his 30th in May.",
            "Nervous about dad.",
            "Anyway what's the weather like where you are?",
        ),
        key_facts=(
            truth("works in the data team", (U, r"data")),
            truth("works at a bank", (U, r"bank")),
            truth("dog Biscuit", (U, r"(dog|pet).*biscuit|biscuit"), ("biscuit", r"dog|beagle")),
            truth("best friend Chidi", ("chidi", r"friend|mate"), (U, r"(friend|mate).*chidi")),
            truth("Chidi lives in Manchester", ("chidi", r"manchester")),
            truth("talks to Chidi on Fridays", (U, r"chidi|friday"), ("chidi", r"friday|talk")),
            truth("dad is unwell", ("dad|father", r"well|ill|sick|health"), (U, r"dad|father")),
            truth(
                "dad's hospital appointment on Monday",
                ("dad|father", r"hospital|appoint"),
                (U, r"hospital|appoint|driv"),
            ),
            truth("vegetarian", (U, r"vegetarian")),
            truth("painting again", (U, r"paint|watercolo")),
            truth("hates mornings", (U, r"morning")),
            truth(
                "Chidi's 30th in May", ("chidi", r"30|thirt|birthday|party"), (U, r"chidi|30|thirt")
            ),
            truth("nervous about dad", (U, r"nerv|anxi|worr")),
        ),
        also_true=(
            truth("works remotely, coffee", (U, r"remote|coffee|home")),
            truth("sleep and stress", (U, r"sleep|stress")),
            truth("Biscuit details", ("biscuit", r"beagle|4|four|age|dog")),
            truth("a tester before", (U, r"(previous|former|used|past|before|was).*test")),
            truth("ten years vegetarian", (U, r"ten|10|year")),
            truth("the move to the data team", (U, r"team|switch|chang|mov")),
        ),
    ),
)


@dataclass
class Result:
    person: Person
    facts: list[Fact]
    name_ok: bool
    held: dict[str, bool]
    wrong: list[Fact]
    talk_s: float
    learn_s: float

    @property
    def recall(self) -> float:
        return (sum(self.held.values()) + self.name_ok) / (len(self.held) + 1)

    @property
    def precision(self) -> float:
        return 1.0 - len(self.wrong) / len(self.facts) if self.facts else 0.0


def judge(person: Person, facts: list[Fact], name: str | None, talk_s: float, learn_s: float):
    held = {t.label: any(t.held_by(f) for f in facts) for t in person.key_facts}
    own_name = truth("their own name", (U, rf"name.*\b{person.name}\b"))  # checked apart
    truths = person.key_facts + person.also_true + (own_name,)
    wrong = [f for f in facts if not any(t.held_by(f) for t in truths)]
    name_ok = (name or "").split(" ")[0].lower() == person.name.lower()
    return Result(person, facts, name_ok, held, wrong, talk_s, learn_s)


async def meet(person: Person) -> Result:
    """A new home, the greeting, the onboarding answers and ten turns; then learning."""
    home = Path(tempfile.mkdtemp(prefix=f"os1-portrait-{person.key}-"))
    companion = await Companion.start(load_settings({"home": home}))
    try:
        started = time.perf_counter()
        async for _ in companion.greet("me"):
            pass
        for text in person.onboarding + person.turns:
            async for _ in companion.turn("me", text):
                pass
        talk_s = time.perf_counter() - started
        started = time.perf_counter()
        await companion.wait_background()
        learn_s = time.perf_counter() - started
        store = await companion.db.user("me")
        facts = await FactBook(store).current(500)
        name = await person_name(store)
    finally:
        await companion.aclose()
    return judge(person, facts, name, talk_s, learn_s)


def show(console: Console, result: Result, show_facts: bool) -> None:
    person = result.person
    console.rule(f"{person.name} ({'held out' if person.held_out else 'development'})")
    if show_facts:
        for fact in sorted(result.facts, key=lambda f: f.id):
            console.print(f"  {fact.subject}.{fact.attribute} = {fact.value}", markup=False)
    console.print(f"{'[green]✓[/]' if result.name_ok else '[red]✗[/]'} the name {person.name}")
    for label, ok in result.held.items():
        console.print(f"{'[green]✓[/]' if ok else '[red]✗[/]'} {label}")
    for fact in result.wrong:
        console.print(f"[red]wrong[/] {fact.subject}.{fact.attribute} = {fact.value}", markup=True)


def report(console: Console, results: list[Result]) -> None:
    table = Table(title="portrait after onboarding + 10 turns (strict)")
    for column in ("person", "split", "key facts held", "recall", "facts", "wrong", "precision",
                   "talk s", "learn s"):  # fmt: skip
        table.add_column(column, justify="left" if column in ("person", "split") else "right")
    for r in results:
        table.add_row(
            r.person.name, "held out" if r.person.held_out else "dev",
            f"{sum(r.held.values()) + r.name_ok}/{len(r.held) + 1}", f"{r.recall:.2f}",
            str(len(r.facts)), str(len(r.wrong)), f"{r.precision:.2f}",
            f"{r.talk_s:.0f}", f"{r.learn_s:.0f}",
        )  # fmt: skip
    for split, chosen in (
        ("held out", [r for r in results if r.person.held_out]),
        ("all", results),
    ):
        if not chosen:
            continue
        keys = sum(len(r.held) + 1 for r in chosen)
        found = sum(sum(r.held.values()) + r.name_ok for r in chosen)
        facts = sum(len(r.facts) for r in chosen)
        wrong = sum(len(r.wrong) for r in chosen)
        table.add_row(
            f"[bold]{split}[/]", "", f"{found}/{keys}", f"{found / keys:.2f}", str(facts),
            str(wrong), f"{1 - wrong / facts if facts else 0:.2f}", "", "",
        )  # fmt: skip
    console.print(table)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--people", default="", help="comma-separated: " + ",".join(p.key for p in PEOPLE)
    )
    parser.add_argument("--show-facts", action="store_true", help="print every current fact")
    args = parser.parse_args()
    wanted = {k.strip().lower() for k in args.people.split(",") if k.strip()}
    unknown = wanted - {p.key for p in PEOPLE}
    if unknown:
        parser.error(f"unknown people: {', '.join(sorted(unknown))}")
    console = Console(width=120)
    results = []
    for person in [p for p in PEOPLE if not wanted or p.key in wanted]:
        with console.status(f"meeting {person.name} (about 4 minutes)"):
            result = await meet(person)
        show(console, result, args.show_facts)
        results.append(result)
    report(console, results)
    if not wanted:  # a run of some people is a look, not the figures the README cites
        save(
            "portrait",
            {
                r.person.name: {
                    "held_out": r.person.held_out,
                    "recall": r.recall,
                    "precision": r.precision,
                    "facts": len(r.facts),
                    "wrong": len(r.wrong),
                    "talk_s": r.talk_s,
                    "learn_s": r.learn_s,
                }
                for r in results
            },
        )


if __name__ == "__main__":
    asyncio.run(main())
