"""``os1 letters``: letters written by hand. ``write`` drafts one in your voice from what
os1 remembers (each memory it draws on cited) and puts it on paper; ``render`` puts a
text of yours on paper; ``hands`` lists the handwriting there is; ``hand-template`` and
``hand-learn`` teach os1 your own.

Rendering a text file in a packaged hand needs no model and no database: it starts at
once. Your own hands live in your store, so naming one opens it (still no model).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from dataclasses import asdict
from pathlib import Path
from typing import Any

import typer
from rich.markup import escape

from os1.cli.actions import carry_out, err, opened, opened_cheaply, out, run
from os1.cli.render import counted_progress
from os1.config import DEFAULT_USER
from os1.core.letters import (
    DEFAULT_HAND,
    Hand,
    Kept,
    Learned,
    Rendered,
    check_scan_size,
    hand_template,
    is_packaged_hand,
    read_letter,
    render_letter,
)
from os1.core.mail import SendArgs
from os1.errors import LetterError

letters_app = typer.Typer(
    help="Letters written by hand: as a print-ready PDF and a picture of each page.\n\n"
    'Examples: `os1 letters write --to Grandma --about "thank her for the summers at the'
    ' lake"`, `os1 letters revise 1 "warmer"`, `os1 letters list`, `os1 letters show 1`,'
    " `os1 letters render 1 --hand kalam`, `os1 letters render grandma.txt`,"
    " `os1 letters send 1 --to rose@example.org`, `os1 letters hands`,"
    " `os1 letters hand-template sheet.pdf`, `os1 letters hand-learn scan.jpg`.",
    no_args_is_help=True,
)
UserOption = typer.Option(DEFAULT_USER, "--user", "-u", help="Whose letters, memories and voice.")
HandOption = typer.Option(DEFAULT_HAND, "--hand", help="Whose handwriting (see `hands`).")
SeedOption = typer.Option(0, "--seed", help="Another seed, another draft and page.")
JsonOption = typer.Option(False, "--json", help="Print the result as JSON.")


async def _put_on_paper(text: str, destination: Path, hand: str | Hand, seed: int) -> Rendered:
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
    out.print(f"Written in the hand '{done.hand}', {count}: {done.pdf}")
    for page in done.pngs:
        out.print(f"  {page}")
    if done.borrowed:
        taken = ", ".join(f"{c} ({h})" for c, h in sorted(done.borrowed.items()))
        out.print(f"[dim]Not in {done.hand}, written in another hand: {taken}[/]")


@letters_app.command("render")
def render(
    what: str = typer.Argument(..., help="A letter's id (see `list`), or a UTF-8 text file."),
    hand: str = HandOption,
    seed: int = SeedOption,
    version: int = typer.Option(0, "--version", help="Which version of a kept letter."),
    out_dir: Path | None = typer.Option(
        None,
        "--out",
        help="Folder for letter.pdf and page-N.png (default: letter-ID, or FILE's name + -letter).",
    ),
    user: str = UserOption,
    as_json: bool = JsonOption,
) -> None:
    """Write a kept letter, or a text of yours, by hand: letter.pdf and page-N.png.

    The same text, hand and seed always give the same pages. Blank lines separate
    paragraphs; a single line break is kept (an address, a sign-off).
    """

    async def work() -> int:
        path = Path(what)
        kept_letter = what.isdigit() and not await asyncio.to_thread(path.exists)
        chosen: str | Hand = hand
        if kept_letter or not is_packaged_hand(hand):
            async with opened_cheaply() as companion:
                chosen = await companion.letters.hand(user, hand)
                if kept_letter:
                    kept = await companion.letters.version(user, int(what), version)
        if kept_letter:
            text, destination = kept.draft.text, out_dir or Path(f"letter-{what}")
        else:
            text = read_letter(path)
            destination = out_dir or path.with_name(f"{path.stem}-letter")
        done = await _put_on_paper(text, destination, chosen, seed)
        if as_json:
            out.print_json(json.dumps(_rendered_json(done)))
        else:
            _show_rendered(done)
        return 0

    run(work)


def _kept_json(kept: Kept) -> dict[str, Any]:
    draft = kept.draft
    return {
        "id": kept.letter,
        "version": kept.version,
        "change": kept.change,
        "to": draft.recipient,
        "about": draft.about,
        "text": draft.text,
        "cited": [{"id": s.ref, "text": s.text, "day": s.day} for s in draft.cited],
        "unsupported": list(draft.unsupported),
    }


def _show_kept(kept: Kept) -> None:
    change = f", changed: {kept.change}" if kept.change else ""
    out.print(f"[bold]Letter {kept.letter}[/], version {kept.version}{escape(change)}")
    out.print(kept.draft.text, markup=False)
    out.print()
    for source in kept.draft.cited:
        out.print(f"[dim]from memory {source.ref} ({source.day}):[/] {escape(source.text)}")
    for sentence in kept.draft.unsupported:
        out.print(f"[yellow]Not backed by any memory:[/] {escape(sentence)}")


async def _deliver(kept: Kept, out_dir: Path, hand: Hand, seed: int, as_json: bool) -> None:
    """The letter on paper in ``out_dir`` with its text, then shown."""
    done = await _put_on_paper(kept.draft.text, out_dir, hand, seed)
    letter = out_dir / "letter.txt"
    letter.with_suffix(".txt.part").write_text(kept.draft.text + "\n", "utf-8")
    letter.with_suffix(".txt.part").replace(letter)
    if as_json:
        out.print_json(json.dumps({**_kept_json(kept), "txt": str(letter), **_rendered_json(done)}))
        return
    _show_kept(kept)
    _show_rendered(done)


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
    out_dir: Path | None = typer.Option(
        None, "--out", help="Folder for letter.txt, letter.pdf and page-N.png (default: letter-ID)."
    ),
    user: str = UserOption,
    as_json: bool = JsonOption,
) -> None:
    """Draft a letter in your voice from what os1 remembers, and write it by hand.

    Every memory the letter draws on is listed with its id; a sentence that recalls a
    shared past with no memory behind it is flagged, so nothing made up goes unseen.
    Your voice comes from --style-from, or else from the mail you sent.
    """

    async def work() -> int:
        async with opened() as companion:
            chosen = await companion.letters.hand(user, hand)  # an unknown hand before drafting
            with counted_progress(err, "Drafting the letter") as bar:
                bar.add_task("draft", total=None)
                try:
                    kept = await companion.letters.write(
                        user, to, about, who=who, style_from_paths=style_from, seed=seed
                    )
                except LetterError as exc:
                    if exc.code == "letter_recipient_unknown":  # say it in this door's words
                        exc.hint = (
                            f'Say who they are with --who "my grandmother", or tell me about'
                            f" {to} in a chat first."
                        )
                    raise
        await _deliver(kept, out_dir or Path(f"letter-{kept.letter}"), chosen, seed, as_json)
        return 0

    run(work)


@letters_app.command("revise")
def revise(
    letter: int = typer.Argument(..., help="The letter's id (see `list`)."),
    change: str = typer.Argument(..., help='What to change: "warmer", "mention the lake".'),
    style_from: list[Path] = typer.Option(  # typer reads the default here
        [], "--style-from", help="Letters or mails of yours to write like (files or folders)."
    ),
    hand: str = HandOption,
    seed: int = SeedOption,
    out_dir: Path | None = typer.Option(None, "--out", help="Folder (default: letter-ID)."),
    user: str = UserOption,
    as_json: bool = JsonOption,
) -> None:
    """A new version of a letter, changed as you say; the old versions are kept."""

    async def work() -> int:
        async with opened() as companion:
            chosen = await companion.letters.hand(user, hand)
            with counted_progress(err, "Revising the letter") as bar:
                bar.add_task("revise", total=None)
                kept = await companion.letters.revise(
                    user, letter, change, style_from_paths=style_from, seed=seed
                )
        await _deliver(kept, out_dir or Path(f"letter-{letter}"), chosen, seed, as_json)
        return 0

    run(work)


@letters_app.command("send")
def send(
    letter: int = typer.Argument(..., help="The letter's id (see `list`)."),
    to: str = typer.Option(..., "--to", help="Addresses, comma-separated, or a name you mailed."),
    subject: str = typer.Option("A letter for you", "--subject", help="The mail's subject."),
    body: str = typer.Option(
        "I wrote you a letter; it is attached.", "--body", help="The mail's own words."
    ),
    hand: str = HandOption,
    yes: bool = typer.Option(False, "--yes", "-y", help="Send without asking (for scripts)."),
    user: str = UserOption,
) -> None:
    """Mail a letter as its PDF written by hand: shows the exact mail, sends only when you
    say yes. Needs `os1 mail connect` first.

    Example: `os1 letters send 1 --to rose@example.org --hand kalam`.
    """

    async def work() -> int:
        async with opened() as companion:
            args = SendArgs(
                to=to, subject=subject, body=body, letter=letter, hand=hand, in_reply_to=""
            )
            why = f"os1 letters send {letter} --to {to}"
            return await carry_out(companion, user, "send_mail", args, yes=yes, why=why)

    run(work)


@letters_app.command("list")
def list_letters(user: str = UserOption, as_json: bool = JsonOption) -> None:
    """Your letters, newest first: who each is for, its versions and first words."""

    async def work() -> int:
        async with opened_cheaply() as companion:
            found = await companion.letters.listed(user)
        if as_json:
            out.print_json(json.dumps([{**_kept_json(k), "versions": n} for k, n in found]))
            return 0
        if not found:
            out.print("No letters yet. Write one: os1 letters write --to NAME --about TEXT")
        for kept, count in found:
            day = dt.datetime.fromtimestamp(kept.created_at).strftime("%-d %b %Y")
            first = " ".join(kept.draft.text.split())[:60]
            versions = f"{count} version" + ("s" if count != 1 else "")
            to = escape(kept.draft.recipient)
            out.print(f"{kept.letter:>4}  {day}  to {to}  ({versions})  {escape(first)}")
        return 0

    run(work)


@letters_app.command("show")
def show(
    letter: int = typer.Argument(..., help="The letter's id (see `list`)."),
    version: int = typer.Option(0, "--version", help="Which version (default: the newest)."),
    user: str = UserOption,
    as_json: bool = JsonOption,
) -> None:
    """A letter's text, the memories it draws on and what no memory backs."""

    async def work() -> int:
        async with opened_cheaply() as companion:
            kept = await companion.letters.version(user, letter, version)
        if as_json:
            out.print_json(json.dumps(_kept_json(kept)))
        else:
            _show_kept(kept)
        return 0

    run(work)


