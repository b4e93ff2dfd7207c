"""The web UI in real headless Chromium against the real server on a loopback socket.

What a person does, click by click: sign in (a wrong password first), watch a reply
stream in and stop one, have something remembered through a proposal card, find that
memory and make the companion forget it, look at the timeline chart, open a one-time
sign-in link, and use it all on a phone-sized screen. The model is the scripted one, so
the words are known; everything else (server, store, socket, browser) is real.

Screenshots go to ``$OS1_ARTIFACTS`` (default ``<repo>/.artifacts/``) for a human to look at.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Locator, Page, ViewportSize, expect, sync_playwright
from serving import LiveServer, Person

from conftest import missing_component
from os1.memory.facts import FactBook, NewFact
from os1.models.scripted import ScriptedLLM

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PASSWORD = "green tea forever"
PHONE: ViewportSize = {"width": 390, "height": 844}


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    chromium = shutil.which("chromium")
    if chromium is None:
        missing_component("Chromium is not installed (apt-get install chromium)")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def artifacts() -> Path:
    default = Path(__file__).resolve().parents[2] / ".artifacts"
    folder = Path(os.environ.get("OS1_ARTIFACTS") or default)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def model(live_server: LiveServer) -> ScriptedLLM:
    llm = live_server.services.companion.llm
    assert isinstance(llm, ScriptedLLM)
    return llm


def signin_code(live_server: LiveServer, person: Person) -> str:
    accounts = live_server.services.accounts
    code: str = live_server.call(  # type: ignore[no-untyped-call]  # the fixture's helper is untyped
        lambda: accounts.start_session(person.account, "signin", 60)
    )
    return code


def policy_violations(page: Page) -> list[str]:
    """What the page's Content-Security-Policy refuses, as Chromium logs it, from now on."""
    found: list[str] = []
    page.on(
        "console",
        lambda message: (
            found.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    return found


def shoot(page: Page, folder: Path, name: str) -> None:
    path = folder / f"{name}.png"
    page.screenshot(path=str(path), full_page=False)
    print(f"screenshot: {path}")


def say(page: Page, text: str) -> None:
    box = page.get_by_label("Message", exact=True)
    box.fill(text)
    box.press("Enter")


def last_reply(page: Page) -> Locator:
    return page.locator(".msg.theirs .text").last


def test_a_person_chats_remembers_forgets_and_sees_the_timeline(
    live_server: LiveServer, browser: Browser, artifacts: Path
) -> None:
    ada = live_server.person("ada", password=PASSWORD)
    llm = model(live_server)
    llm.enqueue({"name": "Samantha", "reason": "It felt warm"})  # the name it picks
    page = browser.new_page(viewport={"width": 1280, "height": 860})
    crashes: list[str] = []
    page.on("pageerror", lambda error: crashes.append(str(error)))
    refused = policy_violations(page)
    page.goto(live_server.url)

    # a wrong password shows the server's own words; the right one opens the chat
    page.get_by_label("Name").fill("ada")
    page.get_by_label("Password").fill("not my password")
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect(page.locator("#signin-error")).to_contain_text("did not match an active account")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect(page.locator("#account-name")).to_have_text("ada")
    # first visit: the companion introduces itself by the name it chose
    expect(last_reply(page)).to_contain_text("I'm Samantha")
    expect(page.locator("#companion-name")).to_have_text("Samantha")
    expect(page.locator("#live-count")).to_have_text("1 conversation live now")

    # Shift+Enter is a new line, not a send
    box = page.get_by_label("Message", exact=True)
    box.type("first line")
    box.press("Shift+Enter")
    box.type("second line")
    assert box.input_value() == "first line\nsecond line"
    box.fill("")

    # the reply streams in word by word: part of it shows while the rest is coming
    llm.delay = 0.15
    reply = "Hello Ada, it is lovely to meet you properly on this quiet evening."
    llm.enqueue(reply)
    say(page, "I'm Ada, and I have had a long day.")
    expect(page.locator(".msg.mine .text").last).to_have_text("I'm Ada, and I have had a long day.")
    page.wait_for_function(
        """() => { const t = [...document.querySelectorAll('.msg.theirs .text')].pop().textContent;
                   return t.startsWith('Hello') && !t.includes('evening'); }"""
    )
    expect(page.get_by_role("button", name="Stop")).to_be_visible()
    expect(last_reply(page)).to_contain_text(reply)
    expect(page.get_by_role("button", name="Send")).to_be_visible()

    # Stop cuts a long reply short; the server keeps it marked as interrupted
    llm.delay = 0.3
    llm.enqueue(" ".join(f"word{i}" for i in range(60)))
    say(page, "Tell me a very long story.")
    expect(last_reply(page)).to_contain_text("word1")
    page.get_by_role("button", name="Stop").click()
    expect(page.locator(".msg.theirs").last.locator(".stopped")).to_be_visible()
    expect(page.get_by_role("button", name="Send")).to_be_visible()
    assert "word59" not in last_reply(page).inner_text()
    history = httpx.get(f"{live_server.url}/api/history", headers=ada.headers).json()
    assert history[-1]["role"] == "assistant" and history[-1]["status"] == "interrupted"
    llm.delay = 0.0

    # /remember proposes; nothing is stored until Confirm
    say(page, "/remember I love green tea")
    card = page.locator(".card.proposal").last
    expect(card).to_be_visible()
    expect(card.locator(".preview")).to_contain_text("green tea")
    card.get_by_role("button", name="Confirm").click()
    expect(card).to_have_attribute("data-status", "done")
    expect(card.locator(".card-status")).to_contain_text("Done")
    expect(card.get_by_role("button", name="Confirm")).to_be_disabled()
    expect(card.get_by_role("button", name="Decline")).to_be_disabled()
    page.locator("#view-chat").wait_for()
    shoot(page, artifacts, "desktop-chat")

    # the memory page finds it, with its kind and time; Forget asks once more, then it is gone
    page.get_by_role("link", name="Memory").click()
    expect(page.get_by_role("heading", name="What I remember")).to_be_visible()
    page.get_by_label("Search memories").fill("green tea")
    page.get_by_label("Search memories").press("Enter")
    fact = page.locator("li.memory").filter(has=page.get_by_text("I love green tea", exact=True))
    expect(fact).to_have_count(1)
    expect(fact.locator(".kind")).to_have_text(re.compile("Fact|Moment"))
    expect(fact.locator("time")).to_have_text("just now")
    ref = fact.get_attribute("data-ref")
    assert ref is not None
    shoot(page, artifacts, "desktop-memory")

    # Edit corrects it in place, and the server keeps the correction
    fact = page.locator(f'li.memory[data-ref="{ref}"]')
    fact.get_by_role("button", name="Edit").click()
    fact.get_by_label("Correct this memory").fill("I love green tea with honey")
    fact.get_by_role("button", name="Save").click()
    expect(fact.locator(".memory-text")).to_have_text("I love green tea with honey")
    stored = httpx.get(f"{live_server.url}/api/memories/{ref}", headers=ada.headers).json()
    assert stored["text"] == "I love green tea with honey"

    # Ask answers from memory and shows what the answer rests on
    llm.enqueue({"answer": "Green tea, with honey.", "sources": [1]})
    page.get_by_label("Search memories").fill("Which tea do I love?")
    page.get_by_role("button", name="Ask").click()
    answer = page.locator("#memory-answer")
    expect(answer.locator(".answer-text")).to_have_text("Green tea, with honey.")
    expect(answer.locator("li.memory")).to_have_count(1)
    expect(answer).to_contain_text("From 1 memory")
    expect(page.locator("#memory-status")).to_contain_text("I read")
    page.get_by_label("Search memories").fill("")
    page.get_by_role("button", name="Ask").click()
    expect(page.locator("#memory-status")).to_contain_text("Type a question first")
    page.get_by_label("Search memories").fill("green tea")
    page.get_by_label("Search memories").press("Enter")
    expect(answer).to_be_hidden()

    fact = page.locator(f'li.memory[data-ref="{ref}"]')
    fact.get_by_role("button", name="Forget").click()
    expect(fact.get_by_text("Forget this for good?")).to_be_visible()
    fact.get_by_role("button", name="Yes, forget it").click()
    expect(page.locator(f'li.memory[data-ref="{ref}"]')).to_have_count(0)
    expect(page.locator("#memory-status")).to_contain_text("Forgotten")
    gone = httpx.get(f"{live_server.url}/api/memories/{ref}", headers=ada.headers)
    assert gone.status_code == 404
    found = httpx.get(
        f"{live_server.url}/api/memories", params={"q": "green tea"}, headers=ada.headers
    ).json()
    assert ref not in [item["ref"] for item in found["items"]]
    export = page.get_by_role("link", name="Export all")
    assert export.get_attribute("href") == "api/memories/export"

    # the timeline is a drawn chart with a written summary, not a table
    page.get_by_role("link", name="Timeline").click()
    chart = page.locator("figure.chart svg.timeline-svg")
    expect(chart).to_be_visible()
    assert page.locator("figure.chart rect.bar").count() >= 1  # today's messages
    expect(page.locator("figure.chart path.closeness-line")).to_have_count(1)
    expect(page.locator("figure.chart path.trust-line")).to_have_count(1)
    expect(page.locator("#relationship")).to_contain_text("Trust")
    expect(page.locator("#relationship")).to_contain_text("Things I know about you")
    expect(page.locator("figure.chart figcaption")).to_contain_text("we talked on 1 day")
    expect(page.locator(".legend")).to_contain_text("Mood")
    # what the day felt like, in the GoEmotions feelings and the words behind them
    expect(page.locator("#timeline-felt")).to_contain_text("What each day felt like")
    expect(page.locator("#timeline-conversations")).to_contain_text("each conversation felt")
    # and how the companion feels itself, honest about what that is
    expect(page.get_by_role("heading", name="How I feel")).to_be_visible()
    expect(page.locator("#own-feelings-note")).to_contain_text("not feelings the way yours are")
    # suggestions to get in touch with people, and the switch that turns them off
    expect(page.locator("#people-nudges-list")).to_contain_text("No suggestions yet")
    switch = page.get_by_label("Suggest getting in touch")
    expect(switch).to_be_checked()
    switch.uncheck()
    expect(page.locator("#people-nudges-status")).to_have_text("Suggestions are off.")
    nudges = httpx.get(f"{live_server.url}/api/people/suggestions", headers=ada.headers)
    assert nudges.json()["nudges_on"] is False
    # introductions: off until she opts in, then the card shows what others see
    expect(page.locator("#introductions-list")).to_contain_text("Turn on introductions")
    page.get_by_label("Open to introductions").check()
    expect(page.locator("#introductions-status")).to_have_text("You are open to introductions.")
    expect(page.locator("#introduce-card")).to_contain_text("Others see:")
    page.get_by_label("your city").check()
    consent = httpx.get(f"{live_server.url}/api/people/introduce-me", headers=ada.headers).json()
    assert consent["on"] is True and "city" in consent["fields"]
    assert chart.get_attribute("aria-labelledby") == "timeline-summary"
    assert page.locator("#view-timeline table").count() == 0
    shoot(page, artifacts, "desktop-timeline")

    page.get_by_role("link", name="Profile").click()
    expect(page.get_by_role("heading", name="Who you are, as I understand it")).to_be_visible()
    expect(page.locator("#profile-status")).not_to_have_text("Loading…")

    # signing out ends the session for real: a reload stays signed out
    page.get_by_role("button", name="Sign out").click()
    expect(page.locator("#signin-error")).to_have_text("You have signed out.")
    page.reload()
    expect(page.get_by_label("Password")).to_be_visible()
    assert crashes == []  # no uncaught script error along the way
    assert refused == []  # and nothing the page does runs into its own policy
    page.close()


def test_signin_link_and_a_phone_sized_screen(
    live_server: LiveServer, browser: Browser, artifacts: Path
) -> None:
    ada = live_server.person("ada")
    model(live_server).enqueue({"name": "Juniper", "reason": "It sounds like a walk outside"})
    code = signin_code(live_server, ada)
    context = browser.new_context(
        viewport=PHONE, device_scale_factor=2, is_mobile=True, color_scheme="dark"
    )
    page = context.new_page()
    crashes: list[str] = []
    page.on("pageerror", lambda error: crashes.append(str(error)))
    page.goto(f"{live_server.url}/#signin={code}")
    expect(page.locator("#shell")).to_be_visible()
    expect(page.get_by_label("Message", exact=True)).to_be_visible()
    assert "signin" not in page.url  # the code is scrubbed from the address bar
    expect(last_reply(page)).to_contain_text("I'm Juniper")  # the greeting

    model(live_server).enqueue("Good to see you on the small screen.")
    say(page, "hello from my phone")
    expect(last_reply(page)).to_contain_text("Good to see you on the small screen.")

    # every page fits the width; the nav sits at the bottom as a bar
    nav = page.get_by_role("navigation", name="Sections").bounding_box()
    assert nav is not None and nav["y"] + nav["height"] >= PHONE["height"] - 2
    assert nav["width"] >= PHONE["width"] - 2
    for name in ("Chat", "Memory", "Profile", "Timeline"):
        page.get_by_role("link", name=name).click()
        expect(page.get_by_role("link", name=name)).to_have_attribute("aria-current", "page")
        if name == "Timeline":
            expect(page.locator("figure.chart svg")).to_be_visible()
        wide = page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        assert wide, f"the {name} page scrolls sideways on a phone"
        if name in ("Chat", "Timeline"):
            shoot(page, artifacts, f"phone-{name.lower()}")
    background = page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert background == "rgb(23, 19, 18)", "dark mode follows the system setting"
    assert crashes == []
    context.close()

    # a sign-in link works once: opened again it explains itself on the sign-in form
    again = browser.new_context()
    page = again.new_page()
    page.goto(f"{live_server.url}/#signin={code}")
    expect(page.locator("#signin-error")).to_contain_text("That sign-in link did not work")
    assert "signin=" not in page.url
    again.close()


def test_api_key_sign_in_and_keyboard_use(live_server: LiveServer, browser: Browser) -> None:
    bob = live_server.person("bob")
    page = browser.new_page()
    page.goto(live_server.url)
    page.get_by_text("Sign in with an API key instead").click()
    page.get_by_label("API key").fill("os1_not-a-real-key")
    page.get_by_label("API key").press("Enter")
    expect(page.locator("#signin-error")).to_contain_text("did not match")
    page.get_by_label("API key").fill(bob.key)
    page.get_by_role("button", name="Sign in with key").click()
    expect(page.locator("#account-name")).to_have_text("bob")

    # the pages are reachable by keyboard alone, and focus lands on the page heading
    page.locator(".tabs a[data-view=chat]").focus()
    page.keyboard.press("Tab")
    expect(page.locator(".tabs a[data-view=memory]")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="What I remember")).to_be_focused()
    expect(page.locator("#memory-status")).to_contain_text("Nothing remembered yet")
    assert re.search(r"#/memory$", page.url)
    page.close()


def test_chat_comes_back_after_the_server_restarts(
    live_server: LiveServer, browser: Browser
) -> None:
    cy = live_server.person("cy")
    page = browser.new_page()
    page.goto(f"{live_server.url}/#signin={signin_code(live_server, cy)}")
    expect(page.locator("#account-name")).to_have_text("cy")
    expect(last_reply(page)).to_contain_text("I'm")  # the greeting: the socket is up

    live_server.stop()
    expect(page.locator("#connection")).to_contain_text("Connection lost")
    expect(page.get_by_role("button", name="Reconnect now")).to_be_visible()
    again = LiveServer(live_server.settings).start()  # same port, same store
    try:
        expect(page.locator("#connection")).to_be_empty(timeout=15000)
        model(again).enqueue("Still here.")
        say(page, "are you back?")
        expect(last_reply(page)).to_contain_text("Still here.")
    finally:
        again.stop()
    page.close()


def test_an_introduction_is_accepted_and_written_in_on_the_timeline(
    live_server: LiveServer, browser: Browser, artifacts: Path
) -> None:
    ada, bo = live_server.person("ada"), live_server.person("bo")
    companion = live_server.services.companion

    async def birders() -> None:
        for name in ("ada", "bo"):
            await companion.skip_onboarding(name)
            store = await companion.core.store(name)
            await FactBook(store).add(
                [NewFact("preference", "user", "likes", "birding", f"{name} likes birding.")]
            )
            await companion.introductions.set_consent(name, True)

    live_server.call(birders)  # type: ignore[no-untyped-call]
    page = browser.new_page(viewport={"width": 1280, "height": 860})
    crashes: list[str] = []
    page.on("pageerror", lambda error: crashes.append(str(error)))
    page.goto(f"{live_server.url}/#signin={signin_code(live_server, ada)}")
    page.get_by_role("link", name="Timeline").click()
    proposal = page.locator("#introductions-list li[data-introduction]")
    expect(proposal).to_contain_text("bo — you both like birding")
    proposal.get_by_role("button", name="Accept").click()
    expect(proposal).to_contain_text("you said yes; waiting")
    (theirs,) = httpx.get(f"{live_server.url}/api/people/introductions", headers=bo.headers).json()[
        "introductions"
    ]
    url = f"{live_server.url}/api/people/introductions/{theirs['id']}"
    httpx.post(f"{url}/answer", json={"yes": True}, headers=bo.headers).raise_for_status()
    page.reload()
    page.get_by_role("link", name="Timeline").click()
    expect(proposal).to_contain_text("bo said yes too, so let me introduce you")
    page.get_by_label("Write to bo").fill("Dawn walk on Saturday?")
    page.get_by_role("button", name="Send to them").click()
    expect(proposal).to_contain_text("You: Dawn walk on Saturday?")
    thread = httpx.get(url, headers=bo.headers).json()["lines"]
    assert thread[-1]["sender"] == "them" and thread[-1]["text"] == "Dawn walk on Saturday?"
    shoot(page, artifacts, "desktop-introduction")
    assert crashes == []
    page.close()
