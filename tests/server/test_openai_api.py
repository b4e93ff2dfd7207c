"""The OpenAI-compatible door through the official ``openai`` client and raw HTTP, against
the real app on a real socket (uvicorn on 127.0.0.1) with the scripted model."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import openai
import pytest
from openai.types.chat import ChatCompletionMessageParam
from serving import LiveServer, Person

from os1.config import Settings
from os1.errors import ModelError
from os1.models.base import ChatMessage, GenerationOptions
from os1.models.scripted import ScriptedLLM, example_for

WORDS = " ".join(f"word{i}" for i in range(40))


def model_of(server: LiveServer) -> ScriptedLLM:
    llm = server.services.companion.llm
    assert isinstance(llm, ScriptedLLM)
    return llm


def turn_prompts(llm: ScriptedLLM) -> list[list[ChatMessage]]:
    """The prompts of people's turns (background note-taking makes requests of its own)."""
    return [r.messages for r in llm.requests if not r.options.background]


def api(server: LiveServer, person: Person | None = None, key: str = "") -> openai.OpenAI:
    return openai.OpenAI(
        base_url=f"{server.url}/v1", api_key=key or (person.key if person else ""), max_retries=0
    )


def history(server: LiveServer, person: Person) -> list[dict[str, object]]:
    answer = httpx.get(f"{server.url}/api/history", headers=person.headers)
    assert answer.status_code == 200
    found: list[dict[str, object]] = answer.json()
    return found


def say(text: str) -> list[ChatCompletionMessageParam]:
    return [{"role": "user", "content": text}]


def sse(server: LiveServer, person: Person, body: dict[str, object]) -> tuple[int, str]:
    payload = {"model": "os1", "stream": True, **body}
    with httpx.stream(
        "POST", f"{server.url}/v1/chat/completions", headers=person.headers, json=payload
    ) as answer:
        return answer.status_code, answer.read().decode()


@pytest.fixture
def tuned(server_settings: Settings, request: pytest.FixtureRequest) -> Iterator[LiveServer]:
    """A live server whose settings the test changes (``indirect`` parametrization)."""
    server = LiveServer(server_settings.model_copy(update=request.param)).start()
    yield server
    server.stop()


def test_models_are_listed_and_found(live_server: LiveServer) -> None:
    client = api(live_server, live_server.person("alice"))
    assert [m.id for m in client.models.list()] == ["os1", "talk"]
    card = client.models.retrieve("os1")
    assert card.owned_by == "os1" and card.created > 0
    with pytest.raises(openai.NotFoundError, match="no model"):
        client.models.retrieve("gpt-4o")


def test_a_plain_completion_answers_the_last_user_message(live_server: LiveServer) -> None:
    alice = live_server.person("alice")
    model_of(live_server).enqueue("Hello there, friend.")
    reply = api(live_server, alice).chat.completions.create(
        model="gpt-4o-mini",
        messages=[
            {"role": "system", "content": "You are a pirate."},
            {"role": "user", "content": "an earlier line, not replayed"},
            {"role": "assistant", "content": "an earlier answer"},
            {"role": "user", "content": "Hi, how are you?"},
        ],
        temperature=0.1,
        user="someone-else",
    )
    assert reply.id.startswith("chatcmpl-") and reply.model == "gpt-4o-mini"
    choice = reply.choices[0]
    assert choice.message.role == "assistant"
    assert choice.message.content == "Hello there, friend."
    assert choice.finish_reason == "stop"
    usage = reply.usage
    assert usage is not None and usage.completion_tokens == 3
    assert usage.total_tokens == usage.prompt_tokens + 3 and usage.prompt_tokens > 3
    prompt = "\n".join(m.content for m in turn_prompts(model_of(live_server))[-1])
    assert "Hi, how are you?" in prompt
    assert "pirate" not in prompt and "not replayed" not in prompt
    said = [(m["role"], m["text"]) for m in history(live_server, alice)]
    assert said == [("user", "Hi, how are you?"), ("assistant", "Hello there, friend.")]


