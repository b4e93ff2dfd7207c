"""``os1 people``: nudges toward the people in your life, and introductions to others on
this os1, only with both people's consent."""

from __future__ import annotations

import datetime as dt
import json
from enum import StrEnum

import typer
from rich.markup import escape

from os1.cli.actions import err, opened_cheaply, out, run
from os1.config import DEFAULT_USER
from os1.core.introductions import FIELDS

people_app = typer.Typer(
    help="The people in your life: nudges to get in touch, and introductions with consent.",
    no_args_is_help=True,
)


class Switch(StrEnum):
    on = "on"
    off = "off"


class Consenting(StrEnum):
    on = "on"
    off = "off"
    fields = "fields"


class Answer(StrEnum):
    yes = "yes"
    no = "no"


@people_app.command("suggestions")
def suggestions(
    user: str = typer.Option(DEFAULT_USER, "--user", "-u", help="Whose suggestions."),
    as_json: bool = typer.Option(False, "--json", help="The suggestions as JSON."),
) -> None:
    """Suggestions to get in touch with someone, newest first, each with why it was made.

    A new one is made when you seem to have been alone these weeks (you said so, your
    mood was low, or you mentioned no one you were with) and there is someone in your
    memories you have not mentioned for two weeks: at most one a week.

    Examples:
      os1 people suggestions
      os1 people suggestions --json
    """

    async def body() -> int:
        async with opened_cheaply() as companion:
            await companion.people.suggest(user)
            made = await companion.people.nudges(user)
            on = await companion.people.nudges_on(user)
        if as_json:
            out.print_json(json.dumps({"nudges_on": on, "nudges": [n.as_dict() for n in made]}))
            return 0
        if not made:
            out.print("No suggestions yet: they come when it seems you could use company.")
        for nudge in made:
            when = dt.datetime.fromtimestamp(nudge.at).strftime("%a %d %b")
            out.print(f"[bold]{when}[/] {escape(nudge.text)}")  # names are their words: data
            out.print("  [dim]why: " + escape("; ".join(nudge.why)) + "[/]")
        if not on:
            out.print("[dim]Suggestions are off; `os1 people nudges on` turns them on.[/]")
        return 0

    run(body)


@people_app.command("nudges")
def nudges(
    switch: Switch = typer.Argument(..., help="on or off."),
    user: str = typer.Option(DEFAULT_USER, "--user", "-u", help="Whose companion."),
) -> None:
    """Turn suggestions to get in touch with people on or off (those made are kept).

    Examples:
      os1 people nudges off
      os1 people nudges on
    """

    async def body() -> int:
        async with opened_cheaply() as companion:
            await companion.people.set_nudges(user, on=switch is Switch.on)
        out.print(
            "Suggestions are on: at most one a week, when it seems you could use company."
            if switch is Switch.on
            else "Suggestions are off. `os1 people nudges on` turns them on again."
        )
        return 0

    run(body)


@people_app.command("introduce-me")
def introduce_me(
    switch: Consenting = typer.Argument(
        ..., help="on, off, or fields (then the fields, comma-separated)."
    ),
    listed_fields: str = typer.Argument(None, metavar="[FIELDS]", show_default=False),
    fields: str = typer.Option(
        None, "--fields", help="What others may see, comma-separated: " + ", ".join(FIELDS)
    ),
    about: str = typer.Option(None, "--about", help="A line about you, if shared."),
    looking_for: str = typer.Option(None, "--looking-for", help="What you look for."),
    user: str = typer.Option(DEFAULT_USER, "--user", "-u", help="Whose companion."),
) -> None:
    """Be open to introductions to others on this os1, or not, and choose what they see.

    Only people who opted in too are proposed, each to the other separately, and only
    what you choose to share is shown (name and interests unless you say otherwise).
    Turning it off withdraws every introduction not yet opened.

    Examples:
      os1 people introduce-me on --fields name,interests,looking_for --looking-for "a chess partner"
      os1 people introduce-me fields name,city,interests
      os1 people introduce-me off
    """
    if switch is Consenting.fields and listed_fields is None:
        err.print(f"[red]Which fields?[/] [dim]e.g. os1 people introduce-me fields "
                  f"name,interests (from: {', '.join(FIELDS)})[/]")  # fmt: skip
        raise typer.Exit(2)
    given = listed_fields if switch is Consenting.fields else fields
    chosen = [f for f in given.split(",") if f.strip()] if given is not None else None

    async def body() -> int:
        async with opened_cheaply() as companion:
            on = switch is Consenting.on
            if switch is Consenting.fields:  # the choice of fields, on or off as it was
                on = (await companion.introductions.consent(user)).on
            done = await companion.introductions.set_consent(user, on, chosen, about, looking_for)
        if not done.on and switch is Consenting.fields:
            out.print(
                f"Noted. Once you turn introductions on, others see: {', '.join(done.fields)}."
            )
            return 0
        if not done.on:
            out.print("You are not open to introductions; any not yet opened are withdrawn.")
            return 0
        shown = {k: v for k, v in done.card.as_dict().items() if v}
        if not shown:
            out.print(
                "You are open to introductions, but I know nothing yet of what you chose to "
                "share, so no one can be proposed. Tell me what you like, or say what you "
                'look for: --fields interests,looking_for --looking-for "a chess partner"'
            )
            return 0
        out.print("You are open to introductions. Others who opted in too see only this:")
        for key, value in shown.items():
            listed = ", ".join(value) if isinstance(value, list) else value
            out.print(f"  {key.replace('_', ' ')}: {escape(str(listed))}")
        return 0

    run(body)


