"""Cheap rule checks: mistakes a pattern finds with certainty, no dictionary or model.

Each rule errs on the side of silence: a suggestion the person has to reject costs them
more than a mistake left for the dictionary or the model to find. So "its" becomes
"it's" only before words it cannot own ("its a", "its been"), "then" becomes "than" only
after a comparative with more words following, and "a"/"an" is judged by the sound of the
next word with the usual exceptions ("a user", "an hour"), staying silent on the
disputed ones ("an historic", "a herb").
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

from os1.skills.proofread.suggestion import Kind, Suggestion

# vowel letters that sound like a consonant ("a unit", "a one-off") and silent h ("an hour")
_YOO = ("uni", "unan", "use", "usu", "uti", "uto", "ura", "ure", "uri", "uro", "eu", "ewe")
_WON = ("one", "once")
_SILENT_H = ("hour", "honest", "honor", "honour", "heir")
_DISPUTED_H = ("herb", "histor", "hotel", "hypothe", "habitual")
_DOUBLE_OK = {"had", "that", "bye", "so", "ha", "haha", "blah", "no", "knock", "very", "many"}
_ABBREVIATIONS = {
    "e.g", "i.e", "etc", "vs", "cf", "approx", "al", "no", "fig", "p", "pp", "ca", "incl",
    "resp", "mr", "mrs", "ms", "dr", "st", "jr", "sr", "vol", "ch", "ed", "nr", "tel",
}  # fmt: skip
_COMPARATIVES = (
    "more|less|rather|other|fewer|greater|better|worse|larger|smaller|bigger|higher|lower"
    "|older|younger|faster|slower|easier|harder|longer|shorter|later|earlier"
)

_Rule = Callable[[str], Iterator[Suggestion]]
CAPITAL_REASON = "a sentence starts with a capital"


def _cased(template: str, word: str) -> str:
    """``word`` with the capitalization of ``template`` ("The" -> "The", "THE" -> "THE")."""
    if len(template) > 1 and template.isupper():
        return word.upper()
    if template[:1].isupper():
        return word[:1].upper() + word[1:]
    return word


def _make(m: re.Match[str], group: int | str, new: str, kind: Kind, reason: str) -> Suggestion:
    start, end = m.span(group)
    return Suggestion(start, end, m.group(group), new, kind, reason, "rules")


def _starts_sentence(text: str, index: int) -> bool:
    """Whether ``index`` begins a sentence: the text's start, a line's start, or after
    sentence-ending punctuation that is not an abbreviation's dot.

    Only what is just before ``index`` is looked at (never a copy of all the text before
    it, which made a file of many short sentences quadratic)."""
    start = index
    while start > 0 and text[start - 1] in _OPENERS:  # runs before candidates never overlap
        start -= 1
    if start == 0 or text[start - 1] == "\n":
        return True
    if text[start - 1] in "!?":
        return True
    return text[start - 1] == "." and not _abbreviation_before(
        text[max(0, start - _LOOK_BACK) : start]
    )


_OPENERS = frozenset(" \t\"'(“‘")
_LOOK_BACK = 100  # characters before a dot that can hold the abbreviation it ends


def _abbreviation_before(before: str) -> bool:
    """Whether the dot ending ``before`` belongs to an abbreviation, an initial or an ellipsis."""
    token = re.search(r"([\w.]*)\.$", before)
    word = token.group(1).lower() if token else ""
    return word.endswith(".") or len(word) <= 1 or "." in word or word in _ABBREVIATIONS


def doubled_words(text: str) -> Iterator[Suggestion]:
    pattern = re.compile(r"\b([A-Za-z]+)([ \t]+|[ \t]*\r?\n[ \t]*)(\1)\b", re.IGNORECASE)
    for m in pattern.finditer(text):
        if m.group(1).lower() in _DOUBLE_OK:
            continue
        word = m.group(1)
        yield _make(m, 0, word, "grammar", f'"{word}" twice in a row')


def _sound(word: str) -> str:
    """ "vowel", "consonant" or "" (unsure) for the sound ``word`` begins with."""
    lower = word.lower()
    if lower.startswith(_SILENT_H):
        return "vowel"
    if lower.startswith(_DISPUTED_H):
        return ""
    if lower.startswith(_YOO + _WON):
        return "consonant"
    return "vowel" if lower[0] in "aeiou" else "consonant"


def articles(text: str) -> Iterator[Suggestion]:
    pattern = re.compile(r"\b(a|an|A|An)[ \t]+([A-Za-z][A-Za-z'’]*)(?![\w-])")
    for m in pattern.finditer(text):
        article, word = m.group(1), m.group(2)
        if len(word) < 2 or word.isupper() or any(c.isupper() for c in word[1:]):
            continue  # letters and acronyms are read by their letter names: "an FBI agent"
        if article[0] == "A" and not _starts_sentence(text, m.start()):
            continue  # "plan A or B"
        sound = _sound(word)
        if article.lower() == "a" and sound == "vowel":
            yield _make(m, 1, _cased(article, "an"), "grammar", f'"an" before "{word}"')
        elif article.lower() == "an" and sound == "consonant" and word[0] not in "hH":
            yield _make(m, 1, _cased(article, "a"), "grammar", f'"a" before "{word}"')


def spacing(text: str) -> Iterator[Suggestion]:
    # exactly two spaces between words: three or more are likely alignment
    for m in re.finditer(r"(?<=\S)( {2})(?=\S)", text):
        yield _make(m, 1, " ", "style", "two spaces where one will do")
    for m in re.finditer(r"(?<=[A-Za-z)])([ \t]+([,;:!?]|\.(?!\.)))(?=\s|$)", text):
        mark = m.group(2)
        yield _make(m, 1, mark, "style", f'no space before "{mark}"')


def _confusion(pattern: str, group: int, new: Callable[[str], str], kind: Kind, why: str) -> _Rule:
    compiled = re.compile(pattern, re.IGNORECASE)

    def rule(text: str) -> Iterator[Suggestion]:
        for m in compiled.finditer(text):
            old = m.group(group)
            yield _make(m, group, _cased(old, new(old)), kind, why.format(old=old.lower()))

    return rule


_CONFUSIONS: tuple[_Rule, ...] = (
    _confusion(
        r"\b(?:could|would|should|must|might)[ \t]+(of)\b(?![ \t]+course\b)",
        1,
        lambda _: "have",
        "grammar",
        '"of" here is "have" (said as "could\'ve")',
    ),
    _confusion(r"\b(alot)\b", 1, lambda _: "a lot", "spelling", '"a lot" is two words'),
    _confusion(
        r"\b(its)(?=[ \t]+(?:a|an|the|not|been|going|gonna|getting|ok|okay|raining|true)\b)",
        1,
        lambda _: "it's",
        "grammar",
        '"it\'s" (it is / it has), not the possessive "its"',
    ),
    _confusion(
        r"\b(it['’]s)(?=[ \t]+own\b)", 1, lambda _: "its", "grammar", 'possessive "its own"'
    ),
    _confusion(
        r"\b(your)(?=[ \t]+welcome\b)", 1, lambda _: "you're", "grammar", '"you\'re" (you are)'
    ),
    _confusion(
        rf"\b(?:{_COMPARATIVES})[ \t]+(then)(?=[ \t]+\w)",
        1,
        lambda _: "than",
        "grammar",
        'comparisons take "than"',
    ),
    _confusion(
        r"\b(their)(?=[ \t]+(?:is|are|was|were)\b)", 1, lambda _: "there", "grammar", '"there is"'
    ),
    _confusion(
        r"\b(?:am|is|are|was|were|be|been)[ \t]+(suppose)(?=[ \t]+to\b)",
        1,
        lambda _: "supposed",
        "grammar",
        '"supposed to"',
    ),
    _confusion(r"\b(irregardless)\b", 1, lambda _: "regardless", "style", '"regardless" says it'),
    _confusion(
        r"\b(for all intensive purposes)\b",
        1,
        lambda _: "for all intents and purposes",
        "grammar",
        'the idiom is "intents and purposes"',
    ),
)


def lone_i(text: str) -> Iterator[Suggestion]:
    pattern = re.compile(r"(?<![\w(.'’/-])(i)(?=[ \t\r\n,;:!?]|['’](?:m|ve|ll|d)\b)")
    for m in pattern.finditer(text):
        yield _make(m, 1, "I", "grammar", '"I" is always a capital')


def sentence_case(text: str) -> Iterator[Suggestion]:
    """A sentence or paragraph that starts lower-case ("thanks. see you" -> "See")."""
    # possessive runs: three ``[ \t]*`` in a row tried every way to share a run of spaces
    starts = re.compile(r"(?:\A|[.!?][ \t]*+\r?\n?[ \t]*+|\n[ \t]*+\r?\n)[ \t]*+([a-z][a-z'’]*)\b")
    for m in starts.finditer(text):
        word = m.group(1)
        if word == "i" or not _starts_sentence(text, m.start(1)):
            continue
        mark, after = m.group(0)[:1], m.group(0)[1:2]
        if mark in ".!?" and not after.isspace():
            continue  # no space after the dot: "os1.com", "3.5"
        fixed = word[0].upper() + word[1:]
        yield _make(m, 1, fixed, "grammar", CAPITAL_REASON)


RULES: tuple[_Rule, ...] = (doubled_words, articles, spacing, *_CONFUSIONS, lone_i, sentence_case)


def rule_suggestions(text: str) -> list[Suggestion]:
    """Every rule's suggestions for ``text``, unmerged (they may overlap)."""
    return [s for rule in RULES for s in rule(text)]
