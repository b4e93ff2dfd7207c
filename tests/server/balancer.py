"""A small TCP load balancer for tests: what an nginx or HAProxy in front of several
``os1 serve`` processes does, in a few lines of asyncio on loopback.

Each new connection goes to the next backend in turn (round robin); a backend that
refuses the connection is skipped for the next (nginx's ``proxy_next_upstream error``).
Bytes are copied both ways untouched, so HTTP, keep-alive and WebSocket upgrades pass
through as they would through a layer-4 balancer. ``picked`` records, in order, which
backend port each connection went to.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import threading
from collections.abc import Iterator


class Balancer:
    def __init__(self, backends: list[int]) -> None:
        self.backends = backends
        self.picked: list[int] = []
        self.port = 0
        self._turn = itertools.count()
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._server: asyncio.Server | None = None

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        self._server = self._loop.run_until_complete(
            asyncio.start_server(self._serve, "127.0.0.1", 0)
        )
        self.port = self._server.sockets[0].getsockname()[1]
        self._ready.set()
        self._loop.run_forever()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        start = next(self._turn)
        for step in range(len(self.backends)):
            port = self.backends[(start + step) % len(self.backends)]
            try:
                backend_in, backend_out = await asyncio.open_connection("127.0.0.1", port)
            except OSError:
                continue  # refused: the next one
            self.picked.append(port)
            break
        else:
            writer.close()
            return
        try:
            await asyncio.gather(_copy(reader, backend_out), _copy(backend_in, writer))
        finally:
            for end in (writer, backend_out):
                end.close()

    async def _stop(self) -> None:
        if self._server is not None:
            self._server.close()
        running = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
        for task in running:
            task.cancel()
        await asyncio.gather(*running, return_exceptions=True)
        self._loop.stop()

    @contextlib.contextmanager
    def running(self) -> Iterator[Balancer]:
        self._thread.start()
        self._ready.wait(10)
        try:
            yield self
        finally:
            asyncio.run_coroutine_threadsafe(self._stop(), self._loop)
            self._thread.join(10)
            self._loop.close()


async def _copy(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
    """One direction, until its end closes; then the other side is told (half-close)."""
    with contextlib.suppress(OSError):
        while data := await source.read(65536):
            sink.write(data)
            await sink.drain()
        if sink.can_write_eof():
            sink.write_eof()
