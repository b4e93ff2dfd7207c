"""One client process of the load benchmark: speaks for many people, through one door.

``bench/load.py`` starts several of these (one Python process cannot drive 10,000
sockets on its own and still time them fairly) and steers them over stdin/stdout with
one JSON object per line:

1. ``--door ws``: it opens every conversation (``Authorization: Bearer <key>``, as an
   API client does), waits for each ``hello`` and reports ``{"event": "opened", ...}``;
   ``--door http`` has nothing to hold open and reports at once;
2. on ``{"cmd": "go", "seconds": S, "rate": R}`` it starts turns as a Poisson process of
   rate R, each for a random person with no turn under way, for S seconds, waits for the
   last to end, and reports every turn's time and every error;
3. on ``{"cmd": "close"}`` it closes everything and exits.

A WebSocket turn is timed from ``say`` to ``turn_finished``. Clients send no keepalive
pings (browsers do not; the server pings), and negotiate permessage-deflate as browsers
do unless ``--no-deflate``.

An HTTP turn is one streamed ``POST /v1/chat/completions`` with the person's key, timed
from the request to ``data: [DONE]``. All requests share one keep-alive httpx client, as
an application server calling the API would, and at most ``--max-inflight`` run at once
(a turn that would exceed it is skipped and counted, not queued in the client, where its
wait would be charged to the server). The stream is read past ``[DONE]`` to its end, so
the connection goes back to the pool instead of being closed.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import resource
import sys
import time
from abc import ABC, abstractmethod
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
from websockets.asyncio.client import ClientConnection, connect

TOPICS = ("my garden", "a long day at work", "my sister's visit", "a book I'm reading", "sleep")
DRAIN_SECONDS = 60.0


def emit(payload: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(payload) + "\n")
    sys.stdout.flush()


def words(n: int) -> str:
    return f"Let me tell you about {random.choice(TOPICS)} (number {n})."


class Conversation:
    """One person's chat and the turn under way on it, if any."""

    def __init__(self, key: str) -> None:
        self.key = key
        self.ws: ClientConnection | None = None
        self.started = 0.0  # perf_counter at `say`; 0 when idle
        self.first_text = 0.0
        self.turns = 0
        self.open = False


class Client(ABC):
    """The part both doors share: the Poisson schedule, timing and the tally."""

    def __init__(self, keys: list[str]) -> None:
        self.conversations = [Conversation(k) for k in keys]
        self.errors: Counter[str] = Counter()
        self.turns: list[tuple[float, float, int]] = []  # total ms, first-text ms, nth turn
        self.queued = 0
        self.inflight = 0
        self.peak = 0
        self.capped = 0  # turns skipped because the client's own in-flight bound was reached
        self.max_inflight: int | None = None
        self.quiet = asyncio.Event()
        self.tasks: set[asyncio.Task[None]] = set()
        self.closing = False

    @abstractmethod
    async def open_all(self) -> None:
        """Make every conversation ready to speak."""

    @abstractmethod
    async def say(self, conv: Conversation, n: int) -> None:
        """Send one turn; its end (or failure) reaches ``finish``."""

    @abstractmethod
    async def close(self) -> None:
        """Close every connection."""

    def held(self) -> int:
        return sum(c.open for c in self.conversations)

    def finish(self, conv: Conversation, error: str | None, at: float = 0.0) -> None:
        now = at or time.perf_counter()
        if error is None:
            first = (conv.first_text - conv.started) * 1000 if conv.first_text else 0.0
            self.turns.append(((now - conv.started) * 1000, first, conv.turns))
        else:
            self.errors[error] += 1
        conv.started = conv.first_text = 0.0
        self.inflight -= 1
        if not self.inflight:
            self.quiet.set()

    def begin(self, conv: Conversation) -> None:
        """Mark the turn as under way at once, so no other turn picks this conversation."""
        conv.turns += 1
        conv.started = time.perf_counter()
        self.inflight += 1
        self.peak = max(self.peak, self.inflight)
        self.quiet.clear()

    async def run(self, seconds: float, rate: float) -> dict[str, Any]:
        started = time.perf_counter()
        deadline = started + seconds
        sent, busy = 0, 0
        loop = asyncio.get_running_loop()
        next_at = started
        while True:
            next_at += random.expovariate(rate)
            if next_at >= deadline:
                break
            await asyncio.sleep(max(0.0, next_at - time.perf_counter()))
            if self.max_inflight is not None and self.inflight >= self.max_inflight:
                self.capped += 1
                continue
            for _ in range(20):  # a random idle conversation; at high load most are idle
                conv = random.choice(self.conversations)
                if conv.open and not conv.started:
                    self.begin(conv)
                    task = loop.create_task(self.say(conv, sent))
                    self.tasks.add(task)
                    task.add_done_callback(self.tasks.discard)
                    sent += 1
                    break
            else:
                busy += 1
        window = time.perf_counter() - started
        try:
            await asyncio.wait_for(self.quiet.wait(), DRAIN_SECONDS) if self.inflight else None
        except TimeoutError:
            self.errors["unfinished_after_drain"] += self.inflight
        return {
            "event": "done",
            "sent": sent,
            "skipped_all_busy": busy,
            "skipped_at_cap": self.capped,
            "window_s": window,
            "turns": self.turns,
            "queued_events": self.queued,
            "errors": dict(self.errors),
            "held": self.held(),
            "peak_inflight": self.peak,
        }


