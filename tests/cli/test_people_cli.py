"""``os1 people``: suggestions to get in touch with someone, each with why it was made,
and the switch that turns them off."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from conftest import lonely_ada, run_cli
from os1.companion import Companion
from os1.config import Settings
from os1.memory.facts import FactBook, NewFact
from os1.models.scripted import ScriptedLLM


async def _lonely_home(settings: Settings) -> None:
    companion = await Companion.start(settings, llm=ScriptedLLM(), local=True)
    try:
        await lonely_ada(companion)
    finally:
        await companion.aclose()


def test_suggestions_show_whom_and_why_and_can_be_turned_off(
    settings: Settings, home: Path
) -> None:
    asyncio.run(_lonely_home(settings))
    shown = run_cli(home, "people", "suggestions", "--user", "ada")
    assert shown.exit_code == 0, shown.output
    assert "You haven't mentioned Lena, your sister, in a while" in shown.stdout
    assert "why: you said “Watched a film by myself" in shown.stdout
    off = run_cli(home, "people", "nudges", "off", "--user", "ada")
    assert off.exit_code == 0 and "Suggestions are off" in off.stdout
    listed = json.loads(run_cli(home, "people", "suggestions", "--user", "ada", "--json").stdout)
    assert listed["nudges_on"] is False and [n["about"] for n in listed["nudges"]] == ["Lena"]
    assert (
        "`os1 people nudges on` turns them on"
        in run_cli(home, "people", "suggestions", "--user", "ada").stdout
    )


def test_with_no_one_to_suggest_it_says_so(tmp_path: Path) -> None:
    empty = run_cli(tmp_path, "people", "suggestions")
    assert empty.exit_code == 0 and "No suggestions yet" in empty.stdout
    assert json.loads(run_cli(tmp_path, "people", "suggestions", "--json").stdout) == {
        "nudges_on": True,
        "nudges": [],
    }
    wrong = run_cli(tmp_path, "people", "nudges", "sometimes")
    assert wrong.exit_code == 2 and "'on', 'off'" in wrong.output


async def _two_birders(settings: Settings) -> None:
    companion = await Companion.start(settings, llm=ScriptedLLM(), local=True)
    try:
        for name in ("ada", "bo"):
            await companion.skip_onboarding(name)
            await FactBook(await companion.core.store(name)).add(
                [NewFact("preference", "user", "likes", "birding", f"{name} likes birding.")]
            )
    finally:
        await companion.aclose()


def test_introductions_from_opting_in_to_writing(settings: Settings, home: Path) -> None:
    asyncio.run(_two_birders(settings))
    shown = run_cli(home, "people", "introduce-me", "on", "--fields", "interests,about",
                    "--about", "Dawn walks", "-u", "ada")  # fmt: skip
    assert shown.exit_code == 0, shown.output
    assert "interests: birding" in shown.stdout and "about: Dawn walks" in shown.stdout
    assert "name:" not in shown.stdout  # not chosen, not shown
    run_cli(home, "people", "introduce-me", "on", "-u", "bo")
    listed = run_cli(home, "people", "introductions", "-u", "bo")
    assert (
        "someone who likes birding" in listed.stdout and "waiting for your answer" in listed.stdout
    )
    (mine,) = json.loads(run_cli(home, "people", "introductions", "--json", "-u", "ada").stdout)
    (theirs,) = json.loads(run_cli(home, "people", "introductions", "--json", "-u", "bo").stdout)
    said = run_cli(home, "people", "answer", str(mine["id"]), "yes", "-u", "ada")
    assert "If they say yes too" in said.stdout
    both = run_cli(home, "people", "answer", str(theirs["id"]), "yes", "-u", "bo")
    assert "You both said yes" in both.stdout and "Dawn walks" in both.stdout
    sent = run_cli(home, "people", "write", str(theirs["id"]), "See you at six?", "-u", "bo")
    assert sent.exit_code == 0, sent.output
    thread = run_cli(home, "people", "show", str(mine["id"]), "-u", "ada")
    assert "bo: See you at six?" in thread.stdout
    wrong = run_cli(home, "people", "introduce-me", "on", "--fields", "shoe size", "-u", "ada")
    assert wrong.exit_code != 0 and "no field called 'shoe size'" in wrong.output
    # the fields alone, as the issue writes it: still on, now sharing only interests
    narrowed = run_cli(home, "people", "introduce-me", "fields", "interests", "-u", "ada")
    assert "interests: birding" in narrowed.stdout and "about:" not in narrowed.stdout
    bare = run_cli(home, "people", "introduce-me", "fields", "-u", "ada")
    assert bare.exit_code == 2 and "Which fields?" in bare.output
    stranger = run_cli(home, "people", "show", str(mine["id"]), "-u", "bo")
    assert stranger.exit_code != 0 and "no introduction" in stranger.output
