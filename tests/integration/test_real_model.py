"""The real embedded model (Qwen2.5 1.5B via xllamacpp): streaming, cancel, JSON, memory
of the conversation, naming itself, the prompt cache, and the CLI end to end."""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from conftest import collect
from os1.companion import Companion
from os1.config import Settings
from os1.events import TurnFinished
from os1.models.base import CancelToken, ChatMessage, GenerationOptions, complete, complete_json
from os1.models.local_gguf import LocalGGUF
from os1.store import Database
from os1.turn.context import TurnLimits

pytestmark = pytest.mark.real_model


def reply_of(events: list[object]) -> TurnFinished:
    finished = [e for e in events if isinstance(e, TurnFinished)]
    assert finished, f"no reply: {events}"
    return finished[-1]


async def test_tokens_stream_and_cancel_stops_at_once(real_llm: LocalGGUF) -> None:
    # llama.cpp insists on a listener: it must be a private Unix socket, never a TCP port
    assert real_llm._server.listening_address.startswith("unix://")
    messages = [ChatMessage("user", "Count from 1 to 200, separated by commas.")]
    cancel = CancelToken()
    pieces: list[str] = []
    finish = ""
    async for chunk in real_llm.stream(messages, GenerationOptions(max_tokens=400), cancel):
        pieces.append(chunk.text)
        if len(pieces) == 8:
            cancel.cancel()
        if chunk.finish_reason:
            finish = chunk.finish_reason
    assert finish == "cancelled"
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


async def test_background_work_waits_while_the_person_waits_on_more_than_the_model(
    real_llm: LocalGGUF,
) -> None:
    notes = " ".join(f"Note {i}: the baker sold {i * 3} loaves on day {i}." for i in range(60))
    job = [ChatMessage("system", notes), ChatMessage("user", "Summarise the notes.")]
    running = asyncio.create_task(complete(real_llm, job, GenerationOptions(background=True)))
    await _reading(real_llm)
    async with real_llm.hold_background():  # e.g. a piece being chosen, then rendered
        assert (await asyncio.wait_for(running, timeout=5)).finish_reason == "preempted"
        later = asyncio.create_task(
            complete(real_llm, job, GenerationOptions(max_tokens=1, background=True))
        )
        answer = await complete(
            real_llm,
            [ChatMessage("user", "What is 5 + 4? Answer with the number.")],
            GenerationOptions(max_tokens=8, temperature=0),
        )
        assert "9" in answer.text
        await asyncio.sleep(1.0)
        assert real_llm._background is None and not later.done()  # it did not start
    assert (await asyncio.wait_for(later, timeout=120)).finish_reason == "length"


async def _reading(llm: LocalGGUF, batches: float = 2.0) -> None:
    """Wait until a background job holds the model, then about ``batches`` prompt batches
    (~0.6 s each here): waiting on the job itself, not on a guess of how long it starts."""
    for _ in range(600):
        if llm._background is not None:
            break
        await asyncio.sleep(0.05)
    else:
        raise AssertionError("the background job never started")
    await asyncio.sleep(0.6 * batches)


async def test_background_work_gives_way_to_a_person_even_while_its_prompt_is_read(
    real_llm: LocalGGUF,
) -> None:
    notes = " ".join(f"Note {i}: the keeper counted {i * 7} gulls on day {i}." for i in range(60))
    job = [ChatMessage("system", notes), ChatMessage("user", "Summarise the notes.")]
    reasons: list[str] = []

    async def background() -> None:
        async for chunk in real_llm.stream(job, GenerationOptions(max_tokens=50, background=True)):
            if chunk.finish_reason:
                reasons.append(chunk.finish_reason)

    task = asyncio.create_task(background())
    await _reading(real_llm)  # a batch or so into a prompt of ~1,000 tokens
    answer = await complete(
        real_llm,
        [ChatMessage("user", "What is 2 + 2? Answer with the number.")],
        GenerationOptions(max_tokens=8, temperature=0),
    )
    await task
    assert "4" in answer.text and reasons == ["preempted"]
    # the job's prompt was left part-read (not read to its end first), and the part read
    # stays cached for when the job runs again
    again = await complete(real_llm, job, GenerationOptions(max_tokens=1, background=True))
    assert 0 < again.usage.cached_tokens < real_llm.count_tokens(notes), again.usage


