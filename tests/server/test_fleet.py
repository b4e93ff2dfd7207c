"""Workers that share Redis share their limits and their live count: one person's rate is
one rate across the fleet, the turn line is one line with true places, and a worker that
dies (kill -9) gives back what it held by itself. Against a real redis-server."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis
import websockets.sync.client
from order_check import one_at_a_time_in_order
from redis_service import RedisServer
from serving import ROOMY, LiveServer, free_port, settings_for

from os1.errors import ConfigError
from os1.models.scripted import ScriptedLLM
from os1.presence import Presence
from os1.server import fleet as fleet_module
from os1.server.fleet import NEWS, Fleet, FleetBuckets, FleetGate, FleetTurnOrder
from os1.server.problems import HttpProblem


@pytest.fixture
async def workers(redis_url: str) -> AsyncIterator[tuple[Fleet, Fleet]]:
    """Two workers' links to one Redis, each running as a server runs it."""
    a, b = Fleet(redis_url, "worker-a"), Fleet(redis_url, "worker-b")
    async with a.running(Presence()), b.running(Presence()):
        yield a, b


async def test_a_persons_rate_is_one_rate_across_workers(workers: tuple[Fleet, Fleet]) -> None:
    a, b = workers
    on_a = FleetBuckets(a, "turns", per_minute=60, burst=3)
    on_b = FleetBuckets(b, "turns", per_minute=60, burst=3)
    await on_a.take("u1", "turns")
    await on_b.take("u1", "turns")
    await on_a.take("u1", "turns")
    with pytest.raises(HttpProblem) as limited:
        await on_b.take("u1", "turns")
    assert limited.value.status == 429 and int(limited.value.headers["Retry-After"]) >= 1
    await on_b.take("u2", "turns")  # another person is not affected
    await on_a.give_back("u1")  # a dropped voice reply gives its turn back, fleet-wide
    await on_b.take("u1", "turns")
    await on_a.give_back("u3")  # nothing spent: no extra burst
    for _ in range(3):
        await on_b.take("u3", "turns")
    with pytest.raises(HttpProblem):
        await on_a.take("u3", "turns")


