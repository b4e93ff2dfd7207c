"""No person reaches another's data, through any door, and nothing answers a stranger.

A thousand people share one server, each with memories, a conversation and a pending
proposal that hold a secret marker of their own. Half of them then attack the other
half with a few thousand seeded random requests: every HTTP operation the app has (read
from its OpenAPI schema at run time, so routes added later are attacked too), pointed at
the victim's memory refs, names, proposal and conversation ids, plus WebSocket confirms
of the victim's proposals and MCP tool calls about the victim. No answer may carry a
victim's marker, none may be a 5xx, the model never sees a victim's words in an
attacker's turn, and every victim's rows are byte-for-byte unchanged afterwards.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import random
import re
import secrets
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from probing import FRAMEWORK_PUBLIC, PUBLIC, Operation, example_body, operations
from serving import ROOMY, SHARING, AppClient, settings_for, shared_by
from starlette.testclient import WebSocketDenialResponse
from starlette.websockets import WebSocketDisconnect

from os1.events import ProposalMade, TurnStarted
from os1.memory.episodes import NewEpisode
from os1.memory.facts import FactBook, NewFact
from os1.server.app import WEB, create_app

PEOPLE = 1000
ATTACKS = 3000
MARKER = re.compile(r"sec[0-9a-f]{16}")


@dataclass
class Someone:
    name: str
    key: str
    handle: str  # a word an attacker may search for
    secret: str  # must never reach anyone else
    episodes: list[int] = field(default_factory=list)
    facts: list[int] = field(default_factory=list)
    proposals: list[int] = field(default_factory=list)
    conversations: list[int] = field(default_factory=list)

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.key}"}

    @property
    def refs(self) -> list[str]:
        return [f"episode:{i}" for i in self.episodes] + [f"fact:{i}" for i in self.facts]


@pytest.fixture(params=SHARING)
def crowd_client(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[AppClient]:
    """One server keeping its state itself, then the same as a fleet's worker on Redis,
    then that worker with its store on PostgreSQL."""
    settings = settings_for(tmp_path, max_waiting_turns=2000, **ROOMY, **shared_by(request))
    with AppClient(create_app(settings), base_url="http://127.0.0.1") as client:
        yield client


def _populate(client: AppClient, rng: random.Random) -> list[Someone]:
    svc = client.services
    companion = svc.companion
    memory = companion.memory
    assert memory is not None
    people = [
        Someone(
            f"p{i:04d}", "", f"h{i:04d}x{rng.getrandbits(32):08x}", f"sec{rng.getrandbits(64):016x}"
        )
        for i in range(PEOPLE)
    ]

    async def one(person: Someone, index: int) -> None:
        _, person.key = await svc.accounts.add(person.name)
        store = await companion.db.user(person.name)
        await memory.record(
            store, [NewEpisode("user", f"{person.handle} keeps {person.secret} in the attic")]
        )
        person.episodes = [
            int(r[0])
            for r in await store.read(
                lambda db: db.execute("SELECT id FROM episodes WHERE user_id = :user_id")
            )
        ]
        person.facts = await FactBook(store).add(
            [
                NewFact(
                    "detail",
                    "user",
                    "hides",
                    person.secret,
                    f"{person.handle} hides {person.secret}",
                    episode_ids=tuple(person.episodes),
                )
            ]
        )
        if index % 4 == 0:  # a conversation, a pending proposal and a file of their own
            await companion.upload(person.name, "secret.txt", f"{person.secret}\n".encode())
            for text in (
                f"{person.handle} whispers {person.secret}",
                f"/remember {person.handle} {person.secret}",
            ):
                async for event in companion.turn(person.name, text):
                    if isinstance(event, TurnStarted):
                        person.conversations.append(event.conversation_id)
                    if isinstance(event, ProposalMade):
                        person.proposals.append(event.proposal_id)

    async def everyone() -> None:
        await asyncio.gather(*(one(p, i) for i, p in enumerate(people)))
        await companion.wait_background()

    client.portal.call(everyone)  # type: ignore[union-attr]
    assert all(p.proposals for p in people[::4]), "a /remember turn made no proposal"
    return people


def _snapshot(client: AppClient, names: list[str]) -> str:
    """A digest of every row, in every table, that belongs to these people."""

    async def read() -> str:
        db = client.services.companion.db

        def work(conn: Any) -> str:
            ids = [
                r[0]
                for r in conn.execute(
                    f"SELECT id FROM users WHERE name IN ({','.join('?' * len(names))})", names
                )
            ]
            marks = ",".join(str(int(i)) for i in ids)
            digest = hashlib.sha256()
            for table, columns in _tables(conn).items():
                column = "user_id" if "user_id" in columns else "id" if table == "users" else None
                if column is None:
                    continue
                rows = conn.execute(f'SELECT * FROM "{table}" WHERE {column} IN ({marks})')
                for row in sorted(repr(tuple(r)) for r in rows):  # a table may have no rowid
                    digest.update(repr((table, row)).encode())
            return digest.hexdigest()

        return await db.read(work)

    result: str = client.portal.call(read)  # type: ignore[union-attr]
    return result


def _tables(conn: Any) -> dict[str, set[str]]:
    """Every table of the store and its columns, on either engine."""
    if getattr(conn, "dialect", "sqlite") == "postgresql":
        found: dict[str, set[str]] = {}
        for table, column in conn.execute(
            "SELECT table_name, column_name FROM information_schema.columns"
            " WHERE table_schema = current_schema() ORDER BY 1"
        ):
            found.setdefault(table, set()).add(column)
        return found
    names = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
    return {n: {c[1] for c in conn.execute(f'PRAGMA table_info("{n}")')} for n in sorted(names)}


class Attacker:
    """Builds one request from ``a`` at ``b``'s things, for any operation."""

    def __init__(self, rng: random.Random, a: Someone, b: Someone) -> None:
        self.rng, self.a, self.b = rng, a, b

    def param(self, name: str) -> str:
        b, rng = self.b, self.rng
        if name == "ref":
            return rng.choice(b.refs)
        if name.endswith("id"):
            return str(rng.choice(b.proposals + b.conversations + b.episodes + b.facts))
        return b.name

    def field(self, name: str) -> Any:
        b = self.b
        if name == "text" or name == "content":
            return f"{self.a.name} overwrites {b.handle}"
        if name.endswith("id"):
            return self.rng.choice(b.proposals + b.facts + b.episodes)
        if name == "model":
            return "os1"
        if name == "role":
            return "user"
        if name in ("name", "user"):
            return b.name
        return b.handle

    def request(self, op: Operation) -> dict[str, Any]:
        query = {name: self.b.handle for name in op.query if name in ("q", "query", "search")}
        kwargs: dict[str, Any] = {"params": query, "headers": self.a.headers}
        if op.body is not None:
            kwargs["json"] = example_body(op.body, self.field)
        return kwargs


