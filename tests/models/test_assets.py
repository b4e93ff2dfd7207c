"""Assembling a model file from parts: once, resumably, verified, with clear errors.

Every test uses a small synthetic GGUF split into uneven parts, so the real 1.1 GB model is
never assembled here; one ``slow`` test only checks that the real parts are installed.
"""

from __future__ import annotations

import hashlib
import json
import random
import threading
from pathlib import Path

import pytest

from os1.config import load_settings
from os1.errors import ModelError
from os1.models.assets import (
    AssetStatus,
    ModelAsset,
    asset_status,
    build_asset,
    builtin_llm_asset,
    ready_path,
    resolve_llm_path,
    validate_gguf,
)

PART_SIZES = (100_003, 150_000, 57_000)


class Calls:
    """A progress callback that records what it was told."""

    def __init__(self) -> None:
        self.seen: list[tuple[int, int]] = []

    def __call__(self, done: int, total: int) -> None:
        self.seen.append((done, total))


@pytest.fixture
def content() -> bytes:
    body = random.Random(7).randbytes(sum(PART_SIZES) - 4)
    return b"GGUF" + body


@pytest.fixture
def parts(tmp_path: Path, content: bytes) -> list[Path]:
    paths, start = [], 0
    for index, size in enumerate(PART_SIZES, 1):
        path = tmp_path / "parts" / f"part{index:02d}.bin"
        path.parent.mkdir(exist_ok=True)
        path.write_bytes(content[start : start + size])
        paths.append(path)
        start += size
    return paths


@pytest.fixture
def asset(parts: list[Path], content: bytes) -> ModelAsset:
    return ModelAsset(
        name="tiny",
        filename="tiny.gguf",
        size=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
        part_paths=lambda: list(parts),
    )


@pytest.fixture
def cache(tmp_path: Path) -> Path:
    return tmp_path / "cache" / "models"


def stamp_of(path: Path) -> dict[str, object]:
    return dict(json.loads(path.with_name(path.name + ".verified.json").read_text()))


def test_first_build_assembles_the_parts_and_stamps_the_file(
    asset: ModelAsset, cache: Path, content: bytes
) -> None:
    assert asset_status(asset, cache).state == "missing"
    calls = Calls()

    path = build_asset(asset, cache, progress=calls)

    assert path == cache / "tiny.gguf"
    assert path.read_bytes() == content
    assert not path.with_name("tiny.gguf.partial").exists()
    stat = path.stat()
    assert stamp_of(path) == {
        "size": len(content),
        "mtime_ns": stat.st_mtime_ns,
        "sha256": asset.sha256,
    }
    assert calls.seen == [(len(content), len(content))]  # every 16 MB, not every block
    assert asset_status(asset, cache) == AssetStatus("valid", path, len(content), "verified")


def test_second_build_reads_nothing(asset: ModelAsset, cache: Path, parts: list[Path]) -> None:
    path = build_asset(asset, cache)
    before = path.stat()
    for part in parts:  # without its parts, a second assembly could not succeed
        part.unlink()
    calls = Calls()

    assert build_asset(asset, cache, progress=calls) == path

    after = path.stat()
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)
    assert calls.seen == []


@pytest.mark.parametrize(
    "kept",
    [1, 4, 50_000, 100_003, 100_004, 180_000, 250_003, sum(PART_SIZES) - 1, sum(PART_SIZES)],
)
def test_resume_keeps_the_partial_and_reads_only_the_rest(
    asset: ModelAsset, cache: Path, content: bytes, parts: list[Path], kept: int
) -> None:
    cache.mkdir(parents=True)
    (cache / "tiny.gguf.partial").write_bytes(content[:kept])
    # Scribble over every part byte the partial already holds: if the build read them, the
    # checksum would fail.
    start = 0
    for part, size in zip(parts, PART_SIZES, strict=True):
        covered = max(0, min(size, kept - start))
        data = part.read_bytes()
        part.write_bytes(b"\xff" * covered + data[covered:])
        start += size
    assert asset_status(asset, cache).state == "partial"
    assert asset_status(asset, cache).bytes_present == kept

    path = build_asset(asset, cache)

    assert path.read_bytes() == content
    assert asset_status(asset, cache).state == "valid"


