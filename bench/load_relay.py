"""The load benchmark's baseline: a bare relay between the clients and the stand-in model.

It speaks just enough of os1's two doors for the same clients, with no store, no memory
and no prompt: the floor that any server on this stack (Starlette, uvicorn, aiohttp) pays.
It is built as well as os1 is, so the ratio measures os1's own work and not a weaker
baseline: the same HTTP client to the model (one keep-alive aiohttp session without a
connection cap), and on ``/ws`` the same batching of streamed text (pieces closer
together than os1's ``COALESCE`` share a frame).

- ``/ws``: ``hello`` on connect, ``say`` -> ``turn_started``, ``text_delta``...,
  ``turn_finished``;
- ``POST /v1/chat/completions``: wants a Bearer key, sends the last user message to the
  stand-in and forwards its server-sent events line by line (each flushed as it comes,
  as os1 sends each chunk), through ``[DONE]``.

Served by uvicorn with the settings ``os1 serve`` uses (no WebSocket deflate among
them), so the ratio between the two is os1's own cost.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

from os1.server.ws import COALESCE


class Upstream:
    """The stand-in model, reached as os1's model client reaches a server."""

    def __init__(self, model_url: str) -> None:
        self.url = f"{model_url}/chat/completions"
        self._session: aiohttp.ClientSession | None = None

    def session(self) -> aiohttp.ClientSession:
        if self._session is None:  # made inside the server's event loop
            self._session = aiohttp.ClientSession(
                timeout=aiohttp.ClientTimeout(total=None, connect=10, sock_read=120),
                connector=aiohttp.TCPConnector(limit=0, keepalive_timeout=30),
            )
        return self._session

    @contextlib.asynccontextmanager
    async def lines(self, text: str) -> AsyncIterator[AsyncIterator[str]]:
        """The stand-in's reply to ``text``, as its server-sent event lines."""
        body = {"model": "standin", "stream": True}
        body["messages"] = [{"role": "user", "content": text}]
        async with self.session().post(self.url, json=body) as response:

            async def read() -> AsyncIterator[str]:
                async for raw in response.content:
                    line = raw.decode("utf-8", "replace").rstrip("\r\n")
                    if line:
                        yield line

            yield read()


def _piece(line: str) -> str:
    if not line.startswith("data: ") or line == "data: [DONE]":
        return ""
    chunk: dict[str, Any] = json.loads(line[6:])
    return str((chunk.get("choices") or [{}])[0].get("delta", {}).get("content") or "")


def build(model_url: str) -> Starlette:
    upstream = Upstream(model_url)

    async def reply(ws: WebSocket, text: str) -> None:
        await ws.send_text(json.dumps({"type": "turn_started", "turn_id": "t"}))
        said: list[str] = []
        held: list[str] = []
        loop = asyncio.get_running_loop()
        last_sent = 0.0

        async def flush() -> None:
            nonlocal last_sent
            await ws.send_text(json.dumps({"type": "text_delta", "text": "".join(held)}))
            held.clear()
            last_sent = loop.time()

        async with upstream.lines(text) as lines:
            async for line in lines:
                if piece := _piece(line):
                    said.append(piece)
                    held.append(piece)
                    if loop.time() - last_sent >= COALESCE:  # as os1's door batches
                        await flush()
        if held:
            await flush()
        done = {"type": "turn_finished", "text": "".join(said), "interrupted": False}
        await ws.send_text(json.dumps(done))

    async def chat(ws: WebSocket) -> None:
        await ws.accept()
        if not (ws.headers.get("authorization") or "").startswith("Bearer "):
            await ws.close(4401)
            return
        await ws.send_text(json.dumps({"type": "hello", "user": "someone"}))
        tasks: set[asyncio.Task[None]] = set()
        try:
            while True:
                message = json.loads(await ws.receive_text())
                if message.get("type") == "say":
                    task = asyncio.get_running_loop().create_task(reply(ws, message["text"]))
                    tasks.add(task)
                    task.add_done_callback(tasks.discard)
        except WebSocketDisconnect:
            for task in tasks:
                task.cancel()

    async def completions(request: Request) -> Response:
        if not (request.headers.get("authorization") or "").startswith("Bearer "):
            problem = {"code": "unauthorized", "message": "No API key.", "type": "auth"}
            return JSONResponse({"error": problem}, status_code=401)
        asked: dict[str, Any] = await request.json()
        said = [m for m in asked.get("messages") or [] if m.get("role") == "user"]
        text = str(said[-1].get("content", "")) if said else ""

        async def forward() -> AsyncIterator[bytes]:
            async with upstream.lines(text) as lines:  # read to the end: the pool keeps it
                async for line in lines:
                    yield line.encode() + b"\n\n"

        headers = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
        return StreamingResponse(forward(), media_type="text/event-stream", headers=headers)

    return Starlette(
        routes=[
            WebSocketRoute("/ws", chat),
            Route("/v1/chat/completions", completions, methods=["POST"]),
        ]
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--model-url", required=True)
    parser.add_argument("--max-size", type=int, default=1_000_000)
    args = parser.parse_args()
    print("ready", flush=True)
    uvicorn.run(
        build(args.model_url),
        host="127.0.0.1",
        port=args.port,
        log_level="warning",
        ws_max_size=args.max_size,
        ws_per_message_deflate=False,  # as `os1 serve`
        access_log=False,
    )


if __name__ == "__main__":
    main()
