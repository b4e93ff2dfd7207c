"""The MCP door through the real ``mcp`` client: ``os1 mcp`` on stdio as a subprocess, and
``/mcp`` on the real server over streamable HTTP with people's API keys."""

from __future__ import annotations

import base64
import json
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import httpx2
import pytest
from mcp import Client, StdioServerParameters
from mcp.client.streamable_http import streamable_http_client
from mcp.types import CallToolResult, TextContent
from serving import LiveServer, free_port

from os1.companion import Companion
from os1.config import Settings
from os1.models.local_gguf import LocalGGUF
from os1.store import Database
from os1.turn.context import TurnLimits

OS1 = str(Path(sys.executable).with_name("os1"))
TOOLS = {
    "search_memories",
    "ask_memories",
    "remember",
    "talk",
    "profile",
    "live_conversations",
    "upload_file",
    "write_letter",
    "revise_letter",
    "list_letters",
    "list_hands",
    "learn_hand",
    "compose_music",
    "list_music",
    "write_song",
    "search_library",
    "ask_library",
    "list_library",
    "add_to_library",
    "list_personas",
    "ask_persona",
    "converse",
    "read_feelings",
    "companion_feelings",
    "people_suggestions",
    "list_introductions",
    "answer_introduction",
}
ACCEPT = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}


def text_of(result: CallToolResult) -> str:
    return "".join(block.text for block in result.content if isinstance(block, TextContent))


def found(result: CallToolResult) -> list[str]:
    assert not result.is_error, text_of(result)
    assert result.structured_content is not None
    return [m["text"] for m in result.structured_content["memories"]]


@asynccontextmanager
async def over_http(url: str, key: str) -> AsyncIterator[Client]:
    http = httpx2.AsyncClient(headers={"Authorization": f"Bearer {key}"}, timeout=30)
    async with http, Client(streamable_http_client(f"{url}/mcp", http_client=http)) as client:
        yield client


async def test_stdio_server_serves_the_local_person(tmp_path: Path) -> None:
    env = {"OS1_LLM_BACKEND": "scripted", "OS1_EMBEDDERS": "none"}
    params = StdioServerParameters(
        command=OS1, args=["mcp", "--home", str(tmp_path), "--user", "ann"], env=env
    )
    async with Client(params, read_timeout_seconds=60) as client:
        assert {tool.name for tool in (await client.list_tools()).tools} == TOOLS
        kept = await client.call_tool("remember", {"text": "My sister Ottoline lives in Lisbon."})
        assert not kept.is_error, text_of(kept)
        hits = await client.call_tool("search_memories", {"query": "Ottoline Lisbon", "k": 3})
        assert found(hits) == ["My sister Ottoline lives in Lisbon."]
        memory = hits.structured_content["memories"][0]  # type: ignore[index]
        assert memory["ref"].startswith("e") and memory["sources"][0].startswith("mcp ")
        # the scripted model cites nothing, so the answer is no answer
        asked = await client.call_tool("ask_memories", {"question": "Where is Ottoline?"})
        assert asked.structured_content is not None, text_of(asked)
        assert asked.structured_content["known"] is False
        assert asked.structured_content["answer"] == "I don't know."
        empty = await client.call_tool("ask_memories", {"question": "  "})
        assert empty.is_error and "empty" in text_of(empty)
        reply = await client.call_tool("talk", {"message": "What's a good name for a cat?"})
        assert text_of(reply) == "(scripted reply to: What's a good name for a cat?)"
        live = await client.call_tool("live_conversations", {})
        assert live.structured_content == {"result": 1}
        felt = await client.call_tool("read_feelings", {"text": "Thank you, you saved my day!"})
        assert felt.structured_content is not None, text_of(felt)
        assert felt.structured_content["feelings"][0]["label"] == "gratitude"
        assert "thank" in felt.structured_content["words"]
        foreign = await client.call_tool("read_feelings", {"text": "Muchas gracias por todo hoy"})
        assert foreign.structured_content["language"] == "unknown"  # type: ignore[index]
        own = await client.call_tool("companion_feelings", {})
        assert own.structured_content is not None, text_of(own)
        assert "not feelings the way yours are" in own.structured_content["what_they_are"]
        nudged = await client.call_tool("people_suggestions", {})
        assert nudged.structured_content == {"nudges_on": True, "nudges": []}, text_of(nudged)
        none = await client.call_tool("list_introductions", {})
        assert none.structured_content == {"result": []}, text_of(none)
        closed = await client.call_tool("answer_introduction", {"id": 1, "yes": True})
        assert closed.is_error and "not open to introductions" in text_of(closed)
        known = await client.call_tool("profile", {})
        assert not known.is_error and text_of(known)
        stranger = await client.call_tool("write_letter", {"to": "Bart", "about": "thanks"})
        assert stranger.is_error and "don't know who Bart is" in text_of(stranger)
        piece = await client.call_tool("compose_music", {"about": "first snow in Oslo"})
        assert not piece.is_error, text_of(piece)
        assert piece.structured_content is not None
        assert piece.structured_content["key"].startswith("A ")  # OSLO begins on A (O runs on)
        assert "words alone" in piece.structured_content["why"]
        listed = await client.call_tool("list_music", {})
        assert listed.structured_content is not None
        assert [p["id"] for p in listed.structured_content["result"]] == [
            piece.structured_content["id"]
        ]
        absurd = await client.call_tool("compose_music", {"about": "   "})
        assert absurd.is_error and "nothing to compose about" in text_of(absurd)
        sung = await client.call_tool("write_song", {"about": "first snow in Oslo"})
        assert not sung.is_error, text_of(sung)
        assert sung.structured_content is not None
        assert "[Chorus]" in sung.structured_content["words_and_chords"]
        slower = await client.call_tool(
            "write_song", {"revise": sung.structured_content["id"], "change": "slower"}
        )
        assert not slower.is_error, text_of(slower)
        assert slower.structured_content is not None
        assert slower.structured_content["tempo"] < sung.structured_content["tempo"]
        assert slower.structured_content["changes"][0].startswith("slower")


