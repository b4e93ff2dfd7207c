"""How well os1 knows a person after the onboarding and ten ordinary turns.

A scripted person answers the getting-to-know-you questions and then chats for ten
turns, mentioning facts about their life in passing, with the real embedded model
replying and learning in the background as it would in use. Then the profile is built
and each planted fact is checked for: is it in the portrait, with a source? Prints the
portrait, the share of planted facts found, and the time learning took.

Run: .venv/bin/python bench/portrait.py
"""

from __future__ import annotations

import asyncio
import tempfile
import time
from pathlib import Path

from rich.console import Console

from os1.companion import Companion
from os1.config import load_settings
from os1.memory.profile import build_profile
from os1.persona.onboarding import person_name

ONBOARDING = [
    "Call me Theo.",
    "I'm a nurse on the night shift, so I sleep in the mornings and work from nine at night.",
    "My sister Ottoline, she lives in Lisbon, and my best friend Raj.",
    "Honestly, sleeping better. And I'm trying to learn Portuguese before visiting Ottoline.",
]
TURNS = [
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
]
# what a fair portrait should hold: any of the words, anywhere in the profile
PLANTED = {
    "name Theo": ["theo"],
    "works as a nurse": ["nurse"],
    "night shifts": ["night"],
    "sister Ottoline": ["ottoline"],
    "Ottoline lives in Lisbon": ["lisbon"],
    "best friend Raj": ["raj"],
    "learning Portuguese": ["portuguese"],
    "cat called Pickle": ["pickle"],
    "Raj's wedding in June": ["wedding"],
    "loves sea swimming": ["swim"],
    "dislikes coriander": ["coriander"],
    "anxious about the exam": ["anxious", "nervous", "exam"],
    "calls mum on Sundays": ["mum", "mother"],
}


async def main() -> None:
    console = Console(width=120)
    settings = load_settings({"home": Path(tempfile.mkdtemp(prefix="os1-portrait-"))})
    companion = await Companion.start(settings)
    started = time.perf_counter()
    with console.status("meeting Theo"):
        async for _ in companion.greet("me"):
            pass
        for text in ONBOARDING + TURNS:
            async for _ in companion.turn("me", text):
                pass
    talk_s = time.perf_counter() - started
    started = time.perf_counter()
    with console.status("learning from the conversation"):
        await companion.wait_background()
    learn_s = time.perf_counter() - started
    store = await companion.db.user("me")
    profile = await build_profile(store, person=await person_name(store))
    text = profile.to_prompt(max_chars=100_000)
    await companion.aclose()
    console.print(text or "(empty)", markup=False)
    low = text.lower()
    found = {fact: any(w in low for w in words) for fact, words in PLANTED.items()}
    console.print()
    for fact, ok in found.items():
        console.print(f"{'[green]✓[/]' if ok else '[red]✗[/]'} {fact}")
    share = sum(found.values()) / len(found)
    console.print(
        f"\nplanted facts in the portrait: {sum(found.values())}/{len(found)} ({share:.0%})"
    )
    console.print(f"talking (14 turns): {talk_s:.0f} s; learning afterwards: {learn_s:.0f} s")


if __name__ == "__main__":
    asyncio.run(main())
