"""Hybrid recall: words (FTS5 BM25), meaning (vectors), time, fused by reciprocal rank.

Each signal ranks candidates on its own; reciprocal rank fusion (Cormack et al., 2009)
adds ``weight / (10 + rank)`` per list, so no signal's raw scale can drown the others.
Word matches also lift the turns around them, and a question that names one speaker
prefers that speaker's turns (both measured on real talk: LoCoMo, ``bench/locomo.py``).
A time phrase in the question ("last May") becomes a window: memories inside it form a
ranked list of their own and memories outside it are discounted; the phrase's words are
left out of the word search, where they only add noise. Among near-equals the newer
memory wins, so an updated fact outranks the one it replaced. Facts that were superseded
are not returned; their history stays in the store. The best candidates of the fusion are
then put in their final order by a model learned on real talk (``fusion.py``).
"""

from __future__ import annotations

import asyncio
import math
import re
import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, NamedTuple

import numpy as np

from os1.memory.fusion import RERANK, Signals, features, learned_order
from os1.memory.vectors import VectorIndex
from os1.memory.when import Window, find_window
from os1.stopwords import STOPWORDS
from os1.store import UserStore
from os1.store.dialect import is_postgres
from os1.store.user import Scoped

Kind = Literal["episode", "fact"]
# Tuned on LoCoMo's development conversations (0-4; bench/locomo.py): a small constant
# lets the top of each list count, and meaning gets a little less say than words.
RRF_K = 10
MEANING = 0.7  # the vote of the meaning routes (split among them); words have 1.0
NEIGHBOURS = 0.5  # share of a turn's word score given to the turns just before and after
OTHER_SPEAKER = 0.7  # weight kept by others' turns when the question names one speaker
MAX_NAMES = 64  # words of a question looked up as speakers (a huge question is no list)
CANDIDATES = 100
OUTSIDE_WINDOW = 0.35  # weight kept by memories outside the question's time window
# memories of a time window ranked by meaning: the exact rerank of 5,000 was the slowest
# part of a search at 100,000 (LoCoMo's windows hold far fewer)
IN_WINDOW = 2000
COMPANION_WORDS = 0.8  # the companion's replies are weaker evidence of a life than the person's
RECENCY = 0.5  # share of one rank step given to the newest memory: it breaks ties only

HOP_FROM, HOP_WEIGHT = 3, 0.4  # second hop: from the best few, with less weight
CURRENT = re.compile(
    r"\b(now|currently|these days|at the moment|nowadays|anymore|latest|current|still)\b",
    re.IGNORECASE,
)
CURRENT_POOL = 20
COMMON_SHARE, COMMON_MIN = 0.05, 2000  # in > 5% (and > 2,000) of their messages: common
COMMON_WINDOW = 20_000  # with only common words, rank words among this many newest rows
BM25_K1, BM25_B = 1.2, 0.75  # FTS5's own, so PostgreSQL ranks words as SQLite does
DF_MOST = 5_000  # a term's rows are counted this far for its weight on PostgreSQL
_NAME = re.compile(r"(?<![.!?]\s)(?<!^)\b[A-Z][a-z]{2,}\b")


def bridge_names(query: str, texts: list[str], skip: Sequence[str] = ()) -> str:
    """An FTS query of the proper names in ``texts`` that the question does not mention
    (capitalized words not starting a sentence) and that are not in ``skip``, or "" if
    there are none."""
    asked = {w.lower() for w in re.findall(r"\w+", query)} | {w.lower() for w in skip}
    names: list[str] = []
    for text in texts:
        for name in _NAME.findall(text):
            low = name.lower()
            if low not in asked and low not in STOPWORDS and low not in names:
                names.append(low)
    return " OR ".join(f'"{n}"' for n in names[:8])


@dataclass(frozen=True)
class Hit:
    """One remembered thing, with what it rests on (``source_ids``)."""

    kind: Kind
    id: int
    text: str
    time: float
    score: float
    source_ids: tuple[str, ...] = ()
    speaker: str = ""
    session: str = ""


