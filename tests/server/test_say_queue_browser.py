"""Nothing a person types in the web chat is lost, in real headless Chromium against the
real server: typing during the greeting, twice in quick succession, and while a
confirmed action runs; every message is stored and answered in the order it was typed.
And a message the server did not accept is never shown as sent: it says why and offers
to send it again.

The scripted model answers "(scripted reply to: …)" unless a test queues words, and its
``delay`` per word is what keeps the companion busy while the person types.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect
from pydantic import BaseModel
from serving import ROOMY, LiveServer, Person, settings_for
from test_browser import browser, last_reply, model, say, signin_code

from os1.server.ws import MAX_WAITING
from os1.skills.base import Outcome, Plan, ToolContext, args_from_text

__all__ = ["browser"]
pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    opened = browser.new_page(viewport={"width": 1100, "height": 900})
    crashes: list[str] = []
    opened.on("pageerror", lambda error: crashes.append(str(error)))
    yield opened
    opened.close()
    assert not crashes, crashes


def _open_chat(live_server: LiveServer, page: Page, person: Person) -> None:
    page.goto(f"{live_server.url}/#signin={signin_code(live_server, person)}")
    expect(page.get_by_label("Message", exact=True)).to_be_visible()


def _history(live_server: LiveServer, person: Person) -> list[tuple[str, str]]:
    found = httpx.get(f"{live_server.url}/api/history?limit=200", headers=person.headers).json()
    return [(item["role"], item["text"]) for item in found]


def _said_and_answered(history: list[tuple[str, str]], said: list[str]) -> None:
    """Each of ``said`` is stored in this order, each followed by an answer of its own."""
    mine = [i for i, (role, _) in enumerate(history) if role == "user"]
    assert [history[i][1] for i in mine] == said
    for i in mine:
        assert i + 1 < len(history) and history[i + 1][0] == "assistant", history


def _wait_for_answers(page: Page, count: int) -> None:
    """Until ``count`` of the person's bubbles have had their turn and nothing is under way."""
    page.wait_for_function(
        """(count) => document.querySelectorAll('.msg.mine[data-state="started"]').length >= count
                      && document.querySelector('#stop').hidden""",
        arg=count,
        timeout=60_000,
    )


def test_words_typed_during_the_greeting_are_kept_and_answered(
    live_server: LiveServer, page: Page
) -> None:
    ada = live_server.person("ada")
    llm = model(live_server)
    llm.delay = 0.4  # choosing its name takes the companion a few seconds
    llm.enqueue({"name": "Samantha", "reason": "It felt warm"})
    _open_chat(live_server, page, ada)
    deadline = time.monotonic() + 30
    while not llm.requests:  # the greeting has begun: it is choosing its name
        assert time.monotonic() < deadline, "the page never asked for a greeting"
        time.sleep(0.02)
    say(page, "Hi! I'm Ada.")  # at once, while it is still introducing itself
    mine = page.locator(".msg.mine").last
    expect(mine).not_to_have_attribute("data-state", "sending")  # the server took it
    llm.delay = 0.0
    _wait_for_answers(page, 1)
    expect(page.locator(".msg.theirs").first).to_contain_text("I'm Samantha")
    history = _history(live_server, ada)
    assert history[0][0] == "assistant" and "Samantha" in history[0][1]  # the greeting first
    _said_and_answered(history, ["Hi! I'm Ada."])


def test_two_messages_typed_quickly_are_both_answered_in_order(
    live_server: LiveServer, page: Page
) -> None:
    ada = live_server.person("ada")
    llm = model(live_server)
    llm.enqueue({"name": "Juniper", "reason": "A walk outside"})
    _open_chat(live_server, page, ada)
    expect(last_reply(page)).to_contain_text("I'm Juniper")
    llm.delay = 0.15
    llm.enqueue("First answer, slowly given word by word.", "Second answer.")
    say(page, "Where shall we start?")
    say(page, "And what about tomorrow?")
    _wait_for_answers(page, 2)
    expect(last_reply(page)).to_contain_text("Second answer.")  # and its onboarding question
    _said_and_answered(
        _history(live_server, ada)[1:], ["Where shall we start?", "And what about tomorrow?"]
    )


class _SlowArgs(BaseModel):
    what: str = ""


