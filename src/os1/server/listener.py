"""The listening socket: how uvicorn serves the app, for ``os1 serve`` and the tests alike.

``uvicorn_config`` is the one place the server's socket-level limits are set, so the
tests' ``LiveServer`` runs exactly what ships:

- ``max_connections`` is uvicorn's ``limit_concurrency``: past it, new HTTP requests get
  a 503 at once. Open WebSockets count toward it, so it sits above the ~10,000 idle
  sockets one process is meant to hold;
- ``keep_alive_timeout`` closes a kept-alive connection idle between requests;
- ``header_timeout`` closes a connection that has not sent a whole request head in
  time, and a head over ``MAX_HEAD_BYTES`` is refused with 431 (h11 refuses one over
  16 KiB itself, with 400).

The last needs code of our own. uvicorn 0.55's HTTP protocols (``httptools_impl`` and
``h11_impl``) arm their only timer, the keep-alive one, when a response completes, and
cancel it on the first byte that arrives. Nothing is armed at ``connection_made``, so a
connection that never sends a byte stays open for good, and one that sends half a
request head (the slowloris attack) cancels the keep-alive timer and stays too. The
httptools parser also keeps collecting header lines without a size limit (h11 stops at
16 KiB). The protocols below add a deadline for the request head, counted from the
moment the connection is waiting for one (connected, or previous response sent) until
the head is complete; trickling bytes does not extend it (nor does it extend nginx's
``client_header_timeout``, the model for this). WebSockets are not affected: their
handshake completes the head, and uvicorn's ping timeout takes over from there.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import sys
from typing import Any, Literal

import h11
import uvicorn
from starlette.types import ASGIApp
from uvicorn.protocols.http.h11_impl import H11Protocol

from os1.config import Settings

log = logging.getLogger(__name__)

Parser = Literal["httptools", "h11"]
MAX_HEAD_BYTES = 64 * 1024  # the request line and headers; browsers send under 8 KiB
_TOO_LARGE = (
    b"HTTP/1.1 431 Request Header Fields Too Large\r\n"
    b"content-type: text/plain; charset=utf-8\r\ncontent-length: 32\r\nconnection: close\r\n\r\n"
    b"The request headers are too big."
)


class HeadTooLarge(Exception):
    """A request head grew past ``MAX_HEAD_BYTES``."""


class ServerConfig(uvicorn.Config):
    """uvicorn's config plus the request-head deadline our protocols read from it."""

    def __init__(self, app: ASGIApp, *, header_timeout: float, **options: Any) -> None:
        self.header_timeout = header_timeout
        super().__init__(app, **options)


class _HeadDeadline:
    """The deadline for one request head on one connection (shared by both protocols).

    ``waiting`` starts the clock (a connection made, a response sent), ``arrived`` stops
    it (the head is complete), and ``seen`` counts the bytes of a head under way.
    """

    def __init__(self, loop: asyncio.AbstractEventLoop, seconds: float) -> None:
        self.loop = loop
        self.seconds = seconds
        self.timer: asyncio.TimerHandle | None = None
        self.size = 0
        self.transport: asyncio.Transport | None = None

    def waiting(self, transport: asyncio.Transport) -> None:
        self.arrived()
        self.transport = transport
        self.size = 0
        self.timer = self.loop.call_later(self.seconds, self._overdue)

    def arrived(self) -> None:
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None

    def seen(self, size: int) -> None:
        """Counts ``size`` more bytes of the head under way.

        Raises:
            HeadTooLarge: past ``MAX_HEAD_BYTES``, once 431 is sent and the connection
                is closing; raised inside a parser callback, it stops the parser.
        """
        self.size += size
        if self.size > MAX_HEAD_BYTES and self.transport is not None:
            self.arrived()
            if not self.transport.is_closing():
                self.transport.write(_TOO_LARGE)
                self.transport.close()
            raise HeadTooLarge

    def _overdue(self) -> None:
        self.timer = None
        if self.transport is not None and not self.transport.is_closing():
            self.transport.close()  # like nginx, no answer: the client was not talking


def _deadline(config: uvicorn.Config, loop: asyncio.AbstractEventLoop) -> _HeadDeadline:
    seconds = config.header_timeout if isinstance(config, ServerConfig) else 15.0
    return _HeadDeadline(loop, seconds)