@dataclass(frozen=True)
class Route:
    """An embedder (``embed(texts) -> rows``, run in a worker thread) and its index."""

    embedder: Any
    index: VectorIndex


Lists = dict[Kind, list[tuple[int, float]]]  # a ranked (id, score) list per kind


@dataclass
class _Fused:
    score: float = 0.0
    lists: list[str] = field(default_factory=list)


def fts_query(text: str, drop: str = "") -> str:
    """An FTS5 OR-query of the meaningful words of ``text`` (quoted: user text is data)."""
    dropped = set(re.findall(r"\w+", drop.lower()))
    words = [w for w in re.findall(r"\w+", text.lower()) if w not in dropped]
    useful = [w for w in words if w not in STOPWORDS and len(w) > 1] or words
    unique = list(dict.fromkeys(useful))[:32]
    return " OR ".join(f'"{w}"' for w in unique)


class Retriever:
    """Searches one person's episodes and facts.

    Args:
        routes: embedding routes, each a ranked list of its own ("meaning"); none for
            word-and-time search only.
        neighbours: let word matches lift the turns around them (``with_neighbours``)
            and let the learned fusion order the best candidates; off when only the
            memories that say the words will do (choosing what to forget).
    """

    def __init__(self, routes: Sequence[Route] = (), neighbours: bool = True) -> None:
        self.routes = list(routes)
        self.neighbours = neighbours

    async def search(
        self,
        store: UserStore,
        query: str,
        k: int = 10,
        now: float | None = None,
        kinds: Sequence[Kind] = ("episode", "fact"),
    ) -> list[Hit]:
        """The ``k`` best memories for ``query``, best first."""
        hits, rows = await self.candidates(store, query, k, now, kinds)
        if rows is None:
            return hits[:k]
        return (learned_order(hits[:RERANK], rows[:RERANK]) + hits[RERANK:])[:k]

    async def candidates(
        self,
        store: UserStore,
        query: str,
        k: int = 10,
        now: float | None = None,
        kinds: Sequence[Kind] = ("episode", "fact"),
    ) -> tuple[list[Hit], np.ndarray | None]:
        """The best ``max(k, RERANK)`` memories by rank fusion, and their learned-fusion
        features (``fusion.FEATURES``; None when the learned order is off).

        The word pass, the query's embedding and each route's vector pass run at the same
        time (reader threads of their own); the fusion runs when all are in.
        """
        if not query.strip():
            return [], None
        window = find_window(query, now if now is not None else time.time())

        async def embed(route: Route) -> tuple[VectorIndex, np.ndarray]:
            rows = await asyncio.to_thread(route.embedder.embed, [query])
            return route.index, np.asarray(rows[0], dtype=np.float32)

        async def meaning(index: VectorIndex, vector: np.ndarray) -> Lists:
            return await store.read(
                lambda db: {kind: index.search(db, kind, vector, k=CANDIDATES) for kind in kinds}
            )

        async def by_meaning() -> tuple[list[tuple[VectorIndex, np.ndarray]], list[Lists]]:
            vectors = list(await asyncio.gather(*(embed(route) for route in self.routes)))
            return vectors, list(await asyncio.gather(*(meaning(i, v) for i, v in vectors)))

        (lexical, speakers), (vectors, semantic) = await asyncio.gather(
            store.read(lambda db: self._word_lists(db, query, window, kinds)), by_meaning()
        )
        speaker = speakers[0] if len(speakers) == 1 else ""

        def fuse(db: Scoped) -> tuple[list[Hit], np.ndarray | None]:
            hits, fused = self._fuse(db, query, lexical, semantic, vectors, window, kinds, speaker)
            hits = hits[: max(k, RERANK)]
            if not self.neighbours:
                return hits, None
            hopped = {key for key, entry in fused.items() if "hop" in entry.lists}
            signals = _signals(db, hits[:RERANK], lexical, vectors, window, speaker, hopped)
            return hits, features(hits[:RERANK], signals)

        return await store.read(fuse)

    def _word_lists(
        self, db: Scoped, query: str, window: Window | None, kinds: Sequence[Kind]
    ) -> tuple[Lists, list[str]]:
        """The word pass, and the speakers the question names. A time phrase's words and
        the speakers' names are left out of it: a name is rarely said by its owner, so
        it matches the other side's greetings ("Hey Caroline!") rather than the answer;
        the name counts through ``OTHER_SPEAKER`` instead (and in the words again when
        nothing else matches)."""
        speakers = asked_speakers(db, query)
        phrase = window.phrase if window else ""
        lists: Lists = {}
        for drop in ([phrase, *speakers], [phrase]) if speakers else ([phrase],):
            words = fts_query(query, drop=" ".join(drop))
            if words:
                informative, floor, counted = self._informative(db, words)
                lists = {
                    kind: self._lexical(db, kind, informative, floor, counted) for kind in kinds
                }
            if any(lists.values()):
                break
        if "episode" in lists and self.neighbours:
            lists["episode"] = with_neighbours(db, lists["episode"])
        return lists, speakers

    def _fuse(
        self,
        db: Scoped,
        query: str,
        lexical: Lists,
        semantic: list[Lists],
        vectors: list[tuple[VectorIndex, np.ndarray]],
        window: Window | None,
        kinds: Sequence[Kind],
        speaker: str,
    ) -> tuple[list[Hit], dict[tuple[Kind, int], _Fused]]:
        fused: dict[tuple[Kind, int], _Fused] = defaultdict(_Fused)

        def add(kind: Kind, ranked: Sequence[tuple[int, float]], weight: float, name: str) -> None:
            for (item, _), rank in zip(ranked, tied_ranks([s for _, s in ranked]), strict=True):
                entry = fused[(kind, item)]
                entry.score += weight / (RRF_K + rank + 1)
                entry.lists.append(name)

        share = MEANING / len(semantic) if semantic else 0.0  # routes split one vote
        for kind in kinds:
            add(kind, lexical.get(kind, []), 1.0, "words")
            for lists in semantic:
                add(kind, lists[kind], share, "meaning")
            if window is not None and kind == "episode":
                add(kind, self._in_window(db, window, vectors), 1.5, "time")
        if not fused:
            return [], fused
        first = _rank(self._load(db, fused), fused, window, speaker)
        # Second hop: names the best memories mention lead to the ones that complete them
        # ("the person who moved to Lisbon" -> Ottoline -> "Ottoline's terrier Biscuit").
        # The people talking are no bridge: their names are in every other greeting.
        said = [h.text for h in first[:HOP_FROM]]
        names = bridge_names(query, said, skip=asked_speakers(db, " ".join(said)))
        if names:
            for kind in kinds:
                add(kind, self._lexical(db, kind, names, 0), HOP_WEIGHT, "hop")
        if CURRENT.search(query):
            # "now", "these days": among the plausible answers, the latest state counts
            newest = sorted(first[:CURRENT_POOL], key=lambda h: -h.time)
            for kind in kinds:
                add(kind, [(h.id, h.time) for h in newest if h.kind == kind], 1.0, "current")
        return _rank(self._load(db, fused), fused, window, speaker), fused

    def _informative(self, db: Scoped, words: str) -> tuple[str, int, _Counted | None]:
        """Leave out words found in a large share of the person's own messages (when
        rarer ones are there): they barely move BM25, yet ranking their many matches is
        the slow part. The same idea as a "common terms" query in Lucene. When every word
        is common, the word search looks at the person's newest messages only (meaning
        still covers them all). Only the person's own messages are counted: how often
        other people use a word must not shape anyone's results.

        On PostgreSQL every term is counted in one round trip, and the counts are handed
        on to its BM25, which weighs the same terms by them."""
        terms = re.findall(r'"([^"]+)"', words)
        if len(terms) < 2:
            return words, 0, None  # nothing to leave out (BM25 counts a lone word itself)
        mine = int(db.execute("SELECT COUNT(*) FROM episodes WHERE user_id = :user_id")[0][0])
        limit = max(COMMON_MIN, int(COMMON_SHARE * mine))
        counted = None
        if is_postgres(db.conn):
            counted = _count_terms(db, "episodes", terms, max(DF_MOST, limit + 1), rows=mine)
        if mine <= limit:  # no word can be in more of their messages than they have
            return words, 0, counted
        counts = counted.held_by if counted else {t: _how_many(db, t, limit + 1) for t in terms}
        kept = [t for t in terms if counts[t] <= limit]
        floor = 0
        if not kept:
            kept = sorted(terms, key=lambda t: counts[t])[:2]
            rows = db.execute(
                "SELECT id FROM episodes WHERE user_id = :user_id ORDER BY id DESC"
                " LIMIT 1 OFFSET :window",
                {"window": COMMON_WINDOW},
            )
            floor = int(rows[0][0]) if rows else 0
        return " OR ".join(f'"{t}"' for t in kept), floor, counted

    def _lexical(
        self, db: Scoped, kind: Kind, words: str, floor: int, counted: _Counted | None = None
    ) -> list[tuple[int, float]]:
        table = "episodes" if kind == "episode" else "facts"
        extra = "" if kind == "episode" else " AND t.superseded_by IS NULL"
        floor = floor if kind == "episode" else 0
        if is_postgres(db.conn):
            terms = re.findall(r'"([^"]+)"', words)
            counted = counted if kind == "episode" else None  # counted among episodes
            return _bm25_postgres(db, table, extra, terms, floor, counted)
        rows = db.execute(
            f"SELECT t.id, f.rank FROM {table}_fts f JOIN {table} t ON t.id = f.rowid"
            f" WHERE {table}_fts MATCH :q AND f.rowid > :floor AND t.user_id = :user_id{extra}"
            " ORDER BY f.rank LIMIT :n",
            {"q": words, "n": CANDIDATES, "floor": floor},
        )
        return [(int(r[0]), -float(r[1])) for r in rows]  # FTS5 rank: lower is better

    def _in_window(
        self, db: Scoped, window: Window, vectors: list[tuple[VectorIndex, np.ndarray]]
    ) -> list[tuple[int, float]]:
        rows = db.execute(
            "SELECT id FROM episodes WHERE user_id = :user_id AND time >= :s AND time < :e"
            " ORDER BY time LIMIT :most",
            {"s": window.start, "e": window.end, "most": IN_WINDOW},
        )
        ids = [int(r[0]) for r in rows]
        for index, vector in reversed(vectors):  # the last route is the most exact
            ranked: list[tuple[int, float]] = index.rerank(db, "episode", ids, vector)
            if len(ranked) == len(ids):
                return ranked[:CANDIDATES]
        return [(i, 0.0) for i in ids[:CANDIDATES]]  # all equal: time alone decides nothing

    def _load(self, db: Scoped, fused: dict[tuple[Kind, int], _Fused]) -> list[Hit]:
        # "+user_id" keeps SQLite on the primary key for the id list; with a plain
        # user_id term it may walk the person's whole (user_id, time) index instead.
        hits: list[Hit] = []
        episode_ids = ",".join(str(i) for kind, i in fused if kind == "episode")
        if episode_ids:
            rows = db.execute(
                "SELECT id, text, time, source_id, speaker, session FROM episodes"
                f" WHERE +user_id = :user_id AND id IN ({episode_ids})"
            )
            hits += [Hit("episode", r[0], r[1], r[2], 0.0, (r[3],) if r[3] else (), r[4], r[5])
                     for r in rows]  # fmt: skip
        fact_ids = ",".join(str(i) for kind, i in fused if kind == "fact")
        if fact_ids:
            rows = db.execute(
                "SELECT f.id, f.text, COALESCE(f.valid_at, f.created_at),"
                " group_concat(e.source_id, char(31)) FROM facts f"
                " LEFT JOIN fact_sources s ON s.fact_id = f.id"
                " LEFT JOIN episodes e ON e.id = s.episode_id"
                f" WHERE +f.user_id = :user_id AND f.id IN ({fact_ids})"
                " AND f.superseded_by IS NULL GROUP BY f.id"
            )
            for r in rows:
                sources = tuple(s for s in (r[3] or "").split("\x1f") if s)
                hits.append(Hit("fact", r[0], r[1], r[2], 0.0, sources))
        return hits