class WsClient(Client):
    def __init__(self, url: str, keys: list[str], deflate: bool, concurrency: int) -> None:
        super().__init__(keys)
        self.url = url
        self.deflate = deflate
        self.gate = asyncio.Semaphore(concurrency)

    async def open_all(self) -> None:
        await asyncio.gather(*(self.open_one(c) for c in self.conversations))

    async def open_one(self, conv: Conversation) -> None:
        async with self.gate:
            try:
                conv.ws = await connect(
                    self.url,
                    additional_headers={"Authorization": f"Bearer {conv.key}"},
                    ping_interval=None,
                    compression="deflate" if self.deflate else None,
                    open_timeout=120,
                    max_queue=64,
                )
                hello = json.loads(await asyncio.wait_for(conv.ws.recv(), 120))
            except Exception as exc:  # every way of failing to connect is counted, by kind
                self.errors[f"connect:{type(exc).__name__}"] += 1
                return
        if hello.get("type") != "hello":
            self.errors[f"connect:{hello.get('code', hello.get('type'))}"] += 1
            await conv.ws.close()
            return
        conv.open = True
        task = asyncio.get_running_loop().create_task(self.read(conv))
        self.tasks.add(task)

    async def read(self, conv: Conversation) -> None:
        assert conv.ws is not None
        try:
            async for raw in conv.ws:
                if not conv.started:
                    continue
                head = raw[:40] if isinstance(raw, str) else ""
                if '"text_delta"' in head:
                    conv.first_text = conv.first_text or time.perf_counter()
                    continue
                kind = json.loads(raw).get("type")
                if kind == "turn_finished":
                    self.finish(conv, None)
                elif kind == "error":
                    self.finish(conv, "error:" + str(json.loads(raw).get("code")))
                elif kind == "queued":
                    self.queued += 1
        except Exception as exc:  # a broken socket is an error of the run, not a crash
            self.errors[f"socket:{type(exc).__name__}"] += 1
        conv.open = False
        if conv.started:
            self.finish(conv, "closed_mid_turn")
        elif not self.closing:
            self.errors["closed_while_idle"] += 1

    async def say(self, conv: Conversation, n: int) -> None:
        assert conv.ws is not None
        conv.started = time.perf_counter()  # timing starts as the words leave
        try:
            await conv.ws.send(json.dumps({"type": "say", "text": words(n)}))
        except Exception as exc:
            self.finish(conv, f"send:{type(exc).__name__}")

    async def close(self) -> None:
        self.closing = True
        await asyncio.gather(
            *(c.ws.close() for c in self.conversations if c.ws is not None and c.open),
            return_exceptions=True,
        )


