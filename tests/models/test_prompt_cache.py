"""Prompt caches that outlive the process: a new process reads only what is new, and a
saved cache that is corrupt, truncated, foreign or unwritable is ignored, never fatal."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import run_cli
from os1.config import Settings
from os1.models.assets import resolve_llm_path
from os1.models.base import ChatMessage, GenerationOptions, complete
from os1.models.local_gguf import LocalGGUF
from os1.models.prompt_cache import saved_prompts_dir

NOTES = " ".join(f"Note {i}: the keeper counted {i * 7} gulls on day {i}." for i in range(20))
PROMPT = [ChatMessage("system", NOTES), ChatMessage("user", "How many gulls on day 3?")]
ANSWER = GenerationOptions(max_tokens=4, temperature=0)


def _names(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


async def _model(real_settings: Settings, folder: Path) -> LocalGGUF:
    return LocalGGUF(resolve_llm_path(real_settings), n_ctx=2048, threads=2, prompt_cache=folder)


async def _cached_after_restart(real_settings: Settings, folder: Path) -> tuple[int, int]:
    """(tokens the prompt has, tokens a new process found cached) for ``PROMPT``; the
    model reports the tokens it read anew and those it found cached apart."""
    llm = await _model(real_settings, folder)
    try:
        answer = await complete(llm, PROMPT, ANSWER)
    finally:
        await llm.aclose()
    usage = answer.usage
    return usage.prompt_tokens + usage.cached_tokens, usage.cached_tokens


@pytest.mark.real_model
async def test_a_new_process_reads_only_what_is_new(
    real_settings: Settings, tmp_path: Path
) -> None:
    folder = tmp_path / "cache"
    total, cached = await _cached_after_restart(real_settings, folder)
    assert cached == 0  # nothing saved yet: read in full
    saved = _names(folder)
    assert len(saved) == 1 and saved[0].endswith("-slot0.bin")  # the routing slot was unused
    assert folder.stat().st_mode & 0o077 == 0  # the person's words: private to them
    total_again, cached_again = await _cached_after_restart(real_settings, folder)
    assert total_again == total and cached_again >= total - 5  # all but the last few


@pytest.mark.real_model
@pytest.mark.parametrize("damage", ["garbage", "truncated", "empty"])
async def test_a_damaged_cache_is_dropped_and_the_prompt_read_anew(
    real_settings: Settings, tmp_path: Path, damage: str
) -> None:
    folder = tmp_path / "cache"
    await _cached_after_restart(real_settings, folder)
    (saved,) = folder.iterdir()
    data = saved.read_bytes()
    saved.write_bytes(
        {
            "garbage": b"\x00not a slot\xff" * 1000,
            "truncated": data[: len(data) // 2],
            "empty": b"",
        }[damage]
    )
    llm = await _model(real_settings, folder)
    try:
        assert not saved.exists() or saved.read_bytes() != data  # dropped, not trusted
        answer = await complete(llm, PROMPT, ANSWER)
        assert answer.text and answer.usage.cached_tokens == 0
    finally:
        await llm.aclose()
    total, cached = await _cached_after_restart(real_settings, folder)  # and saved afresh
    assert cached >= total - 5


@pytest.mark.real_model
async def test_another_models_cache_is_never_loaded(
    real_settings: Settings, tmp_path: Path
) -> None:
    folder = tmp_path / "cache"
    await _cached_after_restart(real_settings, folder)
    (saved,) = folder.iterdir()
    foreign = saved.with_name(saved.name.replace("qwen", "other-model"))
    saved.rename(foreign)
    _, cached = await _cached_after_restart(real_settings, folder)
    assert cached == 0 and foreign.exists()


@pytest.mark.real_model
async def test_a_full_disk_while_saving_loses_nothing_but_speed(
    real_settings: Settings, small_disk: Path
) -> None:
    llm = await _model(real_settings, small_disk)
    answer = await complete(llm, PROMPT, ANSWER)
    await llm.aclose()  # the save fails on a 1 MB disk; closing does not
    assert answer.text and _names(small_disk) == []  # no torn or temporary file


def test_forgetting_a_memory_deletes_the_saved_prompts(tmp_path: Path) -> None:
    said = tmp_path / "said.jsonl"
    said.write_text(json.dumps({"id": "m1", "speaker": "me", "text": "My PIN is 4711.",
                                "time": "2026-05-14T10:00:00+02:00"}) + "\n")  # fmt: skip
    home = tmp_path / "home"
    assert run_cli(home, "memory", "import-conversation", str(said)).exit_code == 0
    folder = saved_prompts_dir(home)
    folder.mkdir(exist_ok=True)
    (folder / "model-1-2048-x-slot0.bin").write_bytes(b"holds the words of the last prompt")
    forgot = run_cli(home, "memory", "forget", "PIN 4711", "--yes")
    assert forgot.exit_code == 0, forgot.output
    assert list(folder.iterdir()) == []


@pytest.mark.real_model
async def test_prompts_erased_after_a_forget_are_not_saved_at_close(
    real_settings: Settings, tmp_path: Path
) -> None:
    folder = tmp_path / "cache"
    llm = await _model(real_settings, folder)
    await complete(llm, PROMPT, ANSWER)
    await llm.erase_kept_prompts()  # what a forget does to a running model
    await llm.aclose()
    assert _names(folder) == []


@pytest.mark.real_model
async def test_a_home_that_cannot_be_written_still_answers(
    real_settings: Settings, readonly_dir: Path
) -> None:
    llm = await _model(real_settings, readonly_dir / "cache")
    try:
        assert (await complete(llm, PROMPT, ANSWER)).text
    finally:
        await llm.aclose()
