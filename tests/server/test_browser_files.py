"""A person who is not the server's owner brings a file through the web UI, in real
headless Chromium: the paperclip uploads it into their own folder, the message box names
it, and proofreading it goes from proposal to a corrected file, while the owner's files
stay out of reach. The model is the scripted one; server, store, socket and browser are
real."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect
from serving import LiveServer
from test_browser import browser, policy_violations, say, signin_code

pytestmark = [pytest.mark.browser, pytest.mark.slow]
__all__ = ["browser"]  # the Chromium fixture, shared with test_browser


def test_a_person_brings_a_letter_and_has_it_proofread(
    live_server: LiveServer, browser: Browser, tmp_path: Path
) -> None:
    ada = live_server.person("ada")
    letter = tmp_path / "letter to the bank.txt"
    letter.write_text("I recieve your letter and was happy to to read it.\n")
    page = browser.new_page(viewport={"width": 1100, "height": 800})
    refused = policy_violations(page)
    page.goto(f"{live_server.url}/#signin={signin_code(live_server, ada)}")
    expect(page.locator("#account-name")).to_have_text("ada")

    with page.expect_file_chooser() as chooser:
        page.get_by_role("button", name="File").click()
    chooser.value.set_files(str(letter))
    expect(page.locator("#attach-status")).to_contain_text("is here as ~/letter to the bank.txt")
    box = page.get_by_label("Message", exact=True)
    expect(box).to_have_value("~/letter to the bank.txt")

    say(page, "/proofread ~/letter to the bank.txt")
    card = page.locator(".card.proposal").last
    expect(card).to_contain_text("recieve")
    card.get_by_role("button", name="Confirm").click()
    expect(card).to_contain_text("Corrected")
    folder = live_server.settings.home / "files" / str(ada.account.id)
    assert (folder / letter.name).read_text().startswith("I receive your letter")

    say(page, "/proofread /etc/hostname")  # a server file: not hers
    expect(page.locator(".msg.theirs .text").last).to_contain_text("not among your files")
    assert not refused, refused