@people_app.command("introductions")
def introductions(
    user: str = typer.Option(DEFAULT_USER, "--user", "-u", help="Whose introductions."),
    as_json: bool = typer.Option(False, "--json", help="The introductions as JSON."),
) -> None:
    """Introductions proposed to you, with why, and those you both said yes to.

    Examples:
      os1 people introductions
      os1 people answer 3 yes
    """

    async def body() -> int:
        async with opened_cheaply() as companion:
            found = await companion.introductions.proposals(user)
            consent = await companion.introductions.consent(user)
        if as_json:
            out.print_json(json.dumps([x.as_dict() for x in found]))
            return 0
        if not found:
            out.print(
                "No introductions yet."
                if consent.on
                else "No introductions: `os1 people introduce-me on` opens you to them."
            )
        for intro in found:
            state = f"you said {intro.answer}" if intro.answer else "waiting for your answer"
            if intro.opened:
                state = f"open: os1 people show {intro.id}"
            out.print(f"[bold]#{intro.id}[/] {escape(intro.other.label())} [dim]({state})[/]")
            out.print("  why: " + escape("; ".join(intro.reasons)))
        return 0

    run(body)


@people_app.command("answer")
def answer(
    number: int = typer.Argument(..., min=1, help="The introduction's number."),
    switch: Answer = typer.Argument(..., help="yes or no."),
    user: str = typer.Option(DEFAULT_USER, "--user", "-u", help="Whose introduction."),
) -> None:
    """Say yes or no to an introduction; a no is never shown to the other person.

    Examples:
      os1 people answer 3 yes
      os1 people answer 4 no
    """

    async def body() -> int:
        async with opened_cheaply() as companion:
            done = await companion.introductions.answer(user, number, switch is Answer.yes)
        if done.opened:
            out.print(f"You both said yes. {escape(done.lines[0].text)}")
            out.print(f'[dim]Write with: os1 people write {number} "Hello!"[/]')
        elif done.answer == "yes":
            out.print("Noted. If they say yes too, I will introduce you.")
        else:
            out.print("Noted. They will not be told.")
        return 0

    run(body)


@people_app.command("show")
def show(
    number: int = typer.Argument(..., min=1, help="The introduction's number."),
    user: str = typer.Option(DEFAULT_USER, "--user", "-u", help="Whose introduction."),
) -> None:
    """An introduction and, once you both said yes, what you wrote to each other.

    Examples:
      os1 people show 3
    """

    async def body() -> int:
        async with opened_cheaply() as companion:
            intro = await companion.introductions.show(user, number)
        out.print(f"[bold]#{intro.id}[/] {escape(intro.other.label())}")
        out.print("why: " + escape("; ".join(intro.reasons)))
        who = {"companion": "os1", "me": "you", "them": intro.other.label()}
        for line in intro.lines:
            out.print(f"[bold]{escape(who[line.sender])}:[/] {escape(line.text)}")
        return 0

    run(body)


@people_app.command("write")
def write(
    number: int = typer.Argument(..., min=1, help="The introduction's number."),
    text: str = typer.Argument(..., help="What to write to them."),
    user: str = typer.Option(DEFAULT_USER, "--user", "-u", help="Who writes."),
) -> None:
    """Write to the person of an introduction you both said yes to.

    Examples:
      os1 people write 3 "Fancy a game on Sunday?"
    """

    async def body() -> int:
        async with opened_cheaply() as companion:
            await companion.introductions.write(user, number, text)
        out.print("Sent.")
        return 0

    run(body)
