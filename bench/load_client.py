"""One client process of the load benchmark: holds many WebSocket conversations, speaks.

``bench/load.py`` starts several of these (one Python process cannot drive 10,000
sockets on its own and still time them fairly) and steers them over stdin/stdout with
one JSON object per line:

1. it opens every conversation (``Authorization: Bearer <key>``, as an API client does),
   waits for each ``hello`` and reports ``{"event": "opened", ...}``;
2. on ``{"cmd": "go", "seconds": S, "rate": R}`` it starts turns as a Poisson process of
   rate R, each on a random idle conversation, for S seconds, waits for the last to end,
   and reports every turn's time from ``say`` to ``turn_finished`` and every error;
3. on ``{"cmd": "close"}`` it closes everything and exits.

Clients send no keepalive pings (browsers do not; the server pings), and negotiate
permessage-deflate as browsers do unless ``--no-deflate``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import resource
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

from websockets.asyncio.client import ClientConnection, connect

TOPICS = ("my garden", "a long day at work", "my sister's visit", "a book I'm reading", "sleep")
DRAIN_SECONDS = 60.0


def emit(payload: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(payload) + "\n")
    sys.stdout.flush()


class Conversation:
    """One open chat and the turn under way on it, if any."""

    def __init__(self, key: str) -> None:
        self.key = key
        self.ws: ClientConnection | None = None
        self.started = 0.0  # perf_counter at `say`; 0 when idle
        self.first_text = 0.0
        self.turns = 0
        self.open = False


class Client:
    def __init__(self, url: str, keys: list[str], deflate: bool) -> None:
        self.url = url
        self.conversations = [Conversation(k) for k in keys]
        self.deflate = deflate
        self.errors: Counter[str] = Counter()
        self.turns: list[tuple[float, float, int]] = []  # total ms, first-text ms, nth turn
        self.queued = 0
        self.inflight = 0
        self.quiet = asyncio.Event()
        self.readers: set[asyncio.Task[None]] = set()
        self.closing = False

    async def open_one(self, conv: Conversation, gate: asyncio.Semaphore) -> None:
        async with gate:
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
        self.readers.add(task)

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

    def finish(self, conv: Conversation, error: str | None) -> None:
        now = time.perf_counter()
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
        self.quiet.clear()

    async def say(self, conv: Conversation, n: int) -> None:
        assert conv.ws is not None
        text = f"Let me tell you about {random.choice(TOPICS)} (message {n})."
        conv.started = time.perf_counter()  # timing starts as the words leave
        try:
            await conv.ws.send(json.dumps({"type": "say", "text": text}))
        except Exception as exc:
            self.finish(conv, f"send:{type(exc).__name__}")

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
            for _ in range(20):  # a random idle conversation; at high load most are idle
                conv = random.choice(self.conversations)
                if conv.open and not conv.started:
                    self.begin(conv)
                    task = loop.create_task(self.say(conv, sent))
                    self.readers.add(task)
                    task.add_done_callback(self.readers.discard)
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
            "window_s": window,
            "turns": self.turns,
            "queued_events": self.queued,
            "errors": dict(self.errors),
            "held": sum(c.open for c in self.conversations),
        }


async def command() -> dict[str, Any]:
    line = await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
    return json.loads(line) if line.strip() else {"cmd": "close"}


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--url", required=True)
    parser.add_argument("--keys", required=True, help="a JSON file: a list of API keys")
    parser.add_argument("--connect-concurrency", type=int, default=50)
    parser.add_argument("--no-deflate", action="store_true")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    random.seed(args.seed)
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    keys = json.loads(Path(args.keys).read_text())  # noqa: ASYNC240 (before any socket)
    client = Client(args.url, keys, deflate=not args.no_deflate)
    gate = asyncio.Semaphore(args.connect_concurrency)
    t0 = time.perf_counter()
    await asyncio.gather(*(client.open_one(c, gate) for c in client.conversations))
    emit(
        {
            "event": "opened",
            "open": sum(c.open for c in client.conversations),
            "seconds": time.perf_counter() - t0,
            "errors": dict(client.errors),
        }
    )
    client.errors.clear()
    while (cmd := await command())["cmd"] == "go":
        emit(await client.run(cmd["seconds"], cmd["rate"]))
    client.closing = True
    await asyncio.gather(
        *(c.ws.close() for c in client.conversations if c.ws is not None and c.open),
        return_exceptions=True,
    )


if __name__ == "__main__":
    try:
        import uvloop

        uvloop.run(main())
    except ImportError:
        asyncio.run(main())
