"""Spoken conversation with scripted audio: real Silero VAD, Whisper and Piper, the
scripted model. Audio is fed at the pace it would be spoken and replies play on the
wall clock, so the timings and the barge-in are what a person would experience."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from pathlib import Path

import numpy as np
import pytest
from speech import quiet, said, speak_into

from os1.companion import Companion
from os1.core.turns import CancelToken, Tentative
from os1.events import BargedIn, Notice, Transcribed, TurnEvent, TurnFinished, VoiceTimings
from os1.models.scripted import ScriptedLLM
from os1.models.stt import WhisperSTT
from os1.models.tts import PiperTTS
from os1.voice.endpoint import TurnTaking, sounds_finished
from os1.voice.playback import ClockSink
from os1.voice.session import VoiceSession
from os1.voice.wake import WakePhrase
from os1.voice.wer import word_error_rate, words

pytestmark = pytest.mark.real_model

LONG_REPLY = (
    "Here is a long answer about fruit. Apples grow on trees in cool places. "
    "Pears are their softer cousins. Oranges like the sun and warm winters. "
    "Grapes grow on vines and become raisins when they dry."
)


class Ear:
    """Collects what the session says, by kind."""

    def __init__(self) -> None:
        self.events: list[TurnEvent] = []

    async def __call__(self, event: TurnEvent) -> None:
        self.events.append(event)

    def of(self, kind: type[TurnEvent]) -> list[TurnEvent]:
        return [e for e in self.events if isinstance(e, kind)]


@pytest.fixture
async def talk(
    companion: Companion, stt: WhisperSTT, tts: PiperTTS
) -> tuple[VoiceSession, Ear, ClockSink]:
    await companion.skip_onboarding("me")
    ear, sink = Ear(), ClockSink()
    return VoiceSession(companion, "me", stt, tts, sink, ear), ear, sink


async def test_a_spoken_question_gets_a_spoken_reply_and_is_remembered(
    talk: tuple[VoiceSession, Ear, ClockSink],
    companion: Companion,
    scripted: ScriptedLLM,
    tts: PiperTTS,
    home: Path,
) -> None:
    session, ear, _ = talk
    scripted.enqueue("Oh, a cat called Misty would suit her. Or maybe Pebble!")
    question = "What should I call my new kitten?"
    await speak_into(session, [quiet(0.3), said(tts, question), quiet(2.0)])
    await session.finish()
    heard = ear.of(Transcribed)
    assert len(heard) == 1 and word_error_rate([(question, heard[0].text)]) <= 0.15  # type: ignore[attr-defined]
    timings = ear.of(VoiceTimings)[0]
    assert isinstance(timings, VoiceTimings)
    assert 0.4 <= timings.end_of_turn < 1.7  # waited for the pause, not for ever
    assert timings.first_audio < 2.5 and timings.reply_audio > 2
    history = await companion.history("me")
    roles = [(m.role, m.status) for m in history]
    assert roles == [("user", "complete"), ("assistant", "complete")]
    assert history[0].text == heard[0].text  # type: ignore[attr-defined]
    # Piper's voice varies from run to run, so Whisper may hear "kitten" as a near
    # miss; memory must hold what was heard, and the reply.
    me = await companion.db.user("me")
    found = await companion.memory.search(me, heard[0].text)  # type: ignore[union-attr,attr-defined]
    assert any(hit.text == heard[0].text for hit in found)  # type: ignore[attr-defined]
    found = await companion.memory.search(me, "Misty")  # type: ignore[union-attr]
    assert any("Misty" in hit.text for hit in found)
    recorded = await asyncio.to_thread(lambda: list(home.rglob("*.wav")))
    assert not recorded  # nothing is recorded unless the person turns it on


async def test_background_model_work_gives_way_as_soon_as_speech_begins(
    talk: tuple[VoiceSession, Ear, ClockSink], scripted: ScriptedLLM, tts: PiperTTS
) -> None:
    """Learning from the last turn must not compete with hearing this one: the model is
    told to make way when the speech begins, seconds before the turn does."""
    session, _, _ = talk
    made_way: list[float] = []
    scripted.make_way = lambda: made_way.append(time.monotonic())  # type: ignore[attr-defined]
    start = time.monotonic()
    speech = said(tts, "I went to the market this morning and bought some bread.")
    await speak_into(session, [quiet(0.5), speech, quiet(2.0)])
    await session.finish()
    assert made_way, "the model was not told that the person is speaking"
    assert 0.4 < made_way[0] - start < 1.2  # at the speech's start, not the turn's end


def trailing_off(tts: PiperTTS, stt: WhisperSTT, text: str) -> np.ndarray:
    """``text`` spoken so that Whisper hears its last word. Piper's voice varies from run
    to run, and now and then Whisper drops a soft final "and" (CI saw "I went to the
    market"): such words do sound finished, which is not what the test is about. Whisper
    hears the same words differently with more or less quiet around them, so a rendering
    is kept only if it trails off however the session's pause frames it."""
    for _ in range(5):
        speech = said(tts, text)
        framings = [(before, after) for before in (0.0, 0.3) for after in (0.2, 0.5, 0.9)]
        if all(
            not sounds_finished(
                stt.transcribe_now(np.concatenate([quiet(before), speech, quiet(after)])).text
            )
            for before, after in framings
        ):
            return speech
    raise AssertionError(f"Whisper never heard {text!r} trail off")


async def test_a_pause_mid_thought_does_not_end_the_turn(
    talk: tuple[VoiceSession, Ear, ClockSink], tts: PiperTTS, stt: WhisperSTT
) -> None:
    session, ear, _ = talk
    first, rest = "I went to the market and", "bought some fresh bread for lunch."
    opening = trailing_off(tts, stt, first)
    await speak_into(session, [opening, quiet(0.9), said(tts, rest), quiet(2.0)])
    await session.finish()
    heard = ear.of(Transcribed)
    assert len(heard) == 1  # one turn, not two
    assert word_error_rate([(f"{first} {rest}", heard[0].text)]) <= 0.15  # type: ignore[attr-defined]


async def test_speaking_over_the_reply_stops_it_and_keeps_only_what_was_heard(
    talk: tuple[VoiceSession, Ear, ClockSink],
    companion: Companion,
    scripted: ScriptedLLM,
    tts: PiperTTS,
) -> None:
    session, ear, sink = talk
    scripted.enqueue(LONG_REPLY)
    question = said(tts, "Tell me all about fruit.")
    interruption = said(tts, "Wait, what about bananas?")
    # the reply starts about a second after the question; cut in 2.5 s into it
    await speak_into(session, [question, quiet(3.5)])
    onset = _first_voiced(interruption)
    await speak_into(session, [interruption, quiet(2.0)])
    await session.finish()

    barge = ear.of(BargedIn)
    assert len(barge) == 1 and isinstance(barge[0], BargedIn)
    # the voice stopped at once; the 200 ms target itself is bench/voice.py's (p50 129 ms,
    # max 190 there): a test on two shared cores keeps a margin, not the target
    assert barge[0].stop_ms <= 400
    assert sink.stops, "playback was never stopped"
    heard = barge[0].heard
    assert heard and LONG_REPLY.startswith(heard) and len(heard) < len(LONG_REPLY) / 2
    history = await companion.history("me")
    assert [(m.role, m.status) for m in history] == [
        ("user", "complete"),
        ("assistant", "interrupted"),
        ("user", "complete"),
        ("assistant", "complete"),
    ]
    assert history[1].text == heard  # what they did not hear was never said
    assert "bananas" in words(history[2].text)  # their new turn is heard and answered
    store = await companion.db.user("me")
    kept = await companion.memory.search(store, "grapes raisins vines", by_meaning=False)  # type: ignore[union-attr]
    assert not any("raisins" in hit.text for hit in kept)  # the unheard part is not memory
    assert onset < interruption.size  # the scripted interruption really had speech in it


def _first_voiced(audio: np.ndarray) -> int:
    return int(np.argmax(np.abs(audio) > 0.02))


async def test_noise_and_coughs_are_not_turns(
    talk: tuple[VoiceSession, Ear, ClockSink], companion: Companion
) -> None:
    session, ear, _ = talk
    rng = np.random.default_rng(7)
    hiss = rng.normal(0, 0.02, 16_000 * 2).astype(np.float32)
    click = np.zeros(16_000, dtype=np.float32)
    click[8000:8040] = 0.9  # a knock on the desk
    await speak_into(session, [hiss, click, quiet(2.0)])
    await session.finish()
    assert not ear.of(Transcribed) and await companion.history("me") == []


async def test_push_to_talk_answers_on_release_without_waiting_for_silence(
    companion: Companion, stt: WhisperSTT, tts: PiperTTS, scripted: ScriptedLLM
) -> None:
    await companion.skip_onboarding("me")
    ear, sink = Ear(), ClockSink()
    hold = TurnTaking(end_ms=600_000, hold_ms=600_000)  # only the button ends a turn
    session = VoiceSession(companion, "me", stt, tts, sink, ear, rules=hold)
    await session.release()
    assert any(isinstance(e, Notice) and e.code == "not_heard" for e in ear.events)
    scripted.enqueue("Sure.")
    await speak_into(session, [said(tts, "Set a timer for ten minutes."), quiet(0.1)])
    assert not ear.of(Transcribed)  # still holding: no answer yet
    await session.release()
    await session.finish()
    assert words(ear.of(Transcribed)[0].text) == words("Set a timer for 10 minutes.")  # type: ignore[attr-defined]
    assert any(isinstance(e, TurnFinished) and e.text == "Sure." for e in ear.events)


async def test_recordings_are_kept_only_when_asked(
    companion: Companion, stt: WhisperSTT, tts: PiperTTS
) -> None:
    await companion.skip_onboarding("me")
    kept: list[np.ndarray] = []
    session = VoiceSession(companion, "me", stt, tts, ClockSink(), Ear(), keep=kept.append)
    await speak_into(session, [said(tts, "Good morning to you."), quiet(2.0)])
    await session.finish()
    assert len(kept) == 1 and kept[0].size > 16_000


async def test_with_the_wake_phrase_only_speech_addressed_by_name_is_answered(
    companion: Companion, stt: WhisperSTT, tts: PiperTTS, scripted: ScriptedLLM
) -> None:
    await companion.skip_onboarding("me")
    ear, sink = Ear(), ClockSink()
    wake = WakePhrase("Nova", follow_up_s=3.0)
    session = VoiceSession(companion, "me", stt, tts, sink, ear, wake=wake)
    # someone in the room, not talking to the companion: dropped, not remembered
    await speak_into(session, [said(tts, "Did you see the match last night?"), quiet(1.5)])
    await session.finish()
    assert not ear.of(Transcribed) and await companion.history("me") == []
    assert any(isinstance(e, Notice) and e.code == "not_addressed" for e in ear.events)
    # called by name: answered, without the name in the conversation
    scripted.enqueue(
        "Here is one: why did the cat sit on the computer? To keep an eye on the mouse."
    )
    for _ in range(3):  # Whisper now and then hears "Nova" as another word: said again
        await speak_into(session, [said(tts, "Hey Nova, tell me a joke."), quiet(1.5)])
        await session.finish()
        if ear.of(Transcribed):
            break
    asked = ear.of(Transcribed)
    assert len(asked) == 1
    said_to_it = asked[0].text.lower()  # type: ignore[attr-defined]
    assert said_to_it.startswith("tell me") and "joke" in said_to_it and "nova" not in said_to_it
    # the next line, soon after the reply, needs no name
    scripted.enqueue("Glad you liked it.")
    await speak_into(session, [said(tts, "That was a good one."), quiet(1.5)])
    await session.finish()
    assert len(ear.of(Transcribed)) == 2
    history = await companion.history("me")
    assert [m.text for m in history if m.role == "user"] == [
        asked[0].text,  # type: ignore[attr-defined]
        ear.of(Transcribed)[1].text,  # type: ignore[attr-defined]
    ]
    # the name alone: it says it is listening. Piper says "Hey Nova." a little
    # differently each time, and Whisper hears one in six or so as "Hannover": like a
    # person not heard, the speaker says it again (a mishearing outside the follow-up
    # window is dropped as not addressed, so it starts no turn). Each try waits until
    # the follow-up window has really closed, however long a loaded machine took to
    # play the last reply: inside it, any words would be answered without the name.
    for _ in range(6):
        # the window is the wake phrase's own state, with no event to wait on: poll it
        while wake.addressed("are you there", time.perf_counter()) is not None:  # noqa: ASYNC110
            await asyncio.sleep(0.1)
        await speak_into(session, [said(tts, "Hey Nova."), quiet(1.5)])
        await session.finish()
        if any(isinstance(e, Notice) and e.code == "listening" for e in ear.events):
            break
    assert any(isinstance(e, Notice) and e.code == "listening" for e in ear.events)
    assert len(ear.of(Transcribed)) == 2, "a misheard name started no turn"


async def test_a_reply_begun_at_a_pause_is_dropped_unheard_when_the_person_goes_on(
    talk: tuple[VoiceSession, Ear, ClockSink],
    companion: Companion,
    scripted: ScriptedLLM,
    tts: PiperTTS,
    stt: WhisperSTT,
) -> None:
    """The reply starts at the first pause; the person was only thinking, so it is thrown
    away: never heard, never stored, and the turn is answered once, as a whole."""
    session, ear, sink = talk
    scripted.enqueue("Markets are fun.")  # the draft's words: nobody may hear them
    scripted.enqueue("Fresh bread sounds lovely.")
    first, rest = "I went to the market and", "bought some fresh bread for lunch."
    opening = trailing_off(tts, stt, first)
    await speak_into(session, [opening, quiet(1.1), said(tts, rest), quiet(2.5)])
    await session.finish()
    drafted = [r.messages[-1].content for r in scripted.requests]
    assert any("market" in said_ and "bread" not in said_ for said_ in drafted)
    assert len(ear.of(Transcribed)) == 1 and len(ear.of(TurnFinished)) == 1
    assert not any("Markets are fun" in str(e) for e in ear.events)
    assert not sink.stops  # nothing had to be silenced: the draft never played
    history = await companion.history("me")
    assert [(m.role, m.status) for m in history] == [
        ("user", "complete"),
        ("assistant", "complete"),
    ]
    assert "bread" in words(history[0].text) and history[1].text == "Fresh bread sounds lovely."


async def test_a_reply_begun_at_a_pause_is_heard_as_soon_as_the_turn_ends_there(
    talk: tuple[VoiceSession, Ear, ClockSink],
    companion: Companion,
    scripted: ScriptedLLM,
    tts: PiperTTS,
    stt: WhisperSTT,
) -> None:
    """Words that sound unfinished make the session wait longer before it answers; the
    reply written meanwhile is heard the moment that wait is over."""
    session, ear, _ = talk
    opening = trailing_off(tts, stt, "I was wondering if")  # also loads Whisper, slow at first
    scripted.enqueue("Take your time, I'm listening.")
    await speak_into(session, [opening, quiet(3.0)])
    await session.finish()
    timings = ear.of(VoiceTimings)[0]
    assert isinstance(timings, VoiceTimings) and timings.drafted
    assert timings.end_of_turn > 1.0  # it waited, as the words sounded unfinished
    assert timings.first_audio - timings.end_of_turn < 0.3  # and the reply was ready
    kinds = [type(e).__name__ for e in ear.events]
    assert kinds.index("Transcribed") < kinds.index("TurnStarted") < kinds.index("TurnFinished")
    history = await companion.history("me")
    assert [m.role for m in history] == ["user", "assistant"]
    assert history[1].text == "Take your time, I'm listening."


class _Watched:
    """The companion, with every tentative turn it is given kept for the test to see."""

    def __init__(self, companion: Companion) -> None:
        self.companion = companion
        self.drafts: list[tuple[str, Tentative]] = []

    def turn(
        self,
        user: str,
        text: str,
        *,
        cancel: CancelToken | None = None,
        tentative: Tentative | None = None,
    ) -> AsyncIterator[TurnEvent]:
        if tentative is not None:
            self.drafts.append((text, tentative))
        return self.companion.turn(user, text, cancel=cancel, tentative=tentative)

    async def keep_heard(self, user: str, message_id: int, heard: str) -> None:
        await self.companion.keep_heard(user, message_id, heard)

    def person_speaking(self) -> None:
        self.companion.person_speaking()


async def test_on_the_real_model_a_reply_begun_mid_thought_leaves_no_trace(
    real_companion: Companion, stt: WhisperSTT, tts: PiperTTS
) -> None:
    """The real model starts answering at the person's pause; they go on, so that reply
    is dropped, and the one turn they took is answered whole."""
    await real_companion.skip_onboarding("me")
    watched, ear, sink = _Watched(real_companion), Ear(), ClockSink()
    session = VoiceSession(watched, "me", stt, tts, sink, ear)
    first, rest = "This weekend I was wondering if", "we could find a museum near the coast."
    opening = trailing_off(tts, stt, first)  # also loads Whisper, slow at first
    await speak_into(session, [opening, quiet(1.2), said(tts, rest), quiet(2.5)])
    await session.finish()
    dropped = [text for text, tentative in watched.drafts if tentative.dropped]
    assert dropped and all("museum" not in words(text) for text in dropped)
    history = await real_companion.history("me")
    assert [(m.role, m.status) for m in history] == [
        ("user", "complete"),
        ("assistant", "complete"),
    ]
    assert {"wondering", "museum"} <= set(words(history[0].text))
    assert len(ear.of(TurnFinished)) == 1 and len(history[1].text.split()) >= 3
    assert not sink.stops  # the dropped reply was never heard
