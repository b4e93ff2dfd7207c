"""The Library page in real headless Chromium against the real server: bring a book from
the file picker, find a passage by its words, read it in its place with the passage
marked, ask about it (the scripted model answers; the quote is the book's own words),
and take the book out again."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect
from serving import LiveServer
from test_browser import artifacts, browser, model, policy_violations, shoot, signin_code

pytestmark = [pytest.mark.browser, pytest.mark.slow]
__all__ = ["artifacts", "browser"]

BOOK = (
    """Title: The Lighthouse
Author: A. Keeper

*** START OF THE PROJECT GUTENBERG EBOOK THE LIGHTHOUSE ***

CHAPTER I. The Lamp.

"""
    + "The island was small and the winters were long. " * 60
    + """

Every night the keeper climbed the hundred steps and lit the great lamp, so that the
ships would pass the rocks safely.
"""
)


def test_a_book_is_added_searched_read_in_place_asked_and_removed(
    live_server: LiveServer, browser: Browser, artifacts: Path, tmp_path: Path
) -> None:
    ada = live_server.person("ada")
    page = browser.new_page(viewport={"width": 1200, "height": 900})
    crashes: list[str] = []
    page.on("pageerror", lambda error: crashes.append(str(error)))
    refused = policy_violations(page)
    page.goto(f"{live_server.url}/#signin={signin_code(live_server, ada)}")
    expect(page.locator("#account-name")).to_have_text("ada")

    page.get_by_role("link", name="Library").click()
    expect(page.get_by_role("heading", name="Your library")).to_be_visible()
    expect(page.locator("#library-status")).to_contain_text("Your library is empty")
    book = tmp_path / "lighthouse.txt"
    book.write_text(BOOK)
    (tmp_path / "blank.txt").write_text("")
    page.get_by_label("Books to add").set_input_files([book, tmp_path / "blank.txt"])
    page.get_by_role("button", name="Add to my library").click()
    expect(page.locator("#library-add-status")).to_contain_text("Added The Lighthouse")
    expect(page.locator("#library-add-status")).to_contain_text("blank.txt is empty")
    expect(page.locator("#library-books")).to_contain_text("The Lighthouse by A. Keeper")

    page.get_by_label("Search or ask").fill("hundred steps")
    page.get_by_role("button", name="Search").click()
    hit = page.locator("#library-hits li").first
    expect(hit).to_contain_text("CHAPTER I. The Lamp.")
    expect(hit.locator("blockquote")).to_contain_text("climbed the hundred steps")
    hit.get_by_role("button", name="Read in its place").click()
    marked = page.locator("#library-reader-text mark")
    expect(marked).to_contain_text("climbed the hundred steps")
    expect(page.locator("#library-reader-text")).to_contain_text("the winters were long")
    shoot(page, artifacts, "library-reader")

    model(live_server).enqueue({"answer": "To keep the ships off the rocks.", "sources": [1]})
    page.get_by_label("Search or ask").fill("Why did the keeper climb the steps?")
    page.get_by_role("button", name="Ask").click()
    answer = page.locator("#library-answer")
    expect(answer).to_contain_text("To keep the ships off the rocks.")
    expect(answer.locator("blockquote")).to_contain_text("the keeper climbed the hundred steps")
    expect(answer).to_contain_text("The Lighthouse, CHAPTER I. The Lamp.")

    page.locator("#library-books").get_by_role("button", name="Remove").click()
    expect(page.locator("#library-status")).to_contain_text("Your library is empty")
    assert not crashes and not refused, (crashes, refused)
