"""Affect: the person's mood in a message, and how close the two have grown over days.

No model call: this runs on every message of every person and on a year of history at
once, so it must be instant. The mood is a classic lexicon score, after the idea of VADER
(Hutto & Gilbert, 2014): words carry a valence from -1 (sad, angry) to +1 (happy), a
negation just before a word flips and softens it ("not happy"), an intensifier strengthens
it ("so tired") and a dampener weakens it ("a bit sad"), a word after "but" counts more
than one before it, shouting (CAPS, "!") adds weight, and the sum is squashed into -1..1
with ``x / sqrt(x² + 1)``. The word list and code here are our own, a few hundred common
English words of feeling, each with one of the labels ``joyful``, ``calm``, ``sad``,
``anxious`` or ``angry`` (``neutral`` when nothing speaks of a feeling).

Closeness is a bounded score in 0..1, carried from day to day (``closeness_after``)::

    a day you talk:  c' = c + (1 - c) * gain,
                     gain = TALK + PER_MESSAGE * min(m, 4) + PER_DISCLOSURE * min(d, 3)
    a silent day:    c' = c * (1 - FADE)

with ``m`` the person's messages that day and ``d`` those that disclose something personal
(first person plus a feeling, family, or a plan). Each talking day closes part of the
remaining distance (so it never reaches 1); silence fades it by 1% a day (half-life about
ten weeks), so a long absence cools the relationship without erasing it.

Trust, in 0..1 too, moves on other things: confiding is trust shown, and words of anger
aimed at the companion ("you are useless") break some of it (``trust_after``)::

    a day you talk:  t' = (t + (1 - t) * CONFIDE * min(d, 3)) * (1 - BREACH) ** min(s, 3)
    a silent day:    t' = t

with ``s`` that day's angry messages aimed at the companion ("you", "your", "os1").
Silence does not wear trust away: one does not trust a friend less for not calling.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

LABELS = ("joyful", "calm", "sad", "anxious", "angry")
NEUTRAL = "neutral"
MAX_CHARS = 20_000  # a longer message is scored by its first 20,000 characters

# word:valence, grouped by the feeling they speak of (valence in hundredths)
_WORDS = {
    "joyful": """happy:70 happier:70 happiest:80 happiness:70 glad:60 joy:80 joyful:80
    joyous:80 delighted:80 delightful:70 thrilled:80 excited:70 exciting:60 excitement:60
    ecstatic:90 elated:80 overjoyed:90 cheerful:60 cheery:50 wonderful:80 amazing:80
    amazed:60 awesome:70 great:60 fantastic:80 fabulous:70 excellent:70 brilliant:70
    superb:70 terrific:70 marvelous:70 marvellous:70 love:70 loved:70 loving:60 lovely:60
    adore:70 adored:60 enjoy:50 enjoyed:50 enjoying:50 fun:50 funny:40 laugh:50 laughed:50
    laughing:50 smile:50 smiled:50 smiling:50 proud:60 grateful:60 thankful:60 thanks:30
    blessed:60 lucky:50 win:50 won:50 winning:50 celebrate:60 celebrated:60 celebrating:60
    success:60 successful:60 yay:60 hooray:60 woohoo:60 best:60 good:40 nice:40 cool:30
    sweet:40 beautiful:60 gorgeous:60 perfect:60 glorious:70 stoked:70 pumped:60 bliss:80
    blissful:80 jubilant:80 hopeful:50 optimistic:50 inspired:60 motivated:50 energized:50
    wow:40 haha:40 lol:30 hehe:30 fond:40 incredible:60 grand:40 yes:10""",
    "calm": """calm:50 calmer:50 peaceful:60 peace:50 relaxed:60 relaxing:50 relax:40
    rested:50 restful:50 content:50 contented:50 comfortable:40 cozy:50 cosy:50 serene:60
    tranquil:60 gentle:30 safe:40 secure:40 relieved:50 relief:50 okay:10 ok:10 fine:15
    alright:15 steady:30 grounded:40 balanced:40 chill:40 mellow:40 soothing:50 soothed:40
    satisfied:50 refreshed:50 better:40 healed:40 recovered:30 patient:30 settled:30
    unwind:30 quiet:20 easy:20 cared:40 hugged:40 warm:30""",
    "sad": """sad:60 sadder:60 saddest:70 sadness:60 unhappy:60 miserable:80 depressed:80
    depressing:70 depression:70 gloomy:50 lonely:60 lonelier:60 loneliness:60 alone:40
    heartbroken:90 heartbreak:80 broken:50 hurt:50 hurts:50 hurting:60 cry:60 cried:60
    crying:60 tears:50 weep:60 wept:60 grief:80 grieving:80 grieve:70 mourning:70 loss:50
    lost:40 miss:30 missed:30 missing:30 sorry:30 regret:50 disappointed:60
    disappointing:60 disappointment:60 hopeless:80 helpless:60 empty:50 numb:50 tired:40
    exhausted:60 drained:50 weary:50 awful:70 terrible:70 horrible:70 bad:50 worse:60
    worst:70 sick:40 pain:50 painful:60 suffer:60 suffering:70 died:60 dead:50
    death:60 funeral:60 lose:40 failed:50 fail:50 failure:60 rejected:60 unloved:70
    worthless:80 useless:60 bored:30 boring:30 meh:20 sigh:20 despair:80 devastated:90
    crushed:60 upset:50 sorrow:70 unwanted:60 homesick:50 blah:20 down:20 low:20""",
    "anxious": """anxious:60 anxiety:60 worried:60 worry:50 worrying:50 worries:50
    nervous:50 scared:60 afraid:60 fear:60 fears:60 frightened:70 terrified:80 panic:70
    panicking:70 panicked:70 stressed:60 stress:50 stressful:60 tense:50 uneasy:50
    restless:40 overwhelmed:60 overwhelming:50 insecure:50 unsure:30 uncertain:30 doubt:30
    dread:70 dreading:70 dreadful:60 shaky:40 jittery:40 paranoid:50 alarmed:50
    concerned:40 troubled:50 trouble:40 pressure:40 freaking:50 freaked:50 apprehensive:50
    insomnia:40 sleepless:40 fretting:50 edgy:40 frantic:60 desperate:60 confused:30
    embarrassed:40 ashamed:60 shame:50 guilty:50 guilt:50 awkward:30 deadline:20""",
    "angry": """angry:70 anger:70 mad:60 furious:90 rage:80 raging:80 livid:90
    irritated:50 irritating:50 annoyed:50 annoying:50 frustrated:60 frustrating:60
    frustration:60 hate:70 hated:70 hates:60 hating:70 resent:60 resentful:60 bitter:50
    outraged:80 outrageous:60 disgusted:70 disgusting:70 gross:40 pissed:70 cranky:40
    grumpy:40 hostile:60 unfair:50 betrayed:80 insulted:60 offended:50 jealous:40
    stupid:50 idiot:60 idiots:60 damn:30 dammit:40 crap:40 argh:40 ugh:30 grr:40
    yelled:50 yelling:50 shouted:40 fight:40 fought:40 argument:40 argued:40 cheated:60
    lied:50 liar:60 rude:50 jerk:50 infuriating:80 infuriated:80 fuming:80""",
}
_POSITIVE = frozenset({"joyful", "calm"})
LEXICON: dict[str, tuple[float, str]] = {
    word: ((1 if label in _POSITIVE else -1) * int(value) / 100, label)
    for label, block in _WORDS.items()
    for word, value in (item.split(":") for item in block.split())
}
# emoji and emoticons, found anywhere in the text (they are not words)
SYMBOLS: dict[str, tuple[float, str]] = {
    "😊": (0.6, "joyful"), "😀": (0.6, "joyful"), "😃": (0.6, "joyful"), "😄": (0.6, "joyful"),
    "😁": (0.6, "joyful"), "😂": (0.5, "joyful"), "🤣": (0.5, "joyful"), "🥰": (0.7, "joyful"),
    "😍": (0.7, "joyful"), "❤": (0.6, "joyful"), "💕": (0.6, "joyful"), "🎉": (0.6, "joyful"),
    "🙂": (0.3, "calm"), "😌": (0.4, "calm"), "😢": (-0.6, "sad"), "😭": (-0.7, "sad"),
    "😞": (-0.5, "sad"), "😔": (-0.5, "sad"), "💔": (-0.7, "sad"), "🙁": (-0.4, "sad"),
    "☹": (-0.5, "sad"), "😟": (-0.5, "anxious"), "😰": (-0.6, "anxious"),
    "😨": (-0.6, "anxious"), "😱": (-0.6, "anxious"), "😬": (-0.3, "anxious"),
    "😡": (-0.8, "angry"), "😠": (-0.7, "angry"), "🤬": (-0.9, "angry"),
    ":)": (0.4, "joyful"), ":-)": (0.4, "joyful"), ":D": (0.5, "joyful"), "<3": (0.5, "joyful"),
    ":(": (-0.4, "sad"), ":-(": (-0.4, "sad"), ":'(": (-0.6, "sad"),
}  # fmt: skip


def _set(words: str) -> frozenset[str]:
    return frozenset(words.split())


NEGATIONS = _set(
    "not no never none nobody nothing neither nor without cannot aint dont doesnt didnt isnt"
    " arent wasnt werent wont wouldnt shouldnt couldnt havent hasnt hadnt cant"
)
BOOST = 1.4
INTENSIFIERS = dict.fromkeys(
    _set(
        "very so really extremely incredibly super totally absolutely deeply truly too"
        " completely utterly especially seriously insanely hugely terribly awfully bloody most"
        " such"
    ),
    BOOST,
)
INTENSIFIERS.update(dict.fromkeys(_set("slightly somewhat bit little kinda sorta fairly"), 0.6))
INTENSIFIERS.update({"hardly": 0.3, "barely": 0.3, "quite": 1.1, "pretty": 1.1})  # fmt: skip
NEGATED_LABEL = {"joyful": "sad", "calm": "anxious", "anxious": "calm"}  # sad/angry -> none
NEGATION = 0.7  # "not happy" is less sad than "sad" is
NEGATION_REACH, INTENSIFIER_REACH = 3, 2  # words looked back, within one clause
BUT_BEFORE, BUT_AFTER = 0.5, 1.5
SHOUT, BANG, MOST_BANGS = 1.25, 0.07, 3
FIRST_PERSON = _set("i im ive id ill my me myself mine")
PERSONAL = _set(
    "feel feeling felt mom mum mother dad father parents sister brother wife husband partner"
    " girlfriend boyfriend son daughter kids children child baby family grandma grandpa aunt"
    " uncle cousin niece nephew friend friends dog cat plan plans planning planned gonna"
    " wanna hope hoping dream goal goals tomorrow weekend next"
)
TALK, PER_MESSAGE, PER_DISCLOSURE, FADE = 0.01, 0.005, 0.015, 0.01
CONFIDE, BREACH = 0.02, 0.1
_AT_YOU = re.compile(r"\b(you|your|you're|youre|u|os1)\b", re.IGNORECASE)

_TOKEN = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)?|[.!?;:,]")
_CLAUSE_END = frozenset(".!?;:,")
_LONG_RUN = re.compile(r"(.)\1{2,}")
_SYMBOL = re.compile("|".join(re.escape(s) for s in sorted(SYMBOLS, key=len, reverse=True)))
_KNOWN = frozenset(LEXICON) | NEGATIONS | frozenset(INTENSIFIERS)


@dataclass(frozen=True)
class Mood:
    """A message's feeling: ``valence`` in -1..1, its ``label``, and how many cues it had."""

    valence: float
    label: str
    cues: int


