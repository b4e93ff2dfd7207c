"""Hostile input against the server: how long os1 takes to read what an attacker writes,
against a naive baseline in the same run, and whether another person waits meanwhile.

1. **HTML to text** (``os1.skills.mail.text.html_to_text``) against the naive regex
   stripper mail readers often start with (and os1 had until issue 24): lazy
   ``<!--.*?-->`` and ``<script.*?</script>`` patterns, then every tag removed. Each runs
   on ordinary HTML and on hostile families (an unclosed opener repeated) at doubling
   sizes; the growth column is the time at the largest size over the smallest, so
   linear work grows as the size does (x8 over three doublings) and quadratic work by
   its square (x64). The naive side stops at 80 KB, where it already takes seconds.
2. **Another person's wait** (``--live``): a real ``os1 serve`` on loopback; another
   person asks ``GET /api/me`` every 20 ms from another process, first for 3 s while
   nothing else happens (the baseline), then while one person (allowed the server's
   files) fetches a 120 KB and a 4 MB mail of ``<!--`` into the mail index, imports a
   calendar holding a per-second rule, a rule that never matches and a quarter-hourly
   rule since 1970, and lists today. Their latency p50 / p99 / max in both phases, and
   the ratio of the p99s.

Run: .venv/bin/python bench/hostile_input.py [--live] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from websockets.sync.client import ClientConnection, connect

from figures import save
from os1.skills.mail.text import html_to_text

SIZES = (10_000, 20_000, 40_000, 80_000)
NAIVE_CAP = 80_000  # bytes: beyond this the naive stripper takes minutes
_NAIVE_DROP = re.compile(r"<(script|style|head|title)\b.*?</\1\s*>", re.I | re.S)
_NAIVE_COMMENT = re.compile(r"<!--.*?-->", re.S)
_NAIVE_TAG = re.compile(r"<[^>]{0,2000}>")

FAMILIES: dict[str, Callable[[int], str]] = {
    "ordinary mail HTML": lambda n: (
        "<html><body>" + "<p>Dear Ann, the <b>meeting</b> moved to Friday.</p>" * (n // 52)
    ),
    "unclosed <!-- repeated": lambda n: "<!--" * (n // 4),
    "unclosed <script repeated": lambda n: "<script>" * (n // 8),
    "unclosed <style repeated": lambda n: "<style " * (n // 7),
}


def naive(markup: str) -> str:
    """The baseline: lazy regexes over the whole body (what backtracks on unclosed tags)."""
    text = _NAIVE_DROP.sub(" ", _NAIVE_COMMENT.sub(" ", markup))
    return _NAIVE_TAG.sub("", text)


def _seconds(fn: Callable[[str], str], markup: str) -> float:
    best = float("inf")
    for _ in range(3 if len(markup) < 50_000 else 1):
        started = time.process_time()
        fn(markup)
        best = min(best, time.process_time() - started)
    return best


def parsing() -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
    for family, make in FAMILIES.items():
        for reader, fn in (("os1", html_to_text), ("naive regex", naive)):
            times = [_seconds(fn, make(size)) for size in SIZES if size <= NAIVE_CAP]
            rows.append(
                {
                    "family": family,
                    "reader": reader,
                    "seconds": times,
                    "growth": times[-1] / max(times[0], 1e-6),
                }
            )
    return rows


def show_parsing(rows: list[dict[str, object]]) -> None:
    sizes = " ".join(f"{s // 1000:>7} KB" for s in SIZES)
    print(f"HTML to text, CPU seconds at {sizes}   growth (x8 is linear)")
    for row in rows:
        times = " ".join(f"{t:>10.4f}" for t in row["seconds"])  # type: ignore[attr-defined]
        print(f"  {row['family']:<28} {row['reader']:<12} {times}   x{row['growth']:.0f}")
    by = {(r["family"], r["reader"]): r["seconds"] for r in rows}
    for family in FAMILIES:
        os1_s = by[(family, "os1")][-1]  # type: ignore[index]
        naive_s = by[(family, "naive regex")][-1]  # type: ignore[index]
        print(f"  at 80 KB, {family}: os1 / naive = {os1_s / max(naive_s, 1e-9):.2g}")


_POLLER = """
import httpx, json, pathlib, sys, time
url, key, stop = sys.argv[1], sys.argv[2], pathlib.Path(sys.argv[3])
took = []
with httpx.Client(headers={"Authorization": "Bearer " + key}) as client:
    while not stop.exists():
        started, wall = time.perf_counter(), time.time()
        client.get(url + "/api/me", timeout=60).raise_for_status()
        took.append((wall, time.perf_counter() - started))
        time.sleep(0.02)
print(json.dumps(took))
"""


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _os1(env: dict[str, str], *args: str) -> str:
    os1 = str(Path(sys.executable).with_name("os1"))
    done = subprocess.run([os1, *args], env=env, capture_output=True, text=True, timeout=300)
    if done.returncode:
        raise RuntimeError(f"os1 {' '.join(args)} failed: {done.stderr[-500:]}")
    return done.stdout


def _until(ws: ClientConnection, kind: str) -> list[dict[str, Any]]:
    seen: list[dict[str, Any]] = []
    while not seen or seen[-1]["type"] != kind:
        seen.append(json.loads(ws.recv(timeout=300)))
    return seen


def _hostile_turns(url: str, key: str, bomb: Path) -> None:
    """The reader's turns over the WebSocket: fetch the mail, import (confirmed) the bomb,
    list today's events, which expands the rule."""
    headers = {"Authorization": f"Bearer {key}"}
    with connect(url.replace("http", "ws") + "/ws", additional_headers=headers) as ws:
        _until(ws, "hello")
        ws.send(json.dumps({"type": "say", "text": "/check_mail"}))
        _until(ws, "turn_finished")
        ws.send(json.dumps({"type": "say", "text": f"/import_calendar {bomb}"}))
        proposal = next(m for m in _until(ws, "turn_finished") if m["type"] == "proposal")
        ws.send(json.dumps({"type": "confirm", "proposal_id": proposal["proposal_id"]}))
        _until(ws, "action")
        ws.send(json.dumps({"type": "say", "text": "/list_events today"}))
        _until(ws, "turn_finished")


