"""The OpenAI-compatible backend against a real socket: the scripted stand-in server."""

from __future__ import annotations

import gc
import json
import socket
import time
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest

from os1.errors import ModelError
from os1.events import Usage
from os1.models.base import CancelToken, ChatMessage, Chunk, GenerationOptions, complete_json
from os1.models.openai_compat import OpenAICompatLLM
from os1.testing_openai import ScriptedOpenAIServer

REPLY = "The quick brown fox jumps over the lazy dog, twice."
KEY = "sk-test-5ecret-key-0123456789"
HELLO = [ChatMessage("system", "Be brief."), ChatMessage("user", "Say something.")]
SLOW_REPLY = " ".join(f"word{i}" for i in range(60))  # 3 s at 20 words per second


@pytest.fixture
def server() -> Iterator[ScriptedOpenAIServer]:
    with ScriptedOpenAIServer(REPLY, models=("scripted", "other")) as srv:
        yield srv


@pytest.fixture
async def llm(server: ScriptedOpenAIServer) -> AsyncIterator[OpenAICompatLLM]:
    model = OpenAICompatLLM(server.base_url, "scripted", api_key=KEY)
    yield model
    await model.aclose()


async def collect(llm: OpenAICompatLLM, options: GenerationOptions | None = None) -> list[Chunk]:
    return [chunk async for chunk in llm.stream(HELLO, options or GenerationOptions())]


async def error_from(llm: OpenAICompatLLM) -> ModelError:
    with pytest.raises(ModelError) as info:
        await collect(llm)
    return info.value


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


async def test_stream_arrives_in_pieces_that_join_to_the_reply(
    llm: OpenAICompatLLM, server: ScriptedOpenAIServer
) -> None:
    chunks = await collect(llm)
    texts = [c.text for c in chunks if c.text]
    assert len(texts) == len(REPLY.split()) > 1
    assert "".join(texts) == REPLY
    assert all(c.finish_reason is None and c.usage is None for c in chunks[:-1])
    last = chunks[-1]
    assert last.finish_reason == "stop"
    assert last.usage is not None
    assert last.usage.completion_tokens == len(texts)
    assert last.usage.prompt_tokens == 4
    assert last.usage.generation_ms >= 0.0


async def test_request_carries_the_options_and_the_key_as_bearer(
    llm: OpenAICompatLLM, server: ScriptedOpenAIServer
) -> None:
    await collect(llm)
    await collect(llm, GenerationOptions(max_tokens=50, seed=7, stop=("\n",), temperature=0.2))
    plain, tuned = (r.body for r in server.requests)
    assert plain["model"] == "scripted"
    assert plain["messages"] == [{"role": m.role, "content": m.content} for m in HELLO]
    assert plain["stream"] is True
    assert plain["stream_options"] == {"include_usage": True}
    assert plain["cache_prompt"] is True
    assert {"seed", "stop", "response_format"}.isdisjoint(plain)
    assert (tuned["max_tokens"], tuned["seed"], tuned["stop"]) == (50, 7, ["\n"])
    assert tuned["temperature"] == 0.2
    assert all(r.headers["authorization"] == f"Bearer {KEY}" for r in server.requests)


async def test_length_limit_is_the_finish_reason() -> None:
    with ScriptedOpenAIServer(REPLY) as server:
        llm = OpenAICompatLLM(server.base_url, "scripted")
        try:
            chunks = await collect(llm, GenerationOptions(max_tokens=3))
        finally:
            await llm.aclose()
    assert "".join(c.text for c in chunks) == "The quick brown "
    assert chunks[-1].finish_reason == "length"
    assert chunks[-1].usage is not None and chunks[-1].usage.completion_tokens == 3
    assert "authorization" not in server.requests[0].headers


async def test_llama_cpp_timings_fill_the_usage() -> None:
    timings = {"prompt_n": 5, "prompt_ms": 12.5, "predicted_n": 1, "predicted_ms": 3.0}
    last = {
        "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}],
        "timings": {**timings, "cache_n": 7},
    }
    raw = (
        b'data: {"choices": [{"index": 0, "delta": {"content": "Hi"}}]}\n\n'
        + f"data: {json.dumps(last)}\n\ndata: [DONE]\n\n".encode()
    )
    with ScriptedOpenAIServer(raw_stream=raw) as server:
        llm = OpenAICompatLLM(server.base_url, "scripted")
        try:
            chunks = await collect(llm)
        finally:
            await llm.aclose()
    assert chunks[-1].usage == Usage(12, 1, 7, 12.5, 3.0)


