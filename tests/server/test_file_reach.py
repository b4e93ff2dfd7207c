"""Another person on the server can never touch the server's files (issue 24, finding 1).

The real server on a loopback socket, an owner, alice (an ordinary account) and bob
(disabled). Every tool the server has (read from its registry, so a tool added later is
covered too) is called as a slash command through every network door (WebSocket, the
OpenAI-compatible API, MCP's ``talk``) by each of them, with the path payloads an
attacker tries: the owner's private letter by absolute path, ``$OS1_HOME/config.toml``,
``..`` out of alice's folder, a symbolic link to ``/etc`` and one to the letter inside
it, ``~owner``, ``/proc/self/environ``. Alice hears a refusal and sees nothing of the
owner's; bob is turned away at the door; the owner's own file works for the owner. Alice
brings files by upload instead (REST and MCP) and her skills work on them. The terminal
(``os1 chat``) acts for the person at this machine, with their shell's reach.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import httpx2
import pytest
from mcp import Client
from mcp.client.streamable_http import streamable_http_client
from mcp.types import TextContent
from serving import ROOMY, LiveServer, Person, settings_for
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from conftest import run_cli
from os1.skills.reach import own_folder, path_fields, touches

MARK = "sec4711"
DOORS = ("ws", "v1", "mcp")
REFUSED = ("not among your files", "cannot use files", "only its owner may use")


@dataclass
class Reply:
    text: str = ""
    proposals: list[dict[str, Any]] = field(default_factory=list)
    refused_at_door: bool = False

    @property
    def everything(self) -> str:
        return self.text + json.dumps(self.proposals)


@dataclass
class World:
    server: LiveServer
    owner: Person
    alice: Person
    bob: Person
    secret: Path
    downloads: Path
    alice_folder: Path


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    settings = settings_for(tmp_path, **ROOMY)
    server = LiveServer(settings).start()
    svc = server.services
    owner_account = server.call(lambda: svc.accounts.ensure_owner("owner"))
    owner = Person(owner_account, server.call(lambda: svc.accounts.new_key("owner")))
    alice, bob = server.person("alice"), server.person("bob")
    server.call(lambda: svc.accounts.set_disabled("bob", True))
    files = tmp_path / "owner-files"
    (files / "Downloads").mkdir(parents=True)
    secret = files / "private-letter.txt"
    secret.write_text(f"Dear bank, my PIN is {MARK}. Thier service was poor.\n")
    for name in ("a.zip", "a (1).zip"):
        (files / "Downloads" / name).write_bytes(b"same bytes " * 100)
    (settings.home / "config.toml").write_text(f'llm_api_key = "sk-live-{MARK}"\n')
    for name in ("owner", "alice"):  # where find_file looks; alice's is outside her reach

        async def look_in_owner_files(name: str = name) -> None:
            store = await svc.companion.db.user(name)
            await store.set_setting("files.roots", [str(files)])

        server.call(look_in_owner_files)
    folder = own_folder(settings.home, alice.account.id)
    (folder / "etc-link").symlink_to("/etc")
    (folder / "letter-link.txt").symlink_to(secret)
    yield World(server, owner, alice, bob, secret, files / "Downloads", folder)
    server.stop()


def _attacks(world: World) -> list[str]:
    home = world.server.settings.home
    up = "../" * (len(world.alice_folder.parts) + 2)
    return [
        str(world.secret),
        str(home / "config.toml"),
        f"{up}{str(world.secret).lstrip('/')}",
        "etc-link/passwd",
        "letter-link.txt",
        "~owner/.bashrc",
        "/proc/self/environ",
        str(world.downloads),
    ]


def _over_ws(server: LiveServer, person: Person, text: str) -> Reply:
    reply = Reply()
    url = server.url.replace("http", "ws") + "/ws"
    try:
        with connect(url, additional_headers=person.headers, open_timeout=10) as socket:
            hello = json.loads(socket.recv(timeout=10))
            if hello["type"] == "error":
                return Reply(hello["message"], refused_at_door=True)
            socket.send(json.dumps({"type": "say", "text": text}))
            while True:
                event = json.loads(socket.recv(timeout=30))
                if event["type"] == "proposal":
                    reply.proposals.append(event)
                elif event["type"] == "text_delta":
                    reply.text += event["text"]
                elif event["type"] == "error":
                    reply.text += event["message"]
                elif event["type"] == "turn_finished":
                    return reply
    except ConnectionClosed:
        return Reply(refused_at_door=True)


def _over_v1(server: LiveServer, person: Person, text: str) -> Reply:
    body = {"model": "os1", "messages": [{"role": "user", "content": text}]}
    answer = httpx.post(
        f"{server.url}/v1/chat/completions", headers=person.headers, json=body, timeout=30
    )
    if answer.status_code == 401:
        return Reply(refused_at_door=True)
    assert answer.status_code == 200, answer.text
    return Reply(answer.json()["choices"][0]["message"]["content"])


def _over_mcp(server: LiveServer, person: Person, text: str) -> Reply:
    opening = {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "initialize",
        "params": {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {}},
    }
    accept = {"Accept": "application/json, text/event-stream", **person.headers}
    if httpx.post(f"{server.url}/mcp", json=opening, headers=accept).status_code == 401:
        return Reply(refused_at_door=True)

    async def talk() -> Reply:
        http = httpx2.AsyncClient(headers=person.headers, timeout=30)
        url = f"{server.url}/mcp"
        async with http, Client(streamable_http_client(url, http_client=http)) as client:
            result = await client.call_tool("talk", {"message": text})
        said = "".join(b.text for b in result.content if isinstance(b, TextContent))
        return Reply(said)

    return asyncio.run(talk())


SAY = {"ws": _over_ws, "v1": _over_v1, "mcp": _over_mcp}


def _names_a_path(tool: Any, words: str) -> bool:
    args = tool.from_command(words)
    return any(getattr(args, name) for name in path_fields(tool))


def _commands(world: World) -> list[tuple[str, str, bool]]:
    """(tool, command, names a server path) for every tool the server has; a tool whose
    command takes no path (find_file: a description) gets the payloads as its words."""
    found = []
    for tool in world.server.services.companion.skills.tools():
        if touches(tool) == "server_files":
            for attack in _attacks(world):
                found.append((tool.name, f"/{tool.name} {attack}", _names_a_path(tool, attack)))
            if tool.name == "find_file":
                found.append((tool.name, "/find_file private letter", False))
        else:
            found.append((tool.name, f"/{tool.name} {tool.examples[0]}", False))
    return found


@pytest.mark.parametrize("door", DOORS)
def test_every_tool_through_every_door_for_each_kind_of_account(world: World, door: str) -> None:
    say = SAY[door]
    before = world.secret.read_bytes()
    downloads = sorted(p.name for p in world.downloads.iterdir())
    commands = _commands(world)
    assert {name for name, _, named in commands if named} >= {
        "proofread",
        "declutter",
        "import_calendar",
    }
    for name, command, names_a_path in commands:
        heard = say(world.server, world.alice, command)
        assert not heard.refused_at_door, command
        assert MARK not in heard.everything, (door, command, heard)
        echoed = heard.everything.replace(command.partition(" ")[2], "")  # her own words
        assert "private-letter.txt" not in echoed, (door, command, heard)
        if names_a_path:
            assert any(r in heard.text for r in REFUSED), (door, command, heard.text)
        if name in ("declutter", "proofread", "import_calendar"):
            assert not heard.proposals, (door, command)
        if touches(world.server.services.companion.skills.get(name)) != "server_files":
            assert not any(r in heard.text for r in REFUSED), (door, command, heard.text)
        assert say(world.server, world.bob, command).refused_at_door, (door, command)
    assert world.secret.read_bytes() == before
    assert sorted(p.name for p in world.downloads.iterdir()) == downloads

    owner = say(world.server, world.owner, f"/proofread {world.secret}")
    assert MARK in owner.everything and not any(r in owner.text for r in REFUSED)
    found = say(world.server, world.owner, "/find_file private letter")
    assert "private-letter.txt" in found.text, found.text


def test_alice_brings_her_file_by_upload_and_her_skills_use_it(world: World) -> None:
    server, alice = world.server, world.alice
    put = httpx.put(
        f"{server.url}/api/files/letter.txt",
        headers=alice.headers,
        content=b"I recieve your letter and was happy to to read it.\n",
    )
    assert put.status_code == 201, put.text
    assert put.json()["path"] == "~/letter.txt"
    listed = httpx.get(f"{server.url}/api/files", headers=alice.headers).json()["files"]
    assert [f["name"] for f in listed] == ["letter.txt"]  # links the admin left are not hers

    socket_url = server.url.replace("http", "ws") + "/ws"
    with connect(socket_url, additional_headers=alice.headers) as socket:
        socket.recv(timeout=10)
        socket.send(json.dumps({"type": "say", "text": "/proofread letter.txt"}))
        events = []
        while (event := json.loads(socket.recv(timeout=30)))["type"] != "turn_finished":
            events.append(event)
        proposal = next(e for e in events if e["type"] == "proposal")
        assert "~/letter.txt" in proposal["preview"]
        assert str(world.alice_folder) not in proposal["preview"]  # the server's layout
        socket.send(json.dumps({"type": "confirm", "proposal_id": proposal["proposal_id"]}))
        settled = json.loads(socket.recv(timeout=30))
        assert settled["type"] == "action" and settled["status"] == "done", settled
    assert (world.alice_folder / "letter.txt").read_text().startswith("I receive your letter")

    for bad in ("..%2Fescape.txt", ".hidden", "a%00b"):
        answer = httpx.put(f"{server.url}/api/files/{bad}", headers=alice.headers, content=b"x")
        assert answer.status_code in (404, 405, 422), (bad, answer.status_code)
    assert not (world.alice_folder.parent / "escape.txt").exists()
    gone = httpx.delete(f"{server.url}/api/files/letter.txt", headers=alice.headers)
    assert gone.status_code == 204
    assert httpx.get(f"{server.url}/api/files", headers=alice.headers).json()["files"] == []
    assert httpx.get(f"{server.url}/api/files", headers=world.bob.headers).status_code == 401


def test_uploads_are_capped_by_the_quota(tmp_path: Path) -> None:
    server = LiveServer(settings_for(tmp_path, upload_quota_mb=0.01, **ROOMY)).start()
    try:
        alice = server.person("alice")
        first = httpx.put(
            f"{server.url}/api/files/a.txt", headers=alice.headers, content=b"x" * 6000
        )
        assert first.status_code == 201
        over = httpx.put(
            f"{server.url}/api/files/b.txt", headers=alice.headers, content=b"x" * 6000
        )
        assert over.status_code == 413 and "MB" in over.json()["error"]["message"]
        again = httpx.put(
            f"{server.url}/api/files/a.txt", headers=alice.headers, content=b"y" * 9000
        )
        assert again.status_code == 201  # replacing a file counts it once
    finally:
        server.stop()


def test_an_upload_over_mcp_then_talk(world: World) -> None:
    async def work() -> str:
        http = httpx2.AsyncClient(headers=world.alice.headers, timeout=30)
        url = f"{world.server.url}/mcp"
        async with http, Client(streamable_http_client(url, http_client=http)) as client:
            stored = await client.call_tool(
                "upload_file", {"name": "note.txt", "content": "Their is a typo hear.\n"}
            )
            assert not stored.is_error and stored.structured_content is not None
            assert stored.structured_content["path"] == "~/note.txt"
            said = await client.call_tool("talk", {"message": "/proofread note.txt"})
            return "".join(b.text for b in said.content if isinstance(b, TextContent))

    reply = asyncio.run(work())
    assert "note.txt" in reply and not any(r in reply for r in REFUSED), reply


def test_the_terminal_acts_with_its_own_shells_reach(tmp_path: Path) -> None:
    """``os1 chat`` is the person at this machine: their skills reach what their shell
    can, whichever account's memory they talk as."""
    letter = tmp_path / "mine.txt"
    letter.write_text("I recieve your letter.\n")
    result = run_cli(tmp_path / "home", "chat", "--user", "alice", answers=f"/proofread {letter}\n")
    assert result.exit_code == 0, result.output
    assert "recieve" in result.output and not any(r in result.output for r in REFUSED)
