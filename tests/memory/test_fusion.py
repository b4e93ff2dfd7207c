"""The learned fusion's features and order, on hand-made candidates."""

from __future__ import annotations

import numpy as np

from os1.memory.fusion import FEATURES, MEANS, TURN_ONLY, Signals, features, learned_order
from os1.memory.retrieval import Hit, bridge_names


def turn(item: int, text: str, score: float = 10.0, speaker: str = "Caro") -> Hit:
    return Hit("episode", item, text, 1000.0 + item, score, (f"t{item}",), speaker, "s1")


def signals(**kwargs: object) -> Signals:
    base: dict[str, object] = {"words": {}, "meaning": {}, "around": {}, "hopped": set()}
    return Signals(**{**base, **kwargs})  # type: ignore[arg-type]


def test_no_candidates_give_no_rows_and_no_order() -> None:
    assert features([], signals()).shape == (0, len(FEATURES))
    assert learned_order([], np.zeros((0, len(FEATURES)))) == []


def test_a_turn_that_asks_is_put_below_the_same_turn_that_tells() -> None:
    asks = turn(1, "Did you make a bowl at the pottery class?")
    tells = turn(2, "You did make a bowl at the pottery class.")
    hits = [asks, tells]  # rank fusion put the asking one first
    order = learned_order(hits, features(hits, signals()))
    assert [h.id for h in order] == [2, 1]
    assert all(0.0 <= h.score <= 1.0 for h in order)


def test_a_turn_after_the_matching_words_is_lifted_by_them() -> None:
    near, far = turn(3, "I made a bowl!"), turn(9, "I made a cake!")
    rows = features([far, near], signals(words={("episode", 1): 4.0}, around={3: ((2,), (1,))}))
    assert rows[1, FEATURES.index("two_away_words")] == 1.0
    assert rows[0, FEATURES.index("two_away_words")] == 0.0
    assert [h.id for h in learned_order([far, near], rows)] == [3, 9]


def test_a_turn_that_says_when_is_put_above_one_that_does_not() -> None:
    undated = turn(1, "We went camping by the lake.")
    dated = turn(2, "We went camping on Saturday.")  # the same length, a day named
    hits = [undated, dated]  # rank fusion put the undated one first
    rows = features(hits, signals())
    assert list(rows[:, FEATURES.index("tells_time")]) == [0.0, 1.0]
    assert [h.id for h in learned_order(hits, rows)] == [2, 1]
    maybe = features([turn(3, "I may go, in March perhaps.")], signals())
    assert maybe[0, FEATURES.index("tells_time")] == 0.0  # "may" and "march" are verbs too


def test_someone_elses_turn_counts_against_it_when_the_question_names_a_speaker() -> None:
    mine, theirs = turn(1, "I painted a lake."), turn(2, "I painted a lake.", speaker="Mel")
    rows = features([theirs, mine], signals(speaker="Caro"))
    assert list(rows[:, FEATURES.index("other_speaker")]) == [1.0, 0.0]
    assert [h.id for h in learned_order([theirs, mine], rows)] == [1, 2]


def test_a_fact_gets_the_average_for_what_only_a_turn_can_have() -> None:
    fact = Hit("fact", 5, "Lena lives in Porto", 1000.0, 10.0, ("t1",))
    rows = features([fact], signals(words={("fact", 5): 2.0}, speaker="Caro"))
    assert np.allclose(rows[0, TURN_ONLY], MEANS[TURN_ONLY])
    assert rows[0, FEATURES.index("words")] == 1.0
    assert rows[0, FEATURES.index("other_speaker")] == 0.0  # a fact has no speaker


def test_the_people_talking_are_no_bridge_for_the_second_hop() -> None:
    said = ["Hey Caroline, my friend Ottoline moved to Lisbon."]
    assert bridge_names("who moved?", said) == '"caroline" OR "ottoline" OR "lisbon"'
    assert bridge_names("who moved?", said, skip=["Caroline"]) == '"ottoline" OR "lisbon"'
