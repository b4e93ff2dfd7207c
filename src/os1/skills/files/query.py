"""A description of a file in a person's words, as kinds, a time window and words.

"the PDF about my lease from spring" → kind pdf, the most recent spring, the word
"lease". Kind words become file extensions, time words a window of modification times
(seasons as in the northern hemisphere; "last summer" is the last one that has ended),
and whatever is left, minus filler words, the words to look for in names and text.
A few words bring their usual synonyms (a CV is also a résumé).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

PHOTO = {
    ".jpg",
    ".jpeg",
    ".png",
    ".heic",
    ".heif",
    ".gif",
    ".webp",
    ".tif",
    ".tiff",
    ".dng",
    ".cr2",
    ".nef",
    ".arw",
    ".raw",
    ".bmp",
}
AUDIO = {".mp3", ".m4a", ".flac", ".ogg", ".opus", ".wav", ".aac", ".wma", ".aiff"}
VIDEO = {".mp4", ".mov", ".mkv", ".avi", ".webm", ".m4v", ".wmv", ".mpg", ".mpeg", ".3gp"}
SHEET = {".xlsx", ".xls", ".ods", ".csv", ".tsv", ".numbers"}
DOCUMENT = {".pdf", ".doc", ".docx", ".odt", ".rtf", ".txt", ".md", ".pages", ".tex"}
SLIDES = {".ppt", ".pptx", ".odp", ".key"}
ARCHIVE = {".zip", ".tar", ".gz", ".tgz", ".bz2", ".xz", ".7z", ".rar"}
KINDS: dict[str, tuple[str, set[str]]] = {}
for _label, _exts, _words in (
    ("PDF", {".pdf"}, "pdf pdfs"),
    (
        "photo",
        PHOTO,
        "photo photos picture pictures pic pics image images selfie selfies"
        " screenshot screenshots jpg jpeg png",
    ),
    ("song", AUDIO, "music song songs audio track tracks recording recordings mp3 podcast"),
    ("video", VIDEO, "video videos movie movies film films clip clips mp4"),
    ("spreadsheet", SHEET, "spreadsheet spreadsheets sheet sheets excel xlsx csv table"),
    ("document", DOCUMENT, "document documents doc docs docx word letter letters essay"),
    ("presentation", SLIDES, "presentation presentations slides slide deck powerpoint"),
    ("note", {".txt", ".md", ".org"}, "note notes text txt markdown"),
    ("archive", ARCHIVE, "zip zips archive tarball"),
    ("e-book", {".epub", ".mobi", ".azw3", ".pdf"}, "ebook ebooks e-book epub"),
):
    for _word in _words.split():
        KINDS[_word] = (_label, _exts)

SYNONYMS = {
    "cv": {"resume", "curriculum", "vitae", "lebenslauf"},
    "resume": {"cv", "curriculum", "vitae"},
    "lease": {"tenancy", "rental", "rent"},
    "rent": {"lease", "rental", "tenancy"},
    "invoice": {"bill", "receipt"},
    "receipt": {"invoice", "bill"},
    "tax": {"taxes", "irs", "hmrc"},
    "passport": {"visa", "id"},
}
_FILLER_WORDS = (
    "a an the my our your his her their me i we you it its of in on at to for from about"
    " with and or that this these those some any find where wheres is was were be had have"
    " has file files folder which what called named thing one ones old new please show get"
    " did do put saved took taken got sent by"
)
FILLER = frozenset(_FILLER_WORDS.split())
_MONTH_NAMES = (
    "january february march april may june july august september october november december"
)
# full names only: "jan" and "sep" are also people and words
MONTHS = {month: number for number, month in enumerate(_MONTH_NAMES.split(), start=1)}
SEASONS = {"spring": 3, "summer": 6, "autumn": 9, "fall": 9, "winter": 12}


@dataclass(frozen=True)
class Query:
    words: tuple[str, ...]
    kind: str = ""
    extensions: frozenset[str] = frozenset()
    start: float | None = None  # mtime window, epoch seconds
    end: float | None = None
    when: str = ""  # the window in words
    synonyms: dict[str, frozenset[str]] = field(default_factory=dict)


def tokens(text: str) -> list[str]:
    """Lower-case words of ``text``, split at punctuation, digits/letters and camelCase."""
    spaced = re.sub(r"(?<=[a-z])(?=[A-Z])", " ", text)
    return [stem(t) for t in re.findall(r"[^\W\d_]+|\d+", spaced.casefold())]


def stem(word: str) -> str:
    """A crude plural fold, enough for names: leases → lease, photos → photo."""
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


def parse(description: str, now: float) -> Query:
    """``description`` as a ``Query`` relative to the clock ``now``."""
    raw = re.findall(r"[^\W_]+(?:-[^\W_]+)?", description.casefold())
    today = dt.datetime.fromtimestamp(now)
    window, when, used = _time_window(raw, today)
    kind, extensions = "", frozenset[str]()
    words: list[str] = []
    for i, word in enumerate(raw):
        if i in used:
            continue
        if word in KINDS and not kind:
            kind, exts = KINDS[word]
            extensions = frozenset(exts)
            continue
        if word in FILLER or word in KINDS:
            continue
        words.append(stem(word))
    synonyms = {w: frozenset(SYNONYMS[w]) for w in words if w in SYNONYMS}
    start, end = window if window else (None, None)
    return Query(tuple(dict.fromkeys(words)), kind, extensions, start, end, when, synonyms)


def _time_window(
    raw: list[str], today: dt.datetime
) -> tuple[tuple[float, float] | None, str, set[int]]:
    """The first time phrase in ``raw``: (start, end) epoch seconds, its words, indexes used."""
    for i, word in enumerate(raw):
        before = raw[i - 1] if i else ""
        modifier = before if before in ("last", "this", "past") else ""
        used = {i, i - 1} if modifier else {i}
        found = _phrase(word, modifier, raw[i + 1] if i + 1 < len(raw) else "", today)
        if found is not None:
            (start, end), words, extra = found
            return (start.timestamp(), end.timestamp()), words, used | {i + n for n in extra}
    return None, "", set()


def _phrase(
    word: str, modifier: str, after: str, today: dt.datetime
) -> tuple[tuple[dt.datetime, dt.datetime], str, set[int]] | None:
    midnight = today.replace(hour=0, minute=0, second=0, microsecond=0)
    if word == "today":
        return (midnight, today), "today", set()
    if word == "yesterday":
        return (midnight - dt.timedelta(days=1), midnight), "yesterday", set()
    if word in ("recent", "recently", "lately"):
        return (today - dt.timedelta(days=30), today), "the last 30 days", set()
    if word == "week" and modifier:
        days = 7 if modifier == "this" else 14
        return (today - dt.timedelta(days=days), today), f"{modifier} week", set()
    if word == "month" and modifier:
        first = midnight.replace(day=1)
        if modifier == "this":
            return (first, today), "this month", set()
        previous = (first - dt.timedelta(days=1)).replace(day=1)
        return (previous, first), "last month", set()
    if word == "year" and modifier:
        jan = midnight.replace(month=1, day=1)
        if modifier == "this":
            return (jan, today), "this year", set()
        return (jan.replace(year=jan.year - 1), jan), f"{jan.year - 1}", set()
    if word == "year" and after == "ago":
        return (
            (today - dt.timedelta(days=548), today - dt.timedelta(days=182)),
            "about a year ago",
            {1},
        )
    if re.fullmatch(r"(19|20)\d\d", word):
        year = int(word)
        return (dt.datetime(year, 1, 1), dt.datetime(year + 1, 1, 1)), word, set()
    if word in SEASONS:
        return _season(word, modifier, today)
    if word in MONTHS and (word != "may" or modifier):
        return _month(MONTHS[word], modifier, today), word.capitalize(), set()
    return None


def _season(
    word: str, modifier: str, today: dt.datetime
) -> tuple[tuple[dt.datetime, dt.datetime], str, set[int]]:
    first_month = SEASONS[word]
    year = today.year + (1 if first_month == 12 and today.month == 12 else 0)
    while True:
        start = (
            dt.datetime(year, first_month, 1) if first_month != 12 else dt.datetime(year - 1, 12, 1)
        )
        end_month = first_month + 3
        end = dt.datetime(start.year + (end_month - 1) // 12, (end_month - 1) % 12 + 1, 1)
        if modifier == "this" or (start <= today and (modifier != "last" or end <= today)):
            break
        year -= 1
    label = (
        f"{word} {start.year}" if first_month != 12 else f"winter {start.year}/{end.year % 100:02d}"
    )
    return (start, end), label, set()


def _month(number: int, modifier: str, today: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    year = today.year
    if number > today.month or (modifier == "last" and number == today.month):
        year -= 1
    start = dt.datetime(year, number, 1)
    end = dt.datetime(year + number // 12, number % 12 + 1, 1)
    return start, end