async def test_the_turn_line_is_one_line_across_workers(
    workers: tuple[Fleet, Fleet], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(fleet_module, "POLL", 5.0)  # a place moves on when freed, not polled
    a, b = workers
    gates = FleetGate(a, active=1, waiting=3), FleetGate(b, active=1, waiting=3)
    order: list[str] = []
    places: dict[str, list[int]] = {"b": [], "c": []}
    release = asyncio.Event()

    async def first() -> None:
        async with gates[0].slot():
            order.append("a")
            await release.wait()

    async def later(name: str, gate: FleetGate) -> None:
        async def told(place: int) -> None:
            places[name].append(place)

        async with gate.slot(told):
            order.append(name)

    running = asyncio.create_task(first())
    await asyncio.sleep(0.1)
    waiting_b = asyncio.create_task(later("b", gates[1]))
    await asyncio.sleep(0.1)
    waiting_c = asyncio.create_task(later("c", gates[0]))
    await asyncio.sleep(0.2)
    assert order == ["a"] and places == {"b": [1], "c": [2]}
    started = time.monotonic()
    release.set()
    await asyncio.wait_for(asyncio.gather(running, waiting_b, waiting_c), 10)
    assert order == ["a", "b", "c"]
    assert time.monotonic() - started < 2.0  # two places passed on, each announced
    assert places["c"][0] == 2 and places["c"] == sorted(places["c"], reverse=True)


async def test_a_freed_place_wakes_only_the_waiter_it_can_let_in(
    workers: tuple[Fleet, Fleet], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Six people in line: each freed place sends one of them to Redis to look, not the
    whole line (which cost more than the turns when a thousand waited)."""
    monkeypatch.setattr(fleet_module, "POLL", 10.0)  # no looks but the announced ones
    monkeypatch.setattr(fleet_module, "MOST_BETWEEN_LOOKS", 10.0)
    a, b = workers
    gate = FleetGate(a, active=1, waiting=10)
    looks = 0
    real_look = FleetGate._look

    async def counted(self: FleetGate, ticket: str, mode: str) -> int:
        nonlocal looks
        looks += 1
        return await real_look(self, ticket, mode)

    monkeypatch.setattr(FleetGate, "_look", counted)
    release = asyncio.Event()
    order: list[int] = []

    async def holder() -> None:
        async with gate.slot():
            await release.wait()

    async def waiter(n: int) -> None:
        async with FleetGate(b if n % 2 else a, active=1, waiting=10).slot():
            order.append(n)

    held = asyncio.create_task(holder())
    await asyncio.sleep(0.1)
    waiting = []
    for n in range(6):
        waiting.append(asyncio.create_task(waiter(n)))
        await asyncio.sleep(0.05)  # in this order
    await asyncio.sleep(0.2)
    looks = 0
    release.set()
    async with asyncio.timeout(10):
        await asyncio.gather(held, *waiting)
    assert order == list(range(6))
    assert looks <= 7  # one per freed place (and at most one early), not 6 + 5 + ... + 1


async def test_a_full_line_is_a_503_and_a_waiter_who_leaves_frees_its_place(
    workers: tuple[Fleet, Fleet],
) -> None:
    a, b = workers
    gate_a, gate_b = FleetGate(a, active=1, waiting=1), FleetGate(b, active=1, waiting=1)
    hold = asyncio.Event()

    async def occupy(gate: FleetGate) -> None:
        async with gate.slot():
            await hold.wait()

    running = asyncio.create_task(occupy(gate_a))
    await asyncio.sleep(0.1)
    waiter = asyncio.create_task(occupy(gate_b))
    await asyncio.sleep(0.1)
    with pytest.raises(HttpProblem) as refused:
        async with gate_a.slot():
            pass
    assert refused.value.status == 503 and refused.value.headers["Retry-After"]
    waiter.cancel()  # the person gave up waiting
    await asyncio.gather(waiter, return_exceptions=True)
    hold.set()
    await running
    async with gate_b.slot():  # the line is empty again, the place free
        pass


async def test_one_persons_turns_on_two_workers_go_one_at_a_time_in_order(
    workers: tuple[Fleet, Fleet],
) -> None:
    orders = [FleetTurnOrder(worker, waiting=2) for worker in workers]
    await one_at_a_time_in_order(orders, settle=0.1)


HOLDER = """
import asyncio, sys
from os1.server.fleet import Fleet, FleetGate

async def main():
    fleet = Fleet(sys.argv[1], "doomed")
    async with FleetGate(fleet, active=1, waiting=4, lease=1.5).slot():
        print("held", flush=True)
        await asyncio.sleep(600)

asyncio.run(main())
"""


async def test_a_killed_worker_gives_back_its_turn_when_its_lease_ends(
    workers: tuple[Fleet, Fleet], redis_url: str
) -> None:
    holder = subprocess.Popen(  # noqa: ASYNC220  (a worker to kill, not awaited)
        [sys.executable, "-c", textwrap.dedent(HOLDER), redis_url],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None
        assert (await asyncio.to_thread(holder.stdout.readline)).strip() == "held"
        gate = FleetGate(workers[0], active=1, waiting=4)
        places: list[int] = []

        async def told(place: int) -> None:
            places.append(place)

        await asyncio.sleep(2.0)  # longer than the lease: the holder renews it while alive
        with pytest.raises(TimeoutError):
            async with asyncio.timeout(0.5):
                async with gate.slot(told):
                    pass
        os.kill(holder.pid, signal.SIGKILL)
        holder.wait(timeout=10)
        started = time.monotonic()
        async with asyncio.timeout(10):
            async with gate.slot(told):
                waited = time.monotonic() - started
        assert places and places[0] == 1
        assert waited < 1.5 + 2 * fleet_module.POLL + 0.5  # within the dead worker's lease
    finally:
        holder.kill()
        holder.wait(timeout=10)
        if holder.stdout is not None:
            holder.stdout.close()


async def test_every_worker_counts_the_whole_fleets_conversations(
    redis_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(fleet_module, "STALE", 0.5)
    here, there = Presence(), Presence()
    a, b = Fleet(redis_url, "worker-a"), Fleet(redis_url, "worker-b")
    with here.hold("ana"), here.hold("bo"), there.hold("cy"):
        await a.beat(here)
        await b.beat(there)
        await a.beat(here)
        assert here.count() == 3 and there.count() == 3
    here.touch("dee", "api")
    await a.beat(here)
    await b.beat(there)
    assert there.count() == 1  # cy's conversation closed; dee's counts on a
    await asyncio.sleep(0.7)  # worker a goes silent (as after kill -9)
    await b.beat(there)
    assert there.count() == 0
    await a.redis.aclose()
    await b.redis.aclose()


async def test_a_damaged_count_in_redis_is_dropped_not_a_crash(redis_url: str) -> None:
    client = redis.Redis.from_url(redis_url)
    client.hset("os1:presence", mapping={"bogus": "not a count", "old": "7 12.5", "x": "ä"})
    presence = Presence()
    fleet = Fleet(redis_url, "worker-a")
    await fleet.beat(presence)
    assert presence.elsewhere == 0
    assert set(client.hkeys("os1:presence")) == {b"worker-a"}
    client.close()
    await fleet.redis.aclose()


async def test_an_unreachable_redis_is_named_with_what_to_do() -> None:
    fleet = Fleet(f"redis://:secret@127.0.0.1:{free_port()}/0")
    with pytest.raises(ConfigError) as failed:
        async with fleet.running(Presence()):
            pass
    assert failed.value.code == "redis_unreachable"
    assert "secret" not in failed.value.message and "redis_url" in (failed.value.hint or "")
    await fleet.redis.aclose()


def test_two_servers_on_one_redis_share_rates_and_the_live_count(
    tmp_path: Path, redis_url: str
) -> None:
    base = settings_for(tmp_path, redis_url=redis_url, requests_per_minute=6)
    first = LiveServer(base).start()
    second = LiveServer(base.model_copy(update={"port": free_port()})).start()
    try:
        ana = first.person("ana")
        with httpx.Client(headers=ana.headers, timeout=10) as http:
            answers = [http.get(f"{server.url}/api/me") for server in (first, second) * 3]
            assert [r.status_code for r in answers] == [200, 200, 200, 429, 429, 429]
            assert answers[3].json()["error"]["code"] == "rate_limited"
    finally:
        second.stop()
        first.stop()
    roomy = settings_for(tmp_path, redis_url=redis_url, **ROOMY)
    first = LiveServer(roomy).start()
    second = LiveServer(roomy.model_copy(update={"port": free_port()})).start()
    try:
        bo = first.person("bo")
        with httpx.Client(headers=bo.headers, timeout=10) as http:
            http.post(f"{first.url}/v1/chat/completions", json={
                "model": "os1", "messages": [{"role": "user", "content": "hello"}]})  # fmt: skip
            deadline = time.monotonic() + 10
            while http.get(f"{second.url}/api/me").json()["live_conversations"] < 1:
                assert time.monotonic() < deadline, "worker b never counted a's conversation"
                time.sleep(0.2)
    finally:
        second.stop()
        first.stop()


def _next_of(socket: websockets.sync.client.ClientConnection, kind: str) -> dict[str, Any]:
    while True:
        message = json.loads(socket.recv(timeout=15))
        assert message["type"] != "error", message
        if message["type"] == kind:
            return message  # type: ignore[no-any-return]


def test_a_turn_on_one_worker_shows_in_the_persons_tab_on_another(
    tmp_path: Path, redis_url: str
) -> None:
    """Two tabs of one person on two workers: what is said in either shows in the other,
    once; Redis also carries rubbish, which the workers let pass."""
    roomy = settings_for(tmp_path, redis_url=redis_url, **ROOMY)
    first = LiveServer(roomy).start()
    second = LiveServer(roomy.model_copy(update={"port": free_port()})).start()
    try:
        cy = first.person("cy")
        redis.Redis.from_url(redis_url).publish(NEWS, b"\xff not json {")  # ignored
        with (
            websockets.sync.client.connect(
                f"ws://127.0.0.1:{first.settings.port}/ws", additional_headers=cy.headers
            ) as on_first,
            websockets.sync.client.connect(
                f"ws://127.0.0.1:{second.settings.port}/ws", additional_headers=cy.headers
            ) as on_second,
        ):
            _next_of(on_first, "hello"), _next_of(on_second, "hello")
            answer = httpx.post(
                f"{second.url}/v1/chat/completions",
                headers=cy.headers,
                json={"model": "os1", "messages": [{"role": "user", "content": "by script"}]},
                timeout=30,
            )
            assert answer.status_code == 200, answer.text
            assert _next_of(on_first, "elsewhere")["said"] == "by script"
            assert _next_of(on_second, "elsewhere")["said"] == "by script"
            time.sleep(0.3)  # time enough for a copy through Redis to arrive, if one were sent
            for tab in (on_first, on_second):
                tab.send(json.dumps({"type": "ping"}))
                assert json.loads(tab.recv(timeout=15))["type"] == "pong"  # told once
            on_second.send(json.dumps({"type": "say", "text": "typed on the second"}))
            finished = _next_of(on_second, "turn_finished")
            news = _next_of(on_first, "elsewhere")
            assert (news["said"], news["reply"]) == ("typed on the second", finished["text"])
            on_second.send(json.dumps({"type": "ping"}))
            assert json.loads(on_second.recv(timeout=15))["type"] == "pong"  # no echo of its own
    finally:
        second.stop()
        first.stop()


def test_a_redis_restart_loses_no_turn_and_the_shared_state_comes_back(tmp_path: Path) -> None:
    """Redis dies while a turn is being written and comes back on its port: the turn
    finishes and is kept, the workers count each other's conversations again, and the
    news of turns flows again, without restarting a worker."""
    own = RedisServer(tmp_path / "redis-1")
    roomy = settings_for(tmp_path, redis_url=own.url, **ROOMY)
    first = LiveServer(roomy).start()
    second = LiveServer(roomy.model_copy(update={"port": free_port()})).start()
    story = " ".join(f"w{i}" for i in range(60))
    try:
        dee = first.person("dee")
        llm = first.services.companion.llm
        assert isinstance(llm, ScriptedLLM)
        llm.delay = 0.05  # three seconds of story
        llm.enqueue(story, "Still here.")
        with websockets.sync.client.connect(
            f"ws://127.0.0.1:{first.settings.port}/ws", additional_headers=dee.headers
        ) as tab:
            _next_of(tab, "hello")
            tab.send(json.dumps({"type": "say", "text": "a long one, please"}))
            _next_of(tab, "text_delta")
            own.stop()
            own = RedisServer(tmp_path / "redis-2", port=own.port)  # empty, as after a crash
            finished = _next_of(tab, "turn_finished")
            assert finished["text"] == story and not finished["interrupted"]
            with httpx.Client(headers=dee.headers, timeout=10) as http:
                deadline = time.monotonic() + 20
                while True:  # a 503 meanwhile is what a person may meet, then retry
                    me = http.get(f"{second.url}/api/me")
                    if me.status_code == 200 and me.json()["live_conversations"] >= 1:
                        break
                    assert time.monotonic() < deadline, "the count never came back"
                    time.sleep(0.3)
            with websockets.sync.client.connect(
                f"ws://127.0.0.1:{second.settings.port}/ws", additional_headers=dee.headers
            ) as other:
                _next_of(other, "hello")
                time.sleep(1.5)  # the listeners subscribe again within a second of Redis
                tab.send(json.dumps({"type": "say", "text": "still there?"}))
                assert _next_of(tab, "turn_finished")["text"].startswith("Still here.")
                assert _next_of(other, "elsewhere")["said"] == "still there?"
        kept = httpx.get(f"{first.url}/api/history?limit=10", headers=dee.headers).json()
        assert [m["text"] for m in kept if m["role"] == "user"] == [
            "a long one, please",
            "still there?",
        ]
        assert any(m["text"] == story for m in kept if m["role"] == "assistant")
    finally:
        second.stop()
        first.stop()
        own.stop()
