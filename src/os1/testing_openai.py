"""A stand-in OpenAI-compatible server, on the standard library only, for tests and benchmarks.

``ScriptedOpenAIServer`` answers ``GET /v1/models`` and ``POST /v1/chat/completions``
(streamed as server-sent events, or as one JSON body) with a scripted reply, so that the
OpenAI-compatible backend is tested over a real socket without Ollama or a model, and so
that benchmarks can measure os1's own overhead against a server of known speed. The reply
streams word by word at ``tokens_per_second``; every request is recorded for assertions;
``status`` makes every route fail; ``raw_stream`` is sent verbatim as the stream body to
imitate a broken server. Attributes may be changed while the server runs.
"""

from __future__ import annotations

import contextlib
import functools
import json
import re
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any

Reply = str | Callable[[dict[str, Any]], str]


@dataclass(frozen=True)
class ReceivedRequest:
    """One request as the server saw it; header names are lower-case."""

    method: str
    path: str
    headers: dict[str, str]
    body: dict[str, Any]


def words(text: str) -> list[str]:
    """``text`` in word-sized pieces (each keeps its trailing space) that join back to it."""
    return [piece for piece in re.split(r"(?<=\s)(?=\S)", text) if piece]


class ScriptedOpenAIServer:
    """An OpenAI-compatible server on 127.0.0.1 and a random port, in a background thread.

    Args:
        reply: the reply text, or a function of the request body returning it.
        tokens_per_second: streaming pace in words per second; 0 sends as fast as it can.
        models: the ids ``GET /v1/models`` lists.
        status: an HTTP status of 400 or more makes every request fail with it.
        error_message: the message in the error body sent with ``status``.
        raw_stream: bytes sent verbatim as the streamed body, instead of the reply.
    """

    def __init__(
        self,
        reply: Reply = "Hello from the scripted server.",
        *,
        tokens_per_second: float = 0.0,
        models: tuple[str, ...] = ("scripted",),
        status: int = 200,
        error_message: str = "scripted failure",
        raw_stream: bytes | None = None,
    ) -> None:
        self.reply = reply
        self.tokens_per_second = tokens_per_second
        self.models = models
        self.status = status
        self.error_message = error_message
        self.raw_stream = raw_stream
        self._lock = threading.Lock()
        self._requests: list[ReceivedRequest] = []
        self._connections: set[socket.socket] = set()
        self._stopping = threading.Event()
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        """The API root to hand to a client, ending in ``/v1``."""
        if self._httpd is None:
            raise RuntimeError("the server is not running; call start() first")
        return f"http://127.0.0.1:{self._httpd.server_address[1]}/v1"

    @property
    def requests(self) -> list[ReceivedRequest]:
        """A copy of the requests received so far, oldest first."""
        with self._lock:
            return list(self._requests)

    def start(self) -> ScriptedOpenAIServer:
        if self._httpd is None:
            self._stopping.clear()
            handler = functools.partial(_Handler, script=self)
            self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
            self._httpd.daemon_threads = False  # so that server_close() joins them
            self._thread = threading.Thread(
                target=self._httpd.serve_forever, args=(0.05,), name="scripted-openai"
            )
            self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving, drop open connections and wait for every thread; idempotent."""
        httpd, self._httpd = self._httpd, None
        if httpd is None:
            return
        self._stopping.set()
        httpd.shutdown()
        with self._lock:
            for conn in self._connections:
                with contextlib.suppress(OSError):
                    conn.shutdown(socket.SHUT_RDWR)
        httpd.server_close()
        if self._thread is not None:
            self._thread.join()

    def __enter__(self) -> ScriptedOpenAIServer:
        return self.start()

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def _record(self, request: ReceivedRequest) -> None:
        with self._lock:
            self._requests.append(request)

    def _track(self, conn: socket.socket, open_: bool) -> None:
        with self._lock:
            (self._connections.add if open_ else self._connections.discard)(conn)


def _event(choices: list[dict[str, Any]], **extra: Any) -> bytes:
    payload = {"object": "chat.completion.chunk", "model": "scripted", "choices": choices}
    return b"data: " + json.dumps(payload | extra).encode() + b"\n\n"


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as real servers do

    def __init__(self, *args: Any, script: ScriptedOpenAIServer, **kwargs: Any) -> None:
        self.script = script
        super().__init__(*args, **kwargs)

    def handle(self) -> None:
        self.script._track(self.connection, True)
        try:
            with contextlib.suppress(ConnectionError):  # the client walked away, e.g. cancelled
                super().handle()
        finally:
            self.script._track(self.connection, False)

    def log_message(self, format: str, *args: Any) -> None:
        """Silent: test output stays readable."""

    def do_GET(self) -> None:
        if self._accept({}, "/v1/models"):
            self._json(200, {"object": "list", "data": [{"id": m} for m in self.script.models]})

    def do_POST(self) -> None:
        try:
            body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)))
        except ValueError:
            self._json(400, {"error": {"message": "the body is not JSON"}})
            return
        if not self._accept(body, "/v1/chat/completions"):
            return
        reply = self.script.reply
        pieces, finish = words(reply(body) if callable(reply) else reply), "stop"
        if len(pieces) > int(body.get("max_tokens") or len(pieces)):
            pieces, finish = pieces[: body["max_tokens"]], "length"
        prompt = sum(len(str(m.get("content", "")).split()) for m in body.get("messages", []))
        usage = {"prompt_tokens": prompt, "completion_tokens": len(pieces)}
        if body.get("stream"):
            include_usage = (body.get("stream_options") or {}).get("include_usage")
            self._stream(pieces, finish, usage if include_usage else None)
            return
        message = {"role": "assistant", "content": "".join(pieces)}
        choice = {"index": 0, "message": message, "finish_reason": finish}
        self._json(200, {"object": "chat.completion", "choices": [choice], "usage": usage})

    def _accept(self, body: dict[str, Any], route: str) -> bool:
        """Record the request; answer it with the scripted error or a 404 if need be."""
        headers = {k.lower(): v for k, v in self.headers.items()}
        self.script._record(ReceivedRequest(self.command, self.path, headers, body))
        if self.script.status >= 400:
            self._json(self.script.status, {"error": {"message": self.script.error_message}})
        elif self.path != route:
            self._json(404, {"error": {"message": f"no route {self.path}"}})
        return self.script.status < 400 and self.path == route

    def _stream(self, pieces: list[str], finish: str, usage: dict[str, Any] | None) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        script = self.script
        if script.raw_stream is not None:
            self._send(script.raw_stream)
        else:
            delay = 1 / script.tokens_per_second if script.tokens_per_second > 0 else 0.0
            self._send(b": scripted server\n\n")
            self._send(_event([{"index": 0, "delta": {"role": "assistant", "content": ""}}]))
            for piece in pieces:
                if script._stopping.wait(delay):
                    self.close_connection = True
                    return
                self._send(_event([{"index": 0, "delta": {"content": piece}}]))
            self._send(_event([{"index": 0, "delta": {}, "finish_reason": finish}]))
            if usage is not None:
                self._send(_event([], usage=usage))
            self._send(b"data: [DONE]\n\n")
        self.wfile.write(b"0\r\n\r\n")

    def _send(self, data: bytes) -> None:
        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))

    def _json(self, status: int, payload: dict[str, Any]) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