def test_a_partial_with_wrong_bytes_fails_the_checksum_then_rebuilds_cleanly(
    asset: ModelAsset, cache: Path, content: bytes
) -> None:
    cache.mkdir(parents=True)
    partial = cache / "tiny.gguf.partial"
    partial.write_bytes(b"GGUF" + b"\x00" * 1000)

    with pytest.raises(ModelError) as caught:
        build_asset(asset, cache)

    assert caught.value.code == "model_checksum"
    assert "os1 models build" in caught.value.hint
    assert not partial.exists()
    assert not (cache / "tiny.gguf").exists()
    assert build_asset(asset, cache).read_bytes() == content


def test_a_partial_longer_than_the_model_is_discarded(
    asset: ModelAsset, cache: Path, content: bytes
) -> None:
    cache.mkdir(parents=True)
    (cache / "tiny.gguf.partial").write_bytes(content + b"extra")

    assert build_asset(asset, cache).read_bytes() == content


def test_a_truncated_file_is_corrupt_and_the_error_says_how_to_fix_it(
    asset: ModelAsset, cache: Path, content: bytes
) -> None:
    path = build_asset(asset, cache)
    with path.open("r+b") as fh:
        fh.truncate(1000)

    status = asset_status(asset, cache)
    assert status.state == "corrupt"
    assert "wrong size" in status.detail
    with pytest.raises(ModelError) as caught:
        ready_path(asset, cache)
    assert caught.value.code == "model_corrupt"
    assert f"The model file at {path} is corrupt (wrong size" in caught.value.message
    assert "os1 models build" in str(caught.value)

    assert build_asset(asset, cache).read_bytes() == content


def test_wrong_magic_is_corrupt(asset: ModelAsset, cache: Path) -> None:
    path = build_asset(asset, cache)
    with path.open("r+b") as fh:
        fh.write(b"XXXX")

    status = asset_status(asset, cache)

    assert status.state == "corrupt"
    assert "GGUF" in status.detail


def test_missing_file_is_missing_and_not_built_without_asking(
    asset: ModelAsset, cache: Path
) -> None:
    assert asset_status(asset, cache) == AssetStatus(
        "missing", cache / "tiny.gguf", 0, "not built yet"
    )
    with pytest.raises(ModelError) as caught:
        ready_path(asset, cache)
    assert caught.value.code == "model_missing"
    assert "os1 models build" in caught.value.hint
    assert not cache.exists()


def test_without_a_stamp_the_file_is_unverified_and_verify_fixes_it(
    asset: ModelAsset, cache: Path
) -> None:
    path = build_asset(asset, cache)
    path.with_name("tiny.gguf.verified.json").unlink()
    assert asset_status(asset, cache).state == "unverified"
    calls = Calls()

    assert build_asset(asset, cache, progress=calls, verify=True) == path

    assert asset_status(asset, cache).state == "valid"
    assert calls.seen[-1] == (asset.size, asset.size)


def test_a_rewritten_file_no_longer_matches_its_stamp(asset: ModelAsset, cache: Path) -> None:
    path = build_asset(asset, cache)
    path.write_bytes(path.read_bytes())  # same bytes, new mtime

    assert asset_status(asset, cache).state == "unverified"


def test_verify_removes_a_damaged_file_so_a_rebuild_starts_clean(
    asset: ModelAsset, cache: Path, content: bytes
) -> None:
    path = build_asset(asset, cache)
    with path.open("r+b") as fh:
        fh.seek(200_000)
        fh.write(b"\x00\x01\x02")

    with pytest.raises(ModelError) as caught:
        build_asset(asset, cache, verify=True)

    assert caught.value.code == "model_corrupt"
    assert "os1 models build" in caught.value.hint
    assert not path.exists()
    assert build_asset(asset, cache).read_bytes() == content


