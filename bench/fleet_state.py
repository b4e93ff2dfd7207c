"""What sharing the limits through Redis costs a turn: a rate take and a turn-gate slot,
in this process's memory (one ``os1 serve``) against Redis on loopback (a fleet), in the
same run, one at a time and from many people at once.

It starts Debian's ``redis-server`` on a free loopback port (nothing saved) and stops it.

Run: .venv/bin/python bench/fleet_state.py [--ops 2000] [--concurrent 64]
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import socket
import statistics
import subprocess
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

from rich.console import Console
from rich.table import Table

from os1.presence import Presence
from os1.server.fleet import Fleet, FleetBuckets, FleetGate
from os1.server.limits import Buckets, Gate, TokenBuckets, TurnGate


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_redis(folder: Path) -> tuple[subprocess.Popen[bytes], str]:
    binary = shutil.which("redis-server")
    if binary is None:
        raise SystemExit("redis-server is missing: run `make setup` (it installs it)")
    port = _free_port()
    process = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--dir", str(folder)],
        stdout=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 15
    while True:  # listening once a connection is taken
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return process, f"redis://127.0.0.1:{port}/0"
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                raise SystemExit("redis-server did not start") from None
            time.sleep(0.05)


async def timed(
    op: Callable[[int], Awaitable[None]], ops: int, concurrent: int
) -> tuple[list[float], float]:
    """Milliseconds per op, ``concurrent`` people at a time, and the ops done a second."""
    took: list[float] = []

    async def person(first: int) -> None:
        for i in range(first, ops, concurrent):
            started = time.perf_counter()
            await op(i)
            took.append((time.perf_counter() - started) * 1000)

    started = time.perf_counter()
    await asyncio.gather(*(person(p) for p in range(concurrent)))
    return took, ops / (time.perf_counter() - started)


async def first_turn(buckets: Buckets, gate: Gate) -> float:
    """Milliseconds for the first take and slot of a new worker: for Redis, the
    connection and the scripts' first run included (the cold path)."""
    started = time.perf_counter()
    await buckets.take("u0", "requests")
    async with gate.slot():
        pass
    return (time.perf_counter() - started) * 1000


async def measure(buckets: Buckets, gate: Gate, ops: int, concurrent: int) -> dict[str, float]:
    async def take(i: int) -> None:
        await buckets.take(f"u{i % 500}", "requests")

    async def slot(_: int) -> None:
        async with gate.slot():
            pass

    found: dict[str, float] = {}
    for name, op in (("take", take), ("slot", slot)):
        for width in (1, concurrent):
            took, rate = await timed(op, ops, width)
            found[f"{name}, {width} at once: ms p50"] = statistics.median(took)
            found[f"{name}, {width} at once: per s"] = rate
    return found


async def main(ops: int, concurrent: int) -> None:
    console = Console()
    cold_local = await first_turn(TokenBuckets(10**9, burst=10**9), TurnGate(concurrent, 10**6))
    local = await measure(
        TokenBuckets(10**9, burst=10**9), TurnGate(concurrent, 10**6), ops, concurrent
    )
    with tempfile.TemporaryDirectory() as folder:
        process, url = start_redis(Path(folder))
        try:
            fleet = Fleet(url)
            cold_shared = await first_turn(
                FleetBuckets(fleet, "requests", 10**9, burst=10**9),
                FleetGate(fleet, concurrent, 10**6),
            )
            async with fleet.running(Presence()):
                shared = await measure(
                    FleetBuckets(fleet, "requests", 10**9, burst=10**9),
                    FleetGate(fleet, concurrent, 10**6),
                    ops,
                    concurrent,
                )
        finally:
            process.kill()
            process.wait()
    table = Table(title=f"a rate take and a gate slot, {ops} of each")
    for column in ("measure", "one process", "Redis (fleet)", "Redis / one process"):
        table.add_column(column, justify="right")
    for key, value in local.items():
        table.add_row(key, f"{value:,.3f}", f"{shared[key]:,.3f}", f"{shared[key] / value:.3g}")
    table.add_row(
        "first take and slot, new worker: ms",
        f"{cold_local:,.3f}",
        f"{cold_shared:,.3f}",
        f"{cold_shared / cold_local:.3g}",
    )
    console.print(table)
    one_turn = shared["take, 1 at once: ms p50"] + shared["slot, 1 at once: ms p50"]
    console.print(
        f"a turn's shared limits (one take, one slot) cost {one_turn:.2f} ms on loopback;"
        f" one worker passes at most {shared[f'slot, {concurrent} at once: per s']:,.0f}"
        " turns a second through the shared gate"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--ops", type=int, default=2000)
    parser.add_argument("--concurrent", type=int, default=64)
    args = parser.parse_args()
    asyncio.run(main(args.ops, args.concurrent))