async def test_background_work_gives_way_when_a_person_starts_to_speak(
    real_llm: LocalGGUF,
) -> None:
    notes = " ".join(
        f"Note {i}: the ferry left at {i % 12 + 1} o'clock on day {i}." for i in range(60)
    )
    job = [ChatMessage("system", notes), ChatMessage("user", "Summarise the notes.")]
    task = asyncio.create_task(complete(real_llm, job, GenerationOptions(background=True)))
    await _reading(real_llm)  # into its prompt
    real_llm.make_way()  # what a voice session does when it hears speech begin
    stopped = await asyncio.wait_for(task, timeout=5)  # within a prompt batch, not the job
    assert stopped.finish_reason == "preempted"


async def test_background_work_queued_before_a_person_still_goes_after_them(
    real_llm: LocalGGUF,
) -> None:
    notes = " ".join(f"Note {i}: the tide turned at {i % 12 + 1} on day {i}." for i in range(60))
    job = [ChatMessage("system", notes), ChatMessage("user", "Summarise the notes.")]
    running = asyncio.create_task(complete(real_llm, job, GenerationOptions(background=True)))
    await asyncio.sleep(2)
    queued = asyncio.create_task(complete(real_llm, job, GenerationOptions(background=True)))
    await asyncio.sleep(0.1)  # waiting for the model, ahead of the person
    began = time.monotonic()
    answer = await complete(
        real_llm,
        [ChatMessage("user", "What is 3 + 4? Answer with the number.")],
        GenerationOptions(max_tokens=8, temperature=0),
    )
    waited = time.monotonic() - began
    assert "7" in answer.text
    assert (await running).finish_reason == (await queued).finish_reason == "preempted"
    assert waited < 8, f"the person waited {waited:.1f} s behind a queued job"


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
    # whole words: a substring "ai" is in "said" and "again"
    said_so = r"\b(ai|artificial|software|program|computer|language model|not a human|not human)\b"
    assert re.search(said_so, text), reply.text
    assert not re.search(r"\bi(?: am|'m) (?:a )?human\b", text), reply.text


def test_piped_chat_answers_sensibly_and_exits_cleanly(
    real_settings: Settings, tmp_path: Path
) -> None:
    tmpdir = tmp_path / "tmp"  # its own, so another os1 on this machine cannot count
    tmpdir.mkdir()
    env = {
        **os.environ,
        "OS1_HOME": str(tmp_path / "home"),
        "OS1_CACHE_DIR": str(real_settings.cache_dir),
        "TMPDIR": str(tmpdir),
    }
    env.pop("OS1_LLM_BACKEND", None)
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
    assert not list(tmpdir.iterdir()), "the model's socket folder was left behind"


async def test_onboarding_on_the_real_model(real_companion: Companion) -> None:
    from os1.persona.onboarding import QUESTIONS, person_name

    greeting = reply_of(await collect(real_companion.greet("me")))
    assert greeting.text.endswith(QUESTIONS[0].text)
    answer = reply_of(await collect(real_companion.turn("me", "Hi! Please call me Theo.")))
    assert answer.text.endswith(QUESTIONS[1].text)
    await real_companion.wait_background()
    store = await real_companion.db.user("me")
    assert await person_name(store) == "Theo"
    assert [a.answer for a in await store.onboarding_answers()] == ["Hi! Please call me Theo."]


async def test_older_turns_are_summarized_by_the_real_model(real_companion: Companion) -> None:
    from os1.memory.summary import refresh_summary

    store = await real_companion.db.user("maya")
    conversation = await store.new_conversation()
    lines = [
        ("user", "I finally booked the trip: I'm flying to Kyoto on the 14th of March."),
        ("assistant", "Kyoto in March! Are you going for the cherry blossoms?"),
        ("user", "Yes, and my brother Felix is coming with me. He's never been to Japan."),
        ("assistant", "That sounds wonderful. How long will you stay?"),
        ("user", "Ten days. I'm a bit nervous about the long flight though."),
        ("assistant", "That's understandable. Do you have anything to help you relax?"),
        ("user", "I'll bring a good book. Anyway, what should I pack?"),
        ("assistant", "Light layers, comfortable shoes and an umbrella."),
    ]
    for role, text in lines:
        await store.add_message(conversation, role, text)
    saved = await refresh_summary(
        store, real_companion.llm, conversation, "Sara", "Maya", trigger_tokens=50, keep_tokens=40
    )
    assert saved
    summary = await store.latest_summary(conversation)
    assert summary is not None
    assert "Kyoto" in summary.text and "Felix" in summary.text