@letters_app.command("hands")
def list_hands(user: str = UserOption, as_json: bool = JsonOption) -> None:
    """The handwriting os1 can write in (packaged, then yours), and how many characters
    each can draw."""

    async def work() -> int:
        async with opened_cheaply() as companion:
            found = await companion.letters.hands(user)
        if as_json:
            out.print_json(json.dumps([asdict(h) for h in found]))
            return 0
        if not found:
            err.print("[red]No hand is installed.[/] [dim]Run the set-up again (make setup).[/]")
            return 1
        for info in found:
            marker = " (default)" if info.name == DEFAULT_HAND else " (yours)" if info.own else ""
            out.print(f"{info.name}{marker}: {info.characters} characters")
        if not any(h.own for h in found):
            out.print("[dim]Teach os1 your own: `os1 letters hand-template sheet.pdf`.[/]")
        return 0

    run(work)


@letters_app.command("hand-template")
def template(
    out_file: Path = typer.Argument(
        Path("hand-template.pdf"), help="Where to save the sheet (a PDF)."
    ),
) -> None:
    """Save the sheet to fill in by hand, so os1 can learn your handwriting.

    Print it, write each character in the box under it in dark ink, then scan or
    photograph the whole page and run `os1 letters hand-learn SCAN.jpg`.
    """

    async def work() -> int:
        data = await asyncio.to_thread(hand_template)
        try:
            out_file.parent.mkdir(parents=True, exist_ok=True)
            part = out_file.with_name(out_file.name + ".part")
            part.write_bytes(data)
            part.replace(out_file)
        except OSError as exc:
            raise LetterError(
                "template_unwritable", f"Cannot write {out_file}: {exc.strerror}."
            ) from exc
        out.print(f"The handwriting sheet is at {out_file}. Print it at 100% (A4), fill it in,")
        out.print("then scan it: os1 letters hand-learn SCAN.jpg")
        return 0

    run(work)


