"""``os1 letters``: letters written by hand. ``write`` drafts one in your voice from what
os1 remembers (each memory it draws on cited) and puts it on paper; ``render`` puts a
text of yours on paper; ``hands`` lists the handwriting there is.

Rendering needs no model and no database: ``render`` and ``hands`` start at once.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer
from rich.markup import escape

from os1.cli.actions import err, opened, out, run
from os1.cli.render import counted_progress
from os1.config import DEFAULT_USER
from os1.core.letters import DEFAULT_HAND, LetterDraft, Rendered, hands, read_letter, render_letter

letters_app = typer.Typer(
    help="Letters written by hand: as a print-ready PDF and a picture of each page.\n\n"
    'Examples: `os1 letters write --to Grandma --about "thank her for the summers at the'
    ' lake"`, `os1 letters render grandma.txt --hand kalam`, `os1 letters hands`.',
    no_args_is_help=True,
)
HandOption = typer.Option(DEFAULT_HAND, "--hand", help="Whose handwriting (see `hands`).")
SeedOption = typer.Option(0, "--seed", help="Another seed, another draft and page.")
JsonOption = typer.Option(False, "--json", help="Print the result as JSON.")


async def _put_on_paper(text: str, destination: Path, hand: str, seed: int) -> Rendered:
    with counted_progress(err, "Writing by hand") as bar:
        task = bar.add_task("pages", total=None)
        return await render_letter(
            text, destination, hand, seed,
            lambda done, total: bar.update(task, completed=done, total=total),
        )  # fmt: skip


def _rendered_json(done: Rendered) -> dict[str, Any]:
    return {
        "hand": done.hand,
        "seed": done.seed,
        "pages": len(done.pngs),
        "pdf": str(done.pdf),
        "pngs": [str(p) for p in done.pngs],
        "borrowed": done.borrowed,
    }


def _show_rendered(done: Rendered) -> None:
    count = f"{len(done.pngs)} page" + ("s" if len(done.pngs) != 1 else "")
    out.print(f"Written in {done.hand}'s hand, {count}: {done.pdf}")
    for page in done.pngs:
        out.print(f"  {page}")
    if done.borrowed:
        taken = ", ".join(f"{c} ({h})" for c, h in sorted(done.borrowed.items()))
        out.print(f"[dim]Not in {done.hand}, written in another hand: {taken}[/]")


@letters_app.command("render")
def render(
    text_file: Path = typer.Argument(..., help="The letter, as a UTF-8 text file."),
    hand: str = HandOption,
    seed: int = SeedOption,
    out_dir: Path | None = typer.Option(
        None, "--out", help="Folder for letter.pdf and page-N.png (default: FILE's name + -letter)."
    ),
    as_json: bool = JsonOption,
) -> None:
    """Write a text of yours by hand: letter.pdf (vector, A4) and page-N.png (150 dpi).

    The same text, hand and seed always give the same pages. Blank lines separate
    paragraphs; a single line break is kept (an address, a sign-off).
    """

    async def work() -> int:
        text = read_letter(text_file)
        destination = out_dir or text_file.with_name(f"{text_file.stem}-letter")
        done = await _put_on_paper(text, destination, hand, seed)
        if as_json:
            out.print_json(json.dumps(_rendered_json(done)))
        else:
            _show_rendered(done)
        return 0

    run(work)


def _draft_json(draft: LetterDraft, letter: Path) -> dict[str, Any]:
    return {
        "to": draft.recipient,
        "about": draft.about,
        "text": draft.text,
        "txt": str(letter),
        "cited": [{"id": s.ref, "text": s.text, "day": s.day} for s in draft.cited],
        "unsupported": list(draft.unsupported),
    }


@letters_app.command("write")
def write(
    to: str = typer.Option(..., "--to", help="Who the letter is for."),
    about: str = typer.Option(..., "--about", help="What it should carry, in your words."),
    who: str = typer.Option("", "--who", help='Who they are to you ("my grandmother").'),
    style_from: list[Path] = typer.Option(  # typer reads the default here
        [], "--style-from", help="Letters or mails of yours to write like (files or folders)."
    ),
    hand: str = HandOption,
    seed: int = SeedOption,
    out_dir: Path = typer.Option(
        Path("letters"), "--out", help="Folder for letter.txt, letter.pdf and page-N.png."
    ),
    user: str = typer.Option(DEFAULT_USER, "--user", "-u", help="Whose memories and voice."),
    as_json: bool = JsonOption,
) -> None:
    """Draft a letter in your voice from what os1 remembers, and write it by hand.

    Every memory the letter draws on is listed with its id; a sentence that recalls a
    shared past with no memory behind it is flagged, so nothing made up goes unseen.
    Your voice comes from --style-from, or else from the mail you sent.
    """

    async def work() -> int:
        async with opened() as companion:
            with counted_progress(err, "Drafting the letter") as bar:
                bar.add_task("draft", total=None)
                draft = await companion.letters.write(
                    user, to, about, who=who, style_from_paths=style_from, seed=seed
                )
        done = await _put_on_paper(draft.text, out_dir, hand, seed)
        letter = out_dir / "letter.txt"
        letter.with_suffix(".txt.part").write_text(draft.text + "\n", "utf-8")
        letter.with_suffix(".txt.part").replace(letter)
        if as_json:
            out.print_json(json.dumps({**_draft_json(draft, letter), **_rendered_json(done)}))
            return 0
        out.print(draft.text, markup=False)
        out.print()
        for source in draft.cited:
            out.print(f"[dim]from memory {source.ref} ({source.day}):[/] {escape(source.text)}")
        for sentence in draft.unsupported:
            out.print(f"[yellow]Not backed by any memory:[/] {escape(sentence)}")
        _show_rendered(done)
        return 0

    run(work)


@letters_app.command("hands")
def list_hands(as_json: bool = JsonOption) -> None:
    """The handwriting os1 can write in, and how many characters each can draw."""
    found = hands()
    if as_json:
        out.print_json(json.dumps([{"name": n, "characters": c} for n, c in found]))
        return
    if not found:
        err.print("[red]No hand is installed.[/] [dim]Run the set-up again (make setup).[/]")
        raise typer.Exit(1)
    for name, characters in found:
        marker = " (default)" if name == DEFAULT_HAND else ""
        out.print(f"{name}{marker}: {characters} characters")