async def test_http_tools_work_with_a_key(live_server: LiveServer) -> None:
    alice = live_server.person("alice")
    async with over_http(live_server.url, alice.key) as client:
        assert {tool.name for tool in (await client.list_tools()).tools} == TOOLS
        kept = await client.call_tool("remember", {"text": "Alice's cat is called Miso."})
        assert not kept.is_error, text_of(kept)
        assert found(await client.call_tool("search_memories", {"query": "cat Miso"})) == [
            "Alice's cat is called Miso."
        ]
        reply = await client.call_tool("talk", {"message": "hello from an agent"})
        assert text_of(reply) == "(scripted reply to: hello from an agent)"
        live = await client.call_tool("live_conversations", {})
        assert live.structured_content is not None and live.structured_content["result"] >= 1
        assert not (await client.call_tool("profile", {})).is_error
        # a letter: kept, revised into a new version, listed; nobody else sees it
        asked = {"to": "Miso", "about": "thank her for the purring", "who": "my cat"}
        wrote = await client.call_tool("write_letter", asked)
        assert not wrote.is_error, text_of(wrote)
        letter = wrote.structured_content
        assert letter is not None and letter["version"] == 1 and letter["to"] == "Miso"
        revised = await client.call_tool(
            "revise_letter", {"letter": letter["id"], "change": "shorter"}
        )
        assert revised.structured_content is not None, text_of(revised)
        assert revised.structured_content["version"] == 2
        listed = await client.call_tool("list_letters", {})
        assert [x["version"] for x in listed.structured_content["result"]] == [2]  # type: ignore[index]
        # her handwriting, from a picture of the filled-in sheet
        from skills.letters.filled_sheet import as_bytes, filled_sheet

        picture = base64.b64encode(as_bytes(filled_sheet())).decode()
        learned = await client.call_tool("learn_hand", {"picture_base64": picture})
        assert not learned.is_error and "Learned the hand 'mine'" in text_of(learned)
        hands = (await client.call_tool("list_hands", {})).structured_content
        assert hands is not None and [h["name"] for h in hands["result"] if h["own"]] == ["mine"]
        garbled = await client.call_tool("learn_hand", {"picture_base64": "%%%"})
        assert garbled.is_error and "base64" in text_of(garbled)
        # a book of hers: brought, added to her library, searched
        book = "The lighthouse keeper climbed the hundred steps every night."
        await client.call_tool("upload_file", {"name": "keeper.txt", "content": book})
        added = await client.call_tool("add_to_library", {"paths": ["~/keeper.txt", "/etc"]})
        assert added.structured_content is not None, text_of(added)
        assert [b["title"] for b in added.structured_content["added"]] == ["keeper"]
        assert "not among your files" in added.structured_content["skipped"][0]
        passages = await client.call_tool("search_library", {"query": "hundred steps"})
        assert [x["text"] for x in passages.structured_content["result"]] == [book]  # type: ignore[index]
        listed = await client.call_tool("list_library", {})
        assert [b["title"] for b in listed.structured_content["result"]] == ["keeper"]  # type: ignore[index]
        asked = await client.call_tool("ask_library", {"question": "Who climbed the steps?"})
        assert asked.structured_content is not None, text_of(asked)
        assert asked.structured_content["answer"] in ("Your books do not say.", "Scripted")
        blank = await client.call_tool("search_library", {"query": "  "})
        assert blank.is_error and "empty" in text_of(blank)
        # a persona of the keeper's words, built over REST, then asked over MCP
        async with httpx.AsyncClient(base_url=live_server.url, timeout=60) as http:
            made = await http.post("/api/personas", json={"name": "keeper",
                                   "paths": ["~/keeper.txt"]}, headers=alice.headers)  # fmt: skip
        assert made.status_code == 201, made.text
        personas = await client.call_tool("list_personas", {})
        assert [p["name"] for p in personas.structured_content["result"]] == ["keeper"]  # type: ignore[index]
        said = await client.call_tool(
            "ask_persona", {"persona": "keeper", "message": "Who climbed the hundred steps?"}
        )
        assert said.structured_content is not None, text_of(said)
        assert said.structured_content["reply"] and said.structured_content["sources"]
        assert said.structured_content["sources"][0]["text"] == book
        # the person's companion and the persona talk, kept in the person's talks
        talked = await client.call_tool(
            "converse", {"first": "companion", "second": "persona:keeper", "turns": 2}
        )
        assert talked.structured_content is not None, text_of(talked)
        lines = talked.structured_content["lines"]
        assert [x["speaker"] for x in lines] == ["companion:alice", "persona:keeper"]
        assert talked.structured_content["id"] > 0
        alone = await client.call_tool("converse", {"first": "companion", "second": "companion"})
        assert alone.is_error and "cannot talk with itself" in text_of(alone)
    async with over_http(live_server.url, live_server.person("bob").key) as client:
        assert (await client.call_tool("list_letters", {})).structured_content == {"result": []}
        nothing = await client.call_tool("search_library", {"query": "hundred steps"})
        assert nothing.structured_content == {"result": []}
        none = await client.call_tool("list_personas", {})
        assert none.structured_content == {"result": []}
        stranger = await client.call_tool("ask_persona", {"persona": "keeper", "message": "hi"})
        assert stranger.is_error and "no persona called 'keeper'" in text_of(stranger)
        theirs = await client.call_tool("revise_letter", {"letter": letter["id"], "change": "x"})
        assert theirs.is_error and "no letter" in text_of(theirs)
    # the turn is alice's conversation, as if she had typed it in the web UI
    history = live_server.call(lambda: live_server.services.companion.history("alice"))
    assert [h.text for h in history][-2:] == [
        "hello from an agent",
        "(scripted reply to: hello from an agent)",
    ]