def _signals(
    db: Scoped,
    hits: list[Hit],
    lexical: Lists,
    vectors: list[tuple[VectorIndex, np.ndarray]],
    window: Window | None,
    speaker: str,
    hopped: set[tuple[Kind, int]],
) -> Signals:
    """What the learned fusion reads besides the hits: word scores, the turns one and two
    away from each episode in its session, and cosines by the most exact embedder."""
    words = {(kind, item): score for kind, ranked in lexical.items() for item, score in ranked}
    episodes = [h.id for h in hits if h.kind == "episode" and h.session]
    around: dict[int, tuple[tuple[int, ...], tuple[int, ...]]] = {}
    if episodes:
        step = (
            "(SELECT o.id FROM episodes o WHERE o.user_id = e.user_id AND o.session = e.session"
            " AND (o.time, o.id) {} (e.time, e.id) ORDER BY o.time {}, o.id {} LIMIT 1 OFFSET {})"
        )
        before, after = ("<", "DESC", "DESC"), (">", "ASC", "ASC")
        columns = ", ".join(step.format(*way, skip) for skip in (0, 1) for way in (before, after))
        marks = ",".join(str(i) for i in episodes)
        rows = db.execute(
            f"SELECT e.id, {columns} FROM episodes e"
            f" WHERE +e.user_id = :user_id AND e.id IN ({marks})"
        )
        for item, *near in rows:
            one = tuple(int(i) for i in near[:2] if i is not None)
            two = tuple(int(i) for i in near[2:] if i is not None)
            around[int(item)] = (one, two)
    meaning: dict[tuple[Kind, int], float] = {}
    if vectors:
        index, vector = vectors[-1]  # the last route is the most exact
        nearby = {i for one, two in around.values() for i in one}
        wanted: dict[Kind, list[int]] = {
            "episode": sorted({h.id for h in hits if h.kind == "episode"} | nearby),
            "fact": [h.id for h in hits if h.kind == "fact"],
        }
        for kind, ids in wanted.items():
            for item, cosine in index.rerank(db, kind, ids, vector):
                meaning[(kind, item)] = cosine
    return Signals(words, meaning, around, hopped, speaker, window)


