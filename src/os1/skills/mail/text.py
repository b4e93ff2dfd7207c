"""Plain text out of mail bodies: HTML read to text, quoted replies and signatures cut.

HTML is read by libxml2's HTML parser (through lxml) as a stream of events, never by
regular expressions: a mail is written by anyone, and the lazy ``<!--.*?-->`` and
``<script.*?</script>`` patterns this module used before rescanned the rest of the mail
from every unclosed opener, so 120 KB of ``<!--`` took 25 s and froze the server (issue
24). The parser is linear on every hostile family we measured (``tests/
test_hostile_input_time.py``): 5 to 90 MB/s on 4 MB of hostile markup, about 10 MB/s on
ordinary mail (the old patterns: 20 MB/s on ordinary mail, 5 KB/s on the 120 KB one).
The standard library's ``html.parser`` was measured too: in our Python it is quadratic
on runs of ``<!--`` and ``<a `` (CVE-2025-6069) and raises on runs of ``<![``. Events
rather than a tree: libxml2 cuts a tree at 256 levels of nesting, losing the text
below, while its event stream keeps it.

Markup is capped before it is read, the text collected is capped while it is read, and
what reaches the index is capped again, so a mail can never blow up the database or a
prompt. All other patterns here are linear (each match consumes what it scans, or is
bounded).
"""

from __future__ import annotations

import re

from lxml import etree

MARKUP_CAP = 2_000_000  # characters of HTML read at most
_FEED = 65_536  # characters handed to the parser at a time
_BLOCKS = frozenset(("p", "div", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "br"))
_CELLS = frozenset(("td", "th"))
_HIDDEN = frozenset(("script", "style", "head", "title"))
_SPACES = re.compile(r"[ \t\r\f\v\u00a0]+")
_EDGES = re.compile(r" ?\n ?")
_BLANKS = re.compile(r"\n\s*\n\s*\n+")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")
_WROTE = re.compile(
    r"^(on .{4,200}wrote:?|am .{4,200}schrieb.{0,40}:?|-{2,} ?original message ?-{2,}"
    r"|-{2,} ?forwarded message ?-{2,}|from: .+)$",
    re.I,
)
_SIGNATURE = re.compile(r"^(-- ?|__+|sent from my \w+.*)$", re.I)


class _Text:
    """Parser events to text: blocks on their own lines, cells apart, hidden parts and
    comments as a space; stops collecting at ``limit`` characters."""

    def __init__(self, limit: int) -> None:
        self.parts: list[str] = []
        self.size = 0
        self.limit = limit
        self.hidden = 0

    @property
    def full(self) -> bool:
        return self.size >= self.limit

    def _add(self, text: str) -> None:
        if self.size < self.limit:
            self.parts.append(text)
            self.size += len(text)

    def start(self, tag: object, attrib: object) -> None:
        if tag in _HIDDEN:
            self.hidden += 1
        elif tag in _BLOCKS:
            self._add("\n")
        elif tag in _CELLS:
            self._add(" ")

    def end(self, tag: object) -> None:
        if tag in _HIDDEN:
            self.hidden = max(0, self.hidden - 1)
            self._add(" ")
        elif tag in _BLOCKS and tag != "br":
            self._add("\n")

    def data(self, text: str) -> None:
        if not self.hidden:
            self._add(text)

    def comment(self, text: str) -> None:
        self._add(" ")

    def close(self) -> str:
        return "".join(self.parts)[: self.limit]


def html_to_text(markup: str, limit: int = MARKUP_CAP) -> str:
    """Readable text of an HTML body: scripts, styles and comments dropped, blocks on new
    lines, entities decoded; at most ``limit`` characters. Never raises on tag soup."""
    if not markup.strip():
        return ""
    collected = _Text(limit)
    # UTF-8 in, whatever a <meta charset> says: the mail's own charset is decoded already
    parser = etree.HTMLParser(
        target=collected, encoding="utf-8", recover=True, no_network=True, collect_ids=False
    )
    markup = markup[:MARKUP_CAP]
    try:
        for start in range(0, len(markup), _FEED):
            parser.feed(markup[start : start + _FEED].encode("utf-8", "replace"))
            if collected.full:
                break
        text: str = parser.close()
    except (etree.LxmlError, ValueError):  # what libxml2 could not recover from
        text = collected.close()
    return text


def tidy(text: str, cap: int) -> tuple[str, bool]:
    """Whitespace normalized, control characters gone, at most ``cap`` characters.

    Returns:
        The text and whether it was cut.
    """
    text = _CONTROL.sub("", text.replace("\r\n", "\n"))
    text = _EDGES.sub("\n", _SPACES.sub(" ", text))  # whole-text passes, not per line
    text = _BLANKS.sub("\n\n", text).strip()
    if len(text) <= cap:
        return text, False
    return text[:cap].rstrip() + " …", True


def own_words(text: str) -> str:
    """What the writer wrote themselves: quoted replies ("> ...", "On ... wrote:") and
    the signature below "-- " are cut."""
    kept: list[str] = []
    for line in text.split("\n"):
        stripped = line.strip()
        if _WROTE.match(stripped) or _SIGNATURE.match(line.rstrip()):
            break
        if stripped.startswith(">"):
            continue
        kept.append(line)
    return "\n".join(kept).strip()


def snippet(text: str, limit: int = 160) -> str:
    """One line of the writer's own words, for lists."""
    words = " ".join(own_words(text).split()) or " ".join(text.split())
    return words if len(words) <= limit else words[: limit - 1] + "…"


# One prefix or list tag at a time, walked in a loop: a repeated group (``(...)+``) over a
# subject of thousands of "Re: " grows the regex engine's stack and its time faster than
# the subject's length.
_PREFIX = re.compile(r"\s*(?:re|fw|fwd|aw|wg|sv|vs|antw|tr|rif|r)\s*(?:\[\d+\])?\s*:\s*", re.I)
_LIST_TAG = re.compile(r"\s*\[[^\]]{1,40}\]\s*")


def subject_key(subject: str) -> str:
    """A subject with reply/forward prefixes (Re:, Fwd:, AW:, WG:, SV: ...) and leading
    list tags removed, lowercased: replies without References still find their thread."""
    start = 0
    while found := _PREFIX.match(subject, start) or _LIST_TAG.match(subject, start):
        start = found.end()
    return " ".join(subject[start:].lower().split())


def is_reply_subject(subject: str) -> bool:
    return bool(_PREFIX.match(subject))
