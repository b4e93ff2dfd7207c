"""The load benchmark's baseline: a bare relay between the clients and the stand-in model.

It speaks just enough of os1's two doors for the same clients, with no store, no memory
and no prompt: the floor that any server on this stack (Starlette, uvicorn, httpx) pays.

- ``/ws``: ``hello`` on connect, ``say`` -> ``turn_started``, ``text_delta``...,
  ``turn_finished``, re-encoding each streamed piece as os1 does;
- ``POST /v1/chat/completions``: wants a Bearer key, sends the last user message to the
  stand-in and forwards its server-sent events line by line (each flushed as it comes,
  as os1 sends each chunk), through ``[DONE]``.

Served by uvicorn with the settings ``os1 serve`` uses (no WebSocket deflate among
them), so the ratio between the two is os1's own cost.
"""

from __future__ import annotations

import argparse
import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect


def build(model_url: str) -> Starlette:
    # A pool big enough never to queue: the floor should not be limited by its client.
    limits = httpx.Limits(max_connections=None, max_keepalive_connections=1000)
    http = httpx.AsyncClient(timeout=120.0, limits=limits)
    body = {"model": "standin", "stream": True, "messages": []}

    async def reply(ws: WebSocket, text: str) -> None:
        await ws.send_text(json.dumps({"type": "turn_started", "turn_id": "t"}))
        said: list[str] = []
        request = body | {"messages": [{"role": "user", "content": text}]}
        async with http.stream("POST", f"{model_url}/chat/completions", json=request) as resp:
            async for line in resp.aiter_lines():
                if not line.startswith("data: ") or line == "data: [DONE]":
                    continue
                chunk: dict[str, Any] = json.loads(line[6:])
                piece = (chunk.get("choices") or [{}])[0].get("delta", {}).get("content")
                if piece:
                    said.append(piece)
                    await ws.send_text(json.dumps({"type": "text_delta", "text": piece}))
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
        upstream = body | {"messages": [{"role": "user", "content": text}]}
        resp = await http.send(
            http.build_request("POST", f"{model_url}/chat/completions", json=upstream),
            stream=True,
        )

        async def forward() -> AsyncIterator[bytes]:
            try:
                async for line in resp.aiter_lines():  # read to the end: the pool keeps it
                    if line:
                        yield line.encode() + b"\n\n"
            finally:
                await resp.aclose()

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