@dataclass(frozen=True)
class DayMood:
    """One calendar day: messages, mean mood (None on a silent day), label, closeness;
    with the emotion reader (``persona.emotions``), the day's strongest feelings as
    (label, share) and the words that drove them."""

    date: dt.date
    messages: int
    mood: float | None
    mood_label: str | None
    closeness: float
    feelings: tuple[tuple[str, float], ...] = ()
    words: tuple[str, ...] = ()
    trust: float = 0.0
    known: int = 0  # facts the companion holds about the person, learned by this day

    def as_dict(self) -> dict[str, object]:
        """The day as the doors give it (``os1 mood --json``, ``GET /api/timeline``)."""
        return {
            "date": self.date.isoformat(), "messages": self.messages, "mood": self.mood,
            "mood_label": self.mood_label, "closeness": self.closeness, "trust": self.trust,
            "known": self.known,
            "feelings": [{"label": label, "share": share} for label, share in self.feelings],
            "words": list(self.words),
        }  # fmt: skip


def _normal(word: str) -> str:
    """A lowered word with stretched letters undone when that makes it known ("sooo")."""
    if word in _KNOWN or not _LONG_RUN.search(word):
        return word
    for shorter in (_LONG_RUN.sub(r"\1\1", word), _LONG_RUN.sub(r"\1", word)):
        if shorter in _KNOWN:
            return shorter
    return word


