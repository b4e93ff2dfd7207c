"""How many conversations one ``os1 serve`` holds, and what a turn costs it, under load.

Four kinds of process, all on 127.0.0.1, all started and stopped here:

- the stand-in model (``load_standin.py``): OpenAI-compatible, a chat reply of known
  duration (first-token delay + words at a fixed rate); structured and summary answers
  at once, so the time a person waits beyond the chat reply is the server's own;
- the server under test: ``os1 serve`` as an operator would run it, or the baseline, a
  bare Starlette/uvicorn relay that forwards the stand-in's stream (``load_relay.py``);
- client processes (``load_client.py``), each speaking for a share of the people.

Two doors (``--door ws|http|both``), each measured on freshly started servers with a
fresh copy of the seeded database, so neither run inherits the other's memory or data:

- ``ws``: a warm-up conversation loads lazy parts, RSS is read, every conversation is
  opened and left idle, RSS is read again (the difference per conversation is the idle
  cost), then turns start as a Poisson process at ``--rate`` on random idle
  conversations for ``--seconds``; a turn is timed from ``say`` to ``turn_finished``;
- ``http``: the same schedule, each turn a streamed ``POST /v1/chat/completions`` with
  the person's key from a keep-alive client (at most ``--max-inflight`` at once per
  client process), timed from the request to ``data: [DONE]``. Nothing is held between
  turns, so the table shows the peak of requests in flight where the WebSocket run shows
  held connections, and no idle cost.

Overhead per turn is its time minus the stand-in's nominal reply time, on either door.
The machine is shared and noisy, so os1 and the baseline run in the same invocation and
each door's table shows their ratio. Figures go to ``bench/results/load-DOOR-N.json``
(``results`` holds one entry per door, each with ``baseline`` and ``os1``).

Server settings (why): ``OS1_EMBEDDERS=static`` (search by meaning at tens of thousands
of sentences/s; MiniLM's ~100/s on two cores cannot keep up with 200 turns/s);
``OS1_MAX_ACTIVE_TURNS=512`` and ``OS1_MAX_WAITING_TURNS=1024`` (a batching model server
is the real limit, not os1's gate: at 200 turns/s and half a second a reply ~100 run at
once, so the gate must sit well above that); ``OS1_TURNS_PER_MINUTE`` stays at its
per-person default, which these people (one turn a minute or so) never reach;
``OS1_LEARN_AFTER=30`` (a busy server learns facts once a person pauses, from all their
lines at once, rather than one model request per turn; ``--learn-after 0`` measures the
per-turn way).

Run: .venv/bin/python bench/load.py [--conversations 10000] [--seconds 60] [--rate 200]
                                    [--door ws|http|both]
     .venv/bin/python bench/load.py --quick      (200 conversations, 10 s, each door)
     add --profile yappi (or cprofile) to write the server's profile to bench/results/
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from figures import save
from os1.persona.identity import NAME_KEY
from os1.persona.onboarding import PROGRESS_KEY
from os1.store import Database
from os1.store.accounts import Accounts

HERE = Path(__file__).resolve().parent
PY = sys.executable
OS1 = str(Path(PY).parent / "os1")
RESULTS = HERE / "results"
PER_CLIENT = 2500  # sockets one client process drives while still timing fairly
console = Console()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_port(port: int, proc: subprocess.Popen[bytes], seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{proc.args!r} exited with {proc.returncode}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 1):
            return
        time.sleep(0.2)
    raise RuntimeError(f"nothing listens on port {port} after {seconds} s")


def family(pid: int) -> list[int]:
    """``pid`` and its descendants (``os1 serve --workers N`` and its workers)."""
    found, look = [], [pid]
    while look:
        at = look.pop()
        found.append(at)
        with contextlib.suppress(OSError):
            for task in Path(f"/proc/{at}/task").iterdir():
                look += [int(c) for c in (task / "children").read_text().split()]
    return found


def rss_kb(pid: int) -> int:
    """Resident memory of ``pid`` and its descendants, summed."""
    total = 0
    for member in family(pid):
        with contextlib.suppress(OSError):
            for line in Path(f"/proc/{member}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
    return total


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time ``pid`` and its living descendants have used so far."""
    total = 0
    for member in family(pid):
        with contextlib.suppress(OSError):
            fields = Path(f"/proc/{member}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def get_json(url: str) -> dict[str, Any]:
    with urllib.request.urlopen(url, timeout=10) as response:
        result: dict[str, Any] = json.load(response)
        return result


def pct(values: list[float], q: float) -> float:
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


class Processes:
    """Every child process, so that all of them end however the run ends."""

    def __init__(self) -> None:
        self.all: list[subprocess.Popen[bytes]] = []

    def start(self, args: list[str], **kw: Any) -> subprocess.Popen[bytes]:
        proc = subprocess.Popen(args, **kw)
        self.all.append(proc)
        return proc

    def stop(self, proc: subprocess.Popen[bytes], grace: float = 30) -> None:
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)
            try:
                proc.wait(grace)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()

    def stop_all(self) -> None:
        for proc in reversed(self.all):
            if proc.poll() is None:
                proc.kill()
                proc.wait()


