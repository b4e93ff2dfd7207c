"""``os1 persona``: a writer rebuilt from their own words, with a recorded right to do so,
every statement citing the passage it stands on; spoken with in `os1 chat --persona`."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import asdict
from pathlib import Path

import typer
from rich.markup import escape
from rich.progress import BarColumn, TaskProgressColumn, TimeElapsedColumn

from os1.cli.actions import err, opened, opened_cheaply, out, run
from os1.cli.render import Renderer, transient_progress
from os1.config import DEFAULT_USER
from os1.core.personas import PersonaCard
from os1.events import TextDelta

persona_app = typer.Typer(
    help="Personas: a writer rebuilt from their own words, with consent and sources.\n\n"
    "Examples: `os1 persona build thoreau --from ~/Books/Thoreau`,"
    ' `os1 persona build lena --from letters/ --kind person --consent "Lena agreed on'
    ' 2026-12-01 that I may talk with her letters, for myself only, until 2027-12-01"`,'
    " `os1 persona list`, `os1 persona show thoreau`,"
    ' `os1 persona ask thoreau "what is the use of a walk?"`,'
    " `os1 chat --persona thoreau`, `os1 persona forget thoreau`.",
    no_args_is_help=True,
)
_User = typer.Option(DEFAULT_USER, "--user", "-u", help="Whose personas.")
_Json = typer.Option(False, "--json", help="Print the result as JSON.")
_Name = typer.Argument(..., help="The persona's name, e.g. thoreau.")
STAGES = {"reading": "reading the sources", "meaning": "their meanings",
          "deriving": "style, views and facts"}  # fmt: skip


def _show_card(card: PersonaCard) -> None:
    built = dt.datetime.fromtimestamp(card.built_at).strftime("%Y-%m-%d %H:%M")
    out.print(f"[bold]{escape(card.name)}[/] — {escape(card.writer)} [dim]({card.kind}; "
              f"version {card.version} of {card.versions}, built {built})[/]")  # fmt: skip
    out.print(f"\n{escape(card.self_description)}\n")
    consent = card.consent or "none recorded (an author's published writing)"
    out.print(f"[bold]Consent[/]: {escape(consent)}")
    out.print(f"[bold]Sources[/] ({len(card.sources)}):")
    for book in card.sources:
        out.print(f"  {book.id:>5}  {escape(book.title)}  [dim]{book.words:,} words[/]")
    if card.missing_sources:
        out.print(f"  [yellow]{card.missing_sources} since taken out of the library[/]")
    out.print(f"[bold]Languages[/]: {', '.join(card.languages) or 'unknown'}")
    out.print(f"[bold]Style[/]: {escape(card.style.describe())}")
    for title, said in (("Views", card.positions), ("Facts", card.facts)):
        if said:
            out.print(f"[bold]{title}[/]:")
        for one in said:
            mark = "" if one.supported else " [yellow](not well supported by its passage)[/]"
            out.print(f"  • {escape(one.text)}{mark}")
            for cited in one.citations[:1]:
                words = " ".join(cited.text.split())
                out.print(f"    [dim]“{escape(words[:160])}{'…' if len(words) > 160 else ''}”"
                          f" — {escape(cited.title)}, at {cited.start:,}[/]")  # fmt: skip


@persona_app.command("build")
def build(
    name: str = _Name,
    sources: list[Path] = typer.Option(
        [],
        "--from",
        help="Their writing: files or folders (books, essays, letters, mail "
        "or chat exported as text). Repeat for more.",
    ),
    consent: str | None = typer.Option(
        None, "--consent", help="Who may use it, for what, until when (needed for a person)."
    ),
    kind: str | None = typer.Option(
        None, "--kind", help="author (published writing) or person (a private person's)."
    ),
    user: str = _User,
    as_json: bool = _Json,
) -> None:
    """Build a persona from a body of writing, or a new version of one with more sources.
    The writing goes into your library; the persona's style, views and facts are worked
    out from it, each view and fact citing its passage (a minute or two for 5 books)."""

    async def work() -> int:
        columns = ("[progress.description]{task.description}", BarColumn(),
                   TaskProgressColumn(), TimeElapsedColumn())  # fmt: skip
        with transient_progress(err, *columns) as bar:
            task = bar.add_task("starting", total=None)

            def moved(stage: str, done: float, total: float) -> None:
                bar.update(task, description=STAGES.get(stage, stage), completed=done,
                           total=total)  # fmt: skip

            async with opened(quiet=as_json) as companion:
                report = await companion.personas.build(
                    user, name, sources, consent=consent, kind=kind, progress=moved
                )
        if as_json:
            found = {**report.persona.as_dict(), "added": [asdict(a) for a in report.added],
                     "skipped": [asdict(s) for s in report.skipped]}  # fmt: skip
            out.print_json(json.dumps(found))
            return 0
        for skipped in report.skipped:
            if skipped.book is None:
                out.print(f"[yellow]- {escape(skipped.message)}[/] "
                          f"[dim]{escape(skipped.source)}[/]")  # fmt: skip
        _show_card(report.persona)
        out.print(f"\n[dim]Built in {report.seconds:.0f} s. Talk with it: "
                  f"os1 chat --persona {report.persona.name}[/]")  # fmt: skip
        return 0

    run(work)


@persona_app.command("list")
def list_personas(user: str = _User, as_json: bool = _Json) -> None:
    """Your personas, with the writer each is rebuilt from."""

    async def work() -> int:
        async with opened_cheaply() as companion:
            found = await companion.personas.listed(user)
        if as_json:
            out.print_json(json.dumps([asdict(p) for p in found]))
            return 0
        if not found:
            out.print(
                "No personas yet. Build one: os1 persona build thoreau --from ~/Books/Thoreau"
            )
        for one in found:
            out.print(f"{escape(one.name):<20} {escape(one.writer)}  [dim]{one.kind}, version "
                      f"{one.version}, {one.sources} sources[/]")  # fmt: skip
        return 0

    run(work)


@persona_app.command("show")
def show(
    name: str = _Name,
    version: int | None = typer.Option(None, "--version", min=1, help="An earlier version."),
    user: str = _User,
    as_json: bool = _Json,
) -> None:
    """Everything a persona is: consent, sources, style, views and facts with their
    passages, and how it introduces itself."""

    async def work() -> int:
        async with opened_cheaply() as companion:
            card = await companion.personas.show(user, name, version)
        if as_json:
            out.print_json(json.dumps(card.as_dict()))
        else:
            _show_card(card)
        return 0

    run(work)


@persona_app.command("ask")
def ask(
    name: str = _Name,
    message: str = typer.Argument(..., help="What to ask or say."),
    user: str = _User,
    as_json: bool = _Json,
) -> None:
    """One message to a persona: its reply, from passages of its writings, with the
    passages it rests on (for a conversation: `os1 chat --persona NAME`)."""

    async def work() -> int:
        async with opened(quiet=as_json) as companion:
            with err.status("Reading the writings…", spinner="dots"):
                reply, cited = await companion.personas.ask(user, name, message)
        if as_json:
            out.print_json(json.dumps({"reply": reply, **cited.to_dict()}))
            return 0
        render = Renderer(out, err, interactive=False)
        render.show(TextDelta(reply))
        render.show(cited)
        return 0

    run(work)


@persona_app.command("forget")
def forget(
    name: str = _Name,
    user: str = _User,
    yes: bool = typer.Option(False, "--yes", "-y", help="Do not ask first."),
) -> None:
    """Forget a persona: every version, what it said and was told, and the sources its
    builds put in your library (books you added yourself stay)."""
    if not yes and not typer.confirm(
        f"Forget the persona {name!r} and everything derived from it?"
    ):
        raise typer.Exit(1)

    async def work() -> int:
        async with opened_cheaply() as companion:
            gone = await companion.personas.forget(user, name)
        out.print(f"Forgot {escape(gone.name)!r}"
                  + (f" and the {gone.books_removed} source(s) it brought." if gone.books_removed
                     else "."))  # fmt: skip
        return 0

    run(work)