def _lookup(word: str) -> tuple[float, str] | None:
    found = LEXICON.get(word)
    if found is None and word.endswith("s") and len(word) > 3:
        found = LEXICON.get(word[:-1])
    return found


def _tokens(text: str) -> tuple[list[str], list[str]]:
    """(raw, lowered) tokens: words and clause punctuation; apostrophes dropped
    ("don't" -> "dont") so contractions match one spelling."""
    clean = unicodedata.normalize("NFKC", text[:MAX_CHARS]).replace("\u2019", "'")
    raw = [t.replace("'", "") for t in _TOKEN.findall(clean)]
    return raw, [_normal(t.casefold()) for t in raw]


def _weight(words: list[str], i: int) -> tuple[float, bool]:
    """The multiplier of intensifiers before word ``i``, and whether a negation reaches it."""
    factor, negated = 1.0, False
    for back in range(1, NEGATION_REACH + 1):
        j = i - back
        if j < 0 or words[j] in _CLAUSE_END:
            break
        if words[j] in NEGATIONS:
            negated = True
        elif back <= INTENSIFIER_REACH and words[j] in INTENSIFIERS:
            factor *= INTENSIFIERS[words[j]]
        elif back == 1 and words[j] == "of" and i >= 2 and words[i - 2] in ("kind", "sort"):
            factor *= 0.6  # "kind of sad"
    return min(factor, 2.0), negated