async def seed(home: Path, count: int) -> tuple[list[str], str, float]:
    """API keys for ``count`` people plus a warm-up person, and how long seeding took."""
    db = await Database.open(home / "os1.db")
    try:
        started = time.perf_counter()
        added = await Accounts(db).add_many([f"p{i:05d}" for i in range(count)] + ["warmup"])
        await db.transaction(lambda conn: _returning_people(conn, [a.id for a, _ in added]))
        return [key for _, key in added[:-1]], added[-1][1], time.perf_counter() - started
    finally:
        await db.aclose()


def _returning_people(conn: Any, ids: list[int]) -> None:
    """People who have met their companion before: it has chosen its name and asked
    its getting-to-know-you questions (a first meeting costs one naming request more,
    which a steady-state server rarely sees)."""
    now = time.time()
    identity = json.dumps({"name": "Sol", "reason": "it felt warm"})
    onboarded = json.dumps({"asked": None, "done": True})
    conn.executemany(
        "INSERT INTO settings (user_id, key, value, updated_at) VALUES (?, ?, ?, ?)",
        [
            (i, key, value, now)
            for i in ids
            for key, value in ((NAME_KEY, identity), (PROGRESS_KEY, onboarded))
        ],
    )


async def warm_up(url: str, key: str, turns: int = 3) -> None:
    """A few turns on a conversation of its own, so lazy imports and loads are done."""
    from websockets.asyncio.client import connect

    if url.startswith("http"):
        return await warm_up_http(url, key, turns)
    async with connect(url, additional_headers={"Authorization": f"Bearer {key}"}) as ws:
        await ws.recv()
        for n in range(turns):
            await ws.send(json.dumps({"type": "say", "text": f"warming up {n}"}))
            while json.loads(await ws.recv())["type"] not in ("turn_finished", "error"):
                pass


async def warm_up_http(url: str, key: str, turns: int) -> None:
    import httpx

    headers = {"Authorization": f"Bearer {key}"}
    async with httpx.AsyncClient(timeout=60.0, headers=headers) as http:
        for n in range(turns):
            said = [{"role": "user", "content": f"warming up {n}"}]
            body = {"model": "os1", "stream": True, "messages": said}
            async with http.stream("POST", url, json=body) as resp:
                if resp.status_code != 200:
                    raise RuntimeError(f"warm-up: {resp.status_code} {await resp.aread()!r}")
                await resp.aread()


