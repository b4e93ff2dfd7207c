"""The Music page in real headless Chromium against the real server: tell a moment,
watch the bar while it composes, then see the piece with its why, play it in the
browser's own player (the Ogg decodes and plays), open the score, and forget it. The
model is the scripted one, so its choices are known; server, store, composing,
FluidSynth, LilyPond and browser are real."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect
from serving import LiveServer
from test_browser import artifacts, browser, model, policy_violations, shoot, signin_code

from os1.memory.episodes import NewEpisode

pytestmark = [pytest.mark.browser, pytest.mark.slow]
__all__ = ["artifacts", "browser"]

CHOICE = {
    "mood": "grey and tender",
    "mode": "minor",
    "key_and_tempo_reason": "The sea was grey and cold that morning",
    "tempo": 66,
    "meter": "6/8",
    "form": "ABA",
    "register": "low",
    "density": "moderate",
    "articulation": "legato",
    "instrument": "cello",
    "instrument_reason": "Lena plays the cello",
}


def test_a_moment_becomes_a_piece_to_hear_read_and_forget(
    live_server: LiveServer, browser: Browser, artifacts: Path
) -> None:
    ada = live_server.person("ada")
    memory = live_server.services.companion.memory
    assert memory is not None

    async def record() -> None:
        store = await live_server.services.companion.db.user("ada")
        said = "Lena and I walked on the beach at dawn; the sea was grey."
        await memory.record(store, [NewEpisode("user", said, time.time())])

    live_server.call(record)  # type: ignore[no-untyped-call]
    page = browser.new_page(viewport={"width": 1200, "height": 900})
    crashes: list[str] = []
    page.on("pageerror", lambda error: crashes.append(str(error)))
    refused = policy_violations(page)
    page.goto(f"{live_server.url}/#signin={signin_code(live_server, ada)}")
    expect(page.locator("#account-name")).to_have_text("ada")
    expect(page.locator(".msg.theirs").first).to_be_visible()

    page.get_by_role("link", name="Music").click()
    expect(page.get_by_role("heading", name="Music from our moments")).to_be_visible()
    expect(page.locator("#music-status")).to_contain_text("No music yet")
    page.get_by_role("button", name="Compose").click()
    expect(page.locator("#music-error")).to_contain_text("Tell me the moment")

    llm = model(live_server)
    llm.delay = 0.05
    llm.enqueue(CHOICE)
    page.get_by_label("The moment").fill("the grey morning at the beach with Lena")
    page.get_by_role("button", name="Compose").click()
    expect(page.locator("#music-busy progress")).to_be_visible()
    card = page.locator(".music-item").first
    expect(card).to_be_visible(timeout=60_000)
    expect(card.locator("h3")).to_have_text("the grey morning at the beach with Lena")
    expect(card).to_contain_text("E minor, 66 beats a minute, 6/8, ABA")
    expect(card.locator(".music-why")).to_contain_text("spell LENA")
    expect(card.locator(".music-why")).to_contain_text("the sea was grey and cold")
    expect(card.locator(".music-why")).to_contain_text("It remembers")

    # the browser's own player loads and plays the piece
    player = card.locator("audio")
    duration = player.evaluate(
        """audio => new Promise((done, failed) => {
            audio.addEventListener('loadedmetadata', () => done(audio.duration), {once: true});
            audio.addEventListener('error', () => failed(String(audio.error && audio.error.code)),
                                   {once: true});
            audio.load();
        })"""
    )
    assert 30 <= duration <= 125, duration
    played = player.evaluate(
        """async audio => { audio.muted = true; await audio.play();
            await new Promise(r => setTimeout(r, 600)); audio.pause();
            return audio.currentTime; }"""
    )
    assert played > 0.2
    score = page.request.get(
        card.get_by_role("link", name="Score (PDF)").get_attribute("href") or ""
    )
    assert score.ok and score.body()[:5] == b"%PDF-"
    shoot(page, artifacts, "music-piece")

    page.once("dialog", lambda dialog: dialog.accept())
    card.get_by_role("button", name="Forget").click()
    expect(page.locator("#music-status")).to_contain_text("No music yet")
    assert not crashes, crashes
    assert not refused, refused


SONG = {
    "title": "Mornings by the Sea",
    "mood": "tender",
    "mode": "minor",
    "tempo": 88,
    "verse_1": [
        "Lena walking on the morning shore",
        "all the sea was grey beneath the sky",
        "every gull was calling out her name",
        "and the wind went softly singing by",
    ],
    "chorus": [
        "Oh the sea, the grey and gentle sea",
        "every wave a word we never said",
        "Lena laughing as the water ran",
        "all the clouds were silver overhead",
    ],
    "verse_2": [
        "Now the summer's over, Lena, come",
        "walk the shore with me another day",
        "every step a little closer home",
        "all the grey has long since gone away",
    ],
}


def test_a_song_written_together_is_read_played_and_changed(
    live_server: LiveServer, browser: Browser, artifacts: Path
) -> None:
    ada = live_server.person("ada")
    page = browser.new_page(viewport={"width": 1200, "height": 900})
    crashes: list[str] = []
    page.on("pageerror", lambda error: crashes.append(str(error)))
    refused = policy_violations(page)
    page.goto(f"{live_server.url}/#signin={signin_code(live_server, ada)}")
    expect(page.locator("#account-name")).to_have_text("ada")
    page.get_by_role("link", name="Music").click()
    expect(page.locator("#songs-status")).to_contain_text("No songs yet")

    llm = model(live_server)
    llm.enqueue(SONG)
    page.get_by_label("The moment").fill("the grey mornings by the sea with Lena")
    page.get_by_role("button", name="Write a song").click()
    card = page.locator("#songs-list .music-item").first
    expect(card).to_be_visible(timeout=60_000)
    expect(card.locator("h3")).to_have_text("Mornings by the Sea")
    expect(card).to_contain_text("E minor, 88 beats a minute")
    words = card.locator(".song-words")
    expect(words).to_contain_text("[Chorus]")
    expect(words).to_contain_text("Lena walking on the morning shore")
    expect(words).to_contain_text("Em")  # the chords over the words
    diagrams = card.locator("img.song-chords")
    expect(diagrams).to_be_visible()
    assert diagrams.evaluate("img => img.complete && img.naturalWidth > 100")
    duration = card.locator("audio").evaluate(
        """audio => new Promise((done, failed) => {
            audio.addEventListener('loadedmetadata', () => done(audio.duration), {once: true});
            audio.addEventListener('error', () => failed(String(audio.error && audio.error.code)),
                                   {once: true});
            audio.load();
        })"""
    )
    assert 60 <= duration <= 125, duration
    lead = page.request.get(
        card.get_by_role("link", name="Lead sheet (PDF)").get_attribute("href") or ""
    )
    assert lead.ok and lead.body()[:5] == b"%PDF-"
    shoot(page, artifacts, "music-song")

    change = card.get_by_label("How to change Mornings by the Sea")
    change.fill("play it on a kazoo")
    card.get_by_role("button", name="Change it").click()
    expect(card.locator(".form-error")).to_contain_text("don't know how to change")
    change.fill("make the chorus happier, slower")
    card.get_by_role("button", name="Change it").click()
    newest = page.locator("#songs-list .music-item").first
    expect(newest).to_contain_text("changed from song", timeout=60_000)
    expect(newest).to_contain_text("75 beats a minute")
    expect(page.locator("#songs-list .music-item")).to_have_count(2)
    page.once("dialog", lambda dialog: dialog.accept())
    newest.get_by_role("button", name="Forget").click()
    expect(page.locator("#songs-list .music-item")).to_have_count(1)
    assert not crashes, crashes
    assert not refused, refused
