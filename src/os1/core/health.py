"""Is everything os1 needs in order? Python and packages, the data folder and disk, the
store, privacy and the model, each checked with how to fix it (``os1 doctor`` renders
them; any other door may ask the same)."""

from __future__ import annotations

import importlib.metadata
import shutil
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from os1.config import Settings
from os1.errors import Os1Error
from os1.store import open_store
from os1.store.opening import store_place

__all__ = ["Check", "run_checks"]

MIN_FREE_BYTES = 1_500_000_000  # room for the model (1.1 GB) and a growing database


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool | None  # None: a warning
    detail: str
    fix: str = ""


def _versions() -> Check:
    found = []
    for package in ("os1", "xllamacpp", "typer", "rich", "pydantic", "httpx"):
        try:
            found.append(f"{package} {importlib.metadata.version(package)}")
        except importlib.metadata.PackageNotFoundError:
            return Check("packages", False, f"{package} is not installed", "Run `make setup`.")
    py = sys.version_info
    if py < (3, 11):
        return Check("python", False, f"Python {py.major}.{py.minor}", "os1 needs Python 3.11+.")
    return Check("packages", True, f"Python {py.major}.{py.minor}.{py.micro}; " + ", ".join(found))


def _writable(folder: Path) -> Check:
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".os1-probe-"):
            pass
    except OSError as exc:
        return Check(
            "data folder", False, f"{folder}: {exc.strerror}", "Set OS1_HOME to a writable folder."
        )
    free = shutil.disk_usage(folder).free
    if free < MIN_FREE_BYTES:
        return Check(
            "disk", None, f"only {free / 1e9:.1f} GB free at {folder}", "Free some disk space."
        )
    return Check("data folder", True, f"{folder} (writable, {free / 1e9:.0f} GB free)")


async def _store(settings: Settings) -> Check:
    try:
        db = await open_store(settings.db_path, settings.database_url)
    except Os1Error as exc:
        return Check("store", False, exc.message, exc.hint)
    try:
        result = await db.check()
        users = await db.execute("SELECT COUNT(*) FROM users")
    except Os1Error as exc:
        return Check("store", False, exc.message, exc.hint)
    finally:
        await db.aclose()
    if result != "ok":
        return Check("store", False, f"integrity check: {result}", "Move the database aside.")
    url = settings.database_url
    where = store_place(settings.db_path, url) if url else settings.db_path
    return Check("store", True, f"{where} (ok, {users[0][0]} people)")


def _private(settings: Settings) -> Check:
    """Other people on this machine must not read os1's files: the store keeps its data
    folder 0700 and the database 0600 itself, but config.toml (which may hold
    ``llm_api_key``) is the person's own file to fix."""
    exposed = [
        path
        for path in (settings.home, settings.db_path, settings.config_path)
        if path.exists() and path.stat().st_mode & 0o077
    ]
    if not exposed:
        return Check("privacy", True, "os1's data folder and files are yours alone")
    fix = " ".join(f"chmod {700 if p.is_dir() else 600} {p};" for p in exposed)
    shown = ", ".join(str(p) for p in exposed)
    return Check("privacy", None, f"other users of this machine may read {shown}", fix)


async def _model(settings: Settings) -> Check:
    if settings.llm_backend == "openai":
        from os1.models.openai_compat import OpenAICompatLLM

        llm = OpenAICompatLLM(settings.llm_url, settings.llm_model, settings.llm_api_key)
        try:
            models = await llm.ping()
        except Os1Error as exc:
            return Check("model", False, exc.message, exc.hint)
        finally:
            await llm.aclose()
        return Check("model", True, f"{settings.llm_url} serves {', '.join(models[:5])}")
    if settings.llm_backend == "scripted":
        return Check(
            "model", None, "the scripted test model is configured", "Unset OS1_LLM_BACKEND."
        )
    from os1.models.assets import asset_status, builtin_llm_asset, resolve_llm_path

    if settings.llm_model_path is not None:
        try:
            path = resolve_llm_path(settings, build=False)
        except Os1Error as exc:
            return Check("model", False, exc.message, exc.hint)
        return Check("model", True, f"{path}")
    try:
        status = asset_status(builtin_llm_asset(), settings.cache_dir / "models")
    except Os1Error as exc:
        return Check("model", False, exc.message, exc.hint)
    if status.state == "valid":
        return Check("model", True, f"{status.path} (verified)")
    return Check(
        "model", False, f"{status.state}: {status.detail or status.path}", "Run `os1 models build`."
    )


async def run_checks(settings: Settings) -> list[Check]:
    return [
        _versions(),
        _writable(settings.home),
        await _store(settings),
        _private(settings),
        await _model(settings),
    ]