def start_server(
    kind: str,
    procs: Processes,
    args: argparse.Namespace,
    home: Path,
    model_url: str,
    door: str,
    fleet: Fleet | None = None,
) -> tuple[subprocess.Popen[bytes], int]:
    port = free_port()
    env = os.environ | {"OS1_HOME": str(home)} | (fleet.env if fleet else {})
    if kind == "baseline":
        cmd = [PY, str(HERE / "load_relay.py"), "--port", str(port), "--model-url", model_url]
    else:
        env |= {
            "OS1_LLM_BACKEND": "openai",
            "OS1_LLM_URL": model_url,
            "OS1_LLM_MODEL": "standin",
            "OS1_EMBEDDERS": args.embedders,
            "OS1_MAX_ACTIVE_TURNS": "512",
            "OS1_LEARN_AFTER": str(args.learn_after),
            "OS1_MAX_WAITING_TURNS": "1024",
        }
        serve = ["serve", "--home", str(home), "--port", str(port)]
        serve += ["--workers", str(fleet.workers)] if fleet else []
        cmd = [OS1, *serve]
        if args.profile or args.switch_interval or args.httpx_pool:
            tag = "" if door == "ws" else f"-{door}"
            out = RESULTS / f"profile-{args.profile}{tag}-{args.conversations}.txt"
            env |= {"OS1_BENCH_PROFILE": args.profile or "", "OS1_BENCH_PROFILE_OUT": str(out)}
            env |= {"OS1_BENCH_SWITCH_INTERVAL": str(args.switch_interval or "")}
            env |= {"OS1_BENCH_HTTPX_POOL": str(args.httpx_pool or "")}
            cmd = [PY, str(HERE / "load_serve.py"), *serve]
    proc = procs.start(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    wait_port(port, proc)
    if fleet is not None:  # the port listens before any worker accepts: wait for an answer
        wait_answer(f"http://127.0.0.1:{port}/", proc)
    return proc, port


def wait_answer(url: str, proc: subprocess.Popen[bytes], seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{proc.args!r} exited with {proc.returncode}")
        with contextlib.suppress(OSError):
            urllib.request.urlopen(url, timeout=2).close()
            return
        time.sleep(0.2)
    raise RuntimeError(f"nothing answers at {url} after {seconds} s")


@dataclass(frozen=True)
class Fleet:
    """How ``os1 serve`` runs for ``bench/scale.py``: its workers and what they share."""

    workers: int = 1
    env: dict[str, str] = field(default_factory=dict)  # e.g. OS1_REDIS_URL


def read_line(proc: subprocess.Popen[bytes], seconds: float) -> dict[str, Any]:
    assert proc.stdout is not None
    line = proc.stdout.readline()  # clients always answer; their own timeouts bound this
    if not line:
        raise RuntimeError(f"a client process ended early (exit {proc.wait(seconds)})")
    result: dict[str, Any] = json.loads(line)
    return result


def tell(clients: list[subprocess.Popen[bytes]], command: dict[str, Any]) -> None:
    for client in clients:
        assert client.stdin is not None
        client.stdin.write((json.dumps(command) + "\n").encode())
        client.stdin.flush()


def measure(
    kind: str,
    door: str,
    procs: Processes,
    args: argparse.Namespace,
    home: Path,
    model_url: str,
    keys: list[str],
    warm_key: str,
    fleet: Fleet | None = None,
) -> dict[str, Any]:
    console.print(f"[bold]{door} {kind}[/]: starting the server")
    server, port = start_server(kind, procs, args, home, model_url, door, fleet)
    url = f"ws://127.0.0.1:{port}/ws"
    if door == "http":
        url = f"http://127.0.0.1:{port}/v1/chat/completions"
    for _ in range(2 * fleet.workers if fleet else 1):  # new sockets reach each worker
        asyncio.run(warm_up(url, warm_key))
    time.sleep(2)
    standin = model_url.removesuffix("/v1")
    get_json(f"{standin}/stats?reset=1")
    if args.profile and kind == "os1":
        server.send_signal(signal.SIGUSR1)  # the profile starts here, without startup
    rss_before = rss_kb(server.pid)
    count = max(1, math.ceil(len(keys) / PER_CLIENT))
    share = math.ceil(len(keys) / count)
    clients = []
    for n in range(count):
        path = home / f"keys-{door}-{kind}-{n}.json"
        path.write_text(json.dumps(keys[n * share : (n + 1) * share]))
        cmd = [PY, str(HERE / "load_client.py"), "--url", url, "--keys", str(path)]
        cmd += ["--door", door, "--max-inflight", str(args.max_inflight), "--seed", str(n)]
        cmd += ["--no-deflate"] if args.no_deflate else []
        clients.append(procs.start(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE))
    console.print(f"  {len(keys)} people on {count} client processes")
    opened = [read_line(c, 300) for c in clients]
    if door == "ws":
        time.sleep(3)  # let the opening settle before reading memory
    rss_idle = rss_kb(server.pid)
    held_open = sum(o["open"] for o in opened)
    console.print(f"  {held_open} ready in {max(o['seconds'] for o in opened):.1f} s; turning")
    cpu_before = cpu_seconds(server.pid)
    tell(clients, {"cmd": "go", "seconds": args.seconds, "rate": args.rate / count})
    done = [read_line(c, args.seconds + 120) for c in clients]
    cpu = cpu_seconds(server.pid) - cpu_before
    rss_after = rss_kb(server.pid)
    stats = get_json(f"{standin}/stats?reset=1")
    tell(clients, {"cmd": "close"})
    for client in clients:
        try:
            client.wait(60)
        except subprocess.TimeoutExpired:
            client.kill()
    procs.stop(server, grace=60)
    result = summarize(kind, door, opened, done, stats, (rss_before, rss_idle, rss_after), args)
    result["server_cpu_ms_per_turn"] = round(cpu * 1000 / max(1, result["turns"]), 2)
    result["server_cpu_share"] = round(cpu / max(d["window_s"] for d in done), 2)
    return result


def summarize(
    kind: str,
    door: str,
    opened: list[dict[str, Any]],
    done: list[dict[str, Any]],
    stats: dict[str, Any],
    rss: tuple[int, int, int],
    args: argparse.Namespace,
) -> dict[str, Any]:
    """One server's figures on one door (the WebSocket-only ones are None over HTTP)."""
    rss_before, rss_idle, rss_after = rss
    ws = door == "ws"
    model_ms = stats["chat_model_ms_nominal"]
    turns = [t for d in done for t in d["turns"]]
    totals = [t[0] for t in turns]
    overhead = [t[0] - model_ms for t in turns]
    first = [t[0] - model_ms for t in turns if t[2] == 1]
    later = [t[0] - model_ms for t in turns if t[2] > 1]
    errors: dict[str, int] = {}
    for part in [{f"open:{k}": v for k, v in o["errors"].items()} for o in opened] + [
        d["errors"] for d in done
    ]:
        for key, value in part.items():
            errors[key] = errors.get(key, 0) + value
    held_open = sum(o["open"] for o in opened)
    window = max(d["window_s"] for d in done)
    requests = stats["requests"]
    return {
        "server": kind,
        "door": door,
        "conversations": args.conversations,
        "opened": held_open,
        "open_seconds": round(max(o["seconds"] for o in opened), 2) if ws else None,
        "held_at_end": sum(d["held"] for d in done) if ws else None,
        "peak_in_flight": sum(d["peak_inflight"] for d in done),
        "turns": len(turns),
        "turns_per_s": round(len(turns) / window, 1),
        "offered_per_s": args.rate,
        "skipped_all_busy": sum(d["skipped_all_busy"] for d in done),
        "skipped_at_cap": sum(d["skipped_at_cap"] for d in done),
        "queued_events": sum(d["queued_events"] for d in done),
        "overhead_ms": {q: round(pct(overhead, v), 1) for q, v in PCTS.items()},
        "overhead_first_turn_ms": {q: round(pct(first, v), 1) for q, v in PCTS.items()},
        "overhead_later_turns_ms": {q: round(pct(later, v), 1) for q, v in PCTS.items()},
        "total_ms": {q: round(pct(totals, v), 1) for q, v in PCTS.items()},
        "first_text_ms_p50": round(statistics.median([t[1] for t in turns]), 1) if turns else None,
        "model_ms_nominal": model_ms,
        "model_ms_measured": stats["chat_model_ms_measured"],
        "model_requests": requests,
        "model_requests_per_turn": round(sum(requests.values()) / max(1, len(turns)), 2),
        "rss_mb": {
            "before": round(rss_before / 1024, 1),
            "idle": round(rss_idle / 1024, 1),
            "after_turns": round(rss_after / 1024, 1),
        },
        "rss_kb_per_idle_conversation": (
            round((rss_idle - rss_before) / max(1, held_open), 1) if ws else None
        ),
        "rss_kb_per_conversation_after_turns": round(
            (rss_after - rss_before) / max(1, held_open), 1
        ),
        "errors": errors,
    }


PCTS = {"p50": 0.5, "p90": 0.9, "p99": 0.99}


def table(door: str, results: dict[str, dict[str, Any]]) -> Table:
    os1, base = results.get("os1"), results.get("baseline")
    through = "WebSocket /ws" if door == "ws" else "HTTP /v1/chat/completions, streamed"
    grid = Table(
        title=f"os1 serve under load, {through} (vs a bare relay of the same stand-in model)"
    )
    grid.add_column("measure")
    for name in results:
        grid.add_column(name, justify="right")
    if os1 and base:
        grid.add_column("os1 / baseline", justify="right")
    held: tuple[str, Any] = ("held connections (end)", lambda r: r["held_at_end"])
    if door == "http":
        held = ("requests in flight (peak)", lambda r: r["peak_in_flight"])
    rows: list[tuple[str, Any]] = [
        held,
        ("turns/s done", lambda r: r["turns_per_s"]),
        ("turns/s offered", lambda r: r["offered_per_s"]),
        ("overhead p50 ms", lambda r: r["overhead_ms"]["p50"]),
        ("overhead p90 ms", lambda r: r["overhead_ms"]["p90"]),
        ("overhead p99 ms", lambda r: r["overhead_ms"]["p99"]),
        ("  first turns p99 ms", lambda r: r["overhead_first_turn_ms"]["p99"]),
        ("  later turns p99 ms", lambda r: r["overhead_later_turns_ms"]["p99"]),
        ("total p50 ms", lambda r: r["total_ms"]["p50"]),
        ("total p99 ms", lambda r: r["total_ms"]["p99"]),
        ("RSS KB / idle conversation", lambda r: r["rss_kb_per_idle_conversation"]),
        ("RSS KB / conversation after turns", lambda r: r["rss_kb_per_conversation_after_turns"]),
        ("server RSS MB after", lambda r: r["rss_mb"]["after_turns"]),
        ("model requests / turn", lambda r: r["model_requests_per_turn"]),
        ("server CPU ms / turn", lambda r: r["server_cpu_ms_per_turn"]),
        ("server CPU cores busy", lambda r: r["server_cpu_share"]),
        ("seconds to open all", lambda r: r["open_seconds"]),
        ("errors", lambda r: sum(r["errors"].values())),
    ]
    for label, get in rows:
        cells = [get(r) for r in results.values()]
        ratio = ""
        if os1 and base:
            a, b = get(os1), get(base)
            ratio = f"{a / b:.2f}" if isinstance(b, int | float) and b and b == b else "-"
        grid.add_row(
            label,
            *[f"{c:,}" if isinstance(c, int | float) else str(c or "-") for c in cells],
            *([ratio] if os1 and base else []),
        )
    return grid


def parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--conversations", type=int, default=10_000)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--rate", type=float, default=200.0, help="turns per second offered")
    parser.add_argument("--quick", action="store_true", help="200 conversations, 10 s")
    parser.add_argument("--door", choices=("ws", "http", "both"), default="both")
    parser.add_argument(
        "--max-inflight", type=int, default=256, help="HTTP requests at once per client process"
    )
    parser.add_argument("--only", choices=("os1", "baseline"))
    parser.add_argument("--tokens-per-second", type=float, default=50.0)
    parser.add_argument("--reply-words", type=int, default=20)
    parser.add_argument(
        "--learn-after",
        type=float,
        default=30.0,
        help="the server's OS1_LEARN_AFTER: seconds of quiet before facts are learned",
    )
    parser.add_argument("--first-token-ms", type=float, default=100.0)
    parser.add_argument("--embedders", default="static")
    parser.add_argument("--no-deflate", action="store_true", help="clients refuse compression")
    parser.add_argument("--profile", choices=("yappi", "cprofile"))
    parser.add_argument("--httpx-pool", type=int, help="experiment: model client pool size")
    parser.add_argument("--switch-interval", type=float, help="the server's GIL switch interval")
    parser.add_argument(
        "--data-dir", help="parent folder of the servers' data (e.g. /dev/shm: no fsync cost)"
    )
    args = parser.parse_args()
    if args.quick:
        args.conversations, args.seconds, args.rate = 200, 10.0, min(args.rate, 50.0)
    if not 1 <= args.conversations <= 15_000 or not 0 < args.seconds <= 300:
        parser.error("use 1-15,000 conversations and at most 300 s")
    return args


def start_standin(procs: Processes, args: argparse.Namespace) -> str:
    """The stand-in model server, answering at ``args``' pace; its ``/v1`` URL."""
    port = free_port()
    standin = procs.start(
        [PY, str(HERE / "load_standin.py"), "--port", str(port),
         "--tokens-per-second", str(args.tokens_per_second),
         "--reply-words", str(args.reply_words),
         "--first-token-ms", str(args.first_token_ms)],
        stdout=subprocess.DEVNULL,
    )  # fmt: skip
    wait_port(port, standin)
    return f"http://127.0.0.1:{port}/v1"


def main() -> None:
    args = parse()
    RESULTS.mkdir(exist_ok=True)
    procs = Processes()
    try:
        with tempfile.TemporaryDirectory(prefix="os1-load-", dir=args.data_dir) as tmp:
            home = Path(tmp)
            model_url = start_standin(procs, args)
            seeded = home / "seeded"
            seeded.mkdir()
            keys, warm_key, seconds = asyncio.run(seed(seeded, args.conversations))
            console.print(f"seeded {len(keys)} accounts in {seconds:.1f} s (one transaction)")
            results: dict[str, dict[str, dict[str, Any]]] = {}
            for door in ("ws", "http") if args.door == "both" else (args.door,):
                results[door] = {}
                for kind in ("baseline", "os1"):
                    if args.only in (None, kind):
                        run_home = home / f"{door}-{kind}"
                        shutil.copytree(seeded, run_home)  # each server starts from the seed
                        results[door][kind] = measure(
                            kind, door, procs, args, run_home, model_url, keys, warm_key
                        )
                        shutil.rmtree(run_home)
            for door, by_kind in results.items():
                console.print(table(door, by_kind))
                for kind, result in by_kind.items():
                    if result["errors"]:
                        console.print(f"{door} {kind} errors: {result['errors']}")
                    console.print(f"{door} {kind} model requests: {result['model_requests']}")
            settings = {k: v for k, v in vars(args).items()}
            name = "load-quick" if args.quick else f"load-{args.door}-{args.conversations}"
            out = save(name, {"settings": settings, "results": results})
            console.print(f"saved {out.relative_to(HERE.parent)}")
    except KeyboardInterrupt:
        console.print("interrupted; stopping every process")
    finally:
        procs.stop_all()


if __name__ == "__main__":
    main()
