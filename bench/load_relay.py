"""The load benchmark's baseline: a bare relay between the clients and the stand-in model.

It speaks just enough of os1's ``/ws`` protocol for the same clients (``hello`` on
connect, ``say`` -> ``turn_started``, ``text_delta``..., ``turn_finished``) and forwards
the stand-in's stream, with no store, no memory and no prompt: the floor that any server
on this stack (Starlette, uvicorn, httpx) pays. Served by uvicorn with the same settings
``os1 serve`` uses, so the ratio between the two is os1's own cost.
"""

from __future__ import annotations

import argparse
import asyncio
import json
from typing import Any

import httpx
import uvicorn
from starlette.applications import Starlette
from starlette.routing import WebSocketRoute
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

    return Starlette(routes=[WebSocketRoute("/ws", chat)])


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
        access_log=False,
    )


if __name__ == "__main__":
    main()
