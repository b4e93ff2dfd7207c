"""Talking to the companion in real headless Chromium, through its microphone.

Chromium's fake capture device plays a WAV that Piper spoke (a question, then quiet) as
if it were the microphone; the page captures it through its AudioWorklet, sends it over
the chat socket while Talk is held, and plays the spoken reply. The speech models are
real; the reply's words come from the scripted model.
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright
from serving import LiveServer
from test_browser import CHROMIUM_ARGS, PASSWORD, last_reply, model, policy_violations, shoot

from conftest import missing_component
from os1.models.speech_assets import piper_voice_files
from os1.models.tts import PiperTTS
from os1.voice.audio import LISTEN_RATE, write_wav
from os1.voice.wer import word_errors
from voice.speech import quiet, said

pytestmark = [pytest.mark.browser, pytest.mark.slow]

QUESTION = "Could you tell me when the library opens tomorrow?"
LEAD_IN = 0.6  # seconds of room tone before the question (the microphone takes a moment)


@pytest.fixture(scope="module")
def question_wav(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, float]:
    """The question as a 16 kHz WAV for the fake microphone, and its length in seconds."""
    spoken = said(PiperTTS(*piper_voice_files()), QUESTION)
    audio = np.concatenate([quiet(LEAD_IN), spoken, quiet(1.0)])
    path = tmp_path_factory.mktemp("microphone") / "question.wav"
    write_wav(path, audio, LISTEN_RATE)
    return path, spoken.size / LISTEN_RATE


@pytest.fixture(scope="module")
def launch() -> Iterator[Callable[[Path | None], Browser]]:
    """Starts Chromium with a fake microphone: playing ``wav`` once and allowed, or (for
    None) present but never allowed. One Playwright serves every browser started."""
    chromium = shutil.which("chromium")
    if chromium is None:
        missing_component("Chromium is not installed (apt-get install chromium)")
    with sync_playwright() as playwright:
        started: list[Browser] = []

        def start(wav: Path | None) -> Browser:
            args = [*CHROMIUM_ARGS, "--use-fake-device-for-media-stream"]
            if wav is not None:
                args += [
                    "--use-fake-ui-for-media-stream",
                    f"--use-file-for-fake-audio-capture={wav}%noloop",
                ]
            started.append(playwright.chromium.launch(executable_path=chromium, args=args))
            return started[-1]

        yield start
        for browser in started:
            browser.close()


@pytest.fixture
def shots() -> Path:
    """Where screenshots go (as for test_browser: ``$OS1_ARTIFACTS`` or ``.artifacts/``)."""
    folder = Path(os.environ.get("OS1_ARTIFACTS") or Path(__file__).parents[2] / ".artifacts")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _sign_in(page: Page, live_server: LiveServer, name: str) -> None:
    live_server.person(name, password=PASSWORD)
    model(live_server).enqueue({"name": "Samantha", "reason": "It felt warm"})
    page.goto(live_server.url)
    page.get_by_label("Name").fill(name)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect(last_reply(page)).to_contain_text("I'm Samantha")  # the greeting: all set


@pytest.mark.real_model
def test_hold_talk_ask_aloud_and_hear_the_reply(
    live_server: LiveServer,
    launch: Callable[[Path | None], Browser],
    question_wav: tuple[Path, float],
    shots: Path,
) -> None:
    page = launch(question_wav[0]).new_page(viewport={"width": 1280, "height": 860})
    crashes: list[str] = []
    page.on("pageerror", lambda error: crashes.append(str(error)))
    refused = policy_violations(page)  # the microphone's AudioWorklet is a file of ours
    _sign_in(page, live_server, "ada")
    reply = "The library opens at nine tomorrow. Bring your card."
    model(live_server).enqueue(reply)

    talk = page.get_by_role("button", name="Talk")
    expect(talk).to_have_attribute("aria-pressed", "false")
    box = talk.bounding_box()
    assert box is not None
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.down()
    expect(talk).to_have_attribute("aria-pressed", "true")
    expect(page.locator("#voice-status")).to_contain_text("let go to send")
    time.sleep(LEAD_IN + question_wav[1] + 0.5)
    page.mouse.up()
    expect(talk).to_have_attribute("aria-pressed", "false")

    mine = page.locator(".msg.mine .text").last
    expect(mine).not_to_be_empty(timeout=30_000)
    edits, said_words = word_errors(QUESTION, mine.inner_text())
    assert edits / said_words <= 0.2, mine.inner_text()
    expect(last_reply(page)).to_contain_text(reply, timeout=30_000)
    page.wait_for_function(  # a function, not an expression: the policy forbids eval
        "() => Number(document.body.dataset.voiceChunksPlayed) >= 1", timeout=30_000
    )
    shoot(page, shots, "desktop-voice")
    assert crashes == []
    assert refused == []
    page.close()


@pytest.mark.real_model
def test_dictating_what_a_letter_should_carry(
    live_server: LiveServer,
    launch: Callable[[Path | None], Browser],
    question_wav: tuple[Path, float],
) -> None:
    page = launch(question_wav[0]).new_page(viewport={"width": 1100, "height": 860})
    crashes: list[str] = []
    page.on("pageerror", lambda error: crashes.append(str(error)))
    refused = policy_violations(page)
    _sign_in(page, live_server, "cy")
    page.get_by_role("link", name="Letters").click()
    field = page.get_by_label("What it should carry")
    field.fill("Ask her:")
    page.get_by_role("button", name="Dictate").click()
    stop = page.get_by_role("button", name="Stop dictating")
    expect(stop).to_have_attribute("aria-pressed", "true")
    page.get_by_role("button", name="Write it").click()  # not while the words are coming
    expect(page.locator("#letter-error")).to_contain_text("Stop dictating first")
    time.sleep(LEAD_IN + question_wav[1] + 0.5)
    stop.click()
    expect(page.locator("#letter-dictate-status")).to_contain_text(
        "Correct anything", timeout=60_000
    )
    text = field.input_value()
    assert text.startswith("Ask her: "), text  # added to what was typed, not over it
    edits, said_words = word_errors(QUESTION, text.removeprefix("Ask her: "))
    assert edits / said_words <= 0.2, text
    expect(page.get_by_role("button", name="Dictate")).to_have_attribute("aria-pressed", "false")
    assert crashes == []
    assert refused == []
    page.close()


def test_a_blocked_microphone_is_explained(
    live_server: LiveServer, launch: Callable[[Path | None], Browser]
) -> None:
    page = launch(None).new_page()  # nobody allows the microphone: the page is refused it
    _sign_in(page, live_server, "bo")
    page.get_by_role("button", name="Hands-free").click()
    expect(page.locator(".note.error").last).to_contain_text("microphone is blocked")
    expect(page.get_by_role("button", name="Hands-free")).to_have_attribute("aria-pressed", "false")
    expect(page.get_by_role("button", name="Talk")).to_be_enabled()
    page.get_by_role("link", name="Letters").click()
    page.get_by_role("button", name="Dictate").click()
    expect(page.locator("#letter-dictate-status")).to_contain_text("microphone is blocked")
    expect(page.get_by_role("button", name="Dictate")).to_have_attribute("aria-pressed", "false")
    page.close()