def test_an_unverified_damaged_file_is_rebuilt_by_a_plain_build(
    asset: ModelAsset, cache: Path, content: bytes
) -> None:
    path = build_asset(asset, cache)
    with path.open("r+b") as fh:
        fh.seek(300_000)
        fh.write(b"\x00")

    assert build_asset(asset, cache).read_bytes() == content


def test_two_builders_at_once_assemble_only_once(
    asset: ModelAsset, cache: Path, content: bytes
) -> None:
    calls = [Calls(), Calls()]
    errors: list[BaseException] = []

    def run(progress: Calls) -> None:
        try:
            build_asset(asset, cache, progress=progress)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(c,)) for c in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert sorted(bool(c.seen) for c in calls) == [False, True]
    assert (cache / "tiny.gguf").read_bytes() == content


@pytest.mark.parametrize("below", ["", "sub"])
def test_a_cache_dir_that_cannot_be_created_is_a_clear_error(
    asset: ModelAsset, tmp_path: Path, below: str
) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("a file where the cache dir should be")

    with pytest.raises(ModelError) as caught:
        build_asset(asset, blocker / below if below else blocker)

    assert caught.value.code == "model_cache_unwritable"
    assert str(blocker) in caught.value.message
    assert "OS1_CACHE_DIR" in caught.value.hint


def test_a_missing_part_names_the_file_and_how_to_install_it(
    asset: ModelAsset, cache: Path, parts: list[Path]
) -> None:
    parts[1].unlink()

    with pytest.raises(ModelError) as caught:
        build_asset(asset, cache)

    assert caught.value.code == "model_parts_missing"
    assert str(parts[1]) in caught.value.message
    assert "make setup" in caught.value.hint


def test_validate_gguf(tmp_path: Path) -> None:
    good = tmp_path / "good.gguf"
    good.write_bytes(b"GGUF\x03\x00")
    empty = tmp_path / "empty.gguf"
    empty.write_bytes(b"")
    other = tmp_path / "other.bin"
    other.write_bytes(b"PK\x03\x04")

    assert validate_gguf(good) == good
    for path, code in [(tmp_path / "none", "model_missing"), (empty, "model_corrupt")]:
        with pytest.raises(ModelError) as caught:
            validate_gguf(path, hint="check llm_model_path")
        assert (caught.value.code, caught.value.hint) == (code, "check llm_model_path")
    with pytest.raises(ModelError, match="not a GGUF"):
        validate_gguf(other)


def test_resolve_uses_llm_model_path_when_set(tmp_path: Path) -> None:
    model = tmp_path / "mine.gguf"
    model.write_bytes(b"GGUF" + b"\x00" * 16)
    env = {"OS1_HOME": str(tmp_path / "home"), "OS1_CACHE_DIR": str(tmp_path / "cache")}

    settings = load_settings({"llm_model_path": str(model)}, environ=env)
    assert resolve_llm_path(settings, build=False) == model

    missing = load_settings({"llm_model_path": str(tmp_path / "gone.gguf")}, environ=env)
    with pytest.raises(ModelError) as caught:
        resolve_llm_path(missing)
    assert caught.value.code == "model_missing"
    assert "llm_model_path" in caught.value.hint


def test_resolve_without_building_says_to_run_build(tmp_path: Path) -> None:
    env = {"OS1_HOME": str(tmp_path / "home"), "OS1_CACHE_DIR": str(tmp_path / "cache")}

    with pytest.raises(ModelError) as caught:
        resolve_llm_path(load_settings(environ=env), build=False)

    assert caught.value.code == "model_missing"
    assert str(tmp_path / "cache" / "models") in caught.value.message
    assert "os1 models build" in caught.value.hint


@pytest.mark.slow
def test_the_builtin_parts_are_installed_and_add_up() -> None:
    asset = builtin_llm_asset()

    paths = asset.part_paths()

    assert len(paths) == 22
    assert [p.name for p in paths] == [f"part{i:02d}.bin" for i in range(1, 23)]
    assert all(p.is_file() for p in paths)
    assert sum(p.stat().st_size for p in paths) == asset.size == 1_117_320_768
    with paths[0].open("rb") as fh:
        assert fh.read(4) == asset.magic
