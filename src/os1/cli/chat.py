"""``os1 chat``: talk with the companion in the terminal, or drive it from a script.

Interactive (a terminal on stdin): the companion greets you at first boot and streams
its replies; Ctrl-C stops a reply (the part said so far is kept, marked interrupted),
Ctrl-C at the prompt or Ctrl-D leaves. Piped: each line of stdin is one turn and each
reply is one line of stdout (``--json``: one event per line), so scripts can drive it.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import sys
import threading
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import aclosing
from pathlib import Path

import typer
from rich.console import Console

from os1.cli.output import ReaderWatch, unless_output_closed
from os1.cli.render import Renderer
from os1.cli.session import catches_signals, start_companion
from os1.companion import Companion
from os1.core.turns import CancelToken
from os1.errors import InputError, Os1Error
from os1.events import ActionSettled, ErrorEvent, ProposalMade, TurnEvent, TurnFinished

HELP = """Commands:
  /help            this list
  /name            the companion's name, and why it chose it
  /history [N]     the last N messages of this conversation (default 10)
  /export [FILE]   save all your conversations as JSON (default os1-export-USER.json)
  /new             start a new conversation
  /skip            skip the getting-to-know-you questions
  /remember TEXT   keep a note (you confirm first)
  /forget WORDS    forget matching memories (shows them; you confirm first)
  /quit            leave (also Ctrl-D)"""


def _raw_lines(fd: int) -> Iterator[bytes]:
    """The lines of ``fd``, read from the descriptor itself rather than through
    ``sys.stdin``'s buffer: a thread blocked in a buffered read holds the buffer's lock,
    and the interpreter aborts if it must take that lock while exiting."""
    pending = bytearray()  # grows once per byte, however long a line is
    while chunk := os.read(fd, 65536):
        start = 0
        while (end := chunk.find(b"\n", start)) != -1:
            pending += chunk[start:end]
            yield bytes(pending)
            pending.clear()
            start = end + 1
        pending += chunk[start:]
    if pending:
        yield bytes(pending)


def _stdin_lines(err: Renderer) -> Iterator[str]:
    """Lines of a piped stdin; undecodable bytes are replaced and reported, not fatal."""
    try:
        lines: Iterator[bytes] = _raw_lines(sys.stdin.fileno())
    except (OSError, ValueError):  # no descriptor (a test runner's stdin): its own lines
        lines = (raw.rstrip(b"\n") for raw in sys.stdin.buffer)
    for number, raw in enumerate(lines, start=1):
        try:
            yield raw.decode("utf-8")
        except UnicodeDecodeError:
            err.error(
                f"Line {number} of the input is not valid UTF-8; "
                "the undecodable bytes were replaced with �.",
                "Convert the input to UTF-8, e.g. with iconv.",
            )
            yield raw.decode("utf-8", errors="replace")


LINE_GRACE_S = 0.2  # for a line already written to reach the reading thread


async def _piped_lines(render: Renderer, gone: asyncio.Event) -> AsyncIterator[str]:
    """Lines of a piped stdin, read by a thread of their own, until stdin ends or the
    output's reader goes away (BrokenPipeError): a script that stopped reading is gone
    even while its stdin stays open. A line it wrote before leaving is still kept."""
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[str | None] = asyncio.Queue()

    def put(line: str | None) -> None:
        with contextlib.suppress(RuntimeError):  # the loop has already closed
            loop.call_soon_threadsafe(queue.put_nowait, line)

    def read() -> None:
        try:
            for line in _stdin_lines(render):
                put(line)
        finally:  # even if reading fails, the conversation must not wait for ever
            put(None)

    # a daemon: a read blocked on an open, silent stdin must not keep the process alive
    threading.Thread(target=read, name="os1-stdin", daemon=True).start()
    while True:
        got = asyncio.ensure_future(queue.get())
        closed = asyncio.ensure_future(gone.wait())
        await asyncio.wait({got, closed}, return_when=asyncio.FIRST_COMPLETED)
        closed.cancel()
        if not got.done():  # a line written before the reader left is still taken in
            await asyncio.wait({got}, timeout=LINE_GRACE_S)
        if not got.done():
            got.cancel()
            raise BrokenPipeError
        line = got.result()
        if line is None:
            return
        yield line


async def _typed_lines(console: Console, render: Renderer) -> AsyncIterator[str]:
    for line in _prompt_lines(console, render):
        yield line


def _prompt_lines(console: Console, render: Renderer) -> Iterator[str]:
    while True:
        try:
            yield console.input("[bold cyan]you[/] › ")
        except UnicodeDecodeError:
            render.error("That was not valid UTF-8 text.", "Check your terminal's encoding.")
        except (EOFError, KeyboardInterrupt):
            console.print()
            return


async def _with_interrupt(
    events: AsyncIterator[TurnEvent], cancel: CancelToken
) -> AsyncIterator[TurnEvent]:
    """Ctrl-C stops the reply gracefully; a second Ctrl-C tears the turn down."""
    loop = asyncio.get_running_loop()
    task = asyncio.current_task()

    def on_sigint() -> None:
        if cancel.cancelled and task is not None:
            task.cancel()
        cancel.cancel()

    graceful = catches_signals()
    if graceful:
        loop.add_signal_handler(signal.SIGINT, on_sigint)
    try:
        async with aclosing(events) as closing:
            async for event in closing:
                yield event
    finally:
        if graceful:
            loop.remove_signal_handler(signal.SIGINT)


async def _show_turn(
    companion: Companion,
    user: str,
    line: str,
    cancel: CancelToken,
    render: Renderer,
    onboarding: bool,
    persona: str | None = None,
) -> list[ProposalMade]:
    """One turn (with ``persona`` when given, else the companion), shown as it comes;
    returns the proposals still waiting for a decision.

    If showing an event fails (the reader went away), the turn is stopped, not dropped:
    it runs on unseen to its end, so the person's words are stored and the part of the
    reply written is kept as interrupted (an abandoned turn would also hold the model).

    Raises:
        BrokenPipeError: the reader went away during the turn.
    """
    events = (
        _persona_turn(companion, user, persona, line, cancel)
        if persona
        else companion.turn(user, line, cancel=cancel, onboarding_enabled=onboarding)
    )
    proposals: list[ProposalMade] = []
    unread = False
    async with aclosing(_with_interrupt(events, cancel)) as shown:
        async for event in shown:
            if unread:
                continue
            try:
                render.show(event)
            except BrokenPipeError:
                unread = True
                cancel.cancel()
                continue
            if isinstance(event, ProposalMade):
                proposals.append(event)
            if isinstance(event, ActionSettled):  # a standing policy ran it already
                proposals = [p for p in proposals if p.proposal_id != event.proposal_id]
            if isinstance(event, TurnFinished) and render.speaker == "" and not persona:
                render.speaker = (await companion.identity(user)).name
    if unread:
        raise BrokenPipeError
    return proposals


def _write(target: str, text: str) -> Path:
    path = Path(target).expanduser()
    path.write_text(text, encoding="utf-8")
    return path


async def _export(companion: Companion, user: str, arg: str, render: Renderer) -> None:
    data = await companion.export(user)
    text = json.dumps(data, ensure_ascii=False, indent=2)
    try:
        path = await asyncio.to_thread(_write, arg or f"os1-export-{user}.json", text)
    except OSError as exc:
        render.error(f"Could not write {arg}: {exc.strerror}.", "Choose another file.")
        return
    count = sum(len(c["messages"]) for c in data["conversations"])
    render.info(f"Saved {count} messages to {path}.")


async def _command(companion: Companion, user: str, line: str, render: Renderer) -> bool:
    """Run a slash command. Returns False when the person wants to leave."""
    name, _, arg = line[1:].strip().partition(" ")
    arg = arg.strip()
    if name in ("quit", "exit", "q"):
        return False
    if name == "help":
        render.info(HELP)
    elif name == "name":
        identity = await companion.identity(user)
        render.info(f"I'm {identity.name}. {identity.reason}".strip())
    elif name == "history":
        count = int(arg) if arg.isdigit() else 10
        for item in await companion.history(user, limit=count):
            stamp = time.strftime("%Y-%m-%d %H:%M", time.localtime(item.created_at))
            mark = " (interrupted)" if item.status == "interrupted" else ""
            render.info(f"[{stamp}] {item.role}: {item.text}{mark}")
    elif name == "export":
        await _export(companion, user, arg, render)
    elif name == "new":
        await companion.new_conversation(user)
        render.info("Started a new conversation.")
    elif name == "skip":
        await companion.skip_onboarding(user)
        render.info("Skipped the questions; let's just talk.")
    else:
        render.error(f"Unknown command /{name}.", "Type /help for the list.")
    return True


def _is_skill(companion: Companion, line: str) -> bool:
    name = line.strip()[1:].partition(" ")[0].lower()
    return companion.actions.has_tool(name)


async def _decide(
    companion: Companion,
    user: str,
    proposal: ProposalMade,
    console: Console | None,
    render: Renderer,
) -> None:
    """Ask the person at the terminal; a script (no terminal) cannot confirm anything."""
    confirm = False
    if console is not None:
        try:
            answer = console.input("[bold]Confirm?[/] [y/N] › ")
        except (EOFError, KeyboardInterrupt):
            answer = ""
        confirm = answer.strip().lower() in ("y", "yes")
    else:
        render.info("Not confirmed: actions need a person at the terminal or in the web UI.")
    async for event in companion.decide(user, proposal.proposal_id, confirm=confirm):
        render.show(event)


async def _recap(companion: Companion, user: str, render: Renderer) -> None:
    """Where we left off: the last exchange of the conversation being continued."""
    last = await companion.history(user, limit=2)
    if not last:
        return
    when = time.strftime("%a %d %b, %H:%M", time.localtime(last[-1].created_at))
    render.info(f"Continuing our conversation from {when}. (/new starts a fresh one)", "dim")
    for item in last:
        who = render.speaker if item.role == "assistant" else "you"
        text = item.text if len(item.text) <= 300 else item.text[:300] + "…"
        render.info(f"{who} › {text}", "dim")


async def _persona_turn(
    companion: Companion, user: str, persona: str, line: str, cancel: CancelToken
) -> AsyncIterator[TurnEvent]:
    """A persona's reply as a turn's events; a message it cannot take (empty, too long)
    is an error event, and the conversation goes on."""
    try:
        async with aclosing(companion.personas.reply(user, persona, line, cancel=cancel)) as got:
            async for event in got:
                yield event
    except InputError as exc:
        yield ErrorEvent(exc.code, exc.message, exc.hint)


async def run_chat(
    user: str,
    as_json: bool,
    new: bool,
    onboarding: bool,
    home: str | None,
    persona: str | None = None,
) -> int:
    out = Console(highlight=False, soft_wrap=True)
    err = Console(stderr=True, highlight=False, soft_wrap=True)
    interactive = sys.stdin.isatty()
    render = Renderer(out, err, as_json=as_json, interactive=interactive and not as_json)
    async with ReaderWatch() as reader:
        if catches_signals() and not interactive:  # its terminal was closed
            asyncio.get_running_loop().add_signal_handler(signal.SIGHUP, reader.gone.set)
        try:
            # piped, the model loads while the first line is read and stored, and not at all
            # for a reader already gone: those words are kept without a model (issue 22)
            companion = reader.companion = await start_companion(
                err,
                quiet=as_json or not interactive,
                lazy=not interactive,
                warm=interactive,
                home=home,
            )
            if not reader.gone.is_set():
                companion.load_model_ahead()
            with companion.presence.hold(user):
                if persona:  # a name that is no persona fails now, not at the first line
                    card = await companion.personas.show(user, persona)
                    render.speaker = f"{card.writer} (persona)"
                await _converse(
                    companion, user, render, reader.gone, new=new, onboarding=onboarding,
                    persona=persona,
                )  # fmt: skip
        except Os1Error as exc:
            render.error(exc.message, exc.hint)
            return 1
        return 1 if render.failed and not interactive else 0
    return 1  # the reader went away: the turn was stopped, its partial reply kept


async def _converse(
    companion: Companion,
    user: str,
    render: Renderer,
    gone: asyncio.Event,
    *,
    new: bool,
    onboarding: bool,
    persona: str | None = None,
) -> None:
    """Line after line until the person leaves, stdin ends or the reader goes away."""
    interactive = sys.stdin.isatty()
    if new and not persona:
        await companion.new_conversation(user)
    if interactive and not persona:
        render.speaker = (await companion.identity(user)).name
        await _recap(companion, user, render)
        if onboarding:
            async with aclosing(companion.greet(user)) as greeting:
                async for event in greeting:
                    render.show(event)
    lines = _typed_lines(render.out, render) if interactive else _piped_lines(render, gone)
    async for line in lines:
        if not interactive and not line.strip():
            continue  # blank lines separate a script's turns; they are not turns
        if line.strip().startswith("/") and not _is_skill(companion, line):
            if not await _command(companion, user, line.strip(), render):
                break
            continue
        if not gone.is_set():
            # loaded before the turn begins: xllamacpp loads holding the interpreter lock,
            # so a reader leaving during a load is noticed only once it is done
            await companion.model_ready()
        cancel = CancelToken()
        shown = asyncio.create_task(
            _show_turn(companion, user, line, cancel, render, onboarding and interactive, persona)
        )
        proposals = await unless_output_closed(shown, cancel.cancel, gone)
        for proposal in proposals:
            await _decide(companion, user, proposal, render.out if interactive else None, render)


def chat(
    user: str = typer.Option(
        "me", "--user", "-u", help="Who is talking (each person has their own memory)."
    ),
    as_json: bool = typer.Option(
        False, "--json", help="Print one JSON event per line (for scripts)."
    ),
    new: bool = typer.Option(
        False, "--new", help="Start a new conversation instead of continuing."
    ),
    onboarding: bool = typer.Option(
        True,
        "--onboarding/--no-onboarding",
        help="Ask the getting-to-know-you questions at first boot.",
    ),
    home: str | None = typer.Option(
        None, "--home", help="Data folder (default: $OS1_HOME or the XDG data dir)."
    ),
    persona: str | None = typer.Option(
        None, "--persona", help="Talk with one of your personas instead (`os1 persona list`)."
    ),
) -> None:
    """Talk with your companion, or with a persona.

    Examples:

      os1 chat                                   # talk in the terminal

      echo "What's a good name for a cat?" | os1 chat     # one reply per input line

      printf 'hi\\nhow are you?\\n' | os1 chat --json --user alice

      os1 chat --persona thoreau                 # talk with a writer's persona
    """
    raise typer.Exit(asyncio.run(run_chat(user, as_json, new, onboarding, home, persona)))
