"""Where each benchmark keeps the figures the README cites: ``bench/results/NAME.json``,
committed with the code, so a figure in the README can be checked against the run that
produced it and the machine it ran on.

Each file holds the figures under ``"figures"`` and, under ``"machine"``, what a reader
needs to judge them: the date, the commit (and whether the tree had changes), the CPU,
its cores, memory, the load average when the run ended (the machine is shared), Python
and the command line.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import subprocess
import sys
from pathlib import Path
from typing import Any

FOLDER = Path(__file__).resolve().parent / "results"


def _git(*args: str) -> str:
    try:
        done = subprocess.run(
            ["git", *args], cwd=FOLDER.parent, capture_output=True, text=True, timeout=10
        )
    except (OSError, subprocess.TimeoutExpired):
        return ""
    return done.stdout.strip() if done.returncode == 0 else ""


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _memory_gib() -> float | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return round(int(line.split()[1]) / 2**20, 1)
    except (OSError, ValueError, IndexError):
        pass
    return None


def machine_notes() -> dict[str, Any]:
    """What the figures were measured on, and when."""
    commit = _git("rev-parse", "--short", "HEAD")
    changed = bool(_git("status", "--porcelain", "--untracked-files=no"))
    return {
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "commit": commit + (" (with uncommitted changes)" if commit and changed else ""),
        "cpu": _cpu_model(),
        "cpus": os.cpu_count(),
        "memory_gib": _memory_gib(),
        "load_average_1_5_15": [round(x, 2) for x in os.getloadavg()],
        "python": platform.python_version(),
        "system": f"{platform.system()} {platform.release()}",
        "command": " ".join([Path(sys.argv[0]).name, *sys.argv[1:]]),
    }


def save(name: str, figures: dict[str, Any]) -> Path:
    """Write ``figures`` with the machine notes to ``bench/results/NAME.json``."""
    FOLDER.mkdir(exist_ok=True)
    path = FOLDER / f"{name}.json"
    payload = {"machine": machine_notes(), "figures": figures}
    path.write_text(json.dumps(payload, indent=2, ensure_ascii=False, default=str) + "\n")
    return path
