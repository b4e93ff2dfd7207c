"""Speaking a reply while the model is still writing it.

``SpokenReply`` is fed the reply's text as it streams. Each speakable piece (see
``sentences``) is synthesized in order by one worker and queued on the sink, so the
first sentence sounds while the model writes the second. It keeps where each piece lies
on the reply's audio timeline, so that after a barge-in ``heard`` can say which words
the person actually heard: whole pieces played, and the share of the piece that was
cut, by words.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

from os1.models.tts import TextToSpeech
from os1.voice.playback import AudioSink
from os1.voice.sentences import SpeechChunker


@dataclass(frozen=True)
class SpokenPiece:
    text: str
    start: float  # seconds into the reply's audio
    seconds: float


class SpokenReply:
    """Args:
    tts: the voice; sink: where its audio goes; speed: the voice's pace (1.0 natural).
    """

    def __init__(self, tts: TextToSpeech, sink: AudioSink, speed: float = 1.0) -> None:
        self.tts = tts
        self.sink = sink
        self.speed = speed
        self.pieces: list[SpokenPiece] = []
        self.first_piece_at: float | None = None  # perf_counter when the first piece was cut
        self.first_audio_at: float | None = None  # ... and when its audio was queued
        self.synthesis_seconds = 0.0
        self._chunker = SpeechChunker()
        self._todo: asyncio.Queue[str | None] = asyncio.Queue()
        self._stopped = False
        sink.begin()
        self._worker = asyncio.get_running_loop().create_task(self._speak_all())

    def feed(self, text: str) -> None:
        for piece in self._chunker.feed(text):
            self._put(piece)

    def finish(self) -> None:
        """The reply is complete: speak what is left of it."""
        for piece in self._chunker.flush():
            self._put(piece)
        self._todo.put_nowait(None)

    def _put(self, piece: str) -> None:
        if self.first_piece_at is None:
            self.first_piece_at = time.perf_counter()
        self._todo.put_nowait(piece)

    async def _speak_all(self) -> None:
        end = 0.0
        while (piece := await self._todo.get()) is not None:
            if self._stopped:
                continue
            started = time.perf_counter()
            speech = await self.tts.speak(piece, self.speed)
            self.synthesis_seconds += time.perf_counter() - started
            if self._stopped:
                continue
            self.sink.enqueue(speech)
            if self.first_audio_at is None:
                self.first_audio_at = time.perf_counter()
            self.pieces.append(SpokenPiece(piece, end, speech.seconds))
            end += speech.seconds

    async def done(self) -> None:
        """Every piece is synthesized and queued (``finish`` or ``stop`` came first)."""
        await self._worker

    async def played(self) -> None:
        """Everything is synthesized and has been played."""
        await self.done()
        await self.sink.drain()

    def stop(self) -> str:
        """Barge-in: silence now, speak nothing more; returns the words that were heard."""
        self.sink.stop()
        self._stopped = True
        heard = self.heard()
        self._todo.put_nowait(None)
        return heard

    @property
    def text(self) -> str:
        """Everything queued for speaking so far."""
        return " ".join(p.text for p in self.pieces)

    def heard(self) -> str:
        """The words played so far: whole pieces, then the played share of the current one."""
        position = self.sink.position()
        words: list[str] = []
        for piece in self.pieces:
            if position >= piece.start + piece.seconds - 0.05:
                words += piece.text.split()
            elif position > piece.start and piece.seconds > 0:
                share = (position - piece.start) / piece.seconds
                cut = piece.text.split()
                words += cut[: int(len(cut) * share)]
                break
            else:
                break
        return " ".join(words)