async def test_each_key_sees_only_its_own_memories(live_server: LiveServer) -> None:
    alice, bob = live_server.person("alice"), live_server.person("bob")
    async with over_http(live_server.url, alice.key) as client:
        await client.call_tool("remember", {"text": "My passport number is X1234567."})
    async with over_http(live_server.url, bob.key) as client:
        await client.call_tool("remember", {"text": "Bob's passport expires in June."})
        assert found(await client.call_tool("search_memories", {"query": "passport"})) == [
            "Bob's passport expires in June."
        ]
        live = await client.call_tool("live_conversations", {})
        assert live.structured_content == {"result": 2}  # alice's and bob's, no more
    async with over_http(live_server.url, alice.key) as client:
        assert found(await client.call_tool("search_memories", {"query": "passport"})) == [
            "My passport number is X1234567."
        ]


def _rpc(method: str, params: dict[str, Any], ident: int = 1) -> str:
    return json.dumps({"jsonrpc": "2.0", "id": ident, "method": method, "params": params})


INIT = _rpc(
    "initialize",
    {
        "protocolVersion": "2025-06-18",
        "capabilities": {},
        "clientInfo": {"name": "probe", "version": "0"},
    },
)
SNEAK = _rpc("tools/call", {"name": "remember", "arguments": {"text": "planted by a stranger"}}, 2)