def test_a_streamed_completion_comes_in_chunks(live_server: LiveServer) -> None:
    alice = live_server.person("alice")
    model_of(live_server).enqueue("One two three four.")
    chunks = list(
        api(live_server, alice).chat.completions.create(
            model="os1",
            messages=say("Count a little"),
            stream=True,
            stream_options={"include_usage": True},
        )
    )
    assert chunks[0].choices[0].delta.role == "assistant"
    words = [c.choices[0].delta.content for c in chunks if c.choices and c.choices[0].delta.content]
    assert len(words) == 4 and "".join(words) == "One two three four."
    assert [c.choices[0].finish_reason for c in chunks if c.choices][-1] == "stop"
    assert len({c.id for c in chunks}) == 1
    last = chunks[-1]
    assert last.choices == [] and last.usage is not None and last.usage.completion_tokens == 4
    assert history(live_server, alice)[-1]["text"] == "One two three four."


def test_the_companion_remembers_across_calls(live_server: LiveServer) -> None:
    alice = live_server.person("alice")
    client = api(live_server, alice)
    model_of(live_server).enqueue("Nice to meet you, Alice.", "Your cat is called Miso.")
    client.chat.completions.create(model="os1", messages=say("My cat is called Miso."))
    # the client sends only the new line: the companion supplies the rest itself
    second = client.chat.completions.create(model="os1", messages=say("What is my cat called?"))
    assert second.choices[0].message.content == "Your cat is called Miso."
    prompt = [m.content for m in turn_prompts(model_of(live_server))[-1]]
    assert "My cat is called Miso." in prompt and "Nice to meet you, Alice." in prompt


def test_two_keys_are_two_people(live_server: LiveServer) -> None:
    alice, bob = live_server.person("alice"), live_server.person("bob")
    api(live_server, alice).chat.completions.create(model="os1", messages=say("alice's secret"))
    api(live_server, bob).chat.completions.create(model="os1", messages=say("bob here"))
    bob_prompt = "\n".join(m.content for m in turn_prompts(model_of(live_server))[-1])
    assert "bob here" in bob_prompt and "alice's secret" not in bob_prompt
    assert [m["text"] for m in history(live_server, bob) if m["role"] == "user"] == ["bob here"]
    assert [m["text"] for m in history(live_server, alice) if m["role"] == "user"] == [
        "alice's secret"
    ]


def test_a_wrong_key_is_refused(live_server: LiveServer) -> None:
    client = api(live_server, key="os1_not-a-real-key")
    with pytest.raises(openai.AuthenticationError):
        client.chat.completions.create(model="os1", messages=say("hi"))
    with pytest.raises(openai.AuthenticationError):
        client.models.list()


def test_what_cannot_be_honoured_is_a_clear_400(live_server: LiveServer) -> None:
    client = api(live_server, live_server.person("alice"))
    create = client.chat.completions.create
    with pytest.raises(openai.BadRequestError, match="n must be 1"):
        create(model="os1", messages=say("hi"), n=2)
    with pytest.raises(openai.BadRequestError, match="no message with role 'user'"):
        create(model="os1", messages=[{"role": "system", "content": "be brief"}])
    with pytest.raises(openai.BadRequestError, match="messages is empty"):
        create(model="os1", messages=[])
    with pytest.raises(openai.BadRequestError, match="image_url"):
        create(
            model="os1",
            messages=[
                {"role": "user", "content": [{"type": "image_url", "image_url": {"url": "x"}}]}
            ],
        )
    with pytest.raises(openai.BadRequestError, match="response_format"):
        create(model="os1", messages=say("hi"), response_format={"type": "json_object"})
    with pytest.raises(openai.UnprocessableEntityError, match="messages"):
        create(model="os1", messages="hi")  # type: ignore[arg-type]  # the wrong type on purpose
    assert model_of(live_server).requests == []  # nothing reached the model


def test_text_parts_are_joined_and_unknown_fields_ignored(live_server: LiveServer) -> None:
    alice = live_server.person("alice")
    reply = api(live_server, alice).chat.completions.create(
        model="os1",
        messages=[
            {
                "role": "user",
                "content": [
                    {"type": "text", "text": "first part"},
                    {"type": "text", "text": "2nd"},
                ],
            }
        ],
        extra_body={"some_future_field": {"x": 1}, "presence_penalty": 0.5},
        seed=3,
    )
    assert reply.choices[0].message.content
    assert history(live_server, alice)[0]["text"] == "first part\n2nd"