class _SlowChore:
    """A tool whose run takes a few seconds, like a large declutter."""

    name = "slow_chore"
    summary = "do a chore that takes a while"
    touches = "nothing"
    Args = _SlowArgs
    examples: ClassVar[tuple[str, ...]] = ("the dishes",)
    ran: ClassVar[list[str]] = []

    def from_command(self, text: str) -> BaseModel:
        return args_from_text(self, text)

    async def plan(self, ctx: ToolContext, args: _SlowArgs) -> Plan:
        return Plan(f"Do {args.what}", f"I will do {args.what}.", args.model_dump())

    async def run(self, ctx: ToolContext, args: dict[str, Any]) -> Outcome:
        await asyncio.sleep(3.0)
        self.ran.append(str(args["what"]))
        return Outcome(f"Did {args['what']}.")

    async def undo(self, ctx: ToolContext, undo: dict[str, Any]) -> str:
        return "Nothing to undo."


def test_words_typed_while_a_confirmed_action_runs_are_answered_after_it(
    live_server: LiveServer, page: Page
) -> None:
    ada = live_server.person("ada")
    companion = live_server.services.companion
    companion.skills.register(_SlowChore())
    llm = model(live_server)
    llm.enqueue({"name": "Samantha", "reason": "It felt warm"})
    _open_chat(live_server, page, ada)
    expect(last_reply(page)).to_contain_text("I'm Samantha")
    say(page, "/slow_chore the dishes")
    card = page.locator(".card.proposal").last
    card.get_by_role("button", name="Confirm").click()
    say(page, "Thank you! How was your day?")  # while the chore runs
    expect(card).to_have_attribute("data-status", "done", timeout=30_000)
    _wait_for_answers(page, 2)
    assert _SlowChore.ran == ["the dishes"]
    history = _history(live_server, ada)
    _said_and_answered(history[1:], ["/slow_chore the dishes", "Thank you! How was your day?"])


@pytest.fixture
def roomy_server(tmp_path: Path) -> Iterator[LiveServer]:
    """A server whose turn rate lets one person send a line's worth of messages at once
    (by default a burst that large is refused as too many turns, with its own error)."""
    server = LiveServer(settings_for(tmp_path, **ROOMY)).start()
    yield server
    server.stop()


def test_a_message_the_server_refused_is_never_shown_as_sent(
    roomy_server: LiveServer, page: Page
) -> None:
    live_server = roomy_server
    ada = live_server.person("ada")
    llm = model(live_server)
    llm.enqueue({"name": "Samantha", "reason": "It felt warm"})
    _open_chat(live_server, page, ada)
    expect(last_reply(page)).to_contain_text("I'm Samantha")
    llm.delay = 0.2
    llm.enqueue(" ".join(f"word{i}" for i in range(150)))
    say(page, "Tell me a long story.")
    expect(last_reply(page)).to_contain_text("word1")
    for n in range(MAX_WAITING + 1):  # the line holds MAX_WAITING; one more is refused
        say(page, f"and then {n}?")
    refused = page.locator('.msg.mine[data-state="refused"]')
    expect(refused).to_have_count(1)
    expect(refused.locator(".text")).to_have_text(f"and then {MAX_WAITING}?")
    expect(refused.locator(".say-state")).to_contain_text("not sent")
    expect(page.locator('.msg.mine[data-state="sending"]')).to_have_count(0)
    page.get_by_role("button", name="Stop").click()
    llm.delay = 0.0
    _wait_for_answers(page, MAX_WAITING + 1)
    # sent again once the line is short, it goes through like any other
    refused.get_by_role("button", name="Send again").click()
    _wait_for_answers(page, MAX_WAITING + 2)
    said = [text for role, text in _history(live_server, ada) if role == "user"]
    assert said == ["Tell me a long story.", *[f"and then {n}?" for n in range(MAX_WAITING + 1)]]


def test_what_is_said_in_one_window_shows_in_the_other(
    live_server: LiveServer, browser: Browser, page: Page
) -> None:
    ada = live_server.person("ada")
    llm = model(live_server)
    llm.enqueue({"name": "Samantha", "reason": "It felt warm"})
    _open_chat(live_server, page, ada)
    expect(last_reply(page)).not_to_be_empty()  # the greeting, before the second opens
    other = browser.new_page(viewport={"width": 900, "height": 800})
    try:
        _open_chat(live_server, other, ada)
        expect(last_reply(other)).not_to_be_empty()
        llm.enqueue("Lisbon is lovely in spring.")
        say(page, "I am moving to Lisbon")
        expect(last_reply(page)).to_contain_text("Lisbon is lovely in spring.")
        mine = other.locator(".msg.mine.elsewhere")
        expect(mine.locator(".text")).to_have_text("I am moving to Lisbon")
        expect(mine.locator(".meta")).to_contain_text("in another window or app")
        expect(last_reply(other)).to_contain_text("Lisbon is lovely in spring.")
        expect(page.locator(".msg.elsewhere")).to_have_count(0)  # its own window has it once
        assert last_reply(other).inner_text() == last_reply(page).inner_text()
    finally:
        other.close()