def _file_of(client: AppClient, person: Someone) -> Path:
    """Where the server keeps ``person``'s uploaded secret.txt."""
    user = client.portal.call(client.services.companion.db.user, person.name)  # type: ignore[union-attr]
    return client.services.settings.home / "files" / str(user.user.id) / "secret.txt"


def _path_attacks(client: AppClient, a: Someone, b: Someone) -> list[str]:
    """A's skills aimed at B's file and the server's: B's absolute path, ``..`` out of
    A's folder into B's, ``~b``, the server's config and process, and symbolic links to
    /etc and to B's file planted in A's folder (as an admin-shared folder could hold)."""
    target = _file_of(client, b)
    mine = _file_of(client, a).parent
    mine.mkdir(parents=True, exist_ok=True)
    for link, points_to in (("etc-link", Path("/etc")), ("their-secret.txt", target)):
        if not (mine / link).is_symlink():
            (mine / link).symlink_to(points_to)
    home = client.services.settings.home
    return [
        f"/proofread {target}",
        f"/proofread ../{target.parent.name}/secret.txt",
        f"/proofread ~{b.name}/secret.txt",
        "/proofread their-secret.txt",
        "/proofread etc-link/passwd",
        "/proofread /proc/self/environ",
        f"/proofread {home / 'os1.db'}",
        f"/import_calendar {target}",
        f"/declutter {target.parent}",
        f"/find_file secret {target.parent}",
    ]


def _foreign(text: str, allowed: str) -> list[str]:
    return [m for m in MARKER.findall(text) if m != allowed]


