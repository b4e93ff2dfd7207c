"""The real embedded model (Qwen2.5 1.5B via xllamacpp): streaming, cancel, JSON, memory
of the conversation, naming itself, the prompt cache, and the CLI end to end."""

from __future__ import annotations

import asyncio
import glob
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from conftest import collect
from os1.companion import Companion
from os1.config import Settings
from os1.events import TurnFinished
from os1.models.base import CancelToken, ChatMessage, GenerationOptions, complete, complete_json
from os1.models.local_gguf import LocalGGUF

pytestmark = pytest.mark.real_model


def reply_of(events: list[object]) -> TurnFinished:
    finished = [e for e in events if isinstance(e, TurnFinished)]
    assert finished, f"no reply: {events}"
    return finished[-1]


async def test_tokens_stream_and_cancel_stops_at_once(real_llm: LocalGGUF) -> None:
    assert real_llm._server is not None
    messages = [ChatMessage("user", "Count from 1 to 200, separated by commas.")]
    cancel = CancelToken()
    pieces: list[str] = []
    finish = ""
    stopped_at = 0.0
    async for chunk in real_llm.stream(messages, GenerationOptions(max_tokens=400), cancel):
        pieces.append(chunk.text)
        if len(pieces) == 8:
            cancel.cancel()
            stopped_at = time.perf_counter()
        if chunk.finish_reason:
            finish = chunk.finish_reason
    assert finish == "cancelled"
    assert time.perf_counter() - stopped_at < 1.0
    assert 8 <= len(pieces) <= 12
    # the model is free again right away
    result = await complete(
        real_llm, [ChatMessage("user", "Say OK.")], GenerationOptions(max_tokens=5)
    )
    assert result.text


async def test_json_schema_output_is_valid(real_llm: LocalGGUF) -> None:
    schema = {
        "type": "object",
        "properties": {
            "mood": {"enum": ["happy", "sad", "angry", "calm"]},
            "people": {
                "type": "array",
                "items": {"type": "string", "maxLength": 20},
                "maxItems": 3,
            },
        },
        "required": ["mood", "people"],
        "additionalProperties": False,
    }
    prompt = (
        "Tom said: 'I'm so happy, Anna and Raj threw me a surprise party!' "
        "Give his mood and the people he mentions."
    )
    answer = await complete_json(
        real_llm,
        [ChatMessage("user", prompt)],
        schema,
        GenerationOptions(max_tokens=80, temperature=0),
    )
    assert answer["mood"] == "happy"
    assert {"Anna", "Raj"} <= set(answer["people"])


async def test_background_work_gives_way_to_a_person(real_llm: LocalGGUF) -> None:
    long_job = real_llm.stream(
        [ChatMessage("user", "Write a long story about a lighthouse keeper.")],
        GenerationOptions(max_tokens=300, background=True),
    )
    reasons: list[str] = []

    async def background() -> None:
        async for chunk in long_job:
            if chunk.finish_reason:
                reasons.append(chunk.finish_reason)

    job = asyncio.create_task(background())
    await asyncio.sleep(1.5)
    started = time.perf_counter()
    answer = await complete(
        real_llm,
        [ChatMessage("user", "What is 2 + 2? Answer with the number.")],
        GenerationOptions(max_tokens=8, temperature=0),
    )
    await job
    assert "4" in answer.text
    assert reasons == ["preempted"]
    assert time.perf_counter() - started < 15


async def test_it_names_itself_and_remembers_what_was_said(real_companion: Companion) -> None:
    identity = await real_companion.identity("theo")
    assert identity.name.isalpha() and identity.name.lower() not in ("qwen", "assistant")
    first = reply_of(
        await collect(
            real_companion.turn("theo", "My sister's name is Ottoline and she lives in Lisbon.")
        )
    )
    assert first.text and not first.interrupted
    second = reply_of(
        await collect(
            real_companion.turn("theo", "Where does my sister live, and what is her name?")
        )
    )
    assert "Lisbon" in second.text and "Ottoline" in second.text
    # the stable head of the prompt came from the cache, not recomputed
    assert second.usage.cached_tokens > 150
    name = reply_of(await collect(real_companion.turn("theo", "What is your name?")))
    assert identity.name in name.text


async def test_it_is_honest_that_it_is_software(real_companion: Companion) -> None:
    reply = reply_of(
        await collect(
            real_companion.turn("ivy", "Are you a human being? Answer honestly in one sentence.")
        )
    )
    text = reply.text.lower()
    assert any(
        word in text
        for word in ("ai", "artificial", "software", "program", "not a human", "not human")
    )


def test_piped_chat_answers_sensibly_and_exits_cleanly(
    real_settings: Settings, tmp_path: Path
) -> None:
    before = set(glob.glob(os.path.join(tempfile.gettempdir(), "os1-llm-*")))
    env = {
        **os.environ,
        "OS1_HOME": str(tmp_path / "home"),
        "OS1_CACHE_DIR": str(real_settings.cache_dir),
    }
    env.pop("OS1_LLM_BACKEND", None)
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "os1.cli", "chat"],
        input=b"What is the capital of France? Answer in one short sentence.\nAnd of Italy?\n",
        capture_output=True,
        env=env,
        timeout=240,
        check=False,
    )
    assert done.returncode == 0, done.stderr.decode()
    replies = done.stdout.decode().strip().splitlines()
    assert "Paris" in replies[0]
    assert "Rome" in done.stdout.decode()
    assert time.perf_counter() - started < 200
    after = set(glob.glob(os.path.join(tempfile.gettempdir(), "os1-llm-*")))
    assert after <= before, "the model's socket folder was left behind"