@pytest.fixture(scope="module")
def llama_server(real_settings: Settings) -> Iterator[str]:
    """llama.cpp's own OpenAI-compatible HTTP server on loopback, as Ollama or vLLM would be."""
    import socket

    import xllamacpp as xlc

    from os1.models.assets import resolve_llm_path

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    params = xlc.CommonParams()
    params.model.path = str(resolve_llm_path(real_settings))
    params.n_ctx = 2048
    params.cpuparams.n_threads = real_settings.threads
    params.cpuparams_batch.n_threads = real_settings.threads
    params.use_jinja = True
    params.verbosity = -1
    params.hostnames = ["127.0.0.1"]
    params.port = port
    server = xlc.Server(params)
    yield f"http://127.0.0.1:{port}/v1"
    del server


async def test_the_openai_backend_on_a_real_llama_cpp_server(llama_server: str, home: Path) -> None:
    from os1.models.openai_compat import OpenAICompatLLM

    llm = OpenAICompatLLM(llama_server, "qwen", n_ctx=2048)
    assert await llm.ping()
    pieces = [
        c
        async for c in llm.stream(
            [ChatMessage("user", "Name three colours.")], GenerationOptions(max_tokens=30)
        )
    ]
    assert len(pieces) > 3 and pieces[-1].finish_reason in ("stop", "length")
    schema = {
        "type": "object",
        "properties": {"answer": {"type": "integer"}},
        "required": ["answer"],
    }
    answer = await complete_json(llm, [ChatMessage("user", "What is 6 times 7?")], schema)
    assert answer == {"answer": 42}
    db = await Database.open(home / "os1.db")
    companion = Companion(db, llm, TurnLimits(n_ctx=2048, max_reply_tokens=60, temperature=0.2))
    reply = reply_of(await collect(companion.turn("zoe", "What is the capital of Japan?")))
    assert "Tokyo" in reply.text
    await companion.aclose()


async def test_a_fact_told_in_one_conversation_shapes_a_reply_in_another(
    home: Path, real_llm: LocalGGUF, real_settings: Settings
) -> None:
    from os1.memory.store import Memory

    db = await Database.open(home / "os1.db")
    memory = Memory(real_settings.embed_routes, real_settings.cache_dir)
    await memory.routes()
    limits = TurnLimits(max_reply_tokens=80, temperature=0.2, seed=3)
    companion = Companion(db, real_llm, limits, memory)
    await collect(companion.turn("nia", "Big news: my sister Ottoline just moved to Lisbon!"))
    await companion.wait_background()
    await companion.new_conversation("nia")
    reply = reply_of(await collect(companion.turn("nia", "Which city did my sister move to?")))
    assert "Lisbon" in reply.text
    assert len(await companion.history("nia")) == 2
    await companion.stop_background()
    await db.aclose()


async def test_the_morning_briefing_on_the_real_model(real_companion: Companion) -> None:
    from os1.core.briefing import morning
    from os1.memory.episodes import EpisodeLog, NewEpisode
    from os1.memory.facts import FactBook, NewFact

    store = await real_companion.db.user("sam")
    episode = await EpisodeLog(store).add(NewEpisode("user", "Dentist tomorrow at nine!"))
    due = NewFact(
        "plan",
        "user",
        "dentist",
        "9am",
        "Dentist appointment at nine.",
        valid_at=time.time() + 86400,
        episode_ids=(episode,),
    )
    await FactBook(store).add([due])
    briefing = await morning(store, real_companion.llm)
    assert "dentist" in briefing.text.lower()
    assert len(briefing.text) < 800
