"""The benchmarks the README cites keep running as the code under them changes.

They are not part of the suite (they take minutes and want a quiet machine), so a change
that broke one went unnoticed: ``bench/skills.py`` failed with "no such table" for days
after the skills took their own migrations. Here the quick form of the benchmarks that
need no model runs end to end (about 15 seconds); its figures are not judged.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest

ROOT = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.slow


def _bench(*args: str, timeout: int = 300) -> subprocess.CompletedProcess[str]:
    """Runs one benchmark script from the repository's root, failing with the end of its
    error output unless it exits cleanly."""
    done = subprocess.run(
        [sys.executable, *args], cwd=ROOT, capture_output=True, text=True, timeout=timeout
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done


def test_the_skills_benchmark_runs_without_the_model() -> None:
    done = _bench("bench/skills.py", "--quick", "--only", "files,calendar,mail")
    for line in ("declutter scan: os1", "duplicate detection:", "ICS import: os1", "mail index:"):
        assert line in done.stdout, done.stdout
    assert "Traceback" not in done.stderr


def test_the_letters_benchmark_runs() -> None:
    done = _bench("bench/letters.py", "--quick")
    assert "identical neighbours" in done.stdout and "caveat" in done.stdout, done.stdout
    assert "Traceback" not in done.stderr


def test_the_library_benchmark_runs(tmp_path: Path) -> None:
    words = [
        "harbour",
        "lantern",
        "keeper",
        "orchard",
        "meadow",
        "whistle",
        "pebble",
        "thunder",
        "saddle",
        "cobbler",
    ]
    for n in range(12):  # a small shelf of made-up books, each long enough to be sampled
        lines = [
            f"{words[(n + i) % 10]} and the {words[(3 * i + n) % 10]} went by" for i in range(900)
        ]
        lines[450] = f"a singular word{n}xyzzy here"
        (tmp_path / f"book{n}.txt").write_text("\n\n".join(lines))
    done = _bench("bench/library.py", str(tmp_path), "--quick", "--ask", "0", "--other-words", "0")
    assert "os1 library add" in done.stdout and "raw bulk insert" in done.stdout, done.stdout
    assert "phrase" in done.stdout and "Traceback" not in done.stderr
    assert "then the meanings of 12 books" in done.stdout, done.stdout


def _goemotions_like(folder: Path, rows: int) -> Path:
    """A split in GoEmotions' layout (text, label ids, comment id), each of the 28 labels
    present, since the real data may not be committed."""
    from os1.persona.emotions import EMOTIONS

    folder.mkdir(exist_ok=True)
    lines = [f"I feel {EMOTIONS[n % 28]} about thing{n % 7}, truly {n % 5}\t{n % 28}\tc{n}"
             for n in range(rows)]  # fmt: skip
    for split in ("train", "dev", "test"):
        (folder / f"{split}.tsv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return folder


def test_the_affect_benchmarks_train_and_score(tmp_path: Path) -> None:
    data = _goemotions_like(tmp_path / "goemotions", 280)
    weights = tmp_path / "weights.npz"
    trained = _bench("bench/affect_train.py", str(data), "--folds", "2", "--out", str(weights))
    assert "out-of-fold macro-F1" in trained.stdout and weights.stat().st_size > 0
    scored = _bench("bench/affect.py", str(data), "--timed", "20", "--no-save")
    assert "macro-F1 over 28 labels" in scored.stdout and "Cold:" in scored.stdout


def test_the_shared_limits_benchmark_runs() -> None:
    done = _bench("bench/fleet_state.py", "--ops", "200", "--concurrent", "8", timeout=120)
    assert "turns a second through the shared gate" in done.stdout, done.stdout


def test_the_scale_benchmark_runs_every_configuration(postgres_url: str) -> None:
    done = _bench("bench/scale.py", "--conversations", "20", "--seconds", "3", "--rate", "5",
                  "--no-save", "--postgres-url", postgres_url)  # fmt: skip
    flat = " ".join(done.stdout.split())
    assert "2 workers + Redis" in flat and "cores for 200/s" in flat, done.stdout
    for workers in ("1 worker", "2 workers"):  # each on its own copy of the moved home
        assert f"{workers} + Redis + PostgreSQL" in flat, done.stdout
    with psycopg.connect(postgres_url) as conn:  # the copies are dropped afterwards
        left = conn.execute("SELECT datname FROM pg_database WHERE datname LIKE '%_run_'")
        assert not left.fetchall()


def test_the_vector_cache_benchmark_times_both_reads(postgres_url: str) -> None:
    done = _bench("bench/vector_cache.py", "--postgres-url", postgres_url,
                  "--memories", "1500", "--rounds", "3", "--no-save")  # fmt: skip
    flat = " ".join(done.stdout.split())
    assert "1,500 memories" in flat and "ratio baseline/os1" in flat, done.stdout


def test_the_capacity_benchmark_lives_a_conversation_and_projects_it(tmp_path: Path) -> None:
    said = ["I adopted a puppy called Biscuit last week!", "We walk by the river each day."]
    heard = ["Oh how lovely, what breed is Biscuit?", "That sounds peaceful. Which river?"]
    session = []
    for n, (mine, theirs) in enumerate(zip(said, heard, strict=True)):
        session += [
            {"speaker": "Ann", "dia_id": f"D1:{2 * n + 1}", "text": mine},
            {"speaker": "Bo", "dia_id": f"D1:{2 * n + 2}", "text": theirs},
        ]
    conversation = {"speaker_a": "Ann", "speaker_b": "Bo", "session_1": session,
                    "session_1_date_time": "1:56 pm on 8 May, 2023"}  # fmt: skip
    data = tmp_path / "locomo.json"
    data.write_text(json.dumps([{"conversation": conversation, "qa": []}]))
    done = _bench("bench/capacity.py", str(data), "--no-save", "--data-dir", str(tmp_path),
                  timeout=600)  # fmt: skip
    flat = " ".join(done.stdout.split())
    assert "2 exchanges, 1 people, 1 days" in flat and "stored/said" in flat, flat
    assert "GPUs at peak" in flat and "Traceback" not in done.stderr
