"""The person's own tone, learned from the mail they sent: how they greet, how they sign
off, how long they write, how formal they are, the phrases they reach for.

Counting, not a model: it is quick, it can be shown to the person as it is, and it is
kept as a small profile in their settings (``mail.tone``) for drafting. Quoted replies
and signatures are cut first, so other people's words never count as theirs. Counting
hundreds of long mails still takes seconds, so it runs in the parsing pool.
"""

from __future__ import annotations

import logging
import re
import statistics
from collections import Counter
from dataclasses import asdict, dataclass

from os1.parsing_pool import ParsingError, parse_bulk
from os1.skills.mail import query
from os1.skills.mail.text import own_words
from os1.store import UserStore

log = logging.getLogger(__name__)
SETTING = "mail.tone"
TONE_SECONDS = 60.0  # counting 300 sent mails in the pool (5 s if each is 20,000 characters)
_GREETING = re.compile(
    r"^(hi|hello|hey|hiya|dear|good (morning|afternoon|evening)|greetings|hallo|moin"
    r"|liebe|lieber|sehr geehrte[rs]?|bonjour|salut|ciao|hola)\b(?P<rest>[^\n]{0,40})$",
    re.I,
)
_SIGN_OFF = re.compile(
    r"^(best|cheers|thanks|thank you|many thanks|regards|kind regards|best regards"
    r"|warm regards|warmly|all the best|love|yours|sincerely|yours sincerely|ciao"
    r"|take care|talk soon|speak soon|viele grüße|liebe grüße|lg|bg|mfg"
    r"|mit freundlichen grüßen|bises|xx?)\b[^\n]{0,20}$",
    re.I,
)
_FORMAL = re.compile(r"\b(dear|regards|sincerely|kindly|would you be so kind|please find)\b", re.I)
_CASUAL = re.compile(
    r"\b(hey|cheers|thx|btw|gonna|wanna|lol|yeah|cool|awesome)\b|!|:\)|\w'(m|re|ll|ve|s|d|t)\b",
    re.I,
)
_STOP = frozenset(
    [
        "a",
        "an",
        "the",
        "and",
        "or",
        "but",
        "if",
        "of",
        "to",
        "in",
        "on",
        "at",
        "for",
        "with",
        "from",
        "by",
        "is",
        "are",
        "was",
        "were",
        "be",
        "been",
        "it",
        "this",
        "that",
        "i",
        "you",
        "we",
        "he",
        "she",
        "they",
        "me",
        "my",
        "your",
        "our",
        "their",
        "as",
        "so",
        "not",
        "no",
        "do",
        "does",
        "did",
        "have",
        "has",
        "had",
        "will",
        "would",
        "can",
        "could",
        "should",
        "just",
        "there",
        "here",
        "what",
        "when",
        "how",
        "all",
        "any",
        "some",
    ]
)
_NAME_RUN = re.compile(r"[^\W\d_][\w.'-]*(\s+[^\W\d_][\w.'-]*)*")
_WORDS = re.compile(r"[a-zà-ÿß']+", re.I)


@dataclass(frozen=True)
class ToneProfile:
    greeting: str  # e.g. "Hi {name},"
    sign_off: str  # e.g. "Cheers,\nAda"
    words: int  # typical length of a mail, in words
    formality: str  # "formal", "neutral" or "casual"
    phrases: tuple[str, ...]
    samples: int

    def describe(self) -> str:
        """The profile as instructions for a draft."""
        parts = [f"{self.formality} tone", f"about {self.words} words"]
        if self.greeting:
            parts.append(f"greeting like: {self.greeting!r}")
        if self.sign_off:
            parts.append(f"sign-off like: {self.sign_off!r}")
        if self.phrases:
            parts.append("phrases they often use: " + ", ".join(repr(p) for p in self.phrases))
        return "; ".join(parts)


def _greeting(line: str, names: set[str]) -> str | None:
    match = _GREETING.match(line.strip())
    if match is None:
        return None
    rest = match["rest"]
    words = re.findall(r"[^\W\d_]+", rest)
    if words and (words[0].lower() in names or words[0][:1].isupper()):
        rest = _NAME_RUN.sub("{name}", rest, count=1)  # "Mr Smith" -> "{name}"
    return (line.strip()[: match.start("rest")] + rest).strip()


