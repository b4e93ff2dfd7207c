"""The model files os1 builds from its installed packages, for every door: their state
(never hashing, so it is cheap enough for health checks), building and verifying the
chat model, and readying the embedders and the speech models ahead of first use.

These need no store or companion: ``os1 models`` runs them before anything is set up.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from os1.config import Settings
from os1.errors import Os1Error
from os1.models.assets import (
    AssetStatus,
    asset_status,
    build_asset,
    builtin_llm_asset,
    models_dir,
    validate_gguf,
)

__all__ = [
    "BUILD_FIX",
    "ModelRow",
    "build_builtin",
    "builtin_status",
    "model_rows",
    "prepare_embedder",
    "prepare_speech",
    "speech_ready",
]

Progress = Callable[[int, int], None]
BUILD_FIX = "Run `os1 models build`."
PATH_FIX = "Check llm_model_path in config.toml (or OS1_LLM_MODEL_PATH)."


@dataclass(frozen=True)
class ModelRow:
    """One line of ``os1 models status``; ``in_use`` marks the model os1 would load."""

    name: str
    state: str
    bytes_present: int
    size: int | None
    path: str
    detail: str
    in_use: bool
    fix: str


def _builtin_row(settings: Settings) -> ModelRow:
    asset = builtin_llm_asset()
    status = asset_status(asset, models_dir(settings))
    fix = "" if status.state == "valid" else BUILD_FIX
    in_use = settings.llm_model_path is None
    return ModelRow(
        asset.name, status.state, status.bytes_present, asset.size, str(status.path),
        status.detail, in_use, fix,
    )  # fmt: skip


def _custom_row(path: Path) -> ModelRow:
    path = path.expanduser()
    try:
        validate_gguf(path, PATH_FIX)
    except Os1Error as exc:
        state, detail, fix = exc.code.removeprefix("model_"), exc.message, PATH_FIX
    else:
        state, detail, fix = "valid", "GGUF header found", ""
    present = path.stat().st_size if path.is_file() else 0
    return ModelRow("llm_model_path", state, present, None, str(path), detail, True, fix)


def model_rows(settings: Settings) -> list[ModelRow]:
    """The built-in model, and the one ``llm_model_path`` names if set (that one in use)."""
    rows = [_builtin_row(settings)]
    if settings.llm_model_path is not None:
        rows.append(_custom_row(settings.llm_model_path))
    return rows


def builtin_status(settings: Settings) -> tuple[str, AssetStatus]:
    """(the built-in model's name, its state on disk) without hashing it."""
    asset = builtin_llm_asset()
    return asset.name, asset_status(asset, models_dir(settings))


def build_builtin(settings: Settings, progress: Progress | None, verify: bool = False) -> Path:
    """Assemble (or re-verify) the built-in model from its installed parts; resumable.

    Raises:
        ModelError: a part is missing or the result does not hash right.
    """
    return build_asset(builtin_llm_asset(), models_dir(settings), progress=progress, verify=verify)


def prepare_embedder(settings: Settings, name: str, progress: Progress | None) -> None:
    """Ready one embedder now (the static table takes ~30 s once) rather than on first use."""
    from os1.models.embed import embedder_from

    embedder_from(name, settings.cache_dir, progress)


def speech_ready(settings: Settings) -> bool:
    from os1.models.speech_assets import whisper_ready

    return whisper_ready(models_dir(settings))


def prepare_speech(settings: Settings, progress: Progress | None) -> None:
    """Join Whisper's two parts (145 MB) once, so the first spoken turn does not wait."""
    from os1.models.speech_assets import whisper_dir

    whisper_dir(models_dir(settings), progress)