async def test_complete_json_sends_the_schema_and_parses_the_reply() -> None:
    schema = {
        "type": "object",
        "properties": {"mood": {"type": "string", "maxLength": 20}},
        "required": ["mood"],
    }
    with ScriptedOpenAIServer(json.dumps({"mood": "calm and bright"})) as server:
        llm = OpenAICompatLLM(server.base_url, "scripted")
        try:
            value = await complete_json(llm, HELLO, schema)
        finally:
            await llm.aclose()
    assert value == {"mood": "calm and bright"}
    assert server.requests[0].body["response_format"] == {
        "type": "json_schema",
        "json_schema": {"name": "reply", "schema": schema, "strict": True},
    }


async def test_cancel_stops_the_stream_early() -> None:
    cancel = CancelToken()
    with ScriptedOpenAIServer(SLOW_REPLY, tokens_per_second=20) as server:
        llm = OpenAICompatLLM(server.base_url, "scripted")
        started = time.perf_counter()
        try:
            chunks = []
            async for chunk in llm.stream(HELLO, GenerationOptions(), cancel):
                chunks.append(chunk)
                cancel.cancel()
        finally:
            await llm.aclose()
        elapsed = time.perf_counter() - started
    assert elapsed < 1.0  # the whole reply takes 3 s
    assert [c.text for c in chunks] == ["word0 ", ""]
    assert chunks[-1].finish_reason == "cancelled"
    assert chunks[-1].usage is not None and chunks[-1].usage.completion_tokens == 1


async def test_closing_the_iterator_early_closes_the_response() -> None:
    with ScriptedOpenAIServer(SLOW_REPLY, tokens_per_second=20) as server:
        llm = OpenAICompatLLM(server.base_url, "scripted")
        started = time.perf_counter()
        try:
            stream = llm.stream(HELLO, GenerationOptions())
            first = await anext(stream)
            await stream.aclose()
            assert first.text == "word0 "
            assert time.perf_counter() - started < 1.0
            server.reply = "again"
            assert "".join(c.text for c in await collect(llm)) == "again"
        finally:
            await llm.aclose()
            await llm.aclose()  # idempotent
        gc.collect()  # a leaked response or socket would warn here, and warnings fail


async def test_unreachable_server_names_the_url_and_what_to_do() -> None:
    url = f"http://127.0.0.1:{closed_port()}/v1"
    llm = OpenAICompatLLM(url, "scripted", api_key=KEY)
    try:
        for error in (await error_from(llm), await _ping_error(llm)):
            assert error.code == "llm_unreachable"
            assert url in error.message
            assert "OS1_LLM_URL" in error.hint
    finally:
        await llm.aclose()


async def _ping_error(llm: OpenAICompatLLM) -> ModelError:
    with pytest.raises(ModelError) as info:
        await llm.ping()
    return info.value


@pytest.mark.parametrize(("status", "hint"), [(500, "log"), (401, "OS1_LLM_API_KEY")])
async def test_http_errors_show_status_and_excerpt_but_never_the_key(
    status: int, hint: str
) -> None:
    echo = f"Invalid key {KEY} for this model " + "x" * 400
    with ScriptedOpenAIServer(status=status, error_message=echo) as server:
        llm = OpenAICompatLLM(server.base_url, "scripted", api_key=KEY)
        try:
            errors = [await error_from(llm), await _ping_error(llm)]
        finally:
            await llm.aclose()
    assert server.requests[0].headers["authorization"] == f"Bearer {KEY}"
    for error in errors:
        assert error.code == "llm_http_error"
        assert f"HTTP {status}: Invalid key *** for this model" in error.message
        assert hint in error.hint
        assert KEY not in f"{error} {error.message} {error.hint} {error!r}"
        assert len(error.message.partition(f"{status}: ")[2]) <= 200