def tied_ranks(scores: Sequence[float], tolerance: float = 0.02) -> list[int]:
    """Ranks for scores sorted best first, where near-equal scores share a rank: a
    difference within ``tolerance`` (relative) is noise, and recency should decide."""
    ranks: list[int] = []
    for index, score in enumerate(scores):
        if index and abs(scores[ranks[-1]] - score) <= tolerance * max(abs(score), 1e-9):
            ranks.append(ranks[-1])
        else:
            ranks.append(index)
    return ranks


def with_neighbours(db: Scoped, ranked: list[tuple[int, float]]) -> list[tuple[int, float]]:
    """Word scores that also count the turns around each match: in talk the answer often
    sits one turn away from the words of the question ("Did you go?" "Yes, Saturday!").
    Each matched episode lends ``NEIGHBOURS`` of its score to the person's episodes just
    before and after it in time in the same conversation (session); notes and other
    memories without a session have no neighbours. On LoCoMo's development conversations
    this is worth about +0.07 recall@10 for words alone. Returns the list re-ranked, best
    first."""
    if not ranked:
        return ranked
    marks = ",".join(str(int(i)) for i, _ in ranked)
    rows = db.execute(
        "SELECT e.id,"
        " (SELECT p.id FROM episodes p WHERE p.user_id = e.user_id AND p.session = e.session"
        "  AND (p.time, p.id) < (e.time, e.id) ORDER BY p.time DESC, p.id DESC LIMIT 1),"
        " (SELECT n.id FROM episodes n WHERE n.user_id = e.user_id AND n.session = e.session"
        "  AND (n.time, n.id) > (e.time, e.id) ORDER BY n.time, n.id LIMIT 1)"
        f" FROM episodes e WHERE +e.user_id = :user_id AND e.id IN ({marks}) AND e.session != ''"
    )
    scores: dict[int, float] = defaultdict(float)
    base = {int(i): max(score, 0.0) for i, score in ranked}
    for item, score in base.items():
        scores[item] += score
    for item, *around in rows:
        for other in around:
            if other is not None:
                scores[int(other)] += NEIGHBOURS * base[int(item)]
    return sorted(scores.items(), key=lambda pair: -pair[1])