async def test_no_key_or_wrong_key_is_refused_and_stores_nothing(live_server: LiveServer) -> None:
    alice = live_server.person("alice")
    async with httpx.AsyncClient(base_url=live_server.url, timeout=30) as http:
        for headers in ({}, {"Authorization": "Bearer os1_not-a-real-key"}, {"Cookie": "x=1"}):
            for body in (INIT, SNEAK):
                answer = await http.post("/mcp", content=body, headers={**ACCEPT, **headers})
                assert answer.status_code == 401
                assert answer.json()["error"]["code"] == "unauthorized"
                assert answer.headers["www-authenticate"] == "Bearer"
    async with over_http(live_server.url, alice.key) as client:
        assert found(await client.call_tool("search_memories", {"query": "planted stranger"})) == []


async def test_a_session_belongs_to_the_key_that_opened_it(live_server: LiveServer) -> None:
    alice, bob = live_server.person("alice"), live_server.person("bob")
    async with httpx.AsyncClient(base_url=live_server.url, timeout=30) as http:
        opened = await http.post("/mcp", content=INIT, headers={**ACCEPT, **alice.headers})
        assert opened.status_code == 200
        session = {"Mcp-Session-Id": opened.headers["mcp-session-id"]}
        stolen = await http.post(
            "/mcp", content=SNEAK, headers={**ACCEPT, **bob.headers, **session}
        )
        assert stolen.status_code == 404
        await http.delete("/mcp", headers={**alice.headers, **session})
    async with over_http(live_server.url, alice.key) as client:
        assert found(await client.call_tool("search_memories", {"query": "planted stranger"})) == []


async def test_bad_arguments_are_tool_errors_and_the_server_goes_on(
    live_server: LiveServer,
) -> None:
    alice = live_server.person("alice")
    async with over_http(live_server.url, alice.key) as client:
        await client.call_tool("remember", {"text": "I run on Tuesdays."})
        bad = {  # arguments -> what the error says
            (("query", "run"), ("k", 0)): "k must be between 1 and 50 (got 0)",
            (("query", "run"), ("k", 51)): "k must be between 1 and 50 (got 51)",
            (("query", ""),): "The query is empty",
            (("query", "   \n"),): "The query is empty",
            (("query", "run " * 2_000),): "The query is too long (8,000 characters",
            (("query", "run"), ("k", "many")): "valid integer",
            (): "query",
        }
        for arguments, says in bad.items():
            result = await client.call_tool("search_memories", dict(arguments))
            assert result.is_error and says in text_of(result), (arguments, text_of(result))
        assert (await client.call_tool("talk", {"message": ""})).is_error
        assert (await client.call_tool("remember", {"text": "x" * 20_001})).is_error
        assert found(await client.call_tool("search_memories", {"query": "run Tuesdays"})) == [
            "I run on Tuesdays."
        ]


async def test_over_the_turn_rate_talk_says_when_to_come_back(live_server: LiveServer) -> None:
    alice = live_server.person("alice")
    async with over_http(live_server.url, alice.key) as client:
        for n in range(30):
            reply = await client.call_tool("talk", {"message": f"message {n}"})
            if reply.is_error:
                break
        assert reply.is_error and "Too many turns" in text_of(reply), text_of(reply)
        assert "try again" in text_of(reply)
        assert not (await client.call_tool("profile", {})).is_error  # the session goes on


@pytest.mark.real_model
async def test_talk_over_mcp_with_the_real_model(
    real_settings: Settings, real_llm: LocalGGUF, tmp_path: Path
) -> None:
    settings = real_settings.model_copy(
        update={"home": tmp_path / "mcp-home", "embedders": "none", "port": free_port()}
    )
    db = await Database.open(settings.db_path)
    limits = TurnLimits(n_ctx=real_llm.n_ctx, max_reply_tokens=40, temperature=0.2, seed=7)
    companion = Companion(db, real_llm, limits)
    server = LiveServer(settings, companion).start()
    try:
        zoe = server.person("zoe")
        async with over_http(server.url, zoe.key) as client:
            reply = await client.call_tool("talk", {"message": "What is the capital of Japan?"})
        assert not reply.is_error and text_of(reply).strip(), text_of(reply)
        assert "scripted" not in text_of(reply)
        history = server.call(lambda: companion.history("zoe"))
        assert history[-1].role == "assistant" and history[-1].text == text_of(reply)
    finally:
        server.call(companion.stop_background)
        server.stop()
        await db.aclose()
