"""From a streamed reply to speakable pieces: sentence by sentence, the first one early.

The model streams tokens; speech needs whole phrases (Piper reads a sentence's melody from
its end). ``SpeechChunker`` cuts the stream at sentence ends as they arrive. The first
piece may end at a comma or dash once it has a few words, so the voice starts while the
model is still on its first sentence; a very long sentence is cut at a comma too, so no
piece keeps the listener waiting. ``speakable`` strips what a voice should not read out:
markdown marks, links' addresses, code fences, emoji.

The reply can repeat text from anywhere (a mail, a web page), so every pattern here is
linear: a run of marks is tried only where it begins, a link's parts cannot span another
link's brackets, and text with no place to cut is cut anyway once it is long.
"""

from __future__ import annotations

import re

# A sentence ends at . ! ? or … (and any closing quotes or brackets) before whitespace.
# Runs are tried from their first mark only: from each mark of "....x" the rest was rescanned.
_SENTENCE_END = re.compile(r"(?<![.!?…])[.!?…]++[\"'”’)\]]*+(?=\s)|\n+")
_CLAUSE_END = re.compile(r"(?<![,;:—–])[,;:—–]++(?=\s)|\s[-–]\s")
# "Dr. Smith", "e.g. this": a full stop that does not end a sentence.
_NOT_AN_END = re.compile(r"\b(?:mr|mrs|ms|dr|prof|st|vs|etc|e\.g|i\.e|approx|jr|sr)\.$", re.I)
_CODE_BLOCK = re.compile(r"```.*?```", re.DOTALL)
_LINK = re.compile(r"\[([^\[\]]*)\]\([^()]*\)")
_URL = re.compile(r"https?://\S+")
_URL_TAIL = ".,;:!?)]"  # marks after an address that end the sentence, not the address
_SPACE_BEFORE_MARK = re.compile(r"[ \t]+([.,;:!?])")
_MARKS = re.compile(r"[*_`#>|~]+")
# indentation within the line only: ``^\s*`` rescanned a run of blank lines from each one
_BULLET = re.compile(r"^[^\S\n]*+(?:[-+•]|\d++[.)])\s+", re.MULTILINE)
_EMOJI = re.compile("[\U0001f000-\U0001faff\u2600-\u27bf\ufe0f\u200d]")
_SPACES = re.compile(r"[ \t]+")

FIRST_PIECE_WORDS = 3  # the first piece may end at a comma once it has this many words
LONGEST_PIECE_WORDS = 28  # a sentence longer than this is cut at a comma
LONGEST_PIECE_CHARS = 600  # text with no sentence end or comma is cut at a space after this
_ABBREVIATION_CHARS = 24  # the end of a piece that can hold "approx." and closing quotes


def _link(found: re.Match[str]) -> str:
    """An address said as "a link", keeping the marks after it that end a sentence."""
    address = found[0][8 if found[0].startswith("https") else 7 :]
    kept = address.rstrip(_URL_TAIL) or address[:1]
    return "a link" + address[len(kept) :]


def speakable(text: str) -> str:
    """``text`` as a voice should say it: no markdown, addresses, code or emoji."""
    text = _CODE_BLOCK.sub(" ", text).split("```")[0]  # an unclosed block: up to it
    text = _LINK.sub(r"\1", text)
    text = _URL.sub(_link, text)
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
        head, fence, code = self._buffer.partition("```")
        if fence and len(code) > 2:  # inside a block still open: keep what may close it
            self._buffer = head + fence + code[-2:]
        ready: list[str] = []
        at = 0  # pieces are taken by position, not by copying the rest after each one
        while (cut := self._cut(at)) is not None:
            self._add(ready, self._buffer[at:cut])
            at = cut
        self._buffer = self._buffer[at:]
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

    def _cut(self, at: int) -> int | None:
        """Where the next piece from ``at`` ends in the buffer, if one is complete. Only a
        piece's longest length is looked at, so each cut costs the same however much
        text is waiting."""
        window = self._buffer[at : at + LONGEST_PIECE_CHARS + 1]
        buffer = window.split("```")[0]  # a code block still open is not cut into
        found = self._end_in(buffer)
        return None if found is None else at + found

    def _end_in(self, buffer: str) -> int | None:
        for match in _SENTENCE_END.finditer(buffer):
            end = buffer[max(0, match.end() - _ABBREVIATION_CHARS) : match.end()]
            if not _NOT_AN_END.search(end.rstrip("\"'”’)]")):
                return match.end()
        words_needed = FIRST_PIECE_WORDS if self._pieces == 0 else LONGEST_PIECE_WORDS
        for match in _CLAUSE_END.finditer(buffer):
            if len(buffer[: match.start()].split()) >= words_needed:
                return match.end()
        if len(buffer) > LONGEST_PIECE_CHARS:  # no end in sight: cut at a space anyway
            space = buffer.rfind(" ", 0, LONGEST_PIECE_CHARS)
            return space + 1 if space > 0 else LONGEST_PIECE_CHARS
        return None
