"""Talking aloud over the chat socket: hands-free and push-to-talk, barge-in, bad audio.

The app is real (TestClient websockets), and so are the speech models: the question is
spoken by Piper and fed in 32 ms frames at the pace a microphone would send them; the
server hears it with Whisper and speaks the (scripted) reply back as audio frames.
"""

from __future__ import annotations

import json
import time
from typing import Any

import anyio
import numpy as np
import pytest
from serving import AppClient, Person
from starlette.testclient import WebSocketTestSession

from os1.models.tts import PiperTTS
from os1.persona.voice import VoiceSettings, save_voice
from os1.voice.wer import word_error_rate, words
from voice.speech import quiet, said

QUESTION = "What time does the bakery open on Sunday?"
FRAME = 512  # samples: 32 ms at 16 kHz

Message = dict[str, Any] | bytes


def _next(ws: WebSocketTestSession, timeout: float = 60.0) -> Message:
    """The next message, text as JSON or bytes as they came; a silent server fails the
    test after ``timeout`` instead of hanging it."""

    async def get() -> dict[str, Any]:
        with anyio.fail_after(timeout):
            got: dict[str, Any] = await ws._send_rx.receive()  # the public receive() has no timeout
            return got

    raw = ws.portal.call(get)
    if raw["type"] == "websocket.close":
        raise AssertionError(f"the server closed the socket: {raw}")
    if raw.get("bytes") is not None:
        return bytes(raw["bytes"])
    decoded: dict[str, Any] = json.loads(raw["text"])
    return decoded


def _until(ws: WebSocketTestSession, kind: str) -> list[Message]:
    seen: list[Message] = []
    while True:
        message = _next(ws)
        seen.append(message)
        if isinstance(message, dict) and message["type"] == kind:
            return seen


def _last(ws: WebSocketTestSession, kind: str) -> dict[str, Any]:
    found = _until(ws, kind)[-1]
    assert isinstance(found, dict)
    return found


def _events(seen: list[Message], kind: str) -> list[dict[str, Any]]:
    return [m for m in seen if isinstance(m, dict) and m["type"] == kind]


def _pcm(samples: np.ndarray) -> bytes:
    return (np.clip(samples, -1, 1) * 32767).astype("<i2").tobytes()


def _speak(ws: WebSocketTestSession, audio: np.ndarray) -> None:
    """Send ``audio`` in 32 ms frames, in real time, as a browser's microphone would."""
    start = time.monotonic()
    for index, offset in enumerate(range(0, audio.size, FRAME)):
        ws.send_bytes(_pcm(audio[offset : offset + FRAME]))
        time.sleep(max(0.0, start + (index + 1) * FRAME / 16_000 - time.monotonic()))


def _start(ws: WebSocketTestSession, mode: str) -> None:
    ws.send_json({"type": "voice_start", "mode": mode})
    assert _last(ws, "voice_ready") == {"type": "voice_ready", "mode": mode}


def _voice(client: AppClient) -> PiperTTS:
    """The server's own voice (loading it here also warms the server up)."""
    tts: PiperTTS = client.portal.call(client.services.speech.tts)  # type: ignore[union-attr]
    return tts


def _ping_works(ws: WebSocketTestSession) -> None:
    ws.send_json({"type": "ping"})
    assert _last(ws, "pong") == {"type": "pong"}


def _history(client: AppClient, person: Person) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = client.get("/api/history", headers=person.headers).json()
    return found


def _reply_audio(seen: list[Message]) -> tuple[list[dict[str, Any]], float]:
    """Every audio header, checked to be followed by its samples, and the seconds sent."""
    headers, seconds = [], 0.0
    for index, message in enumerate(seen):
        if isinstance(message, dict) and message["type"] == "audio":
            samples = seen[index + 1]
            assert isinstance(samples, bytes) and len(samples) % 2 == 0, "samples follow"
            headers.append(message)
            seconds += len(samples) / 2 / message["rate"]
    return headers, seconds


