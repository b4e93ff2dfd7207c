"""The load benchmark's stand-in model: an OpenAI-compatible server of known, fixed speed.

Run by ``bench/load.py`` in a process of its own, so that os1's cost and the model's
never share an interpreter. ``os1.testing_openai.ScriptedOpenAIServer`` is the same idea
for tests, but it spends a thread per stream; hundreds of concurrent streams on two
shared cores need an event loop instead, so this one is a few dozen lines of asyncio
HTTP/1.1 (keep-alive, chunked server-sent events), stdlib only (uvloop if present).

Timing is the point. A chat reply (no ``response_format``) waits ``first_token_ms``,
then streams ``reply_words`` words at ``tokens_per_second``: its duration is known, so
the client can subtract it. Structured answers (naming, facts, the person's name) and
summaries are background or one-off work; they are answered at once with the smallest
JSON the request's schema allows, so every bit of their time that a person waits for
is os1's own. ``GET /stats`` tells how many requests of each kind came, and how long
chat streams really took (if the stand-in itself lagged, the overhead figures are off).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import time
from typing import Any

CHAT_WORDS = [
    "the",
    "quick",
    "brown",
    "fox",
    "jumps",
    "over",
    "a",
    "lazy",
    "dog",
    "while",
    "birds",
    "sing",
]


def minimal(schema: dict[str, Any]) -> Any:
    """The smallest value ``schema`` accepts (only the keywords os1's schemas use)."""
    kind = schema.get("type")
    if isinstance(kind, list):
        if "null" in kind:
            return None
        kind = kind[0]
    if "enum" in schema:
        return schema["enum"][0]
    if kind == "object":
        props = schema.get("properties", {})
        return {key: minimal(props.get(key, {})) for key in schema.get("required", [])}
    if kind == "array":
        return [minimal(schema.get("items", {})) for _ in range(schema.get("minItems", 0))]
    if kind in ("number", "integer"):
        return schema.get("minimum", 0)
    if kind == "boolean":
        return False
    if kind == "null":
        return None
    if schema.get("pattern") == "^[A-Z][a-z]+$":
        return "Mira"
    text = "I like how it sounds, warm and simple."
    low, high = schema.get("minLength", 0), schema.get("maxLength", len(text))
    return (text * (1 + low // len(text)))[: max(low, min(high, len(text)))]


def classify(body: dict[str, Any]) -> str:
    """Which of os1's model calls this is: chat, naming, facts, person_name, summary."""
    response = body.get("response_format") or {}
    if response:
        schema = (response.get("json_schema") or {}).get("schema") or {}
        props = schema.get("properties") or {}
        if "reason" in props:
            return "naming"
        if any(key.startswith("line_") for key in props):
            return "facts"
        return "person_name" if "name" in props else "json_other"
    text = " ".join(str(m.get("content", "")) for m in body.get("messages", []))
    return "summary" if "private notes" in text else "chat"


class StandIn:
    def __init__(self, tokens_per_second: float, reply_words: int, first_token_ms: float) -> None:
        self.delay = 1 / tokens_per_second if tokens_per_second > 0 else 0.0
        self.first = first_token_ms / 1000
        self.words = [CHAT_WORDS[i % len(CHAT_WORDS)] + " " for i in range(reply_words)]
        self.counts: dict[str, int] = {}
        self.active = 0
        self.peak = 0
        self.chat_seconds: list[float] = []

    @property
    def model_seconds(self) -> float:
        """What one chat reply costs the client by design."""
        return self.first + self.delay * max(0, len(self.words) - 1)  # no wait before the first

    def stats(self) -> dict[str, Any]:
        took = sorted(self.chat_seconds)
        pick = (
            (lambda q: round(took[min(len(took) - 1, int(q * len(took)))] * 1000, 1))
            if took
            else (lambda q: None)
        )
        return {
            "requests": dict(self.counts),
            "peak_concurrent": self.peak,
            "chat_model_ms_nominal": round(self.model_seconds * 1000, 1),
            "chat_model_ms_measured": {"p50": pick(0.5), "p99": pick(0.99), "n": len(took)},
        }

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                lines = head.decode("latin-1").split("\r\n")
                method, path, _ = lines[0].split(" ", 2)
                headers = {}
                for line in lines[1:]:
                    name, _, value = line.partition(":")
                    headers[name.strip().lower()] = value.strip()
                raw = await reader.readexactly(int(headers.get("content-length") or 0))
                await self.route(method, path, raw, writer)
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.LimitOverrunError):
            pass
        except RuntimeError as exc:  # uvloop: the server under test hung up mid-stream
            if "handler is closed" not in str(exc):
                raise
        finally:
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()

    async def route(self, method: str, path: str, raw: bytes, w: asyncio.StreamWriter) -> None:
        if method == "GET" and path.startswith("/stats"):
            self.json(w, 200, self.stats())
            if path.endswith("reset=1"):  # each measured run reads its own figures
                self.counts, self.peak, self.chat_seconds = {}, self.active, []
            return None
        if method == "GET" and path == "/v1/models":
            return self.json(w, 200, {"object": "list", "data": [{"id": "standin"}]})
        if method != "POST" or path != "/v1/chat/completions":
            return self.json(w, 404, {"error": {"message": f"no route {path}"}})
        body = json.loads(raw or b"{}")
        kind = classify(body)
        self.counts[kind] = self.counts.get(kind, 0) + 1
        if kind == "chat":
            pieces, delay, first = self.words, self.delay, self.first
        else:
            schema = ((body.get("response_format") or {}).get("json_schema") or {}).get("schema")
            text = json.dumps(minimal(schema)) if schema else "Notes: they talked a while."
            pieces, delay, first = [text], 0.0, 0.0
        if not body.get("stream"):
            message = {"role": "assistant", "content": "".join(pieces)}
            choice = {"index": 0, "message": message, "finish_reason": "stop"}
            return self.json(w, 200, {"object": "chat.completion", "choices": [choice]})
        await self.stream(w, pieces, delay, first, timed=kind == "chat")

    async def stream(
        self, w: asyncio.StreamWriter, pieces: list[str], delay: float, first: float, timed: bool
    ) -> None:
        started = time.perf_counter()
        self.active += 1
        self.peak = max(self.peak, self.active)
        try:
            w.write(
                b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
                b"Transfer-Encoding: chunked\r\n\r\n"
            )
            if first:
                await asyncio.sleep(first)
            for n, piece in enumerate(pieces):
                if n and delay:
                    await asyncio.sleep(delay)
                chunk = {"choices": [{"index": 0, "delta": {"content": piece}}]}
                send(w, b"data: " + json.dumps(chunk).encode() + b"\n\n")
                await w.drain()
            usage = {"prompt_tokens": 1, "completion_tokens": len(pieces)}
            end = {"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}], "usage": usage}
            send(w, b"data: " + json.dumps(end).encode() + b"\n\ndata: [DONE]\n\n")
            w.write(b"0\r\n\r\n")
            await w.drain()
        finally:
            self.active -= 1
            if timed:
                self.chat_seconds.append(time.perf_counter() - started)

    @staticmethod
    def json(w: asyncio.StreamWriter, status: int, payload: dict[str, Any]) -> None:
        data = json.dumps(payload).encode()
        w.write(
            b"HTTP/1.1 %d X\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s"
            % (status, len(data), data)
        )


def send(w: asyncio.StreamWriter, data: bytes) -> None:
    w.write(b"%x\r\n%s\r\n" % (len(data), data))


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--tokens-per-second", type=float, default=50.0)
    parser.add_argument("--reply-words", type=int, default=20)
    parser.add_argument("--first-token-ms", type=float, default=100.0)
    args = parser.parse_args()
    standin = StandIn(args.tokens_per_second, args.reply_words, args.first_token_ms)
    server = await asyncio.start_server(standin.handle, "127.0.0.1", args.port, backlog=4096)
    print("ready", flush=True)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        try:
            import uvloop
        except ImportError:
            asyncio.run(main())
        else:
            uvloop.run(main())