def _sign_off(lines: list[str]) -> str | None:
    tail = [line.strip() for line in lines if line.strip()][-3:]
    for index, line in enumerate(tail):
        if _SIGN_OFF.match(line):
            closing = tail[index : index + 2]
            if len(closing) == 2 and len(closing[1].split()) > 3:
                closing = closing[:1]  # a sentence, not a name
            return "\n".join(closing)
    return None


def _phrases(texts: list[str], top: int = 5) -> tuple[str, ...]:
    """Phrases of two to four words found in several mails, not made of filler alone;
    the most frequent first, and of those the longest (so ties never depend on order)."""
    documents: Counter[str] = Counter()
    for text in texts:
        words = [w.lower() for w in _WORDS.findall(text)]
        grams = {" ".join(words[i : i + n]) for n in (2, 3, 4) for i in range(len(words) - n + 1)}
        documents.update(g for g in grams if not all(w in _STOP for w in g.split()))
    needed = max(2, len(texts) // 10)
    ranked = sorted(documents.items(), key=lambda item: (-item[1], -len(item[0]), item[0]))
    common = [g for g, c in ranked[:80] if c >= needed]
    chosen: list[str] = []
    for gram in common:  # a three-word phrase hides its two-word parts
        if not any(len(set(gram.split()) & set(other.split())) >= 2 for other in chosen):
            chosen.append(gram)
        if len(chosen) == top:
            break
    return tuple(chosen)


def profile_from(bodies: list[str], names: set[str] | None = None) -> ToneProfile | None:
    """A profile from the person's own mail bodies (None when there are none)."""
    texts = [own_words(b) for b in bodies]
    texts = [t for t in texts if t]
    if not texts:
        return None
    known = {n.lower() for n in names or set()}
    greetings: Counter[str] = Counter()
    sign_offs: Counter[str] = Counter()
    lengths, formality, middles = [], [], []
    for text in texts:
        lines = [line for line in text.split("\n") if line.strip()]
        middle = list(lines)
        if lines and (greeting := _greeting(lines[0], known)) is not None:
            greetings[greeting] += 1
            middle = middle[1:]
        if (closing := _sign_off(lines)) is not None:
            sign_offs[closing] += 1
            while middle and middle[-1].strip() in closing:
                middle.pop()
            if middle and _SIGN_OFF.match(middle[-1].strip()):
                middle.pop()
        middles.append("\n".join(middle))
        lengths.append(len(text.split()))
        formality.append(len(_FORMAL.findall(text)) - len(_CASUAL.findall(text)) * 0.5)
    mean = statistics.fmean(formality)
    return ToneProfile(
        greeting=greetings.most_common(1)[0][0] if greetings else "",
        sign_off=sign_offs.most_common(1)[0][0] if sign_offs else "",
        words=int(statistics.median(lengths)),
        formality="formal" if mean >= 0.5 else "casual" if mean <= -0.5 else "neutral",
        phrases=_phrases(middles),
        samples=len(texts),
    )


def profile_of(bodies: list[str], to_texts: list[str]) -> ToneProfile | None:
    """``profile_from`` the bodies, the names in their To lines as the names to hide."""
    names = {w for text in to_texts for w in re.findall(r"[^\W\d_]+", text)}
    return profile_from(bodies, names)


async def _counted(mails: list[query.MailRow]) -> ToneProfile | None:
    """The tone of ``mails``, counted in the parsing pool: hundreds of mails of up to
    20,000 characters take seconds, which would hold up everyone the server answers."""
    try:
        return await parse_bulk(
            TONE_SECONDS, profile_of, [m.body for m in mails], [m.to_text for m in mails]
        )
    except ParsingError as exc:
        log.warning("tone: not counted (%s)", exc.code)
        return None


async def learn_tone(store: UserStore, limit: int = 300) -> ToneProfile | None:
    """Learn the tone from the person's newest sent mails and keep it in their settings."""
    profile = await _counted(await query.sent(store, limit))
    if profile is not None:
        await store.set_setting(SETTING, asdict(profile))
    return profile


async def load_tone(store: UserStore) -> ToneProfile | None:
    data = await store.get_setting(SETTING)
    if not isinstance(data, dict):
        return None
    try:
        return ToneProfile(**{**data, "phrases": tuple(data.get("phrases", ()))})
    except TypeError:
        return None


async def current_tone(store: UserStore) -> ToneProfile | None:
    """The kept profile, or one counted now from the sent mail (without keeping it:
    reading tools must not write)."""
    kept = await load_tone(store)
    if kept is not None:
        return kept
    return await _counted(await query.sent(store, 300))