class HttpClient(Client):
    def __init__(self, url: str, keys: list[str], max_inflight: int) -> None:
        super().__init__(keys)
        self.url = url
        self.max_inflight = max_inflight
        # the pool holds as many connections as may be in flight, so no request waits for one
        limits = httpx.Limits(max_connections=max_inflight, max_keepalive_connections=max_inflight)
        self.http = httpx.AsyncClient(timeout=120.0, limits=limits)

    async def open_all(self) -> None:
        for conv in self.conversations:  # a person is ready as soon as they hold a key
            conv.open = True

    def held(self) -> int:
        return 0  # nothing is held between turns but pooled connections

    async def say(self, conv: Conversation, n: int) -> None:
        body = {"model": "os1", "stream": True, "messages": [{"role": "user", "content": words(n)}]}
        headers = {"Authorization": f"Bearer {conv.key}"}
        error: str | None = "ended_without_done"
        done_at = 0.0
        conv.started = time.perf_counter()  # timing starts as the request leaves
        try:
            async with self.http.stream("POST", self.url, json=body, headers=headers) as resp:
                if resp.status_code != 200:
                    answer = json.loads(await resp.aread() or b"{}")
                    code = (answer.get("error") or {}).get("code")
                    error = f"http:{resp.status_code}:{code}"
                else:
                    async for line in resp.aiter_lines():
                        if done_at:
                            continue  # read to the end, so the connection is kept
                        if line == "data: [DONE]":
                            done_at = time.perf_counter()
                            if error == "ended_without_done":  # not an error chunk before
                                error = None
                        elif line.startswith('data: {"error"'):
                            code = json.loads(line[6:])["error"].get("code")
                            error = f"error:{code}"
                        elif line.startswith(": queued"):
                            self.queued += 1
                        elif not conv.first_text and line.startswith("data: "):
                            choice = (json.loads(line[6:]).get("choices") or [{}])[0]
                            if choice.get("delta", {}).get("content"):
                                conv.first_text = time.perf_counter()
        except Exception as exc:  # a failed request is an error of the run, not a crash
            error = f"request:{type(exc).__name__}"
        self.finish(conv, error, done_at)

    async def close(self) -> None:
        await self.http.aclose()


async def command() -> dict[str, Any]:
    line = await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
    return json.loads(line) if line.strip() else {"cmd": "close"}


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--url", required=True)
    parser.add_argument("--keys", required=True, help="a JSON file: a list of API keys")
    parser.add_argument("--door", choices=("ws", "http"), default="ws")
    parser.add_argument("--connect-concurrency", type=int, default=50)
    parser.add_argument("--max-inflight", type=int, default=256, help="HTTP requests at once")
    parser.add_argument("--no-deflate", action="store_true")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    random.seed(args.seed)
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    keys = json.loads(Path(args.keys).read_text())  # noqa: ASYNC240 (before any socket)
    client: Client
    if args.door == "ws":
        client = WsClient(args.url, keys, not args.no_deflate, args.connect_concurrency)
    else:
        client = HttpClient(args.url, keys, args.max_inflight)
    t0 = time.perf_counter()
    await client.open_all()
    emit(
        {
            "event": "opened",
            "open": client.held() if args.door == "ws" else len(keys),
            "seconds": time.perf_counter() - t0,
            "errors": dict(client.errors),
        }
    )
    client.errors.clear()
    while (cmd := await command())["cmd"] == "go":
        emit(await client.run(cmd["seconds"], cmd["rate"]))
    await client.close()


if __name__ == "__main__":
    try:
        import uvloop

        uvloop.run(main())
    except ImportError:
        asyncio.run(main())
