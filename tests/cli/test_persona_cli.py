"""``os1 persona`` and ``os1 chat --persona`` from the terminal: built with its sources
shown, listed, shown, asked, talked with, forgotten; refusals exit non-zero with why."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import run_cli

ESSAY = """Title: Notes on Walking
Author: Ada Brook

I think that a walk in the rain is the best cure for a crowded mind, and I believe the
river teaches patience better than any book. We must learn to wander without a purpose.
My father walked to his work every morning for forty years, and I grew up beside him.
"""


def _sources(tmp_path: Path) -> Path:
    folder = tmp_path / "brook"
    folder.mkdir()
    (folder / "walking.txt").write_text(ESSAY)
    (folder / "cover.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    return folder


def test_build_list_show_ask_chat_and_forget(tmp_path: Path) -> None:
    home = tmp_path / "home"
    built = run_cli(home, "persona", "build", "brook", "--from", str(_sources(tmp_path)))
    assert built.exit_code == 0, built.output
    assert "Ada Brook" in built.stdout and "Notes on Walking" in built.stdout
    assert "reconstruction of Ada Brook" in built.stdout
    assert "os1 chat --persona brook" in built.stdout

    listed = json.loads(run_cli(home, "persona", "list", "--json").stdout)
    assert [(p["name"], p["writer"], p["version"]) for p in listed] == [("brook", "Ada Brook", 1)]
    shown = json.loads(run_cli(home, "persona", "show", "brook", "--json").stdout)
    assert shown["sources"][0]["title"] == "Notes on Walking" and shown["consent"] == ""
    essay = " ".join(ESSAY.split())  # the kept text joins hard-wrapped lines
    assert all(" ".join(c["text"].split()) in essay for s in shown["facts"] + shown["positions"]
               for c in s["citations"])  # fmt: skip

    asked = run_cli(home, "persona", "ask", "brook", "What does the river teach?", "--json")
    assert asked.exit_code == 0, asked.output
    reply = json.loads(asked.stdout)
    assert reply["reply"] and any("river" in s["text"] for s in reply["read"])

    chatted = run_cli(home, "chat", "--persona", "brook", "--json",
                      answers="What does the river teach?\n")  # fmt: skip
    assert chatted.exit_code == 0, chatted.output
    kinds = [json.loads(line)["type"] for line in chatted.stdout.splitlines() if line]
    assert kinds[0] == "turn_started" and kinds[-2:] == ["citations", "turn_finished"]

    forgot = run_cli(home, "persona", "forget", "brook", "--yes")
    assert forgot.exit_code == 0 and "Forgot 'brook'" in forgot.stdout
    assert json.loads(run_cli(home, "persona", "list", "--json").stdout) == []
    assert json.loads(run_cli(home, "library", "list", "--json").stdout) == []


def test_refusals_say_why_and_exit_non_zero(tmp_path: Path) -> None:
    home = tmp_path / "home"
    folder = _sources(tmp_path)
    no_consent = run_cli(home, "persona", "build", "lena", "--from", str(folder),
                         "--kind", "person")  # fmt: skip
    assert no_consent.exit_code != 0 and "needs their consent" in no_consent.output
    nothing = run_cli(home, "persona", "build", "ghost", "--from", str(folder / "cover.png"))
    assert nothing.exit_code != 0 and "None of the sources" in nothing.output
    unknown = run_cli(home, "chat", "--persona", "nobody", answers="hi\n")
    assert unknown.exit_code != 0 and "no persona called 'nobody'" in unknown.output
    bad = run_cli(home, "persona", "show", "../etc")
    assert bad.exit_code != 0 and "cannot name a persona" in bad.output


def test_converse_runs_a_talk_keeps_it_and_refuses_bad_parties(tmp_path: Path) -> None:
    home = tmp_path / "home"
    assert (
        run_cli(home, "persona", "build", "brook", "--from", str(_sources(tmp_path))).exit_code == 0
    )
    talked = run_cli(home, "converse", "companion:me", "persona:brook", "--turns", "3",
                     "--topic", "rivers")  # fmt: skip
    assert talked.exit_code == 0, talked.output
    assert "Ada Brook:" in talked.stdout and "os1 converse --show" in talked.stdout
    as_json = run_cli(home, "converse", "persona:brook", "companion:me", "-n", "2", "--json")
    assert as_json.exit_code == 0, as_json.output
    found = json.loads(as_json.stdout)
    assert [x["speaker"] for x in found["lines"]] == ["persona:brook", "companion:me"]
    listed = json.loads(run_cli(home, "converse", "--list", "--json").stdout)
    assert [t["topic"] for t in listed] == ["", "rivers"] and len(listed[1]["lines"]) == 3
    shown = run_cli(home, "converse", "--show", str(listed[1]["id"]))
    assert shown.exit_code == 0 and "rivers" in shown.stdout and "could share" in shown.stdout

    for args, says in (
        (["companion:me"], "Name the two parties"),
        (["me", "persona:brook"], "names no one"),
        (["companion:me", "persona:ghost"], "no persona called"),
        (["companion:me", "companion:me"], "cannot talk with itself"),
        (["companion:me", "persona:brook", "--share", "secrets"], "not a kind of memory"),
        (["--show", "99"], "no talk 99"),
    ):
        refused = run_cli(home, "converse", *args)
        assert refused.exit_code != 0 and says in refused.output, (args, refused.output)
