"""The Letters page in real headless Chromium against the real server: ask for a letter,
be asked who a stranger is, read the draft with the memory it draws on and the line no
memory backs, see it on paper in one hand and then another, revise it, go back to the
first version, download the PDF and mail it through a real SMTP server once the exact
mail has been shown and confirmed. The model is the scripted one, so the words are
known; server, store, rendering, mail server and browser are real."""

from __future__ import annotations

import re
import time
from email import message_from_bytes
from email.policy import default
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect
from serving import LiveServer
from test_browser import artifacts, browser, model, policy_violations, shoot, signin_code

from os1.memory.episodes import NewEpisode
from os1.skills.mail.account import MailAccount, Server, save_account
from skills.mail.mail_servers import SmtpServer, smtp_fixture

pytestmark = [pytest.mark.browser, pytest.mark.slow]
__all__ = ["artifacts", "browser", "smtp_fixture"]  # fixtures shared with other tests

FIRST = (
    "Dear Aunt Mira,\n\nThank you for teaching me to bake rye bread in your tiny kitchen."
    " Remember when we went sailing on the lake at dawn?\n\nWith love,\nAda"
)
WARMER = "Dearest Aunt Mira,\n\nYour rye bread lessons still warm my kitchen.\n\nAll my love,\nAda"


def _remember(live_server: LiveServer, name: str, text: str) -> None:
    memory = live_server.services.companion.memory
    assert memory is not None

    async def record() -> None:
        store = await live_server.services.companion.db.user(name)
        await memory.record(store, [NewEpisode("user", text, time.time())])

    live_server.call(record)  # type: ignore[no-untyped-call]  # the fixture's helper is untyped


def test_a_letter_is_asked_for_read_revised_seen_by_hand_downloaded_and_mailed(
    live_server: LiveServer, browser: Browser, artifacts: Path, smtp: SmtpServer
) -> None:
    ada = live_server.person("ada")
    _remember(live_server, "ada", "Aunt Mira taught me to bake rye bread in her tiny kitchen.")
    page = browser.new_page(viewport={"width": 1200, "height": 900})
    crashes: list[str] = []
    page.on("pageerror", lambda error: crashes.append(str(error)))
    refused = policy_violations(page)
    page.goto(f"{live_server.url}/#signin={signin_code(live_server, ada)}")
    expect(page.locator("#account-name")).to_have_text("ada")
    expect(page.locator(".msg.theirs").first).to_be_visible()  # the greeting has used the model

    page.get_by_role("link", name="Letters").click()
    expect(page.get_by_role("heading", name="Letters by hand")).to_be_visible()
    expect(page.locator("#letters-status")).to_contain_text("No letters yet")

    # nothing said: the form says what is missing, and no request is made
    page.get_by_role("button", name="Write it").click()
    expect(page.locator("#letter-error")).to_contain_text("Say who the letter is for")
    # someone no memory mentions: os1 asks who they are instead of guessing
    page.get_by_label("To", exact=True).fill("Zebedee")
    page.get_by_label("What it should carry").fill("say hello")
    page.get_by_role("button", name="Write it").click()
    expect(page.locator("#letter-error")).to_contain_text("I don't know who Zebedee is yet")
    expect(page.get_by_label("Who they are to you")).to_be_focused()

    # a letter to someone known: a bar while the model writes, then the draft and its evidence
    llm = model(live_server)
    llm.delay = 0.05
    llm.enqueue(FIRST)
    page.get_by_label("To", exact=True).fill("Aunt Mira")
    page.get_by_label("What it should carry").fill("thank her for the bread lessons")
    page.get_by_role("button", name="Write it").click()
    expect(page.locator("#letter-busy progress")).to_be_visible()
    opened = page.locator("#letter-open")
    expect(opened.locator(".letter-text")).to_contain_text("rye bread in your tiny kitchen")
    llm.delay = 0.0
    expect(page.locator("#letter-busy")).to_be_hidden()
    expect(opened.locator(".letter-cited")).to_contain_text("Aunt Mira taught me to bake rye")
    expect(opened.locator(".letter-flags")).to_contain_text("sailing on the lake")
    expect(page.get_by_label("To", exact=True)).to_have_value("")  # the form is ready again
    expect(page.locator("#letter-list li")).to_have_count(1)

    # on paper: a real page picture in the default hand, then in another
    first_page = page.locator("img.letter-page").first
    expect(page.locator("#letter-paper-status")).to_contain_text("1 page in Caveat")
    page.wait_for_function("() => document.querySelector('img.letter-page')?.naturalWidth > 1000")
    page.get_by_label("Hand", exact=True).select_option("kalam")
    expect(page.locator("#letter-paper-status")).to_contain_text("in Kalam")
    expect(first_page).to_have_attribute("src", re.compile("hand=kalam"))
    page.wait_for_function(
        """() => { const img = document.querySelector('img.letter-page');
                   return img.src.includes('hand=kalam') && img.complete
                          && img.naturalWidth > 0; }"""
    )
    page.evaluate("document.querySelector('img.letter-page').scrollIntoView({block: 'start'})")
    shoot(page, artifacts, "desktop-letters")

    # the PDF downloads as a real PDF in the chosen hand
    with page.expect_download() as waiting:
        page.get_by_role("link", name="Download PDF").click()
    download = waiting.value
    assert download.suggested_filename == f"letter-{letter_id(page)}-v1.pdf"
    assert Path(download.path()).read_bytes().startswith(b"%PDF")

    # revising in plain words makes version 2 and keeps version 1
    llm.enqueue(WARMER)
    opened.get_by_role("button", name="warmer").click()
    expect(opened.locator(".letter-text")).to_contain_text("still warm my kitchen")
    expect(page.get_by_label("Version", exact=True)).to_have_value("2")
    expect(opened).to_contain_text("Changed: “warmer”")
    expect(page.locator("#letter-list li").first).to_contain_text("2 versions")
    page.get_by_label("Version", exact=True).select_option("1")
    expect(opened.locator(".letter-text")).to_contain_text("rye bread in your tiny kitchen")
    expect(page.locator("#letter-paper-status")).to_contain_text("in Kalam")  # the hand stays

    # a revision with no words says what to write
    opened.get_by_role("button", name="Revise").click()
    expect(opened.locator(".letter-revise .form-error")).to_contain_text("Say how to change it")

    # mailing it: the exact mail is shown with the PDF attached; only "Send it" sends it
    _connect_mail(live_server, "ada", smtp.port)
    opened.get_by_text("Send it by mail").click()
    opened.get_by_label("Send to").fill("rose@example.org")
    opened.get_by_role("button", name="Show me the mail").click()
    shown = opened.locator(".letter-mail-proposal")
    expect(shown.locator(".preview")).to_contain_text("To: rose@example.org")
    expect(shown.locator(".preview")).to_contain_text("Attached: letter-")
    expect(shown.locator(".preview")).to_contain_text("in kalam")
    assert smtp.messages == []
    shown.get_by_role("button", name="Send it").click()
    expect(shown.locator(".card-status")).to_contain_text("Sent to rose@example.org")
    [received] = smtp.messages
    sent = message_from_bytes(received.content, policy=default)
    [pdf] = list(sent.iter_attachments())
    assert pdf.get_content_type() == "application/pdf"
    assert pdf.get_content().startswith(b"%PDF")
    assert crashes == []
    assert refused == []
    page.close()