async def test_wrong_path_gives_a_404_hint_about_model_and_url() -> None:
    with ScriptedOpenAIServer() as server:
        llm = OpenAICompatLLM(server.base_url.removesuffix("/v1"), "scripted")
        try:
            error = await error_from(llm)
        finally:
            await llm.aclose()
    assert (error.code, "HTTP 404" in error.message) == ("llm_http_error", True)
    assert "OS1_LLM_MODEL" in error.hint and "/v1" in error.hint


@pytest.mark.parametrize(
    "raw",
    [
        b"data: {this is not json\n\n",
        b'data: ["a list"]\n\n',
        b"<html><body>A web page</body></html>\n",
        b'data: {"choices": "nope"}\n\n',
    ],
)
async def test_garbage_stream_is_a_bad_response(raw: bytes) -> None:
    with ScriptedOpenAIServer(raw_stream=raw) as server:
        llm = OpenAICompatLLM(server.base_url, "scripted")
        try:
            error = await error_from(llm)
        finally:
            await llm.aclose()
    assert error.code == "llm_bad_response"
    assert "OS1_LLM_URL" in error.hint


async def test_tolerant_parsing_of_comments_fields_split_data_and_no_done() -> None:
    raw = (
        b": keepalive\n\nevent: message\nid: 1\n"
        b'data: {"choices": [{"delta": \ndata: {"content": "Hi"}}]}\n\n'
        b'data: {"choices": [{"delta": {"content": " you"}, "finish_reason": null}]}\r\n\r\n'
        b": ping\n\n"
        b'data:{"choices": [{"delta": {}, "finish_reason": "stop"}]}\n\n'
        b'data: {"choices": [], "usage": {"prompt_tokens": 9, "completion_tokens": 2,'
        b' "prompt_tokens_details": {"cached_tokens": 4}}}\n\n'
    )
    with ScriptedOpenAIServer(raw_stream=raw) as server:
        llm = OpenAICompatLLM(server.base_url, "scripted")
        try:
            chunks = await collect(llm)
        finally:
            await llm.aclose()
    assert [c.text for c in chunks] == ["Hi", " you", ""]
    assert chunks[-1].finish_reason == "stop"
    usage = chunks[-1].usage
    assert usage is not None
    assert (usage.prompt_tokens, usage.completion_tokens, usage.cached_tokens) == (9, 2, 4)


async def test_error_event_mid_stream_is_a_server_error() -> None:
    raw = (
        b'data: {"choices": [{"delta": {"content": "Hi"}}]}\n\n'
        b'data: {"error": {"message": "the context is full"}}\n\n'
    )
    with ScriptedOpenAIServer(raw_stream=raw) as server:
        llm = OpenAICompatLLM(server.base_url, "scripted")
        try:
            error = await error_from(llm)
        finally:
            await llm.aclose()
    assert error.code == "llm_server_error"
    assert "the context is full" in error.message


async def test_ping_lists_the_models(llm: OpenAICompatLLM) -> None:
    assert await llm.ping() == ["scripted", "other"]


async def test_scripted_server_answers_without_streaming(server: ScriptedOpenAIServer) -> None:
    server.reply = lambda body: f"You said {len(body['messages'])} things."
    async with httpx.AsyncClient() as client:
        response = await client.post(
            f"{server.base_url}/chat/completions",
            json={"model": "scripted", "messages": [{"role": "user", "content": "hi"}]},
        )
    choice = response.json()["choices"][0]
    assert choice["message"]["content"] == "You said 1 things."
    assert choice["finish_reason"] == "stop"


def test_count_tokens_over_estimates_prose_and_counts_digits_singly() -> None:
    llm = OpenAICompatLLM("http://127.0.0.1:1/v1", "scripted")
    assert llm.count_tokens("") == 0
    assert llm.count_tokens(REPLY) >= len(REPLY.split()) + 2
    assert llm.count_tokens("2024") == 4
    assert llm.name == "openai:scripted"


async def test_a_server_slower_than_the_timeout_is_a_timeout() -> None:
    with ScriptedOpenAIServer("too slow", tokens_per_second=2) as server:
        llm = OpenAICompatLLM(server.base_url, "scripted", timeout=0.1)
        try:
            error = await error_from(llm)
        finally:
            await llm.aclose()
    assert error.code == "llm_timeout"
    assert "0.1 s" in error.message and "OS1_LLM_TIMEOUT" in error.hint
