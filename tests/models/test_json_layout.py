"""How the local model is asked to lay out a JSON answer (``json_layout``): always on one
line, with the separators of the prompt's own JSON example."""

from __future__ import annotations

from os1.models.base import ChatMessage
from os1.models.local_gguf import json_layout


def test_a_prompt_without_an_example_gets_bare_separators() -> None:
    layout = json_layout([ChatMessage("system", "Choose the music."), ChatMessage("user", "hi")])
    assert layout == {"whitespace_flexible": False, "item_separator": ",", "key_separator": ":"}


def test_a_spaced_example_is_followed() -> None:
    # held to bare separators under a spaced example, the small model found no facts
    example = 'Answer: {"line_4": [{"text": "Sam is her brother.", "subject": "Sam"}]}'
    layout = json_layout([ChatMessage("system", example), ChatMessage("user", "[1] user: hi")])
    assert (layout["item_separator"], layout["key_separator"]) == (", ", ": ")
    assert layout["whitespace_flexible"] is False  # still one line
