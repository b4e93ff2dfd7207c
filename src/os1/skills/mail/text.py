"""Plain text out of mail bodies: HTML stripped to text, quoted replies and signatures cut.

Regular expressions rather than a full HTML parser: indexing reads tens of thousands of
mails, we only want readable words, and a tag soup must never raise. What reaches the
index is capped in size, so a mail can never blow up the database or a prompt.
"""

from __future__ import annotations

import html
import re

_DROP = re.compile(r"<(script|style|head|title)\b.*?</\1\s*>", re.I | re.S)
_COMMENT = re.compile(r"<!--.*?-->", re.S)
_BREAK = re.compile(r"<\s*(br|/p|/div|/li|/tr|/h[1-6]|p|div|li|tr|h[1-6])\b[^>]*>", re.I)
_TAG = re.compile(r"<[^>]{0,2000}>")
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


def html_to_text(markup: str) -> str:
    """Readable text of an HTML body: scripts and styles dropped, blocks on new lines."""
    text = _DROP.sub(" ", _COMMENT.sub(" ", markup))
    text = _TAG.sub("", _BREAK.sub("\n", text))
    return html.unescape(text)


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


_PREFIX = re.compile(r"^\s*((re|fw|fwd|aw|wg|sv|vs|antw|tr|rif|r)\s*(\[\d+\])?\s*:\s*)+", re.I)
_LIST_TAG = re.compile(r"^\s*\[[^\]]{1,40}\]\s*")


def subject_key(subject: str) -> str:
    """A subject with reply/forward prefixes (Re:, Fwd:, AW:, WG:, SV: ...) and a leading
    list tag removed, lowercased: replies without References still find their thread."""
    text = subject
    for _ in range(4):
        before = text
        text = _PREFIX.sub("", _LIST_TAG.sub("", text))
        if text == before:
            break
    return " ".join(text.lower().split())


def is_reply_subject(subject: str) -> bool:
    return bool(_PREFIX.match(subject))
