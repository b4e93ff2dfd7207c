"""The core services every door calls, on the cheap open (no model loaded): speech
settings and models, memories, actions and skills, the calendar's views, model files."""

from __future__ import annotations

from pathlib import Path

import pytest
from core_parts import opened

from os1.companion import Companion
from os1.config import load_settings
from os1.core.models import model_rows
from os1.errors import InputError

__all__ = ["opened"]  # a fixture, used by name


async def test_speech_models_are_built_once_and_voice_settings_are_kept(
    opened: Companion,
) -> None:
    assert opened.speech.models() is opened.speech.models()
    changed = await opened.speech.change_voice("ada", speed=1.2, wake_phrase=True)
    assert (await opened.speech.voice("ada")) == changed and changed.speed == 1.2
    with pytest.raises(InputError):
        await opened.speech.change_voice("ada", speed=40.0)
    assert (await opened.speech.voice("ada")).speed == 1.2  # a refused change keeps nothing


async def test_a_note_is_found_then_forgotten_everywhere(opened: Companion) -> None:
    ref = await opened.memories.note("ada", "My sister Ottoline lives in Porto.")
    [hit] = await opened.memories.search("ada", "Ottoline", k=5)
    assert hit.id == ref and hit.kind == "episode"
    assert [i.text for i in await opened.memories.find("ada")] == [hit.text]
    assert await opened.memories.forget("ada", [("episode", ref)]) == 1
    assert await opened.memories.search("ada", "Ottoline") == []
    assert await opened.memories.search("bob", "Ottoline") == []  # never anyone else's


async def test_skills_ask_first_until_allowed(opened: Companion) -> None:
    before = {s.name: s.asks_first for s in await opened.actions.skills("ada")}
    assert before["add_event"] is True and opened.actions.has_tool("add_event")
    await opened.actions.allow("ada", "add_event", True)
    after = {s.name: s.asks_first for s in await opened.actions.skills("ada")}
    assert after["add_event"] is False and after["remember"] is True
    with pytest.raises(InputError):
        await opened.actions.allow("ada", "no_such_tool", True)
    assert await opened.actions.recent("ada") == []


async def test_the_calendar_views_answer_in_words(opened: Companion) -> None:
    assert "Berlin" in await opened.calendar.timezone("ada", "Europe/Berlin")
    assert (await opened.calendar.what_is_on("ada", "this week")).startswith(
        "Nothing on the calendar this week"
    )
    assert "could not tell" in await opened.calendar.what_is_on("ada", "whenever")
    assert (await opened.calendar.export("ada")).count == 0


def test_model_rows_say_what_to_do(tmp_path: Path) -> None:
    settings = load_settings({"home": str(tmp_path), "cache_dir": str(tmp_path / "c")})
    [row] = model_rows(settings)
    assert row.in_use and row.state != "valid" and row.fix == "Run `os1 models build`."