def test_voice_messages_out_of_order_get_clear_errors(client: AppClient) -> None:
    ada = client.person("ada")
    limit = client.services.settings.max_request_bytes
    with client.websocket_connect("/ws", headers=ada.headers) as ws:
        assert _last(ws, "hello")["user"] == "ada"
        ws.send_bytes(b"\x00\x01" * 256)
        error = _last(ws, "error")
        assert error["code"] == "voice_not_started" and "voice_start" in error["hint"]
        _ping_works(ws)
        ws.send_json({"type": "voice_end"})
        assert _last(ws, "error")["code"] == "voice_not_started"
        for mode in ("shout", None, 3):
            ws.send_json({"type": "voice_start", "mode": mode})
            error = _last(ws, "error")
            assert error["code"] == "invalid_message" and "hands_free" in error["hint"]
        ws.send_bytes(b"\x00" * (limit + 2))
        assert _last(ws, "error")["code"] == "too_large"
        ws.send_json({"type": "voice_stop"})  # leaving a voice mode never entered is harmless
        _ping_works(ws)
    assert client.services.speech._stt is None, "no speech model was loaded for all that"


@pytest.mark.real_model
@pytest.mark.slow
def test_bad_audio_and_silence_while_voice_is_on(client: AppClient) -> None:
    ada = client.person("ada")
    limit = client.services.settings.max_request_bytes
    client.model.enqueue("Typing works too.")
    with client.websocket_connect("/ws", headers=ada.headers) as ws:
        _next(ws)
        _start(ws, "push")
        ws.send_bytes(b"\x00\x01\x02")
        error = _last(ws, "error")
        assert error["code"] == "voice_bad_audio" and "int16" in error["hint"]
        ws.send_bytes(b"\x00" * (limit + 2))
        assert _last(ws, "error")["code"] == "too_large"
        _speak(ws, quiet(0.5))  # the room, nobody speaking
        ws.send_json({"type": "voice_end"})
        notice = _last(ws, "notice")
        assert notice["code"] == "not_heard"
        # typing still works with the microphone on
        ws.send_json({"type": "say", "text": "can I still type?"})
        seen = _until(ws, "turn_finished")
        assert _events(seen, "turn_finished")[-1]["text"] == "Typing works too."
        assert not _events(seen, "audio"), "a typed reply is not spoken"
    assert [h["text"] for h in _history(client, ada)] == ["can I still type?", "Typing works too."]


@pytest.mark.real_model
@pytest.mark.slow
def test_hands_free_a_spoken_question_is_heard_answered_and_spoken(client: AppClient) -> None:
    ada = client.person("ada")
    question = said(_voice(client), QUESTION)
    reply = "The bakery opens at eight on Sundays."
    client.model.enqueue(reply)
    with client.websocket_connect("/ws", headers=ada.headers) as ws:
        _next(ws)
        _start(ws, "hands_free")
        _speak(ws, np.concatenate([quiet(0.4), question, quiet(1.8)]))
        seen = _until(ws, "voice_timings")
    heard = _events(seen, "transcript")
    assert len(heard) == 1 and word_error_rate([(QUESTION, heard[0]["text"])]) <= 0.1, heard
    assert _events(seen, "turn_finished")[-1]["text"] == reply
    assert "".join(e["text"] for e in _events(seen, "text_delta")) == reply
    headers, seconds = _reply_audio(seen)
    assert [h["seq"] for h in headers] == list(range(1, len(headers) + 1))
    assert {h["rate"] for h in headers} == {22_050}
    assert words(" ".join(h["text"] for h in headers)) == words(reply)
    assert 1.0 < seconds < 8.0
    timings = _events(seen, "voice_timings")[-1]
    assert 0 < timings["first_audio"] < 10 and timings["reply_audio"] == pytest.approx(
        seconds, 0.05
    )
    history = _history(client, ada)
    assert [h["role"] for h in history] == ["user", "assistant"]
    assert words(history[0]["text"]) == words(heard[0]["text"])
    assert not (client.services.settings.home / "recordings").exists(), "nothing kept unasked"


