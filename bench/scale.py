"""How ``os1 serve`` goes past one process: one worker, one worker sharing its state
through Redis, and ``--workers 2`` on Redis, side by side in one run, under the load of
``bench/load.py`` (the same stand-in model, client processes and seeded people).

Every configuration starts from a fresh copy of the seeded home and is timed on the same
door. With ``--postgres-url`` (an empty database), two more run one and two workers on a
PostgreSQL store: the seeded home is moved into it with ``os1 migrate``'s own code, and
each of the two gets a copy of it (CREATE DATABASE … TEMPLATE; the role needs CREATEDB),
dropped afterwards. CPU
and memory are summed over the server's whole process tree (the supervisor and its
workers; not PostgreSQL's, which runs apart). From the measured CPU per turn it works out
what the project's target (200 turns/s) takes in cores, and what a 4-worker fleet on two
such 2-core machines would carry.

It starts Debian's ``redis-server`` on a free loopback port (nothing saved) and stops it.

Run: .venv/bin/python bench/scale.py [--conversations 2000] [--seconds 30] [--rate 200]
                                     [--door ws|http] [--postgres-url postgresql://…/empty]
     .venv/bin/python bench/scale.py --quick      (200 conversations, 10 s, 50 turns/s)
"""

from __future__ import annotations

import argparse
import asyncio
import math
import shutil
import tempfile
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import psycopg
import redis
from psycopg import sql
from rich.table import Table

from figures import save
from fleet_state import start_redis
from load import (
    HERE,
    RESULTS,
    Fleet,
    Processes,
    console,
    measure,
    seed,
    start_standin,
)
from os1.core.moving import Place, move_store

TARGET = 200.0  # turns a second: the project's scale target (issue 21)


def configurations(redis_url: str, postgres_urls: list[str]) -> dict[str, Fleet]:
    shared = {"OS1_REDIS_URL": redis_url}
    fleets = {
        "1 worker": Fleet(1),
        "1 worker + Redis": Fleet(1, shared),
        "2 workers + Redis": Fleet(2, shared),
    }
    for workers, url in zip((1, 2), postgres_urls, strict=False):
        name = f"{workers} worker{'s' if workers > 1 else ''} + Redis + PostgreSQL"
        fleets[name] = Fleet(workers, {**shared, "OS1_DATABASE_URL": url})
    return fleets


def copies_of(url: str, count: int) -> list[str]:
    """``count`` fresh databases made from the one at ``url`` (CREATE DATABASE …
    TEMPLATE), so that each PostgreSQL configuration starts from the same seeded home as
    the others do; dropped again by ``drop``."""
    seeded = urlsplit(url).path.lstrip("/")
    names = [f"{seeded}_run{n}" for n in range(count)]
    drop([_on(url, name) for name in names])  # left by an interrupted run
    with psycopg.connect(_on(url, "postgres"), autocommit=True) as conn:
        for name in names:
            conn.execute(
                sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
                    sql.Identifier(name), sql.Identifier(seeded)
                )
            )
    return [_on(url, name) for name in names]


def drop(urls: list[str]) -> None:
    for url in urls:
        with psycopg.connect(_on(url, "postgres"), autocommit=True) as conn:
            name = sql.Identifier(urlsplit(url).path.lstrip("/"))
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(name))


def _on(url: str, database: str) -> str:
    return urlunsplit(urlsplit(url)._replace(path=f"/{database}"))


ROWS: list[tuple[str, Any]] = [
    ("turns/s done", lambda r: r["turns_per_s"]),
    ("turns/s offered", lambda r: r["offered_per_s"]),
    ("overhead p50 ms", lambda r: r["overhead_ms"]["p50"]),
    ("overhead p99 ms", lambda r: r["overhead_ms"]["p99"]),
    ("  a conversation's first turn, p99 ms", lambda r: r["overhead_first_turn_ms"]["p99"]),
    ("total p99 ms", lambda r: r["total_ms"]["p99"]),
    ("server CPU ms / turn", lambda r: r["server_cpu_ms_per_turn"]),
    ("server CPU cores busy", lambda r: r["server_cpu_share"]),
    ("RSS KB / idle conversation", lambda r: r["rss_kb_per_idle_conversation"]),
    ("server RSS MB after", lambda r: r["rss_mb"]["after_turns"]),
    ("errors", lambda r: sum(r["errors"].values())),
]


def side_by_side(door: str, results: dict[str, dict[str, Any]]) -> Table:
    """Each configuration's figures, and each against the first (one worker alone)."""
    names = list(results)
    through = "WebSocket /ws" if door == "ws" else "HTTP /v1/chat/completions"
    grid = Table(title=f"os1 serve, one process against a fleet on Redis, through {through}")
    grid.add_column("measure")
    for name in names:
        grid.add_column(name, justify="right")
    for name in names[1:]:
        grid.add_column(f"{name} / {names[0]}", justify="right")
    for label, get in ROWS:
        cells = [get(results[name]) for name in names]
        base = cells[0]
        ratios = [
            f"{c / base:.2f}"
            if isinstance(c, int | float) and base and not math.isnan(base)
            else "-"
            for c in cells[1:]
        ]
        shown = [f"{c:,}" if isinstance(c, int | float) else str(c or "-") for c in cells]
        grid.add_row(label, *shown, *ratios)
    return grid


