"""Pieces composed by code from a plan: in key, closing on cadences, voiced without
parallel fifths or octaves, the motif spelled from the moment, the same for the same
seed; and absurd plans told plainly."""

from __future__ import annotations

import itertools

import pytest

from os1.errors import MusicError
from os1.skills.music.compose import _parallels, compose
from os1.skills.music.motif import motif_from, spelled
from os1.skills.music.plan import FORMS, SECONDS_RANGE, PiecePlan
from os1.skills.music.theory import check, random_walk

PLANS = [
    PiecePlan(tonic=t, mode=m, form=f, meter=meter, density=d, tempo=tempo, motif_word=w)
    for (t, m), f, meter, d, tempo, w in itertools.islice(
        zip(
            itertools.cycle([("D", "minor"), ("Bb", "major"), ("F#", "minor"), ("E", "major")]),
            itertools.cycle(FORMS),
            itertools.cycle(["3/4", "4/4", "6/8", "4/4", "3/4"]),
            itertools.cycle(["sparse", "moderate", "busy"]),
            itertools.cycle([44, 66, 92, 120, 168, 200]),
            itertools.cycle(["Lena", "Porto", "", "Sam", "Grandmother"]),
            strict=False,
        ),
        24,
    )
]


@pytest.mark.parametrize("seed", [0, 5])
def test_every_piece_keeps_the_rules_of_harmony(seed: int) -> None:
    for plan in PLANS:
        piece = compose(plan, seed)
        report = check(piece)
        assert report.in_key == 1.0, plan
        assert report.cadences == 1.0, plan
        assert report.parallels_per_100 == 0.0, plan
        assert report.melody_range <= 19, plan
        assert SECONDS_RANGE[0] <= piece.seconds <= SECONDS_RANGE[1], plan


def test_a_random_walk_breaks_them() -> None:
    """The checks can fail: the benchmark's baseline (a chromatic walk over random
    root-position triads) is out of key and full of parallel fifths."""
    piece = compose(PLANS[0], 1)
    walk = random_walk(piece, 1)
    assert walk.in_key < 0.9
    assert walk.parallels_per_100 > 20


def test_parallel_fifths_and_octaves_are_found() -> None:
    assert _parallels((48, 55, 64, 72), (50, 57, 65, 74)) >= 2  # C-G to D-A, C-C to D-D
    assert _parallels((48, 55, 64, 72), (53, 57, 65, 72)) == 0  # contrary and held


def test_the_same_seed_gives_the_same_piece_and_another_another() -> None:
    plan = PiecePlan(tonic="G", mode="major", motif_word="Lisbon")
    assert compose(plan, 3) == compose(plan, 3)
    assert compose(plan, 3).melody != compose(plan, 4).melody


def test_a_name_is_spelled_in_notes_in_the_key() -> None:
    degrees, names = spelled("Lena", "D")
    assert names == "E E G A"  # L runs on past G to E; N to G
    assert degrees == [1, 1, 3, 4]
    motif = motif_from("Léna", "the sea was grey", "D", [0, 2, 4])
    assert motif.spelled == "LENA" and motif.rhythm_from == "the sea was grey"
    assert motif.lengths[0] == 1.0 and motif.lengths[-1] == 2.0
    assert motif_from("Al", "", "C", [0, 2, 4]).degrees == (0, 2, 4)  # too short: the seed's


def test_the_motif_opens_the_piece_as_spelled() -> None:
    piece = compose(PiecePlan(tonic="C", mode="major", motif_word="Bach"), 0)
    names = [
        ("C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B")[n.pitch % 12]
        for n in piece.melody[:4]
    ]
    assert names == ["B", "A", "C", "A"]  # H runs on to A: B A C A


@pytest.mark.parametrize(
    ("plan", "code"),
    [
        (PiecePlan(tempo=2000), "music_tempo"),
        (PiecePlan(tempo=0), "music_tempo"),
        (PiecePlan(bars=0), "music_bars"),
        (PiecePlan(bars=-4), "music_bars"),
        (PiecePlan(bars=100_000), "music_bars"),
        (PiecePlan(bars=8, tempo=120), "music_length"),
        (PiecePlan(tonic="H"), "music_key"),
        (PiecePlan(tonic=""), "music_key"),
        (PiecePlan(instrument="kazoo army"), "music_instrument"),
        (PiecePlan(meter="13/8"), "music_meter"),  # type: ignore[arg-type]
    ],
)
def test_absurd_plans_are_told_plainly(plan: PiecePlan, code: str) -> None:
    with pytest.raises(MusicError) as caught:
        compose(plan)
    assert caught.value.code == code
    assert caught.value.hint


def test_a_length_asked_for_is_kept() -> None:
    piece = compose(PiecePlan(bars=24, tempo=72, form="ABA"), 0)
    assert piece.bars == 24


@pytest.mark.parametrize("meter", ["3/4", "6/8"])
def test_a_long_motif_ornamented_still_fits_its_two_bars(meter: str) -> None:
    # seven one-syllable words give seven quarter notes; ornamented, fourteen eighths
    # outgrow two bars of 3/4 (composing this once never ended)
    plan = PiecePlan(
        tonic="F",
        mode="minor",
        meter=meter,
        form="theme and variations",
        motif_word="Marianne",
        motif_phrase="she got up at her own time",
    )
    piece = compose(plan, 28)
    report = check(piece)
    assert (report.in_key, report.cadences, report.parallels_per_100) == (1.0, 1.0, 0.0)
    melody = piece.melody
    assert all(a.start + a.length <= b.start + 1e-9 for a, b in itertools.pairwise(melody))