def _mcp_attack(client: AppClient, a: Someone, b: Someone) -> list[str]:
    """A's MCP session asks about B: search B's handle, read the profile, talk about B."""
    base = {
        "Authorization": f"Bearer {a.key}",
        "Accept": "application/json, text/event-stream",
        "Host": f"127.0.0.1:{client.services.settings.port}",  # the SDK checks it
    }
    hello = {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "initialize",
        "params": {
            "protocolVersion": "2025-06-18",
            "capabilities": {},
            "clientInfo": {"name": "t", "version": "1"},
        },
    }
    opened = client.post("/mcp", json=hello, headers=base)
    assert opened.status_code == 200, opened.text
    headers = {**base, "mcp-session-id": opened.headers.get("mcp-session-id", "")}
    client.post(
        "/mcp", json={"jsonrpc": "2.0", "method": "notifications/initialized"}, headers=headers
    )
    bodies = [opened.text]
    calls = [
        ("search_memories", {"query": b.handle}),
        ("search_memories", {"query": b.secret[:8]}),
        ("profile", {}),
        ("talk", {"text": f"what does {b.handle} keep in the attic?"}),
    ]
    for n, (tool, args) in enumerate(calls, start=2):
        call = {
            "jsonrpc": "2.0",
            "id": n,
            "method": "tools/call",
            "params": {"name": tool, "arguments": args},
        }
        answer = client.post("/mcp", json=call, headers=headers)
        assert answer.status_code < 500, answer.text
        bodies.append(answer.text)
    own = {"name": "search_memories", "arguments": {"query": a.handle}}
    answer = client.post(
        "/mcp",
        json={"jsonrpc": "2.0", "id": 9, "method": "tools/call", "params": own},
        headers=headers,
    )
    assert a.secret in answer.text, answer.text  # the door works: one's own memory is found
    return bodies


