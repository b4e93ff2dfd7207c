"""``os1 serve --workers N``: N worker processes serving one port, kept running.

This process binds the port once and hands the listening socket to each worker (the
kernel gives each new connection to whichever worker accepts first), so any worker
serves any request, as behind a load balancer. The workers share their limits, the live
count and the news of turns through Redis (``redis_url``), which is why several workers
need it. A worker that dies (a crash, kill -9) is started again after a pause that grows
while it keeps dying young; its people's sockets reconnect to the others meanwhile. A
stop signal is passed on to every worker, which finishes its turns within
``shutdown_grace`` as a lone ``os1 serve`` does.

(The pattern is the pre-fork one of gunicorn and uvicorn's own ``--workers``; os1 keeps
its own so each worker starts the companion as ``os1 serve`` does.)
"""

from __future__ import annotations

import contextlib
import ctypes
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import httpx
from rich.console import Console

from os1.errors import ConfigError

MOST_WORKERS = 64
YOUNG = 10.0  # seconds: a worker that dies sooner than this after its start died young
LONGEST_PAUSE = 30.0  # seconds between restarts of a worker that keeps dying young
LOOK_EVERY = 0.2  # seconds between looks at the workers
PR_SET_PDEATHSIG = 1  # prctl(2)


def ends_with_its_parent() -> None:
    """In a child about to start: have Linux send it SIGTERM when its parent dies, so
    that workers (or a test's servers) are not left serving after a kill -9 of the
    process that owns them. Elsewhere nothing is done."""
    if sys.platform != "linux":
        return
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def listening_socket(host: str, port: int) -> socket.socket:
    """The port, bound and listening, for the workers to inherit.

    Raises:
        ConfigError: the address is taken or cannot be bound here.
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise ConfigError(
            "address_in_use",
            f"Cannot listen on {host}:{port}: {exc.strerror or exc}.",
            "Stop what uses that port, or choose another with --port.",
        ) from exc
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


@dataclass
class Worker:
    number: int
    process: subprocess.Popen[bytes]
    started: float = field(default_factory=time.monotonic)
    young_deaths: int = 0  # deaths in a row, each sooner than YOUNG after its start
    restart_at: float | None = None  # when to start it again, once it has died

    @property
    def pid(self) -> int:
        return self.process.pid


def _how_it_ended(code: int) -> str:
    if code < 0:
        with contextlib.suppress(ValueError):
            return f"was killed by {signal.Signals(-code).name}"
        return f"was killed by signal {-code}"
    return f"exited with code {code}"


class Workers:
    """The worker processes of one ``os1 serve --workers N``."""

    def __init__(self, count: int, command: list[str], sock: socket.socket, err: Console) -> None:
        self.count = count
        self.command = command  # ``os1 serve`` for one worker, without --listen-fd
        self.sock = sock
        self.err = err
        self.workers: list[Worker] = []
        self.stopping = False

    def _spawn(self) -> subprocess.Popen[bytes]:
        fd = self.sock.fileno()
        command = [*self.command, "--listen-fd", str(fd)]
        return subprocess.Popen(command, pass_fds=(fd,), preexec_fn=ends_with_its_parent)

    def start(self) -> None:
        for number in range(1, self.count + 1):
            worker = Worker(number, self._spawn())
            self.workers.append(worker)
            self.err.print(f"worker {number} of {self.count} started (pid {worker.pid})")

    def look(self, ever_up: bool) -> bool:
        """Start again the workers that died; False when they cannot start at all (each
        died young before any worker ever answered)."""
        now = time.monotonic()
        for worker in self.workers:
            if worker.restart_at is not None:
                if now >= worker.restart_at:
                    worker.process = self._spawn()
                    worker.started, worker.restart_at = now, None
                    self.err.print(f"worker {worker.number} started again (pid {worker.pid})")
                continue
            code = worker.process.poll()
            if code is None or self.stopping:
                continue
            young = now - worker.started < YOUNG
            worker.young_deaths = worker.young_deaths + 1 if young else 0
            if not ever_up and all(w.process.poll() is not None for w in self.workers):
                return False
            pause = min(LONGEST_PAUSE, 2.0 ** (worker.young_deaths - 1)) if young else 0.5
            worker.restart_at = now + pause
            self.err.print(
                f"[yellow]worker {worker.number} (pid {worker.pid}) {_how_it_ended(code)};[/]"
                f" starting it again in {pause:g} s. Its people reconnect to the others."
            )
        return True

    def stop(self, grace: float) -> None:
        """Ask every worker to stop, wait ``grace`` (plus start-up slack) for them to
        finish their turns, then end the rest."""
        self.stopping = True
        for worker in self.workers:
            if worker.process.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    worker.process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + grace + 10.0
        for worker in self.workers:
            try:
                worker.process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                worker.process.kill()
                worker.process.wait()


def answers(url: str) -> bool:
    """Whether some worker answers at ``url`` (the port listens before any accepts)."""
    try:
        return httpx.get(url, timeout=2.0).status_code < 500
    except httpx.HTTPError:
        return False


def supervise(workers: Workers, probe_url: str, grace: float, announce: Callable[[], None]) -> int:
    """Run the workers until a stop signal; 1 if they could not start at all."""
    stop_asked = False

    def ask_stop(*_: object) -> None:
        nonlocal stop_asked
        stop_asked = True

    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, ask_stop)
    workers.start()
    ever_up = False
    try:
        while not stop_asked:
            if not ever_up and answers(probe_url):
                ever_up = True
                announce()
            if not workers.look(ever_up):
                workers.err.print("[red]No worker could start; see their messages above.[/]")
                return 1
            time.sleep(LOOK_EVERY)
    finally:
        workers.stop(grace)
    return 0