class H11WithHeadDeadline(H11Protocol):
    """uvicorn's h11 protocol with the request-head deadline."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.head = _deadline(self.config, self.loop)

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]  # uvicorn narrows it too
        super().connection_made(transport)
        self.head.waiting(transport)

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        # h11 leaves IDLE once a whole request head is parsed (and refuses heads over
        # 16 KiB on its own)
        if self.conn.their_state is not h11.IDLE:
            self.head.arrived()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if not self.transport.is_closing() and self.conn.their_state is h11.IDLE:
            self.head.waiting(self.transport)

    def connection_lost(self, exc: Exception | None) -> None:
        self.head.arrived()
        super().connection_lost(exc)


@functools.cache
def _httptools_protocol() -> type[asyncio.Protocol] | None:
    """The httptools protocol with the deadline, or None where httptools is missing."""
    try:
        from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
    except ImportError:  # uvicorn[standard] brings it, but not on every platform
        return None

    class HttpToolsWithHeadDeadline(HttpToolsProtocol):
        """uvicorn's httptools protocol with the request-head deadline."""

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self.head = _deadline(self.config, self.loop)

        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]  # uvicorn narrows it too
            super().connection_made(transport)
            self.head.waiting(transport)

        def on_message_begin(self) -> None:
            super().on_message_begin()  # the first byte of a request
            if self.head.timer is None:  # it began while a response was under way
                self.head.waiting(self.transport)

        def on_url(self, url: bytes) -> None:
            super().on_url(url)
            self.head.seen(len(url))

        def on_header(self, name: bytes, value: bytes) -> None:
            super().on_header(name, value)
            self.head.seen(len(name) + len(value) + 4)

        def on_headers_complete(self) -> None:
            self.head.arrived()
            super().on_headers_complete()

        def send_400_response(self, msg: str) -> None:
            if not self.transport.is_closing():  # not after the 431 of HeadTooLarge
                super().send_400_response(msg)

        def on_response_complete(self) -> None:
            super().on_response_complete()
            # a head that began meanwhile has its clock running already, and with
            # pipelined requests queued the next head has arrived
            idle = self.cycle is None or self.cycle.response_complete
            if idle and self.head.timer is None and not self.transport.is_closing():
                self.head.waiting(self.transport)

        def connection_lost(self, exc: Exception | None) -> None:
            self.head.arrived()
            super().connection_lost(exc)

    return HttpToolsWithHeadDeadline


def http_protocol(parser: Parser | None = None) -> type[asyncio.Protocol]:
    """The HTTP protocol class to serve with: httptools where installed (uvicorn's own
    choice), else h11; ``parser`` picks one (the tests run both)."""
    if parser != "h11" and (found := _httptools_protocol()) is not None:
        return found
    if parser == "httptools":
        raise RuntimeError("httptools is not installed")
    return H11WithHeadDeadline


def uvicorn_config(
    app: ASGIApp, settings: Settings, *, parser: Parser | None = None
) -> ServerConfig:
    """How uvicorn serves ``app`` under ``settings``: for ``os1 serve`` and ``LiveServer``."""
    return ServerConfig(
        app,
        host=settings.host,
        port=settings.port,
        http=http_protocol(parser),
        header_timeout=settings.header_timeout,
        limit_concurrency=settings.max_connections,
        timeout_keep_alive=settings.keep_alive_timeout,
        log_level="warning",
        access_log=False,
        ws_max_size=settings.max_request_bytes * 4,  # the app answers oversize itself
        ws_per_message_deflate=False,  # tiny frames; halves an idle socket's memory
        timeout_graceful_shutdown=int(settings.shutdown_grace) or None,
    )


def open_file_room(wanted: int) -> int:
    """Raise this process's soft limit on open files toward ``wanted`` (never past the
    hard limit) and return the soft limit now in force.

    Every connection is an open file; many systems start processes at 1,024, far below
    the sockets one ``os1 serve`` is built to hold.
    """
    if sys.platform == "win32":  # no such limit to raise there
        return wanted
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY or soft >= wanted:
        return wanted if soft == resource.RLIM_INFINITY else soft
    target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if target > soft:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
            soft = target
        except (ValueError, OSError) as exc:
            log.warning("could not raise the open-file limit to %d: %s", target, exc)
    return soft