def test_max_tokens_cuts_the_reply(live_server: LiveServer) -> None:
    alice = live_server.person("alice")
    model_of(live_server).enqueue(WORDS)
    reply = api(live_server, alice).chat.completions.create(
        model="os1", messages=say("talk a lot"), max_tokens=3
    )
    assert reply.choices[0].message.content == "word0 word1 word2 "
    assert reply.choices[0].finish_reason == "length"
    assert reply.usage is not None and reply.usage.completion_tokens == 3
    assert history(live_server, alice)[-1]["status"] == "interrupted"


def test_raw_sse_framing(live_server: LiveServer) -> None:
    alice = live_server.person("alice")
    model_of(live_server).enqueue("Short and sweet.")
    status, text = sse(live_server, alice, {"messages": say("frame it")})
    assert status == 200
    assert text.endswith("data: [DONE]\n\n")
    events = text.split("\n\n")[:-1]
    assert all(e.startswith("data: ") and "\n" not in e for e in events)
    bodies = [json.loads(e.removeprefix("data: ")) for e in events[:-1]]
    assert all(b["object"] == "chat.completion.chunk" for b in bodies)
    assert bodies[0]["choices"][0]["delta"] == {"role": "assistant", "content": ""}
    assert bodies[-1]["choices"][0] == {
        "index": 0,
        "delta": {},
        "finish_reason": "stop",
        "logprobs": None,
    }
    assert "".join(b["choices"][0]["delta"].get("content", "") for b in bodies) == (
        "Short and sweet."
    )
    assert all("usage" not in b for b in bodies)  # only sent when include_usage asks for it


def test_an_error_mid_turn_ends_the_stream_with_an_error(live_server: LiveServer) -> None:
    def broken(messages: list[ChatMessage], options: GenerationOptions) -> dict[str, Any]:
        if options.json_schema is not None:  # naming itself still works
            found: dict[str, Any] = example_for(options.json_schema)
            return found
        raise ModelError("model_unreachable", "The model server does not answer.")

    model_of(live_server).fallback = broken  # the model fails mid-turn
    alice = live_server.person("alice")
    status, text = sse(live_server, alice, {"messages": say("hello?")})
    assert status == 200
    events = text.split("\n\n")[:-1]
    assert events[-1] == "data: [DONE]"
    error = json.loads(events[-2].removeprefix("data: "))["error"]
    assert error["code"] == "model_unreachable" and "does not answer" in error["message"]
    with pytest.raises(openai.APIError, match="does not answer"):
        list(
            api(live_server, alice).chat.completions.create(
                model="os1", messages=say("again"), stream=True
            )
        )
    with pytest.raises(openai.APIStatusError) as plain:
        api(live_server, alice).chat.completions.create(model="os1", messages=say("and again"))
    assert plain.value.status_code == 502


@pytest.mark.parametrize("tuned", [{"turns_per_minute": 1}], indirect=True)
def test_too_many_turns_is_429_with_retry_after(tuned: LiveServer) -> None:
    alice = tuned.person("alice")
    client = api(tuned, alice)
    for _ in range(5):  # the burst
        client.chat.completions.create(model="os1", messages=say("hi"))
    with pytest.raises(openai.RateLimitError) as refused:
        client.chat.completions.create(model="os1", messages=say("hi"))
    assert int(refused.value.response.headers["retry-after"]) > 0
    status, text = sse(tuned, alice, {"messages": say("hi")})
    assert status == 429 and json.loads(text)["error"]["code"] == "rate_limited"


class SlowStream:
    """A streamed turn in a background thread that has begun answering (so it holds the
    model); leaving the block waits for it to end."""

    def __init__(self, server: LiveServer, person: Person) -> None:
        self.server, self.person = server, person
        self.answering = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.text = ""

    def _run(self) -> None:
        with httpx.stream(
            "POST",
            f"{self.server.url}/v1/chat/completions",
            headers=self.person.headers,
            json={"model": "os1", "stream": True, "messages": say("take your time")},
            timeout=30,
        ) as answer:
            for line in answer.iter_lines():
                if '"content"' in line:
                    self.answering.set()
                self.text += line + "\n"

    def __enter__(self) -> SlowStream:
        self.thread.start()
        assert self.answering.wait(10), "the first turn never started"
        return self

    def __exit__(self, *_: object) -> None:
        self.thread.join(30)
        assert self.text.rstrip().endswith("data: [DONE]"), "the first turn did not finish"