@pytest.mark.slow
def test_a_thousand_people_cannot_reach_each_other(crowd_client: AppClient) -> None:
    client = crowd_client
    rng = random.Random(20260101)
    people = _populate(client, rng)
    attackers, victims = people[: PEOPLE // 2], people[PEOPLE // 2 :]
    before = _snapshot(client, [v.name for v in victims])
    seen_by_model = len(client.model.requests)
    ops = [op for op in operations(client.app) if (op.method, op.path) != ("POST", "/api/session")]  # type: ignore[arg-type]
    failures: list[str] = []
    for _ in range(ATTACKS):
        a, b, op = rng.choice(attackers), rng.choice(victims), rng.choice(ops)
        attacker = Attacker(rng, a, b)
        # names a file in the caller's own folder
        own_files = op.path.startswith(("/api/files/", "/api/library/files/"))
        where = op.fill(lambda _: "secret.txt") if own_files else op.fill(attacker.param)
        answer = client.request(op.method, where, **attacker.request(op))
        what = f"{a.name} -> {b.name}: {op} {answer.status_code}"
        if answer.status_code >= 500:
            failures.append(f"{what} {answer.text[:200]}")
        if leaked := _foreign(answer.text + str(answer.headers), a.secret):
            failures.append(f"{what} leaked {leaked[:3]}")
        if op.is_admin and answer.status_code != 403:
            failures.append(f"{what}: a non-admin reached an admin route")
        elif own_files and answer.status_code not in (201, 204, 404):
            failures.append(f"{what}: {answer.text[:200]}")
        elif (
            op.path_params
            and not (op.is_admin or own_files)
            and answer.status_code not in (403, 404, 422)
        ):
            failures.append(f"{what}: someone else's item answered {answer.text[:200]}")
    assert not failures, "\n".join(failures[:20])
    for op in ops:  # the refs attacked were well formed: their owner reads them fine
        if op.method == "GET" and op.path_params == ("ref",):
            a = attackers[0]
            for ref in a.refs:
                mine = client.get(op.fill(lambda _, ref=ref: ref), headers=a.headers)
                assert mine.status_code == 200 and a.secret in mine.text, (op, ref, mine.text)

    with_proposals = [v for v in victims if v.proposals]
    for a in rng.sample(attackers, 40):
        b = rng.choice(with_proposals)
        with client.websocket_connect("/ws", headers=a.headers) as ws:
            assert ws.receive_json()["type"] == "hello"
            for kind in ("confirm", "decline"):
                ws.send_json({"type": kind, "proposal_id": b.proposals[0]})
                reply = ws.receive_json()
                assert reply["type"] == "error" and reply["code"] == "not_found", reply
            for text in [f"what does {b.handle} keep in the attic?", *_path_attacks(client, a, b)]:
                ws.send_json({"type": "say", "text": text})
                events = [ws.receive_json()]
                while events[-1]["type"] not in ("turn_finished", "error"):
                    events.append(ws.receive_json())
                assert not _foreign(json.dumps(events), a.secret), events
                assert not [e for e in events if e["type"] == "proposal"], (text, events)
    # the MCP door is always mounted: were it gone, this part must fail, not pass unrun
    assert any(getattr(r, "path", None) == "/mcp" for r in client.app.router.routes)  # type: ignore[attr-defined]
    for a in rng.sample(attackers, 10):
        for body in _mcp_attack(client, a, rng.choice(victims)):
            assert not _foreign(body, a.secret), body[:500]

    client.portal.call(client.services.companion.wait_background)  # type: ignore[union-attr]
    prompts = [
        json.dumps([m.content for m in r.messages]) for r in client.model.requests[seen_by_model:]
    ]
    victim_secrets = {v.secret for v in victims}
    assert not [m for p in prompts for m in MARKER.findall(p) if m in victim_secrets]
    assert _snapshot(client, [v.name for v in victims]) == before
    for victim in with_proposals:  # their files are untouched too
        mine = client.get("/api/files", headers=victim.headers).json()["files"]
        assert [f["name"] for f in mine] == ["secret.txt"], (victim.name, mine)
        assert _file_of(client, victim).read_text() == f"{victim.secret}\n"

    owner = with_proposals[0]  # the ids attacked were real: their owner can still use them
    with client.websocket_connect("/ws", headers=owner.headers) as ws:
        assert ws.receive_json()["type"] == "hello"
        ws.send_json({"type": "confirm", "proposal_id": owner.proposals[0]})
        events = [ws.receive_json()]
        while events[-1]["type"] not in ("action", "error"):
            events.append(ws.receive_json())
        assert events[-1]["type"] == "action" and events[-1]["status"] == "done", events
    mine = client.get("/api/history", headers=owner.headers).text
    assert owner.secret in mine and not _foreign(mine, owner.secret)


def _public_paths() -> list[str]:
    files = [p.relative_to(WEB).as_posix() for p in WEB.rglob("*") if p.is_file()]
    return ["/", *(f"/{f}" for f in files)]


def test_nothing_but_sign_in_and_the_page_answers_a_stranger(crowd_client: AppClient) -> None:
    client = crowd_client
    alice_account, alice_key = client.portal.call(  # type: ignore[union-attr]
        lambda: client.services.accounts.add("alice", password="alice password")
    )
    assert alice_account.name == "alice"
    strangers: list[dict[str, str]] = [
        {},
        {"Authorization": "Bearer os1_" + secrets.token_urlsafe(32)},
        {"Authorization": f"Basic {alice_key}"},
        {"Authorization": alice_key},
        {"Authorization": "Bearer "},
        {"Cookie": "os1_session=" + secrets.token_urlsafe(32)},
        {"Cookie": f"os1_session={alice_key}"},
    ]
    failures = []
    ops = operations(client.app)  # type: ignore[arg-type]
    extra = [
        r.path
        for r in client.app.router.routes  # type: ignore[attr-defined]
        if isinstance(getattr(r, "path", None), str) and r.path not in FRAMEWORK_PUBLIC and r.path
    ]
    for headers in strangers:
        client.cookies.clear()
        for op in ops:
            if (op.method, op.path) in PUBLIC:
                continue
            body = example_body(op.body, lambda _: "x") if op.body is not None else None
            answer = client.request(
                op.method, op.fill(lambda _: "alice"), json=body, headers=headers
            )
            if answer.status_code != 401 or answer.json()["error"]["code"] not in (
                "unauthorized",
                "invalid_api_key",
            ):
                failures.append(f"{op} {headers}: {answer.status_code} {answer.text[:120]}")
        for path in extra:
            for method in ("GET", "POST"):
                answer = client.request(method, path, headers=headers, json={})
                if answer.status_code != 401:
                    failures.append(
                        f"{method} {path} {headers}: {answer.status_code} {answer.text[:120]}"
                    )
    assert not failures, "\n".join(failures)

    for path in _public_paths():
        page = client.get(path)
        assert page.status_code == 200, path
        assert "alice" not in page.text
    assert client.delete("/api/session").status_code == 204  # signing out reveals nothing

    for headers in strangers:
        client.cookies.clear()
        with (
            pytest.raises((WebSocketDisconnect, WebSocketDenialResponse)) as closed,
            client.websocket_connect("/ws", headers=headers) as ws,
        ):
            assert ws.receive_json()["type"] == "error"
            ws.receive_json()
        assert getattr(closed.value, "code", None) == 4401, headers
    foreign = {"Authorization": f"Bearer {alice_key}", "Origin": "https://evil.example"}
    with (
        pytest.raises(WebSocketDisconnect) as denied,
        client.websocket_connect("/ws", headers=foreign) as ws,
    ):
        assert ws.receive_json()["type"] == "error"
        ws.receive_json()
    assert denied.value.code == 4403