def live() -> dict[str, float]:
    work = Path(tempfile.mkdtemp(prefix="os1-hostile-"))
    env = {**os.environ, "OS1_HOME": str(work / "home"), "OS1_LLM_BACKEND": "scripted"}
    env["OS1_EMBEDDERS"] = "none"
    env["OS1_REQUESTS_PER_MINUTE"] = "100000"  # the poller asks 50 times a second
    maildir = work / "Maildir"
    for part in ("cur", "new", "tmp"):
        (maildir / part).mkdir(parents=True)
    (maildir / "new" / "0.eml").write_text("From: a@b.c\nTo: me@b.c\nSubject: hi\n\nplain\n")
    reader_key = _os1(env, "users", "add", "reader").strip()
    other_key = _os1(env, "users", "add", "alice").strip()
    _os1(env, "users", "files", "reader", "--anywhere")  # may name the server's files
    _os1(env, "mail", "connect", "--user", "reader", "--maildir", str(maildir))
    _os1(env, "mail", "index", "--user", "reader")  # so /check_mail fetches what is new
    for name, count in (("1.eml", 30_000), ("2.eml", 1_000_000)):
        head = "From: x@b.c\nTo: me@b.c\nSubject: trap\nContent-Type: text/html\n\n"
        (maildir / "new" / name).write_text(f"{head}<html>{'<!--' * count}</html>\n")
    bomb = work / "bomb.ics"
    today = time.strftime("%Y%m%d", time.gmtime())
    bomb.write_text(
        "BEGIN:VCALENDAR\nVERSION:2.0\nPRODID:x\n"
        + "".join(
            f"BEGIN:VEVENT\nUID:{uid}\nDTSTAMP:20260101T000000Z\nDTSTART:{start}\n"
            f"{'RRULE:' + rule + chr(10) if rule else ''}SUMMARY:{uid}\nEND:VEVENT\n"
            for uid, start, rule in (
                ("every-second", f"{today}T000000Z", "FREQ=SECONDLY"),
                ("never", "20000101T090000Z", "FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30"),
                ("quarter-hours-since-1970", "19700101T000000Z", "FREQ=MINUTELY;INTERVAL=15"),
                ("lunch", f"{today}T120000Z", ""),
            )
        )
        + "END:VCALENDAR\n"
    )
    port = str(_free_port())
    server = subprocess.Popen(
        [str(Path(sys.executable).with_name("os1")), "serve", "--port", port],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert server.stdout is not None
        server.stdout.readline()  # the sign-in link: it is listening
        url = f"http://127.0.0.1:{port}"
        poller = subprocess.Popen(
            [sys.executable, "-c", _POLLER, url, other_key, str(work / "stop")],
            stdout=subprocess.PIPE,
            text=True,
        )
        time.sleep(3)  # the baseline: the same requests while nobody else does anything
        started = time.time()
        try:
            _hostile_turns(url, reader_key, bomb)
        finally:
            hostile_s = time.time() - started
            (work / "stop").touch()
        out, _ = poller.communicate(timeout=60)
        samples = json.loads(out)
    finally:
        server.terminate()
        server.wait(timeout=30)
    quiet = sorted(took for wall, took in samples if wall < started)
    busy = sorted(took for wall, took in samples if wall >= started)
    return {
        "hostile_turns_s": hostile_s,
        "quiet": _latency(quiet[len(quiet) // 3 :]),  # past the first connection's set-up
        "hostile": _latency(busy),
    }


def _latency(took: list[float]) -> dict[str, float]:
    return {
        "requests": len(took),
        "p50_ms": statistics.median(took) * 1000,
        "p99_ms": took[min(len(took) - 1, int(len(took) * 0.99))] * 1000,
        "max_ms": took[-1] * 1000,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--live", action="store_true", help="also the live-server part")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()
    rows = parsing()
    figures: dict[str, object] = {"parsing": rows}
    if args.live:
        figures["live"] = live()
    save("hostile_input", figures)
    if args.json:
        print(json.dumps(figures, indent=2))
        return
    show_parsing(rows)
    if args.live:
        found = figures["live"]
        assert isinstance(found, dict)
        print("another person's GET /api/me, ms          requests    p50     p99     max")
        for phase, label in (("quiet", "alone"), ("hostile", "during the hostile turns")):
            row = found[phase]
            print(
                f"  {label:<38} {row['requests']:>6} {row['p50_ms']:>7.1f}"
                f" {row['p99_ms']:>7.1f} {row['max_ms']:>7.1f}"
            )
        ratio = found["hostile"]["p99_ms"] / found["quiet"]["p99_ms"]
        print(
            f"  the hostile turns took {found['hostile_turns_s']:.1f} s;"
            f" p99 during / alone = {ratio:.1f}"
        )


if __name__ == "__main__":
    main()