def asked_speakers(db: Scoped, query: str) -> list[str]:
    """The speakers among the person's episodes whom the question names ("What did
    Melanie paint?"); chat roles ("user") are not names."""
    roles = {"user", "assistant", "system"}
    words = {w for w in re.findall(r"\w{2,}", query) if w.lower() not in STOPWORDS | roles}
    names = sorted({form for w in words for form in (w, w.capitalize())})[:MAX_NAMES]
    if not names:
        return []
    marks = ",".join(f":n{i}" for i in range(len(names)))
    rows = db.execute(
        f"SELECT DISTINCT speaker FROM episodes WHERE user_id = :user_id AND speaker IN ({marks})",
        {f"n{i}": name for i, name in enumerate(names)},
    )
    return sorted(str(r[0]) for r in rows)


def _rank(
    hits: list[Hit], fused: dict[tuple[Kind, int], _Fused], window: Window | None, speaker: str
) -> list[Hit]:
    if not hits:
        return []
    order = {t: n for n, t in enumerate(sorted({h.time for h in hits}))}
    step = 1.0 / (RRF_K + 1) - 1.0 / (RRF_K + 2)
    scored = []
    for hit in hits:
        score = fused[(hit.kind, hit.id)].score
        if window is not None and hit.kind == "episode" and not window.contains(hit.time):
            score *= OUTSIDE_WINDOW
        if hit.speaker == "assistant":
            score *= COMPANION_WORDS
        if speaker and hit.kind == "episode" and hit.speaker != speaker:
            score *= OTHER_SPEAKER
        newness = order[hit.time] / max(1, len(order) - 1)
        score += RECENCY * step * newness
        scored.append(Hit(hit.kind, hit.id, hit.text, hit.time, round(score * 1000, 4),
                          hit.source_ids, hit.speaker, hit.session))  # fmt: skip
    scored.sort(key=lambda h: -h.score)
    seen: set[str] = set()
    unique = []
    for hit in scored:  # the same words said twice are one memory, not two results
        key = " ".join(hit.text.lower().split())
        if key not in seen:
            seen.add(key)
            unique.append(hit)
    return unique


