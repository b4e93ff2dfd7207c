"""Time against size for every parser and regex that reads text from outside: mail, calendar
files and servers, files to proofread, the person's own words, model output, log lines.

One person's input must never stall the others (issue 24): a regex that backtracks
quadratically, or a parser that rescans on every unclosed construct, turns a 100 KB mail
into minutes of CPU while holding the GIL. Each entry point below is fed hostile families
(repeated openers such as ``<!--``, long runs of spaces, quotes, ``=?``, brackets, lines
without the terminator a pattern waits for, deep nesting ...) at a size where it takes a
measurable time and at 8 times that size. Linear work grows about 8 times; the bound
(``LIMIT``) leaves room for cache effects and a noisy shared machine but not for
quadratic growth (64 times). CPU time of this thread (not wall time) and the best of a few
runs keep noise from other processes out.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import gc
import logging
import time
from collections.abc import Callable
from typing import Any

import pytest

from os1.errors import Os1Error
from os1.memory.catalog import ref_or_none
from os1.memory.retrieval import bridge_names, fts_query
from os1.memory.when import find_window
from os1.persona.affect import is_disclosure, mood_of
from os1.server.auth import HideCredentials
from os1.skills.calendar.adding import split_title_and_time
from os1.skills.calendar.clock import rrule_words
from os1.skills.calendar.ics import read_calendar, with_timezones
from os1.skills.calendar.when import parse_duration, parse_when
from os1.skills.calendar.window import parse_window
from os1.skills.files.query import parse as parse_file_query
from os1.skills.gate import RequestGate
from os1.skills.mail.draft import check_quotes, citations
from os1.skills.mail.fence import Fence
from os1.skills.mail.parse import Malformed, parse_mail
from os1.skills.mail.query import MailRow
from os1.skills.mail.sources import _parse_fetch
from os1.skills.mail.text import html_to_text, own_words, snippet, subject_key, tidy
from os1.skills.mail.tone import profile_from
from os1.skills.mail.triage import assess
from os1.skills.proofread.model import chunks
from os1.skills.proofread.narrow import narrow
from os1.skills.proofread.review import cheap_suggestions
from os1.skills.proofread.rules import rule_suggestions
from os1.skills.proofread.suggestion import protected_spans
from os1.skills.registry import builtin_skills
from os1.turn.live import asks_about_love, asks_about_others
from os1.turn.perceive import clean_input
from os1.voice.endpoint import sounds_finished
from os1.voice.sentences import SpeechChunker, speakable
from os1.voice.wake import WakePhrase

pytestmark = pytest.mark.slow

FACTOR = 8  # the big input is this many times the small one
# linear is ~8x, up to ~18x measured when the big input outgrows the CPU caches (millions
# of small strings from a split); quadratic would be ~64x
LIMIT = 30.0
MEASURABLE = 0.002  # seconds the small input must take before its time means anything
MAX_CHARS = 4_000_000  # the largest input tried (the mail parse cap)

# Hostile families: text of about ``n`` units. Units are what patterns open, repeat or wait
# for; the prefixed ones put a run where a pattern expects something after a keyword.
FAMILIES: dict[str, Callable[[int], str]] = {
    "comment openers": lambda n: "<!--" * n,
    "script openers": lambda n: "<script>" * n,
    "angle brackets": lambda n: "<" * n,
    "closing brackets": lambda n: ">" * n,
    "open tags with attributes": lambda n: '<a href="x" ' * n,
    "unclosed style": lambda n: "<style>" + "x" * n,
    "encoded-word openers": lambda n: "=?" * n,
    "encoded words unclosed": lambda n: "=?utf-8?q?" * n,
    "spaces": lambda n: "x" + " " * n + "y",
    "spaces before a mark": lambda n: "a" + " " * n + "x",
    "newlines": lambda n: "x" + "\n" * n + "y",
    "blank lines with spaces": lambda n: "x" + "\n \n" * n + "y",
    "tabs and spaces": lambda n: "x" + " \t" * n + "1",
    "unicode spaces": lambda n: "x\n" + "\u2003" * n + "y",
    "quotes": lambda n: '"' * n,
    "curly quotes": lambda n: "“" + "x" * n,
    "square brackets": lambda n: "[" * n,
    "link openers": lambda n: "[a](" * n,
    "parentheses": lambda n: "(" * n,
    "full stops": lambda n: "." * n + "x",
    "question marks": lambda n: "?" * n + "x",
    "commas": lambda n: "," * n + "x",
    "full stop then spaces": lambda n: ". " + " " * n + "1",
    "one long word": lambda n: "a" * n,
    "long word then a digit": lambda n: "a" * n + "1",
    "dotted word": lambda n: "a." * n,
    "at signs": lambda n: "a@" * n,
    "address without at": lambda n: "a" * n + " x",
    "url with trailing dots": lambda n: "http://x" + "." * n + "y",
    "backticks": lambda n: "`" * n,
    "dashes": lambda n: "-" * n,
    "capitalised words": lambda n: "Amy " * n,
    "words": lambda n: "lunch with amy next thursday " * max(1, n // 8),
    "digits": lambda n: "1" * n,
    "numbers and spaces": lambda n: "1 " * n,
    "colons": lambda n: ":" * n,
    "semicolons": lambda n: ";" * n,
    "equals": lambda n: "=" * n,
    "ampersands": lambda n: "&#" * n,
    "backslashes": lambda n: "\\" * n,
    "nested tags": lambda n: "<div><b>" * n,
    "repeated keyword": lambda n: "authorization " * n,
    "keyword then spaces": lambda n: "authorization" + " " * n,
    "token prefix": lambda n: "os1_" * n,
    "date-like": lambda n: "2024-01-" * n,
    "wrote lines": lambda n: "On " + "x" * n + " wrote",
    "reply prefixes": lambda n: "Re: " * n,
    "markers": lambda n: "<<<" * n + ">>>" * n,
    "IMAP flags openers": lambda n: "FLAGS (" * n,
    "bullets": lambda n: "\n" * n + "x",
    "control characters": lambda n: "\x00\x01" * n,
}


def _mail(
    *,
    subject: str = "Hello",
    sender: str = "Amy <amy@example.org>",
    headers: str = "",
    body: str = "Hi",
    html: bool = False,
) -> bytes:
    kind = "text/html" if html else "text/plain"
    head = (
        f"From: {sender}\nTo: ada@example.org\nSubject: {subject}\n"
        f"Date: Mon, 4 Mar 2024 10:00:00 +0000\n{headers}"
        f"Content-Type: {kind}; charset=utf-8\n\n"
    )
    return head.encode() + body.encode("utf-8", "surrogatepass")


def _row(body: str, subject: str = "Hello") -> MailRow:
    return MailRow(
        1, "s", "INBOX", "<a@b>", "", "", "t", "Amy", "amy@example.org", "ada@example.org",
        "", "ada@example.org", subject, time.time(), body, False, False, True, False,
    )  # fmt: skip


def _ics(event_lines: str) -> bytes:
    return (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:a@b\r\n"
        "DTSTART:20260105T090000Z\r\nDTEND:20260105T100000Z\r\n"
        f"{event_lines}\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    ).encode("utf-8", "surrogatepass")


_NOW = dt.datetime(2026, 1, 5, 9, 0, tzinfo=dt.UTC)
_RECORD = logging.LogRecord("t", logging.DEBUG, __file__, 1, "", None, None)


def _log_filter(text: str) -> None:
    _RECORD.msg, _RECORD.args = "header authorization " + text, None
    HideCredentials().filter(_RECORD)


def _chunker(text: str) -> None:
    chunker = SpeechChunker()
    for start in range(0, len(text), 4000):
        chunker.feed(text[start : start + 4000])
    chunker.flush()


# Each entry point as it meets foreign text. Sizes are not capped here beyond what the
# code itself caps: a cap in the code is part of its defence.
ENTRIES: dict[str, Callable[[str], Any]] = {
    "mail: html_to_text": html_to_text,
    "mail: tidy": lambda s: tidy(s, 20_000),
    "mail: own_words": own_words,
    "mail: snippet": snippet,
    "mail: subject_key": subject_key,
    "mail: parse, html body": lambda s: parse_mail(_mail(body=s, html=True)),
    "mail: parse, plain body": lambda s: parse_mail(_mail(body=s)),
    "mail: parse, subject": lambda s: parse_mail(_mail(subject=s.replace("\n", " "))),
    "mail: parse, sender": lambda s: parse_mail(_mail(sender=s.replace("\n", " "))),
    "mail: parse, headers": lambda s: parse_mail(
        _mail(headers=f"References: {s}\nMessage-ID: {s}\n".replace("\n\n", "\n"))
    ),
    "mail: parse, raw": lambda s: parse_mail(s.encode("utf-8", "surrogatepass")),
    "mail: triage": lambda s: assess([_row(s, s[:500])], time.time(), set()),
    "mail: tone": lambda s: profile_from([s] * 3, {"Amy"}),
    "mail: citations": lambda s: citations([_row(s)]),
    "mail: quotes in a draft": lambda s: check_quotes(s, [_row("x")], "points"),
    "mail: fence": lambda s: Fence().wrap(s),
    "mail: IMAP fetch reply": lambda s: _parse_fetch(
        [(b"1 (UID 7 " + s.encode("utf-8", "surrogatepass"), b"x")], "INBOX"
    ),
    "calendar: read ics, summary": lambda s: read_calendar(_ics("SUMMARY:" + s)),
    "calendar: read ics, lines": lambda s: read_calendar(_ics(s)),
    "calendar: read ics, parameters": lambda s: read_calendar(
        _ics("LOCATION;X-A=" + s.replace("\n", " ") + ":here")
    ),
    "calendar: read ics, repeat rule": lambda s: read_calendar(_ics("RRULE:" + s)),
    "calendar: with_timezones": lambda s: with_timezones("TZID:" + s + "\nDTSTART;TZID=" + s),
    "calendar: add_event words": split_title_and_time,
    "calendar: parse_when": lambda s: parse_when(s, _NOW, dt.UTC),
    "calendar: parse_window": lambda s: parse_window(s, _NOW, dt.UTC),
    "calendar: parse_duration": parse_duration,
    "calendar: rrule_words": rrule_words,
    "proofread: rules": rule_suggestions,
    "proofread: rules and dictionary": cheap_suggestions,
    "proofread: protected spans": protected_spans,
    "proofread: chunks": chunks,
    "proofread: narrow": lambda s: list(narrow(s, s + " x")),
    "files: query": lambda s: parse_file_query(s, 1.7e9),
    "memory: find_window": lambda s: find_window(s, 1.7e9),
    "memory: fts_query": fts_query,
    "memory: bridge_names": lambda s: bridge_names("who", [s]),
    "memory: ref": ref_or_none,
    "turn: clean_input": clean_input,
    "turn: asks about others": asks_about_others,
    "turn: asks about love": asks_about_love,
    "skills: request gate": RequestGate(builtin_skills().tools()).might_ask,
    "persona: mood": mood_of,
    "persona: disclosure": is_disclosure,
    "voice: wake phrase": lambda s: WakePhrase("Ava").addressed(s, 0.0),
    "voice: speakable": speakable,
    "voice: chunker": _chunker,
    "voice: sounds finished": sounds_finished,
    "server: log filter": _log_filter,
}


def _cpu(call: Callable[[str], Any], text: str, runs: int) -> float:
    """The best CPU time of this thread over ``runs`` calls."""
    best = float("inf")
    for _ in range(runs):
        start = time.thread_time()
        # refusing bad input is fine; only the time taken matters here
        with contextlib.suppress(Os1Error, Malformed, ValueError, TypeError, LookupError):
            call(text)
        best = min(best, time.thread_time() - start)
    return best


def growth(call: Callable[[str], Any], make: Callable[[int], str], runs: int = 3) -> float:
    """How many times longer ``call`` takes on ``make(FACTOR * n)`` than on ``make(n)``,
    for the smallest ``n`` (doubling) at which ``make(n)`` takes a measurable time.
    Garbage collection is off meanwhile: its pauses depend on everything else alive."""
    n = 64
    gc.disable()
    try:
        while True:
            small = make(n)
            took = _cpu(call, small, 1)
            if took >= MEASURABLE or len(small) * FACTOR * 2 > MAX_CHARS:
                break
            n *= 2
        took = _cpu(call, small, runs)
        if took < MEASURABLE / 4:
            return 1.0  # fast at every size tried: nothing to measure
        return _cpu(call, make(n * FACTOR), runs) / took
    finally:
        gc.enable()


@pytest.mark.parametrize("entry", list(ENTRIES))
def test_time_grows_linearly_with_input_size(entry: str) -> None:
    call = ENTRIES[entry]
    slow = []
    for family, make in FAMILIES.items():
        ratio = growth(call, make)
        if ratio > LIMIT:  # once more, to tell noise from growth
            ratio = min(ratio, growth(call, make, runs=5))
        if ratio > LIMIT:
            slow.append(f"{family}: {ratio:.0f}x the time for {FACTOR}x the size")
    assert not slow, f"{entry} grows faster than linearly:\n" + "\n".join(slow)