@pytest.mark.real_model
@pytest.mark.slow
def test_push_to_talk_release_answers_and_pressing_again_cuts_the_reply(
    client: AppClient,
) -> None:
    ada = client.person("ada")

    async def keep_recordings() -> None:
        store = await client.services.companion.db.user("ada")
        await save_voice(store, VoiceSettings(keep_recordings=True))

    client.portal.call(keep_recordings)  # type: ignore[union-attr]
    question = said(_voice(client), QUESTION)
    client.model.enqueue("At eight. Shall I remind you on Saturday evening?")
    long_reply = " ".join(f"This is sentence number {n} of a long story." for n in range(12))
    client.model.enqueue(long_reply)
    with client.websocket_connect("/ws", headers=ada.headers) as ws:
        _next(ws)
        _start(ws, "push")
        _speak(ws, np.concatenate([quiet(0.3), question, quiet(0.3)]))
        ws.send_json({"type": "voice_end"})  # let go: no waiting for silence
        seen = _until(ws, "voice_timings")
        heard = _events(seen, "transcript")
        assert word_error_rate([(QUESTION, heard[0]["text"])]) <= 0.1, heard
        assert _reply_audio(seen)[0], "the reply was spoken"
        assert _events(seen, "turn_finished")[-1]["text"].startswith("At eight.")

        # a second question, and the button pressed again while the long answer plays
        client.model.delay = 0.05  # the long answer is still being written when cut
        _speak(ws, np.concatenate([quiet(0.3), question, quiet(0.3)]))
        ws.send_json({"type": "voice_end"})
        _until(ws, "audio")
        ws.send_json({"type": "voice_start", "mode": "push"})
        rest = _until(ws, "voice_timings")
    barge = _events(rest, "barge_in")
    assert len(barge) == 1 and barge[0]["stop_ms"] < 500
    finished = _events(rest, "turn_finished")[-1]
    assert finished["interrupted"] and "number 11" not in finished["text"]
    last = _history(client, ada)[-1]
    assert last["status"] == "interrupted"
    assert last["text"] == (barge[0]["heard"] or "…"), "only what was heard is kept"
    folder = client.services.settings.home / "recordings" / str(ada.account.id)
    kept = sorted(folder.glob("*.wav"))
    assert len(kept) == 2, "each spoken turn was kept, as the person chose"
    client.portal.call(client.services.accounts.delete, "ada")  # type: ignore[union-attr]
    assert not folder.exists(), "a deleted person's recordings go with them"


def _blast(ws: WebSocketTestSession, frame: bytes, count: int) -> tuple[list[str], float]:
    """Sends ``count`` frames as fast as it can; returns the error codes that came back
    (up to the pong after them) and the seconds it all took."""
    start = time.monotonic()
    for _ in range(count):
        ws.send_bytes(frame)
    ws.send_json({"type": "ping"})
    seen = _until(ws, "pong")
    return [m["code"] for m in _events(seen, "error")], time.monotonic() - start


def test_audio_faster_than_real_time_is_dropped_and_told_once(client: AppClient) -> None:
    settings = client.services.settings
    byte_rate = settings.audio_speed_limit * 32_000
    ada = client.person("ada")
    with client.websocket_connect("/ws", headers=ada.headers) as ws:
        _last(ws, "hello")
        frame = b"\x00\x00" * FRAME  # 32 ms; 400 of them are 12.8 s of audio
        codes, took = _blast(ws, frame, 400)
        # voice is off, so each frame let through is answered with voice_not_started
        heard = codes.count("voice_not_started")
        burst = 2 * byte_rate / len(frame)  # two seconds' worth at the allowed speed
        assert burst - 1 <= heard <= burst + took * byte_rate / len(frame) + 1, (heard, took)
        assert codes.count("audio_too_fast") == 1  # told once, not per dropped frame
        error = next(m for m in codes if m != "voice_not_started")
        assert error == "audio_too_fast"

    with client.websocket_connect("/ws", headers=ada.headers) as ws:  # a fresh allowance
        _last(ws, "hello")
        codes, took = _blast(ws, b"\x00\x00", 600)  # tiny frames: the frame rate binds
        heard = codes.count("voice_not_started")
        frames = settings.audio_frames_per_second
        assert 2 * frames - 1 <= heard <= 2 * frames + took * frames + 1, (heard, took)
        assert codes.count("audio_too_fast") == 1

    with client.websocket_connect("/ws", headers=ada.headers) as ws:
        _last(ws, "hello")
        start = time.monotonic()
        for index in range(50):  # 1.6 s at the pace a microphone records
            ws.send_bytes(b"\x00\x00" * FRAME)
            time.sleep(max(0.0, start + (index + 1) * FRAME / 16_000 - time.monotonic()))
        ws.send_json({"type": "ping"})
        codes = [m["code"] for m in _events(_until(ws, "pong"), "error")]
        assert codes == ["voice_not_started"] * 50  # all of it heard
