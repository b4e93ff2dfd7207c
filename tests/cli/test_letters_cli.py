"""``os1 letters``: a text file written by hand, and what bad files get."""

from __future__ import annotations

import json
from pathlib import Path

from PIL import Image
from pypdf import PdfReader

from conftest import run_cli
from os1.skills.letters.layout import MAX_CHARS

LETTER = "Dear Ana,\n\nThank you for the plums from your garden.\n\nLove,\nSam\n"


def test_render_writes_a_pdf_and_a_png_per_page(tmp_path: Path) -> None:
    text = tmp_path / "ana.txt"
    text.write_text(LETTER, "utf-8")
    done = run_cli(tmp_path / "home", "letters", "render", str(text), "--hand", "kalam", "--json")
    assert done.exit_code == 0, done.output
    result = json.loads(done.stdout)
    assert result["hand"] == "kalam" and result["pages"] == 1
    assert Path(result["pdf"]).parent == tmp_path / "ana-letter"
    assert len(PdfReader(result["pdf"]).pages) == 1
    with Image.open(result["pngs"][0]) as page:
        assert page.size == (1240, 1754)
    first = Path(result["pngs"][0]).read_bytes()
    again = run_cli(tmp_path / "home", "letters", "render", str(text), "--hand", "kalam")
    assert again.exit_code == 0 and "1 page" in again.stdout
    assert Path(result["pngs"][0]).read_bytes() == first  # same text, hand and seed


def test_a_file_that_is_not_utf8_says_how_to_fix_it_and_writes_nothing(tmp_path: Path) -> None:
    text = tmp_path / "latin.txt"
    text.write_bytes("Chère Anaïs,\n".encode("latin-1"))
    done = run_cli(tmp_path / "home", "letters", "render", str(text))
    assert done.exit_code == 1
    assert "not UTF-8" in done.output and "Save it as UTF-8" in done.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["latin.txt"]


def test_an_empty_or_huge_file_is_refused_and_nothing_is_written(tmp_path: Path) -> None:
    empty, huge = tmp_path / "empty.txt", tmp_path / "huge.txt"
    empty.write_text("\n \n", "utf-8")
    huge.write_text("word " * MAX_CHARS, "utf-8")
    for path, said in ((empty, "no words"), (huge, "at most")):
        done = run_cli(tmp_path / "home", "letters", "render", str(path))
        assert done.exit_code == 1 and said in done.output, done.output
    assert not [p for p in tmp_path.iterdir() if p.is_dir()]


def test_a_missing_file_is_named(tmp_path: Path) -> None:
    done = run_cli(tmp_path / "home", "letters", "render", str(tmp_path / "nope.txt"))
    assert done.exit_code == 1 and "nope.txt" in done.output


def test_hands_lists_the_installed_handwriting(tmp_path: Path) -> None:
    done = run_cli(tmp_path / "home", "letters", "hands", "--json")
    assert done.exit_code == 0, done.output
    names = [h["name"] for h in json.loads(done.stdout)]
    assert names == ["caveat", "dancing-script", "indie-flower", "kalam"]


def test_write_drafts_a_letter_and_puts_it_on_paper(tmp_path: Path) -> None:
    out_dir = tmp_path / "to-bart"
    args = ["letters", "write", "--to", "Bart", "--about", "congratulate him on the new job"]
    unknown = run_cli(tmp_path / "home", *args, "--out", str(out_dir))
    assert unknown.exit_code == 1 and "don't know who Bart is" in unknown.output
    assert "--who" in unknown.output  # the hint names this door's own flag
    assert not out_dir.exists()
    done = run_cli(
        tmp_path / "home", *args, "--who", "my neighbour", "--out", str(out_dir), "--json"
    )
    assert done.exit_code == 0, done.output
    result = json.loads(done.stdout)
    assert result["to"] == "Bart" and result["cited"] == [] and result["pages"] == 1
    assert (out_dir / "letter.txt").read_text("utf-8").strip() == result["text"]
    assert sorted(p.name for p in out_dir.iterdir()) == ["letter.pdf", "letter.txt", "page-1.png"]


def test_a_kept_letter_is_listed_shown_revised_and_rendered_again(tmp_path: Path) -> None:
    home = tmp_path / "home"
    asked = ["--to", "Bart", "--who", "my neighbour", "--about", "thank him for the bike"]
    first = run_cli(home, "letters", "write", *asked, "--out", str(tmp_path / "a"), "--json")
    assert first.exit_code == 0, first.output
    letter = json.loads(first.stdout)["id"]
    revised = run_cli(home, "letters", "revise", str(letter), "shorter", "--out",
                      str(tmp_path / "b"), "--json")  # fmt: skip
    assert revised.exit_code == 0, revised.output
    assert json.loads(revised.stdout)["version"] == 2
    listed = json.loads(run_cli(home, "letters", "list", "--json").stdout)
    assert [(k["id"], k["version"], k["versions"]) for k in listed] == [(letter, 2, 2)]
    shown = run_cli(home, "letters", "show", str(letter), "--version", "1", "--json")
    assert json.loads(shown.stdout)["text"] == json.loads(first.stdout)["text"]
    again = run_cli(home, "letters", "render", str(letter), "--out", str(tmp_path / "c"))
    assert again.exit_code == 0 and (tmp_path / "c" / "letter.pdf").is_file()
    missing = run_cli(home, "letters", "show", "404")
    assert missing.exit_code == 1 and "no letter 404" in missing.output
    no_version = run_cli(home, "letters", "show", str(letter), "--version", "7")
    assert no_version.exit_code == 1 and "versions 1 to 2" in no_version.output
