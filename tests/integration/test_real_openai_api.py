"""The OpenAI-compatible door on the real embedded model: the official ``openai`` client
streams a real reply over a real socket, and the reply lands in the person's history."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
import openai
import pytest

from os1.companion import Companion
from os1.config import Settings
from os1.models.local_gguf import LocalGGUF
from os1.store import Database
from os1.turn.context import TurnLimits
from server.serving import LiveServer, free_port

pytestmark = pytest.mark.real_model


def test_a_streamed_completion_from_the_real_model(
    real_settings: Settings, real_llm: LocalGGUF, tmp_path: Path
) -> None:
    settings = real_settings.model_copy(
        update={
            "home": tmp_path / "api-home",
            "embedders": "none",
            "max_reply_tokens": 40,
            "port": free_port(),
            "shutdown_grace": 2.0,
        }
    )
    db = asyncio.run(Database.open(settings.db_path))
    limits = TurnLimits(n_ctx=real_llm.n_ctx, max_reply_tokens=40, temperature=0.2, seed=7)
    companion = Companion(db, real_llm, limits)
    server = LiveServer(settings, companion).start()
    try:
        zoe = server.person("zoe")
        client = openai.OpenAI(base_url=f"{server.url}/v1", api_key=zoe.key, max_retries=0)
        chunks = list(
            client.chat.completions.create(
                model="os1",
                messages=[{"role": "user", "content": "What is the capital of Japan?"}],
                stream=True,
                stream_options={"include_usage": True},
            )
        )
        text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
        assert "tokyo" in text.lower(), text  # an answer, not just any words
        assert [c.choices[0].finish_reason for c in chunks if c.choices][-1] in ("stop", "length")
        usage = chunks[-1].usage
        assert usage is not None and 0 < usage.completion_tokens <= 40
        said = httpx.get(f"{server.url}/api/history", headers=zoe.headers).json()
        assert said[0] == {**said[0], "role": "user", "text": "What is the capital of Japan?"}
        assert said[-1]["role"] == "assistant" and said[-1]["text"] == text
    finally:
        server.call(companion.stop_background)
        server.stop()
        asyncio.run(db.aclose())
