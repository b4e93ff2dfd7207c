"""With ``learn_after`` set, facts are learned once the person pauses, from all the lines
said since, by one learner instead of one per turn: each line goes to the model once."""

from __future__ import annotations

from pathlib import Path

from conftest import collect
from os1.companion import Companion
from os1.config import load_settings
from os1.models.scripted import ScriptedLLM


def _extractions(model: ScriptedLLM) -> list[str]:
    return [
        r.messages[-1].content
        for r in model.requests
        if r.options.background and r.options.json_schema is not None
    ]


async def test_lines_said_in_a_row_are_learned_together_after_the_pause(tmp_path: Path) -> None:
    settings = load_settings(
        {"home": tmp_path, "llm_backend": "scripted", "embedders": "none", "learn_after": 2.0},
        environ={},
    )
    model = ScriptedLLM()
    companion = await Companion.start(settings, llm=model)
    await companion.skip_onboarding("ada")
    for line in ("My sister Amy lives in Oslo.", "I started learning the cello.", "I love figs."):
        await collect(companion.turn("ada", line))
    assert _extractions(model) == []  # still talking (three turns well inside 2 s of quiet)
    await companion.wait_background()
    learned = _extractions(model)
    assert [sum(word in e for e in learned) for word in ("Oslo", "cello", "figs")] == [1, 1, 1]
    await companion.aclose()
