"""Turn-taking: when a person has started speaking, paused, resumed, or finished.

Silence alone is a poor judge of the end of a turn: people pause mid-thought ("I was
thinking we could... maybe Thursday?"). So a pause is heard twice. After a short
silence (``pause_ms``) the words so far are transcribed while the person is quiet; the
turn ends after ``end_ms`` of silence only if those words sound finished, and after the
longer ``hold_ms`` otherwise. The reply cannot start before the words are known anyway,
so waiting for that transcription costs nothing, and it usually is the transcription the
reply uses. (The idea of judging the end of a turn by its words as well as its silence
comes from Pipecat's smart-turn and LiveKit's turn detector; this is a light,
rule-based version of it.)

``Endpointer`` is the state machine only: it is fed audio and told what was heard, and
says what happened, in the stream's own time (seconds of audio fed), so a live
microphone, a test's scripted audio and a benchmark all drive it the same way.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np

from os1.voice.vad import FRAME, FRAME_SECONDS, StreamingVAD


@dataclass(frozen=True)
class TurnTaking:
    """When speech counts as a turn, and how long a silence ends it (milliseconds)."""

    threshold: float = 0.5  # a frame at or above this probability is speech
    release: float = 0.35  # a frame below this is silence (between: as before)
    start_ms: int = 96  # this much speech in a row starts a turn, or interrupts a reply
    pause_ms: int = 192  # silence after which the words so far are transcribed
    end_ms: int = 480  # silence that ends a turn whose words sound finished
    hold_ms: int = 1_600  # silence that ends a turn whatever its words sound like
    pad_ms: int = 480  # audio kept from before the speech began (soft onsets are found late)
    max_turn_s: float = 60.0  # a longer stretch is answered; speech after it is a new turn


@dataclass(frozen=True)
class SpeechStarted:
    at: float  # stream seconds where the speech began


@dataclass(frozen=True)
class Paused:
    """The person went quiet; ``audio`` is their turn so far, worth transcribing now."""

    audio: np.ndarray = field(repr=False)
    pause: int  # which pause of the turn (1, 2, ...): what ``heard`` must name


@dataclass(frozen=True)
class Resumed:
    at: float


@dataclass(frozen=True)
class TurnEnded:
    """The turn is over; ``transcript`` is the words heard in its last pause, if known."""

    audio: np.ndarray = field(repr=False)
    speech_end: float  # stream seconds where the speech stopped
    decided_at: float  # stream seconds when the end was decided
    transcript: str | None
    pause: int = 0  # the pause the turn ended in (its audio is all of the turn), or 0


TurnTakingEvent = SpeechStarted | Paused | Resumed | TurnEnded

# Words a finished sentence almost never ends on, even when Whisper puts a full stop
# after them ("I bought apples and."), and words it rarely ends on, which count only
# when nothing marks the end ("I was thinking that we could").
# fmt: off
_NEVER_LAST = frozenset((
    "and", "but", "or", "nor", "so", "because", "cause", "if", "the",
    "a", "an", "my", "your", "our", "their", "um", "uh", "er",
    "erm", "like",
))
_RARELY_LAST = frozenset((
    "when", "while", "then", "than", "which", "who", "whose", "whom", "to",
    "of", "for", "with", "from", "at", "into", "as", "is", "are",
    "was", "were", "am", "be", "been", "i", "we", "they", "he",
    "she", "also", "plus", "maybe", "just", "could", "would", "should", "will",
    "can", "might", "must", "want", "going", "gonna", "need", "have", "had",
    "do", "did", "get", "very", "really",
))
# fmt: on
_WORD = re.compile(r"[a-z']+")


def sounds_finished(text: str) -> bool:
    """Whether a transcript reads like a complete turn, not a speaker still thinking.

    Empty text is finished (nothing to wait for). Whisper ends a trailing-off phrase with
    a comma or an ellipsis, a question with a question mark, a statement with a full stop.
    """
    clean = text.strip()
    if not clean or clean.endswith(("?", "!")):
        return True
    if clean.endswith(("...", "…", ",", "-", "—", ";", ":")):
        return False
    words = _WORD.findall(clean.lower())
    if not words:
        return True
    last = words[-1]
    return last not in _NEVER_LAST and (clean.endswith(".") or last not in _RARELY_LAST)


class Endpointer:
    """Turns a 16 kHz audio stream into turn-taking events."""

    def __init__(self, rules: TurnTaking | None = None, vad: StreamingVAD | None = None) -> None:
        self.rules = rules or TurnTaking()
        self._vad = vad or StreamingVAD()
        self._frame_ms = FRAME_SECONDS * 1000
        self._pending = np.zeros(0, dtype=np.float32)
        self._preroll: list[np.ndarray] = []
        self._frames = 0  # frames seen since the stream began
        self._pause = 0  # pauses numbered across the whole stream
        self.reset()

    def reset(self) -> None:
        """Back to listening for a new turn (the stream's clock keeps running)."""
        self._turn: list[np.ndarray] = []
        self._speaking = False
        self._run = 0  # speech frames in a row while not yet in a turn
        self._silence = 0  # silent frames since the last speech frame
        self._is_speech = False
        self._paused = False
        self._verdict: bool | None = None  # does the current pause's transcript sound finished
        self._transcript: str | None = None
        self._speech_end = 0.0

    @property
    def in_turn(self) -> bool:
        return self._speaking

    @property
    def now(self) -> float:
        """Stream seconds fed so far (whole frames)."""
        return self._frames * FRAME_SECONDS

    def quiet_in(self, pause: int) -> bool:
        """Whether the person is still silent in pause number ``pause`` of this turn."""
        return self._speaking and self._paused and pause == self._pause

    def heard(self, pause: int, transcript: str) -> None:
        """What was said up to pause number ``pause``; ignored if the person spoke again."""
        if self._paused and pause == self._pause:
            self._transcript = transcript
            self._verdict = sounds_finished(transcript)

    def feed(self, samples: np.ndarray) -> list[TurnTakingEvent]:
        audio = np.concatenate([self._pending, np.asarray(samples, np.float32).reshape(-1)])
        whole = audio.size // FRAME * FRAME
        self._pending = audio[whole:]
        if whole == 0:
            return []
        frames = audio[:whole].reshape(-1, FRAME)
        events: list[TurnTakingEvent] = []
        for frame, probability in zip(frames, self._vad.feed(frames.reshape(-1)), strict=True):
            self._frames += 1
            events.extend(self._step(frame, float(probability)))
        return events

    def poll(self) -> list[TurnTakingEvent]:
        """Check the end of turn again without new audio (a transcript just arrived)."""
        ended = self._ending()
        return [ended] if ended else []

    def end_now(self) -> TurnEnded:
        """End the turn at once (push-to-talk released), with what was heard so far."""
        if self._silence == 0:
            self._speech_end = self.now
        return self._end(self._transcript)

    def _ms(self, frames: int) -> float:
        return frames * self._frame_ms

    def _step(self, frame: np.ndarray, probability: float) -> list[TurnTakingEvent]:
        rules = self.rules
        if probability >= rules.threshold:
            self._is_speech = True
        elif probability < rules.release:
            self._is_speech = False
        if not self._speaking:
            return self._listen(frame)
        self._turn.append(frame)
        events: list[TurnTakingEvent] = []
        if self._is_speech:
            if self._paused:
                events.append(Resumed(self.now - FRAME_SECONDS))
            self._silence, self._paused, self._verdict, self._transcript = 0, False, None, None
        else:
            if self._silence == 0:
                self._speech_end = self.now - FRAME_SECONDS
            self._silence += 1
            if not self._paused and self._ms(self._silence) >= rules.pause_ms:
                self._pause += 1
                self._paused = True
                events.append(Paused(np.concatenate(self._turn), self._pause))
        if (ended := self._ending()) is not None:
            events.append(ended)
        elif self._ms(len(self._turn)) >= rules.max_turn_s * 1000:
            self._speech_end = self.now if self._is_speech else self._speech_end
            events.append(self._end(None))
        return events

    def _listen(self, frame: np.ndarray) -> list[TurnTakingEvent]:
        rules = self.rules
        self._preroll.append(frame)
        keep = max(1, round(rules.pad_ms / self._frame_ms)) + round(rules.start_ms / self._frame_ms)
        del self._preroll[:-keep]
        self._run = self._run + 1 if self._is_speech else 0
        if self._ms(self._run) < rules.start_ms:
            return []
        self._speaking = True
        self._turn = list(self._preroll)
        self._preroll = []
        return [SpeechStarted(self.now - self._run * FRAME_SECONDS)]

    def _ending(self) -> TurnEnded | None:
        if not (self._speaking and self._paused):
            return None
        silence = self._ms(self._silence)
        if silence >= self.rules.hold_ms or (silence >= self.rules.end_ms and self._verdict):
            return self._end(self._transcript)
        return None

    def _end(self, transcript: str | None) -> TurnEnded:
        pause = self._pause if self._paused else 0
        audio = np.concatenate(self._turn)
        ended = TurnEnded(audio, self._speech_end, self.now, transcript, pause)
        self.reset()
        return ended
