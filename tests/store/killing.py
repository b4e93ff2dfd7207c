"""A writer killed with ``kill -9`` mid-stream, for the durability tests of each engine."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap


def acknowledged_then_killed(opening: str, at_least: int = 200) -> int:
    """Run a process that opens the store with ``opening`` (an expression awaited in the
    child, e.g. ``Database.open(Path("x.db"))``) and adds ``message 0``, ``message 1``…
    for one person, printing each number once its commit returned; kill it with SIGKILL
    after ``at_least`` of them. Returns the last number it acknowledged."""
    script = textwrap.dedent(
        f"""
        import asyncio
        from pathlib import Path
        from os1.store import Database
        from os1.store.postgres import PostgresDatabase

        async def main():
            db = await {opening}
            store = await db.user("ann")
            conv = await store.new_conversation()
            i = 0
            while True:
                await store.add_message(conv, "user", f"message {{i}}")
                print(i, flush=True)  # acknowledged only after the commit returned
                i += 1

        asyncio.run(main())
        """
    )
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    acknowledged = -1
    for line in proc.stdout:
        acknowledged = int(line)
        if acknowledged >= at_least:
            break
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    proc.stdout.close()
    return acknowledged
