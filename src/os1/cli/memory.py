"""``os1 memory``: see, search, correct, forget, export and import what os1 remembers."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import sys
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.table import Table

from os1.cli.actions import opened, opened_cheaply, run
from os1.cli.output import STDIO, write_file_or_stdout
from os1.cli.render import counted_progress
from os1.companion import Companion
from os1.config import DEFAULT_USER
from os1.core.memories import Answer, Hit, iso_time
from os1.errors import InputError

memory_app = typer.Typer(
    help="What os1 remembers about you: see it, search it, correct it, forget it."
)
out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)

UserOption = typer.Option(DEFAULT_USER, "--user", "-u", help="Whose memory.")


async def _index(companion: Companion, user: str) -> None:
    """Bring vectors up to date, with a progress bar when it takes a while."""
    if not await companion.memories.waiting_to_index(user):
        return
    with counted_progress(err, "Indexing by meaning") as bar:
        task = bar.add_task("index", total=None)
        await companion.memories.index(
            user, lambda done, total: bar.update(task, completed=done, total=total)
        )


def _hit_json(hit: Hit) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": f"{hit.kind[0]}{hit.id}",
        "kind": hit.kind,
        "text": hit.text,
        "time": iso_time(hit.time),
        "score": hit.score,
        "source_id": hit.source_ids[0] if hit.source_ids else None,
    }
    if hit.kind == "fact":
        data["source_ids"] = list(hit.source_ids)
    else:
        data.update(speaker=hit.speaker, session=hit.session)
    return data


@memory_app.command("profile")
def profile_cmd(
    user: str = UserOption,
    as_json: bool = typer.Option(False, "--json", help="The profile as JSON, with sources."),
) -> None:
    """Who os1 thinks you are, built from what you told it, each line with its sources.

    Example: os1 memory profile
    """

    async def work() -> int:
        async with opened_cheaply() as companion:
            _, profile = await companion.memories.profile(user)
        if as_json:
            _print_json(profile.to_dict())
        elif profile.is_empty():
            out.print("Nothing learned yet: talk with me, or import a conversation.")
        else:
            out.print(profile.to_prompt(max_chars=100_000), markup=False)
        return 0

    run(work)


@memory_app.command("import-conversation")
def import_conversation_cmd(
    file: Path = typer.Argument(
        ..., help="JSON Lines: id, speaker, text, time (ISO 8601), session?"
    ),
    user: str = UserOption,
    no_extract: bool = typer.Option(
        False, "--no-extract", help="Store the messages only; no fact extraction."
    ),
    no_index: bool = typer.Option(
        False, "--no-index", help="Do not compute vectors now (search will)."
    ),
) -> None:
    """Import a past conversation; its messages keep their own ids and times.

    Bad lines are reported with their number and skipped. Running it again after an
    interruption continues where it stopped (nothing is stored twice).

    Example: os1 memory import-conversation chat.jsonl --user alice
    """

    async def work() -> int:
        async with opened_cheaply() as companion:
            with counted_progress(err, "Importing") as bar:
                task = bar.add_task("import", total=None)
                try:
                    report = await companion.memories.import_conversation(
                        user,
                        file,
                        progress=lambda d, t: bar.update(task, completed=d, total=t),
                        learn=not no_extract,
                    )
                except OSError as exc:
                    err.print(f"[red]Cannot read {file}: {exc.strerror}.[/]")
                    return 1
            for bad in report.bad[:50]:
                err.print(f"[yellow]line {bad.number}: {bad.reason}[/]")
            if len(report.bad) > 50:
                err.print(f"[yellow]... and {len(report.bad) - 50} more bad lines[/]")
            err.print(
                f"Imported {report.added} messages ({report.already} already there, "
                f"{len(report.bad)} bad lines skipped)."
            )
            if not no_index:
                await _index(companion, user)
            if not no_extract:
                err.print(
                    "[dim]Fact extraction from imports comes later; messages are searchable.[/]"
                )
            return 0

    run(work)


@memory_app.command("search")
def search_cmd(
    query: str = typer.Argument("", help="What to look for (or use --queries)."),
    user: str = UserOption,
    k: int = typer.Option(10, "-k", min=1, max=1000, help="How many results."),
    as_json: bool = typer.Option(False, "--json", help="A JSON array of hits, best first."),
    queries: Path | None = typer.Option(
        None, "--queries", help="A file of queries, one a line: one JSON array a line."
    ),
) -> None:
    """Search memories by words, meaning and time.

    Examples:

      os1 memory search "where does my sister live"

      os1 memory search "what did I do last May" --json -k 5

      os1 memory search --queries questions.txt --json
    """

    async def work() -> int:
        async with opened_cheaply() as companion:
            await _index(companion, user)
            if queries is not None:
                try:
                    text = await asyncio.to_thread(queries.read_text, "utf-8", "replace")
                except OSError as exc:
                    err.print(f"[red]Cannot read {queries}: {exc.strerror}.[/]")
                    return 1
                for line in text.splitlines():
                    hits = await companion.memories.search(user, line, k=k) if line.strip() else []
                    _print_json([_hit_json(h) for h in hits])
                return 0
            if not query.strip():
                err.print("[red]Give a query, or --queries FILE.[/]")
                return 2
            hits = await companion.memories.search(user, query, k=k)
            if as_json:
                _print_json([_hit_json(h) for h in hits])
            else:
                _show_hits(hits)
            return 0

    run(work)


@memory_app.command("ask")
def ask_cmd(
    question: str = typer.Argument("", help="What to ask (or use --questions)."),
    user: str = UserOption,
    k: int = typer.Option(10, "-k", min=1, max=50, help="How many memories to read."),
    as_json: bool = typer.Option(
        False, "--json", help='{"answer", "known", "source_ids", "hits"} as JSON.'
    ),
    questions: Path | None = typer.Option(
        None, "--questions", help="A file of questions, one a line: one JSON object a line."
    ),
) -> None:
    """Answer a question from memory with the local model, citing the memories it used.
    When nothing remembered supports an answer, the answer is "I don't know."

    Examples:

      os1 memory ask "Where does my sister live?"

      os1 memory ask "When did I start pottery?" --json

      os1 memory ask --questions questions.txt --user caroline
    """

    async def work() -> int:
        if questions is None and not question.strip():
            err.print("[red]Give a question, or --questions FILE.[/] [dim]Example: os1 memory"
                      ' ask "Where does my sister live?"[/]')  # fmt: skip
            return 2
        async with opened() as companion:
            await _index(companion, user)
            if questions is None:
                with err.status("Thinking…"):
                    answer = await companion.memories.ask(user, question, k=k)
                if as_json:
                    _print_json(_answer_json(answer))
                else:
                    _show_answer(answer)
                return 0
            try:
                text = await asyncio.to_thread(questions.read_text, "utf-8", "replace")
            except OSError as exc:
                err.print(f"[red]Cannot read {questions}: {exc.strerror}.[/]")
                return 1
            lines = text.splitlines()
            with counted_progress(err, "Answering") as bar:
                task = bar.add_task("answer", total=len(lines))
                for line in lines:
                    try:
                        answer = await companion.memories.ask(user, line, k=k)
                        _print_json(_answer_json(answer))
                    except InputError as exc:  # one bad line is reported in its place
                        _print_json({"question": line[:200], "error": exc.message})
                    bar.advance(task)
            return 0

    run(work)


def _answer_json(answer: Answer) -> dict[str, Any]:
    return {
        "question": answer.question,
        "answer": answer.text,
        "known": answer.known,
        "source_ids": answer.source_ids,
        "hits": [_hit_json(h) for h in answer.hits],
    }


def _show_answer(answer: Answer) -> None:
    out.print(answer.text, markup=False)
    if answer.cited:
        out.print("[dim]From:[/]")
        for hit in answer.cited:
            when = dt.datetime.fromtimestamp(hit.time).strftime("%Y-%m-%d")
            who = f"{hit.speaker}: " if hit.speaker else ""
            out.print(f"  [dim]{hit.kind[0]}{hit.id} {when}[/] {who}", end="")
            out.print(hit.text, markup=False)


def _print_json(value: object) -> None:
    sys.stdout.write(json.dumps(value, ensure_ascii=False) + "\n")
    sys.stdout.flush()


def _show_hits(hits: list[Hit]) -> None:
    if not hits:
        out.print("Nothing found.")
        return
    table = Table("id", "when", "who", "memory", "from")
    for hit in hits:
        when = dt.datetime.fromtimestamp(hit.time).strftime("%Y-%m-%d %H:%M")
        source = ", ".join(hit.source_ids[:3])
        table.add_row(f"{hit.kind[0]}{hit.id}", when, hit.speaker or "fact", hit.text, source)
    out.print(table)


@memory_app.command("list")
def list_cmd(user: str = UserOption, limit: int = typer.Option(20, "--limit", "-n", min=1)) -> None:
    """The newest memories. Example: os1 memory list -n 50"""

    async def work() -> int:
        async with opened_cheaply() as companion:
            episodes = await companion.memories.recent(user, limit)
            _show_hits(
                [
                    Hit("episode", e.id, e.text, e.time, 0.0, (e.source_id,), e.speaker)
                    for e in episodes
                ]
            )
            return 0

    run(work)


@memory_app.command("show")
def show_cmd(
    ref: str = typer.Argument(..., help="e12 (episode) or f3 (fact)"), user: str = UserOption
) -> None:
    """One memory with where it came from. Example: os1 memory show e12"""

    async def work() -> int:
        async with opened_cheaply() as companion:
            parsed = companion.memories.ref_or_none(ref, "episode")
            if parsed and parsed[0] == "episode":
                found = await companion.memories.episodes(user, [parsed[1]])
                if found:
                    e = found[0]
                    where = f"{e.source} {e.source_id}, session {e.session or '-'}"
                    out.print(f"[bold]e{e.id}[/] {iso_time(e.time)} {e.speaker} ({where})")
                    out.print(e.text, markup=False)
                    return 0
            if parsed and parsed[0] == "fact":
                fact = await companion.memories.fact(user, parsed[1])
                if fact is not None:
                    state = (
                        f"replaced by f{fact.superseded_by}" if fact.superseded_by else "current"
                    )
                    out.print(
                        f"[bold]f{fact.id}[/] {fact.kind}: {fact.subject}.{fact.attribute}"
                        f" = {fact.value} ({state}, confidence {fact.confidence:.2f})"
                    )
                    out.print(fact.text, markup=False)
                    evidence = list(fact.source_episode_ids)
                    for e in await companion.memories.episodes(user, evidence):
                        out.print(
                            f"  from e{e.id} {iso_time(e.time)} {e.speaker}: {e.text}", markup=False
                        )
                    return 0
            err.print(
                f"[red]No memory {ref}.[/] [dim]Ids look like e12 or f3; search shows them.[/]"
            )
            return 1

    run(work)


@memory_app.command("consolidate")
def consolidate_cmd(user: str = UserOption) -> None:
    """Merge duplicate facts (pooling their sources) and let old trivia fade.

    Example: os1 memory consolidate
    """

    async def work() -> int:
        async with opened_cheaply() as companion:
            done = await companion.memories.consolidate(user)
        out.print(f"Merged {done.merged} duplicate facts; {done.faded} trivia faded a little.")
        return 0

    run(work)


@memory_app.command("edit")
def edit_cmd(
    ref: str = typer.Argument(..., help="e12 (episode) or f3 (fact)"),
    text: str = typer.Argument(..., help="The corrected words"),
    user: str = UserOption,
) -> None:
    """Correct a memory. A corrected fact becomes certain: you said so.

    Example: os1 memory edit f3 "My sister lives in Porto now."
    """

    async def work() -> int:
        async with opened_cheaply() as companion:
            memories = companion.memories
            parsed = memories.ref_or_none(ref, "episode")
            if parsed is None or not await memories.edit(user, parsed[0], parsed[1], text):
                err.print(f"[red]No memory {ref}.[/] [dim]Ids look like e12 or f3.[/]")
                return 1
            await _index(companion, user)
        out.print(f"Corrected {ref}.")
        return 0

    run(work)


@memory_app.command("forget")
def forget_cmd(
    target: str = typer.Argument(..., help="An id (e12, f3) or words: every memory that matches"),
    user: str = UserOption,
    yes: bool = typer.Option(False, "--yes", "-y", help="Do not ask for confirmation."),
    k: int = typer.Option(20, "-k", help="With words: at most this many matches."),
) -> None:
    """Forget memories everywhere (text index, vectors, facts built on them).

    With words, every memory containing them (not merely similar ones) is listed first.

    Examples:

      os1 memory forget e12

      os1 memory forget "my old address" --yes
    """

    async def work() -> int:
        async with opened_cheaply() as companion:
            parsed = companion.memories.ref_or_none(target, "episode")
            if parsed:
                targets = [(parsed[0], parsed[1])]
            else:
                hits = await companion.memories.search(user, target, k=k, by_meaning=False)
                targets = [(h.kind, h.id) for h in hits]
                _show_hits(hits)
            if not targets:
                out.print("Nothing to forget.")
                return 0
            if not yes and not typer.confirm(
                f"Forget {len(targets)} memories for good?", default=False, err=True
            ):
                out.print("Kept everything.")
                return 0
            removed = await companion.memories.forget(user, targets)
            out.print(f"Forgot {removed} memories." if removed else f"No memory {target}.")
            return 0 if removed else 1

    run(work)


@memory_app.command("export")
def export_cmd(
    file: Path = typer.Argument(..., help="Where to write the archive (JSON Lines; - for stdout)"),
    user: str = UserOption,
) -> None:
    """Write every memory to a portable archive (format in the README).

    Examples:

      os1 memory export my-memories.jsonl

      os1 memory export - | gzip > my-memories.jsonl.gz
    """

    async def work() -> int:
        async with opened_cheaply() as companion:
            lines = await companion.memories.export(user)
        where = await write_file_or_stdout(file, "\n".join(lines) + "\n")
        (err if str(file) == STDIO else out).print(f"Wrote {len(lines) - 1} memories to {where}.")
        return 0

    run(work)


@memory_app.command("import")
def import_cmd(
    file: Path = typer.Argument(
        ..., help="An archive written by `os1 memory export` (- reads stdin)"
    ),
    user: str = UserOption,
) -> None:
    """Restore an archive; importing the same archive twice changes nothing.

    Examples:

      os1 memory import my-memories.jsonl --user alice

      os1 memory export - | OS1_HOME=~/other-home os1 memory import -
    """

    async def work() -> int:
        try:
            if str(file) == STDIO:
                raw = await asyncio.to_thread(sys.stdin.buffer.read)
                text = raw.decode("utf-8", "replace")
            else:
                text = await asyncio.to_thread(file.read_text, "utf-8", "replace")
        except OSError as exc:
            err.print(f"[red]Cannot read {file}: {exc.strerror}.[/]")
            return 1
        async with opened_cheaply() as companion:
            report = await companion.memories.restore(user, text.splitlines())
            for problem in report.problems[:50]:
                err.print(f"[yellow]{problem}[/]")
            await _index(companion, user)
        out.print(f"Restored {report.episodes} episodes and {report.facts} facts.")
        return 1 if report.problems and not (report.episodes or report.facts) else 0

    run(work)