class _Counted(NamedTuple):
    """How many of the person's rows there are, and how many hold each term (each count
    stopping where it was asked to)."""

    rows: int
    held_by: dict[str, int]


def _count_terms(
    db: Scoped, table: str, terms: Sequence[str], most: int, rows: int | None = None
) -> _Counted:
    """PostgreSQL: the person's rows of ``table`` (unless already known) and each term's,
    in one round trip."""
    names = {f"t{i}": term for i, term in enumerate(terms)}
    counts = [
        f"(SELECT COUNT(*) FROM (SELECT 1 FROM {table} t WHERE t.user_id = :user_id"
        f" AND t.fts @@ phraseto_tsquery('english', :{n}) LIMIT :most) AS hits)"
        for n in names
    ]
    if rows is None:
        counts.insert(0, f"(SELECT COUNT(*) FROM {table} WHERE user_id = :user_id)")
    if not counts:
        return _Counted(int(rows or 0), {})
    got = [int(c) for c in db.execute("SELECT " + ", ".join(counts), {**names, "most": most})[0]]
    if rows is None:
        rows, got = got[0], got[1:]
    return _Counted(rows, dict(zip(terms, got, strict=True)))


def _bm25_postgres(
    db: Scoped,
    table: str,
    extra: str,
    terms: Sequence[str],
    floor: int,
    counted: _Counted | None = None,
) -> list[tuple[int, float]]:
    """PostgreSQL's word pass (each quoted term a phrase, stemmed as the ``fts`` column
    is, OR'd together), ranked the way FTS5's BM25 ranks on SQLite.

    ``ts_rank_cd`` reads each row alone, so a word in half the person's messages counts
    as much as a name said twice; the fusion's weights were learned over BM25's order,
    and on LoCoMo the store ranked by ``ts_rank_cd`` found 0.024 less. So each term is
    weighted by its rarity among the person's own rows (Lucene's IDF, counted up to
    ``DF_MOST``), and a row's score is the sum over the terms it holds, normalized by its
    length against the matching rows' average, with FTS5's k1 and b. A term is taken to
    occur once in a row: turns are short, and a tsvector's length counts distinct words.
    ``counted`` is what the caller already counted of these terms, if anything.
    """
    terms = list(terms) or [""]
    names = {f"t{i}": term for i, term in enumerate(terms)}
    phrase = {n: f"phraseto_tsquery('english', :{n})" for n in names}
    if counted is None or any(t not in counted.held_by for t in terms):
        counted = _count_terms(db, table, terms, DF_MOST)
    rows_held = counted.rows
    held_by = [min(counted.held_by[t], DF_MOST) for t in terms]
    weights = {
        f"w{i}": math.log(1.0 + (rows_held - df + 0.5) / (df + 0.5)) for i, df in enumerate(held_by)
    }
    held = " + ".join(
        f"CASE WHEN t.fts @@ {q} THEN :w{i} ELSE 0 END" for i, q in enumerate(phrase.values())
    )
    rows = db.execute(
        f"SELECT t.id, ({held}) * :k1_plus / (1 + :k1 * (1 - :b + :b * length(t.fts)"
        " / GREATEST(AVG(length(t.fts)) OVER (), 1))) AS score"
        f" FROM {table} t WHERE t.fts @@ ({' || '.join(phrase.values())})"
        f" AND t.id > :floor AND t.user_id = :user_id{extra} ORDER BY score DESC LIMIT :n",
        {**names, **weights, "k1": BM25_K1, "k1_plus": BM25_K1 + 1, "b": BM25_B,
         "n": CANDIDATES, "floor": floor},
    )  # fmt: skip
    return [(int(r[0]), float(r[1])) for r in rows]


def _how_many(db: Scoped, term: str, most: int) -> int:
    """How many of the person's messages hold ``term``, counting no further than ``most``."""
    if is_postgres(db.conn):
        query = (
            "SELECT COUNT(*) FROM (SELECT 1 FROM episodes t WHERE t.user_id = :user_id"
            " AND t.fts @@ phraseto_tsquery('english', :term) LIMIT :most) AS hits"
        )
        return int(db.execute(query, {"term": term, "most": most})[0][0])
    query = (
        "SELECT COUNT(*) FROM (SELECT 1 FROM episodes_fts f JOIN episodes t"
        " ON t.id = f.rowid WHERE episodes_fts MATCH :term AND t.user_id = :user_id"
        " LIMIT :most)"
    )
    return int(db.execute(query, {"term": f'"{term}"', "most": most})[0][0])
