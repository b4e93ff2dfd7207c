"""The Personas page in real headless Chromium against the real server: build a persona
from writing brought with the file picker, see its sources and how it introduces itself,
talk with it (the scripted model answers; the passage shown is the writer's own words),
let the person's companion talk with it, be refused without consent for a private
person, and forget it."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect
from serving import LiveServer
from test_browser import artifacts, browser, model, policy_violations, shoot, signin_code

pytestmark = [pytest.mark.browser, pytest.mark.slow]
__all__ = ["artifacts", "browser"]

ESSAY = """Title: Notes on Walking
Author: Ada Brook

I think that a walk in the rain is the best cure for a crowded mind, and I believe the
river teaches patience better than any book. We must learn to wander without a purpose.
"""


def test_a_persona_is_built_talked_with_and_forgotten(
    live_server: LiveServer, browser: Browser, artifacts: Path, tmp_path: Path
) -> None:
    ada = live_server.person("ada")
    page = browser.new_page(viewport={"width": 1200, "height": 900})
    crashes: list[str] = []
    page.on("pageerror", lambda error: crashes.append(str(error)))
    refused = policy_violations(page)
    page.goto(f"{live_server.url}/#signin={signin_code(live_server, ada)}")
    expect(page.locator("#account-name")).to_have_text("ada")

    page.get_by_role("link", name="Personas").click()
    expect(page.get_by_role("heading", name="People from their words")).to_be_visible()
    expect(page.locator("#persona-status")).to_contain_text("No personas yet")
    essay = tmp_path / "walking.txt"
    essay.write_text(ESSAY)

    page.get_by_label("Called").fill("lena")
    page.get_by_label("Whose writing").select_option("person")
    page.get_by_label("Their writing").set_input_files([essay])
    page.get_by_role("button", name="Build").click()
    expect(page.locator("#persona-build-status")).to_contain_text("needs their consent")

    page.get_by_label("Called").fill("brook")
    page.get_by_label("Whose writing").select_option("author")
    page.get_by_role("button", name="Build").click()
    expect(page.locator("#persona-build-status")).to_contain_text("Built brook", timeout=30_000)
    card = page.locator("#persona-card")
    expect(card).to_contain_text("reconstruction of Ada Brook")
    expect(card).to_contain_text("From Notes on Walking")
    expect(page.locator("#persona-pick")).to_have_value("brook")

    model(live_server).enqueue("The river is patient, and so must we be [1].")
    page.get_by_label("Say").fill("What does the river teach?")
    page.get_by_role("button", name="Send").click()
    reply = page.locator("#persona-log li.persona-persona").last
    expect(reply).to_contain_text("The river is patient")
    expect(reply.locator("blockquote").first).to_contain_text("river teaches patience")
    expect(reply).to_contain_text("[1] Notes on Walking")
    shoot(page, artifacts, "persona-talk")

    # let the person's companion and the persona talk: two lines, the persona's cited
    expect(page.get_by_label("Second voice")).to_have_value("persona:brook")
    page.get_by_label("Topic").fill("rivers")
    page.get_by_label("Lines").fill("2")
    model(live_server).enqueue("Hello Ada Brook! What does a river teach?", "Patience [1].")
    page.get_by_role("button", name="Let them begin").click()
    talk = page.locator("#talk-log li")
    expect(talk).to_have_count(2, timeout=30_000)
    expect(talk.first).to_contain_text("Hello Ada Brook!")
    expect(talk.last.locator("blockquote").first).to_contain_text("river teaches patience")
    expect(page.locator("#talk-list li")).to_contain_text(["on rivers"])
    page.get_by_label("First voice").select_option("persona:brook")
    page.get_by_role("button", name="Let them begin").click()
    expect(page.locator("#talk-error")).to_contain_text("two different voices")
    shoot(page, artifacts, "persona-two-talk")

    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Forget this persona").click()
    expect(page.locator("#persona-status")).to_contain_text("No personas yet")
    assert not crashes and not refused, (crashes, refused)