@dataclass(frozen=True)
class _Read:
    mood: Mood
    personal: bool  # it discloses something personal
    slight: bool  # anger aimed at the companion


def _analyse(text: str) -> _Read:
    """The mood of ``text``, whether it discloses something personal and whether it is
    anger aimed at the companion, in one pass."""
    raw, words = _tokens(text)
    # CAPS stand out only in a message that is not written in capitals throughout
    caps_stand_out = sum(1 for t in raw if len(t) > 1 and t.isupper()) < max(1, len(raw)) * 0.6
    but = words.index("but") if "but" in words else -1
    total, cues = 0.0, 0
    weights: defaultdict[str, float] = defaultdict(float)
    for i, word in enumerate(words):
        found = _lookup(word)
        if found is None:
            continue
        valence, label = found
        factor, negated = _weight(words, i)
        if negated:
            valence, label = -valence * NEGATION, NEGATED_LABEL.get(label, "")
        if caps_stand_out and len(raw[i]) > 1 and raw[i].isupper():
            factor *= SHOUT
        if but >= 0:
            factor *= BUT_AFTER if i > but else BUT_BEFORE
        score = valence * factor
        total += score
        cues += 1
        if label:
            weights[label] += abs(score)
    for symbol, count in Counter(_SYMBOL.findall(text, 0, MAX_CHARS)).items():
        valence, label = SYMBOLS[symbol]
        total += valence * min(count, 3)
        weights[label] += abs(valence) * min(count, 3)
        cues += count
    if total:
        total += math.copysign(BANG * min(text.count("!", 0, MAX_CHARS), MOST_BANGS), total)
    valence = total / math.sqrt(total * total + 1.0)
    label = max(LABELS, key=lambda name: weights.get(name, 0.0)) if weights else NEUTRAL
    if not weights or weights[label] < 0.1:
        label = NEUTRAL
    personal = not FIRST_PERSON.isdisjoint(words) and (cues > 0 or not PERSONAL.isdisjoint(words))
    slight = label == "angry" and valence < 0 and _AT_YOU.search(text, 0, MAX_CHARS) is not None
    return _Read(Mood(round(valence, 4), label, cues), personal, slight)