def capacity(results: dict[str, dict[str, Any]]) -> Table:
    """What the measured CPU per turn means for the target and for a bigger fleet."""
    grid = Table(title=f"What {TARGET:.0f} turns/s takes, from the measured server CPU per turn")
    for column in ("configuration", "CPU ms / turn", "turns/s per core", "cores for 200/s"):
        grid.add_column(column, justify="right" if column != "configuration" else "left")
    grid.add_column("4 workers on 2×2 cores, turns/s", justify="right")
    for name, result in results.items():
        cpu_ms = result["server_cpu_ms_per_turn"]
        per_core = 1000.0 / cpu_ms if cpu_ms else float("nan")
        grid.add_row(
            name,
            f"{cpu_ms:.1f}",
            f"{per_core:.0f}",
            f"{TARGET / per_core:.1f}",
            f"{4 * per_core:.0f}",  # four cores given to workers; the model served apart
        )
    return grid


def parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--conversations", type=int, default=2000)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--rate", type=float, default=TARGET, help="turns per second offered")
    parser.add_argument("--door", choices=("ws", "http"), default="ws")
    parser.add_argument("--quick", action="store_true", help="200 conversations, 10 s, 50/s")
    parser.add_argument("--tokens-per-second", type=float, default=50.0)
    parser.add_argument("--reply-words", type=int, default=20)
    parser.add_argument("--first-token-ms", type=float, default=100.0)
    parser.add_argument("--no-save", action="store_true", help="print only (a trial run)")
    parser.add_argument(
        "--postgres-url", default="", help="an empty PostgreSQL database: adds a fleet on it"
    )
    args = parser.parse_args()
    if args.quick:
        args.conversations, args.seconds, args.rate = 200, 10.0, min(args.rate, 50.0)
    if not 1 <= args.conversations <= 15_000 or not 0 < args.seconds <= 300:
        parser.error("use 1-15,000 conversations and at most 300 s")
    # what bench/load.py's server settings need and this benchmark keeps at their defaults
    for name, value in {
        "max_inflight": 256,
        "learn_after": 30.0,
        "embedders": "static",
        "no_deflate": False,
        "profile": None,
        "switch_interval": None,
        "httpx_pool": None,
    }.items():
        setattr(args, name, value)
    return args


def main() -> None:
    args = parse()
    RESULTS.mkdir(exist_ok=True)
    procs = Processes()
    stores: list[str] = []
    try:
        with tempfile.TemporaryDirectory(prefix="os1-scale-") as tmp:
            home = Path(tmp)
            redis_proc, redis_url = start_redis(home)
            procs.all.append(redis_proc)
            model_url = start_standin(procs, args)
            seeded = home / "seeded"
            seeded.mkdir()
            keys, warm_key, seconds = asyncio.run(seed(seeded, args.conversations))
            console.print(f"seeded {len(keys)} accounts in {seconds:.1f} s (one transaction)")
            if args.postgres_url:
                moved = asyncio.run(
                    move_store(Place(path=seeded / "os1.db"), Place(url=args.postgres_url))
                )
                assert all(m.equal for m in moved), moved
                console.print(f"moved the seeded home into {Place(url=args.postgres_url)}")
                stores = copies_of(args.postgres_url, 2)
            results: dict[str, dict[str, Any]] = {}
            fleets = configurations(redis_url, stores)
            for n, (name, fleet) in enumerate(fleets.items()):
                with redis.Redis.from_url(redis_url) as shared:
                    shared.flushdb()  # no state left from the configuration before
                run_home = home / f"run-{n}"
                shutil.copytree(seeded, run_home)  # each configuration starts from the seed
                console.print(f"[bold]{name}[/]")
                results[name] = measure(
                    "os1", args.door, procs, args, run_home, model_url, keys, warm_key, fleet
                )
                shutil.rmtree(run_home)
            console.width = max(console.width, 130)  # the side-by-side table reads on one line
            console.print(side_by_side(args.door, results))
            console.print(capacity(results))
            for name, result in results.items():
                if result["errors"]:
                    console.print(f"{name} errors: {result['errors']}")
            if not args.no_save:
                kind = "scale-postgresql" if args.postgres_url else "scale"
                out = save(
                    f"{kind}-quick"
                    if args.quick
                    else f"{kind}-{args.door}-{args.conversations}-{args.rate:g}",
                    {"settings": vars(args), "results": results},
                )
                console.print(f"saved {out.relative_to(HERE.parent)}")
    except KeyboardInterrupt:
        console.print("interrupted; stopping every process")
    finally:
        procs.stop_all()
        drop(stores)


if __name__ == "__main__":
    main()