def _show_learned(learned: Learned) -> None:
    done = "Relearned" if learned.replaced else "Learned"
    out.print(
        f"{done} your hand '{learned.name}': {learned.characters} characters,"
        f" {learned.forms} forms in all."
    )
    for note in learned.notes:
        out.print(f"[dim]{note}[/]")
    if learned.empty:
        blank = " ".join(sorted(set(learned.empty)))
        out.print(f"[dim]Boxes left blank (another hand writes these): {blank}[/]")
    out.print(f"Use it: os1 letters render 1 --hand {learned.name}")


def _read_scan(scan: Path) -> bytes:
    try:
        check_scan_size(scan.stat().st_size, scan.name)
        return scan.read_bytes()
    except OSError as exc:
        raise LetterError("scan_unreadable", f"Cannot read {scan}: {exc.strerror}.") from exc


@letters_app.command("hand-learn")
def learn(
    scan: Path = typer.Argument(..., help="A scan or photo of the filled-in sheet (PNG, JPEG)."),
    name: str = typer.Option("mine", "--name", help="What to call your hand."),
    user: str = UserOption,
    as_json: bool = JsonOption,
) -> None:
    """Learn your handwriting from the filled-in sheet (see `hand-template`).

    The page may be photographed at an angle, tilted or upside down; the corner squares
    must all be in the picture. Learning again under the same name replaces the hand.

    Example: `os1 letters hand-learn scan.jpg --name mine`, then
    `os1 letters render 1 --hand mine`.
    """

    async def work() -> int:
        data = await asyncio.to_thread(_read_scan, scan)
        async with opened_cheaply() as companion:
            with counted_progress(err, "Reading your handwriting") as bar:
                bar.add_task("scan", total=None)
                learned = await companion.letters.learn_hand(user, data, name)
        if as_json:
            out.print_json(json.dumps(asdict(learned)))
        else:
            _show_learned(learned)
        return 0

    run(work)


@letters_app.command("hand-forget")
def forget_hand(
    name: str = typer.Argument(..., help="The name of your hand (see `hands`)."),
    user: str = UserOption,
) -> None:
    """Remove one of your own hands."""

    async def work() -> int:
        async with opened_cheaply() as companion:
            gone = await companion.letters.forget_hand(user, name)
        if not gone:
            err.print(f"[red]You have no hand called '{escape(name)}'.[/]")
            err.print("[dim]See yours with `os1 letters hands`.[/]")
            return 1
        out.print(f"Your hand '{escape(name)}' is gone.")
        return 0

    run(work)