def mood_of(text: str) -> Mood:
    """The feeling ``text`` expresses (see the module docstring); never raises."""
    return _analyse(text).mood


def is_disclosure(text: str) -> bool:
    """True when ``text`` says something personal: "I"/"my" with a feeling, a person of
    their family or circle, or a plan."""
    return _analyse(text).personal


def closeness_after(previous: float, messages: int, disclosures: int) -> float:
    """Closeness after one more day (the formula is in the module docstring).

    Args:
        previous: closeness the day before, 0..1 (clamped).
        messages: the person's messages that day (0: a silent day).
        disclosures: how many of them disclosed something personal.
    """
    current = min(1.0, max(0.0, previous))
    if messages <= 0:
        return current * (1.0 - FADE)
    gain = TALK + PER_MESSAGE * min(messages, 4) + PER_DISCLOSURE * min(max(disclosures, 0), 3)
    return current + (1.0 - current) * gain


def trust_after(previous: float, disclosures: int, slights: int) -> float:
    """Trust after one more day (the formula is in the module docstring).

    Args:
        previous: trust the day before, 0..1 (clamped).
        disclosures: the person's messages that day that disclosed something personal.
        slights: their messages that day that were anger aimed at the companion.
    """
    current = min(1.0, max(0.0, previous))
    confided = current + (1.0 - current) * CONFIDE * min(max(disclosures, 0), 3)
    return confided * (1.0 - BREACH) ** min(max(slights, 0), 3)


def _day_label(labels: list[str]) -> str:
    counts = Counter(label for label in labels if label != NEUTRAL)
    if not counts:
        return NEUTRAL
    best = max(counts.values())
    return next(label for label in labels if counts.get(label) == best)  # first said wins ties


def timeline(
    said: Iterable[tuple[float, str]],
    first: dt.date,
    last: dt.date,
    tz: dt.tzinfo | None = None,
    learned: Iterable[float] = (),
) -> list[DayMood]:
    """Mood, closeness, trust and what the companion knows, for each calendar day from
    ``first`` to ``last``, oldest first.

    Args:
        said: the person's own messages as (unix time, text), any order; messages before
            ``first`` build up closeness and trust but get no entry of their own.
        first, last: the days to report (inclusive); days without messages are included.
        tz: the time zone whose calendar days count (None: the machine's local time).
        learned: when each fact the companion holds about the person was learned.

    Returns:
        One ``DayMood`` per day; ``mood`` is the mean valence of the day's messages that
        carried a feeling (0.0 if none did, None on a silent day), ``mood_label`` the most
        common feeling of the day other than neutral, ``known`` the facts learned by the
        day's end.
    """
    by_day: dict[dt.date, list[_Read]] = defaultdict(list)
    for stamp, text in said:
        day = dt.datetime.fromtimestamp(stamp, tz).date()
        if day <= last:
            by_day[day].append(_analyse(text))
    learned_on = Counter(dt.datetime.fromtimestamp(stamp, tz).date() for stamp in learned)
    known = sum(n for day, n in learned_on.items() if day < first)
    day = min([first, *by_day])
    closeness, trust, out = 0.0, 0.0, []
    while day <= last:
        read = by_day.get(day, [])
        disclosures = sum(1 for r in read if r.personal)
        closeness = closeness_after(closeness, len(read), disclosures)
        if read:  # anger at the companion confides nothing, however personal its words
            confided = sum(1 for r in read if r.personal and not r.slight)
            trust = trust_after(trust, confided, sum(1 for r in read if r.slight))
        if day >= first:
            known += learned_on.get(day, 0)
            felt = [r.mood.valence for r in read if r.mood.cues]
            out.append(
                DayMood(
                    day,
                    len(read),
                    (round(sum(felt) / len(felt), 4) if felt else 0.0) if read else None,
                    _day_label([r.mood.label for r in read]) if read else None,
                    round(closeness, 4),
                    trust=round(trust, 4),
                    known=known,
                )
            )
        day += dt.timedelta(days=1)
    return out


def closeness_now(said: Iterable[tuple[float, str]], today: dt.date) -> float:
    """Closeness on ``today`` from the person's messages (as in ``timeline``)."""
    return timeline(said, today, today)[-1].closeness