def _connect_mail(live_server: LiveServer, name: str, port: int) -> None:
    account = MailAccount(
        address=f"{name}@example.org", name=name.title(), smtp=Server("127.0.0.1", port, "plain")
    )

    async def connect() -> None:
        await save_account(await live_server.services.companion.db.user(name), account)

    live_server.call(connect)  # type: ignore[no-untyped-call]  # the fixture's helper is untyped


def letter_id(page: Page) -> str:
    found = page.locator("#letter-list li").first.get_attribute("data-letter")
    assert found
    return found


def test_ones_own_handwriting_is_learned_from_a_large_photo_and_chosen_for_a_letter(
    live_server: LiveServer, browser: Browser, artifacts: Path, tmp_path: Path
) -> None:
    from skills.letters.filled_sheet import as_bytes, filled_sheet, photographed

    ada = live_server.person("ada")
    page = browser.new_page()
    crashes: list[str] = []
    page.on("pageerror", lambda error: crashes.append(str(error)))
    page.goto(f"{live_server.url}/#signin={signin_code(live_server, ada)}")
    expect(page.locator("#account-name")).to_have_text("ada")
    page.get_by_role("link", name="Letters").click()
    page.get_by_text("Your own handwriting").click()

    with page.expect_download() as waiting:
        page.get_by_role("link", name="the sheet").click()
    assert Path(waiting.value.path()).read_bytes().startswith(b"%PDF")

    # a phone-sized photo, larger than the server takes in one request: the page shrinks it
    photo = tmp_path / "sheet.png"
    photo.write_bytes(as_bytes(photographed(filled_sheet(dpi=260), turn=3.0, grain=True), "PNG"))
    assert photo.stat().st_size > 1_000_000
    page.get_by_role("button", name="Learn my hand").click()
    expect(page.locator("#hand-status")).to_contain_text("Choose the scan")
    page.get_by_label("Scan or photo of the sheet").set_input_files(str(photo))
    page.get_by_role("button", name="Learn my hand").click()
    expect(page.locator("#hand-status")).to_contain_text("Learned your hand “mine”", timeout=30_000)
    expect(page.locator("#hand-status")).to_contain_text("tilted")
    expect(page.locator("#hand-list li")).to_have_count(1)

    # a picture that is not the sheet is said plainly
    other = tmp_path / "cat.png"
    other.write_bytes(as_bytes(photographed(filled_sheet().crop((0, 0, 600, 600))), "PNG"))
    page.get_by_label("Scan or photo of the sheet").set_input_files(str(other))
    page.get_by_role("button", name="Learn my hand").click()
    expect(page.locator("#hand-status")).to_contain_text("corner squares")

    model(live_server).enqueue("Dear Theo,\n\nThank you for the long walks by the river.\n\nAda")
    page.get_by_label("To", exact=True).fill("Theo")
    page.get_by_label("Who they are to you").fill("my friend")
    page.get_by_label("What it should carry").fill("thank him for the walks")
    page.get_by_role("button", name="Write it").click()
    expect(page.locator("#letter-open .letter-text")).to_contain_text("long walks")
    page.get_by_label("Hand", exact=True).select_option("mine")
    expect(page.locator("#letter-paper-status")).to_contain_text("in Mine")
    page.wait_for_function(
        """() => { const img = document.querySelector('img.letter-page');
                   return img.src.includes('hand=mine') && img.complete
                          && img.naturalWidth > 1000; }"""
    )
    page.evaluate("document.querySelector('img.letter-page').scrollIntoView({block: 'start'})")
    shoot(page, artifacts, "desktop-letters-own-hand")

    page.locator("#hand-list").get_by_role("button", name="Remove").click()
    expect(page.locator("#hand-status")).to_contain_text("is gone")
    expect(page.locator("#hand-list li")).to_have_count(0)
    expect(page.get_by_label("Hand", exact=True)).to_have_value("caveat")
    assert crashes == []
    page.close()
