"""From a streamed reply to speakable pieces: sentence by sentence, the first one early.

The model streams tokens; speech needs whole phrases (Piper reads a sentence's melody from
its end). ``SpeechChunker`` cuts the stream at sentence ends as they arrive. The first
piece may end at a comma or dash once it has a few words, so the voice starts while the
model is still on its first sentence; a very long sentence is cut at a comma too, so no
piece keeps the listener waiting. ``speakable`` strips what a voice should not read out:
markdown marks, links' addresses, code fences, emoji.
"""

from __future__ import annotations

import re

# A sentence ends at . ! ? or … (and any closing quotes or brackets) before whitespace.
_SENTENCE_END = re.compile(r"[.!?…]+[\"'”’)\]]*(?=\s)|\n+")
_CLAUSE_END = re.compile(r"[,;:—–]+(?=\s)|\s[-–]\s")
# "Dr. Smith", "e.g. this": a full stop that does not end a sentence.
_NOT_AN_END = re.compile(r"\b(?:mr|mrs|ms|dr|prof|st|vs|etc|e\.g|i\.e|approx|jr|sr)\.$", re.I)
_CODE_BLOCK = re.compile(r"```.*?```", re.DOTALL)
_LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")
_URL = re.compile(r"https?://\S+?(?=[.,;:!?)\]]*(?:\s|$))")
_SPACE_BEFORE_MARK = re.compile(r"[ \t]+([.,;:!?])")
_MARKS = re.compile(r"[*_`#>|~]+")
_BULLET = re.compile(r"^\s*(?:[-+•]|\d+[.)])\s+", re.MULTILINE)
_EMOJI = re.compile("[\U0001f000-\U0001faff\u2600-\u27bf\ufe0f\u200d]")
_SPACES = re.compile(r"[ \t]+")

FIRST_PIECE_WORDS = 3  # the first piece may end at a comma once it has this many words
LONGEST_PIECE_WORDS = 28  # a sentence longer than this is cut at a comma


def speakable(text: str) -> str:
    """``text`` as a voice should say it: no markdown, addresses, code or emoji."""
    text = _CODE_BLOCK.sub(" ", text).split("```")[0]  # an unclosed block: up to it
    text = _LINK.sub(r"\1", text)
    text = _URL.sub("a link", text)
    text = _BULLET.sub("", text)
    text = _MARKS.sub("", text)
    text = _EMOJI.sub("", text)
    lines = (_SPACES.sub(" ", line).strip() for line in text.splitlines())
    return _SPACE_BEFORE_MARK.sub(r"\1", "\n".join(line for line in lines if line))


class SpeechChunker:
    """Feed reply text as it streams; take out pieces ready to speak, in order."""

    def __init__(self) -> None:
        self._buffer = ""
        self._pieces = 0

    def feed(self, text: str) -> list[str]:
        self._buffer = _CODE_BLOCK.sub("\n", self._buffer + text)  # code is never read out
        ready: list[str] = []
        while (cut := self._cut()) is not None:
            piece, self._buffer = self._buffer[:cut], self._buffer[cut:]
            self._add(ready, piece)
        return ready

    def flush(self) -> list[str]:
        """The rest, once the reply is complete."""
        ready: list[str] = []
        self._add(ready, self._buffer)
        self._buffer = ""
        return ready

    def _add(self, ready: list[str], piece: str) -> None:
        if spoken := speakable(piece):
            ready.append(spoken)
            self._pieces += 1

    def _cut(self) -> int | None:
        """Where the next piece ends in the buffer, if one is complete."""
        buffer = self._buffer.split("```")[0]  # a code block still open is not cut into
        for match in _SENTENCE_END.finditer(buffer):
            if not _NOT_AN_END.search(buffer[: match.end()].rstrip("\"'”’)]")):
                return match.end()
        words_needed = FIRST_PIECE_WORDS if self._pieces == 0 else LONGEST_PIECE_WORDS
        for match in _CLAUSE_END.finditer(buffer):
            if len(buffer[: match.start()].split()) >= words_needed:
                return match.end()
        return None
