"""Finding a file from a description: "the PDF about my lease from spring", "my CV".

The description becomes a ``Query`` (kind, time window, words; see ``query``). Every
file below the roots is scored from metadata first: a word in the file's name counts
most, a word in a folder on its path less, the right kind is required when one was
named, and a time inside the window adds. Then the text of the most promising small
text files (and the first pages of PDFs, through pypdf) is read, a few KB each, in a
worker thread, so "the letter about the boiler" finds ``scan_0041.pdf`` too. Each match
says why it matched, so the person can judge it.
"""

from __future__ import annotations

import logging
import os
import time
import warnings
from collections.abc import Iterable
from dataclasses import dataclass, field

from os1.skills.files.query import Query, tokens
from os1.skills.files.scan import Entry, scan

TEXT_LIKE = frozenset({".txt", ".md", ".csv", ".tsv", ".org", ".rst", ".tex", ".json", ".html"})
READ_BYTES = 8 * 1024
TEXT_MAX_SIZE = 2 * 10**6
PDF_MAX_SIZE = 30 * 10**6
PDF_PAGES = 2
READ_AT_MOST = 2000  # text files opened per search
PDF_AT_MOST = 150  # PDFs opened per search (pypdf is the slow part)
NEAR_AFTER = 45 * 86400  # files are often saved a while after the event


@dataclass
class Match:
    path: str
    size: int
    mtime: float
    score: float
    why: list[str] = field(default_factory=list)


@dataclass
class Found:
    matches: list[Match]
    looked_at: int
    seconds: float
    roots: list[str]


def _said(word: str, matched: set[str] | frozenset[str], where: str) -> str:
    form = min(matched) if matched else word
    return f'"{form}" {where}' + (f' (for "{word}")' if form != word else "")


def _word_hits(query: Query, name: set[str], folders: set[str]) -> tuple[float, list[str]]:
    score, why = 0.0, []
    for word in query.words:
        forms = {word} | query.synonyms.get(word, frozenset())
        if hit := forms & name:
            score += 3
            why.append(_said(word, hit, "in the name"))
        elif len(word) >= 3 and any(
            t.startswith(word) or (len(t) >= 4 and word.startswith(t)) for t in name
        ):
            score += 1.5
            why.append(_said(word, set(), "in part of the name"))
        elif hit := forms & folders:
            score += 1.5
            why.append(_said(word, hit, "in a folder name"))
    return score, why


def _time_score(query: Query, mtime: float) -> tuple[float, str]:
    if query.start is None or query.end is None:
        return 0.0, ""
    if query.start <= mtime < query.end:
        return 2.0, f"changed in {query.when}"
    if query.end <= mtime < query.end + NEAR_AFTER:
        return 1.0, f"changed soon after {query.when}"
    return 0.0, ""


def rank(query: Query, files: Iterable[Entry], roots: list[str]) -> list[Match]:
    """Scores from names, kinds and times (no file is opened here)."""
    matches = []
    for entry in files:
        ext = os.path.splitext(entry.path)[1].casefold()
        if query.extensions and ext not in query.extensions:
            continue
        root = next((r for r in roots if entry.path.startswith(r)), "")
        rel = entry.path[len(root) :].lstrip(os.sep)
        folder, base = os.path.split(rel)
        name = set(tokens(os.path.splitext(base)[0]))
        score, why = _word_hits(query, name, set(tokens(folder)))
        mtime = entry.mtime_ns / 1e9
        bonus, when = _time_score(query, mtime)
        if query.extensions:
            score += 1
            why.insert(0, f"a {query.kind}")
        if when:
            score += bonus
            why.append(when)
        matches.append(Match(entry.path, entry.size, mtime, score, why))
    return matches


def _read_text(path: str, ext: str) -> str:
    try:
        if ext == ".pdf":
            return _pdf_text(path)
        with open(path, "rb") as stream:
            return stream.read(READ_BYTES).decode("utf-8", errors="ignore")
    except Exception:  # someone else's file format: unreadable means "no text", not a crash
        return ""


def _pdf_text(path: str) -> str:
    from pypdf import PdfReader

    reader = PdfReader(path)
    parts = []
    for page in reader.pages[:PDF_PAGES]:
        parts.append(page.extract_text() or "")
        if sum(map(len, parts)) >= READ_BYTES:
            break
    return "".join(parts)[:READ_BYTES]


def add_content(query: Query, matches: list[Match]) -> None:
    """Look inside the most promising small text files and PDFs for the query's words."""
    if not query.words:
        return
    texts = [m for m in matches if _readable_kind(m)]
    texts.sort(key=lambda m: (-m.score, -m.mtime))
    pdfs = [m for m in texts if m.path.casefold().endswith(".pdf")][:PDF_AT_MOST]
    plain = [m for m in texts if not m.path.casefold().endswith(".pdf")][:READ_AT_MOST]
    logging.getLogger("pypdf").setLevel(logging.ERROR)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pypdf warns about every damaged PDF it reads
        for match in [*pdfs, *plain]:
            ext = os.path.splitext(match.path)[1].casefold()
            inside = set(tokens(_read_text(match.path, ext)))
            for word in query.words:
                forms = {word} | query.synonyms.get(word, frozenset())
                hit = forms & inside
                if hit and not any(f'"{word}"' in w for w in match.why):
                    match.score += 2
                    match.why.append(_said(word, hit, "in the text"))


def _readable_kind(match: Match) -> bool:
    ext = os.path.splitext(match.path)[1].casefold()
    if ext == ".pdf":
        return match.size <= PDF_MAX_SIZE
    return ext in TEXT_LIKE and match.size <= TEXT_MAX_SIZE


def find_files(
    query: Query, roots: list[str], *, exclude: Iterable[str] = (), limit: int = 5
) -> Found:
    """The best ``limit`` matches for ``query`` below ``roots`` (real absolute folders)."""
    started = time.perf_counter()
    files: list[Entry] = []
    for root in roots:
        files.extend(scan(root, exclude=exclude).files)
    matches = rank(query, files, roots)
    add_content(query, matches)
    word_hit = [m for m in matches if any('"' in w for w in m.why)]
    if query.words:
        matches = word_hit
    elif query.start is not None:
        matches = [m for m in matches if any("changed" in w for w in m.why)]
    elif not query.extensions:
        matches = []
    matches.sort(key=lambda m: (-m.score, -m.mtime, m.path))
    return Found(matches[:limit], len(files), time.perf_counter() - started, roots)
