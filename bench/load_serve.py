"""``os1 serve`` under a profiler, for ``bench/load.py --profile``.

``OS1_BENCH_PROFILE`` names the profiler and ``OS1_BENCH_PROFILE_OUT`` the report file:

- ``yappi`` (``pip install yappi``; not a project dependency): CPU time in every thread,
  so the store's writer and reader threads show up beside the event loop;
- ``cprofile``: the standard library's, the event-loop thread only.

Two experiments: ``OS1_BENCH_HTTPX_POOL`` gives httpx clients a bigger connection pool
(os1's model client keeps httpx's default of 100), and ``OS1_BENCH_SWITCH_INTERVAL`` sets
``sys.setswitchinterval`` (how long the loop and the store's threads wait for the GIL).

The report is written when the server stops (``bench/load.py`` sends SIGINT, and uvicorn
shuts down gracefully), as the top functions by own time and by cumulative time.
"""

from __future__ import annotations

import contextlib
import cProfile
import io
import os
import pstats
import signal
import sys


def _yappi(out: str) -> None:
    import yappi

    yappi.set_clock_type("cpu")
    yappi.start(builtins=True)
    # bench/load.py sends SIGUSR1 once warmed up: startup and imports leave the profile
    signal.signal(signal.SIGUSR1, lambda *_: yappi.clear_stats())
    try:
        _serve()
    finally:
        yappi.stop()
        stats = yappi.get_func_stats()
        with open(out, "w") as fh:
            sections = (
                ("tsub", "own CPU time", lambda row: True),
                ("ttot", "CPU time with callees", lambda row: True),
                ("ttot", "CPU time with callees, os1's own code", lambda row: "os1" in row.module),
            )
            for sort, title, keep in sections:
                fh.write(f"=== top by {title} ===\n")
                stats.sort(sort, "desc")
                for row in [r for r in stats if keep(r)][:45]:
                    where = f"{os.path.relpath(row.module) if row.module else ''}:{row.lineno}"
                    fh.write(
                        f"{row.tsub:9.3f} {row.ttot:9.3f} {row.ncall:9d}  {row.name}  {where}\n"
                    )
            fh.write("=== threads (CPU s) ===\n")
            for thread in yappi.get_thread_stats():
                fh.write(f"{thread.ttot:9.3f}  {thread.name} {thread.id}\n")


def _cprofile(out: str) -> None:
    profile = cProfile.Profile()
    profile.enable()
    signal.signal(signal.SIGUSR1, lambda *_: (profile.disable(), profile.clear(), profile.enable()))
    try:
        _serve()
    finally:
        profile.disable()
        text = io.StringIO()
        stats = pstats.Stats(profile, stream=text)
        stats.sort_stats("tottime").print_stats(45)
        stats.sort_stats("cumulative").print_stats(45)
        with open(out, "w") as fh:
            fh.write(text.getvalue())


def _bigger_httpx_pool(size: int) -> None:
    """An experiment: httpx clients made without explicit limits get ``size`` connections
    (kept alive) instead of 100 (20 kept alive), to measure what os1's model client loses."""
    import httpx

    defaults = httpx.AsyncClient.__init__.__kwdefaults__
    defaults["limits"] = httpx.Limits(max_connections=size, max_keepalive_connections=size)


def _serve() -> None:
    from os1.cli.app import main

    with contextlib.suppress(SystemExit):
        main()


if __name__ == "__main__":
    sys.argv = ["os1", *sys.argv[1:]]
    if switch := os.environ.get("OS1_BENCH_SWITCH_INTERVAL"):
        sys.setswitchinterval(float(switch))  # how soon a thread waiting for the GIL gets it
    if pool := os.environ.get("OS1_BENCH_HTTPX_POOL"):
        _bigger_httpx_pool(int(pool))
    kind, out = os.environ.get("OS1_BENCH_PROFILE", ""), os.environ.get("OS1_BENCH_PROFILE_OUT")
    if kind and out:
        (_yappi if kind == "yappi" else _cprofile)(out)
    else:
        _serve()
