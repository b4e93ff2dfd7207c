"""``os1 affect`` reads the feelings in lines of text (arguments or standard input, any
bytes), and ``os1 mood`` shows the person's days with the feelings and words behind them."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import run_cli


def test_affect_reads_each_line_and_marks_what_it_cannot_read(tmp_path: Path) -> None:
    lines = "Thank you so much, you made my day!\n\nNo quiero hablar de eso ahora\n😂😂\n"
    done = run_cli(tmp_path, "affect", "--json", answers=lines)
    assert done.exit_code == 0, done.output
    read = [json.loads(line) for line in done.stdout.splitlines()]
    assert [r["text"] for r in read] == [
        "Thank you so much, you made my day!",
        "No quiero hablar de eso ahora",
        "😂😂",
    ]  # blank lines are skipped, not read as feelings
    thanks, spanish, laughing = read
    assert thanks["label"] == "gratitude" and thanks["valence"] > 0.3
    assert "thank" in thanks["words"] and set(thanks["scores"]) >= {"gratitude", "neutral"}
    assert spanish["language"] == "unknown" and spanish["feelings"] == []
    assert laughing["label"] == "amusement"

    shown = run_cli(tmp_path, "affect", "I'm terrified of the dentist tomorrow")
    assert shown.exit_code == 0 and "fear" in shown.stdout and "terrified" in shown.stdout


def test_affect_with_nothing_or_broken_bytes_says_what_happened(tmp_path: Path) -> None:
    empty = run_cli(tmp_path, "affect", answers="\n  \n")
    assert empty.exit_code == 1 and "nothing to read" in empty.output
    raw = b"so sad \xff\xfe today\n"  # not UTF-8: read with the bad bytes replaced
    broken = run_cli(tmp_path, "affect", "--json", answers=raw)  # type: ignore[arg-type]
    assert broken.exit_code == 0, broken.output
    assert json.loads(broken.stdout)["label"] == "sadness"


def test_mood_shows_the_days_we_talked_with_their_feelings(tmp_path: Path) -> None:
    said = run_cli(tmp_path, "chat", answers="I'm so sad and lonely since my dog died.\n")
    assert said.exit_code == 0, said.output
    shown = run_cli(tmp_path, "mood")
    assert shown.exit_code == 0, shown.output
    assert "sadness" in shown.stdout and "said" in shown.stdout
    days = json.loads(run_cli(tmp_path, "mood", "--days", "3", "--json").stdout)
    assert len(days) == 3 and days[-1]["messages"] == 1 and days[0]["mood"] is None
    assert days[-1]["mood"] < 0 and days[-1]["feelings"][0]["label"] == "sadness"
    talks = json.loads(run_cli(tmp_path, "mood", "--conversations", "--json").stdout)
    assert [t["mood_label"] for t in talks] == ["sadness"] and talks[0]["messages"] == 1
    assert "sadness" in run_cli(tmp_path, "mood", "-c").stdout
    bad = run_cli(tmp_path, "mood", "--days", "0")
    assert bad.exit_code == 2 and "--days" in bad.output


def test_feelings_says_how_the_companion_feels_and_what_that_means(tmp_path: Path) -> None:
    calm = run_cli(tmp_path, "feelings")
    assert calm.exit_code == 0 and "nothing in particular" in calm.stdout
    said = run_cli(tmp_path, "chat", answers="Thank you, you are always so kind to me.\n")
    assert said.exit_code == 0, said.output
    shown = run_cli(tmp_path, "feelings")
    assert "appreciated: you said “Thank you, you are always so kind to me.”" in shown.stdout
    assert "not feelings the way yours are" in shown.stdout
    as_json = json.loads(run_cli(tmp_path, "feelings", "--json").stdout)
    assert as_json["feelings"][0]["name"] == "appreciated"
    assert "fades" in as_json["what_they_are"]