@pytest.mark.parametrize("tuned", [{"max_active_turns": 1, "max_waiting_turns": 0}], indirect=True)
def test_a_full_line_is_503_with_retry_after(tuned: LiveServer) -> None:
    model = model_of(tuned)
    model.delay = 0.05
    model.enqueue(WORDS)
    bob = tuned.person("bob")
    with (
        SlowStream(tuned, tuned.person("alice")),
        pytest.raises(openai.InternalServerError) as refused,
    ):
        api(tuned, bob).chat.completions.create(model="os1", messages=say("me too"), stream=True)
    assert refused.value.status_code == 503
    assert refused.value.response.headers["retry-after"] == "5"


@pytest.mark.parametrize("tuned", [{"max_active_turns": 1, "max_waiting_turns": 1}], indirect=True)
def test_a_waiting_stream_hears_its_place_in_line(tuned: LiveServer) -> None:
    model = model_of(tuned)
    model.delay = 0.03
    model.enqueue(WORDS, "Your turn now.")
    bob = tuned.person("bob")
    with SlowStream(tuned, tuned.person("alice")):
        status, text = sse(tuned, bob, {"messages": say("waiting")})
    assert status == 200 and text.startswith(": queued 1\n\n")
    assert "Your" in text and text.endswith("data: [DONE]\n\n")


@pytest.mark.parametrize("tuned", [{"max_active_turns": 1, "max_waiting_turns": 1}], indirect=True)
def test_hanging_up_while_in_line_leaves_the_line(tuned: LiveServer) -> None:
    model = model_of(tuned)
    model.delay = 0.05
    model.enqueue(WORDS)
    bob = tuned.person("bob")
    with SlowStream(tuned, tuned.person("alice")):
        with httpx.stream(
            "POST",
            f"{tuned.url}/v1/chat/completions",
            headers=bob.headers,
            json={"model": "os1", "stream": True, "messages": say("never mind")},
        ) as answer:
            assert next(answer.iter_lines()) == ": queued 1"
        deadline = time.monotonic() + 5
        while tuned.services.gate.waiting and time.monotonic() < deadline:
            time.sleep(0.02)
        assert tuned.services.gate.waiting == 0  # gone before the first turn ended
    assert history(tuned, bob) == []  # bob's turn never ran
    assert tuned.services.gate.active == 0


def test_hanging_up_mid_stream_keeps_the_partial_reply(live_server: LiveServer) -> None:
    model = model_of(live_server)
    model.delay = 0.05
    model.enqueue(WORDS)
    alice = live_server.person("alice")
    got = ""
    with httpx.stream(
        "POST",
        f"{live_server.url}/v1/chat/completions",
        headers=alice.headers,
        json={"model": "os1", "stream": True, "messages": say("tell me everything")},
    ) as answer:
        for line in answer.iter_lines():
            if line.startswith("data: {"):
                got += json.loads(line[6:])["choices"][0]["delta"].get("content", "")
            if got.count("word") >= 3:
                break  # hang up
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        last = history(live_server, alice)[-1]
        if last["role"] == "assistant":
            break
        time.sleep(0.05)
    assert last["role"] == "assistant" and last["status"] == "interrupted"
    saved = str(last["text"])
    assert saved.startswith(got) and len(saved) < len(WORDS)
    # the turn's bookkeeping ends a moment after its reply is saved (under load, later)
    deadline = time.monotonic() + 10
    while live_server.services.inflight and time.monotonic() < deadline:
        time.sleep(0.05)
    assert live_server.services.inflight == set()


def test_api_conversations_count_as_live(live_server: LiveServer) -> None:
    alice = live_server.person("alice")
    me = httpx.get(f"{live_server.url}/api/me", headers=alice.headers).json()
    assert me["live_conversations"] == 0
    api(live_server, alice).chat.completions.create(model="os1", messages=say("hi"))
    me = httpx.get(f"{live_server.url}/api/me", headers=alice.headers).json()
    assert me["live_conversations"] == 1
