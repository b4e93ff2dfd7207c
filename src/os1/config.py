"""One settings object, layered: defaults < config.toml < ``OS1_*`` environment < flags.

``OS1_HOME`` (or the ``home`` flag) moves every per-person file: the database, the config
file, logs. Built model files live in ``cache_dir`` (``OS1_CACHE_DIR``, default the XDG
cache dir) so that many homes, e.g. test runs, share one assembled 1.1 GB model.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any

import platformdirs
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from os1.errors import ConfigError

ENV_PREFIX = "OS1_"
DEFAULT_USER = "me"  # the account used when nobody says who is talking


class Settings(BaseModel):
    """Everything os1 can be configured with; see the README's Configuration section."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    home: Path = Field(description="Data dir: database, config.toml.")
    cache_dir: Path = Field(description="Where assembled model files are kept.")
    llm_backend: str = Field(
        default="local",
        pattern=r"^[a-z][a-z0-9_]{0,39}$",
        description="local, openai, scripted, or a plugin's backend.",
    )
    llm_model_path: Path | None = Field(
        default=None, description="A GGUF to use instead of the built-in model."
    )
    llm_url: str = Field(
        default="http://127.0.0.1:11434/v1",
        description="Base URL of an OpenAI-compatible server (llm_backend = openai).",
    )
    llm_api_key: str = ""
    llm_model: str = Field(default="qwen2.5-coder:1.5b", description="Model name sent to it.")
    llm_timeout: float = Field(default=120.0, gt=0)
    n_ctx: int = Field(default=4096, ge=512, le=131072)
    threads: int = Field(default_factory=lambda: max(1, min(8, os.cpu_count() or 2)), ge=1)
    max_reply_tokens: int = Field(default=400, ge=16, le=8192)
    embedders: str = Field(
        default="static,mpnet",
        pattern=r"^(none|(static|minilm|mpnet)(,(static|minilm|mpnet))*)$",
        description="Embedding routes for search by meaning, comma-separated, or none.",
    )

    @property
    def embed_routes(self) -> list[str]:
        return [r for r in self.embedders.split(",") if r != "none"]

    temperature: float = Field(default=0.7, ge=0.0, le=2.0)
    learn_after: float = Field(
        default=0.0,
        ge=0.0,
        le=3600.0,
        description="Seconds a person must be quiet before facts are learned from what they"
        " said (0: after every turn). A busy server batches model work by raising it.",
    )
    tool_choice: bool = Field(
        default=True,
        description="Let the model choose a skill from the person's words (off: only /commands).",
    )
    upload_quota_mb: float = Field(
        default=100.0,
        ge=0,
        description="Megabytes of uploaded files one person may keep in os1's data folder.",
    )

    # the server (`os1 serve`)
    host: str = Field(default="127.0.0.1", description="Address `os1 serve` listens on.")
    port: int = Field(default=8316, ge=0, le=65535)
    max_request_bytes: int = Field(
        default=1_000_000, ge=1024, description="Largest request body or WebSocket message."
    )
    turns_per_minute: int = Field(
        default=30, ge=1, description="Turns one person may start per minute (then 429)."
    )
    requests_per_minute: int = Field(
        default=600, ge=1, description="Requests of any kind one person may make per minute."
    )
    max_active_turns: int = Field(
        default=0,
        ge=0,
        description="Turns answered at once; 0 = 1 for the local model, 256 for a server.",
    )
    max_waiting_turns: int = Field(
        default=64, ge=0, description="Turns that may wait for the model (then 503)."
    )
    turn_timeout: float = Field(default=300.0, gt=0, description="Longest a turn may take.")
    redis_url: str | None = Field(
        default=None,
        pattern=r"^(redis|rediss|unix)://\S+$",
        description="Redis that several `os1 serve` workers share (redis://host:6379/0): the"
        " live count, rate limits, the turn line and each person's turn order become the"
        " fleet's. Unset: this process's own.",
    )
    database_url: str | None = Field(
        default=None,
        pattern=r"^postgres(ql)?://\S+$",
        description="A PostgreSQL database for the store (postgresql://user@host:5432/os1),"
        " which several `os1 serve` machines can share. Unset: SQLite in the data folder.",
    )
    shutdown_grace: float = Field(
        default=20.0, ge=0, description="Seconds to let turns finish when the server stops."
    )
    session_days: float = Field(default=30.0, gt=0, description="How long a web sign-in lasts.")
    max_sockets_per_person: int = Field(
        default=8, ge=1, description="Chat sockets one person may hold open at once."
    )
    session_sweep_seconds: float = Field(
        default=15.0,
        gt=0,
        description="How often open sockets and MCP sessions are checked against their"
        " accounts, to end those disabled, deleted or revoked by another process.",
    )
    max_connections: int = Field(
        default=12_000,
        ge=1,
        description="Connections one server process holds before new HTTP requests get 503"
        " (uvicorn's limit_concurrency; open WebSockets count). Keep it above the sockets"
        " you expect and below the open-file limit.",
    )
    header_timeout: float = Field(
        default=15.0,
        gt=0,
        description="Seconds a connection has to send a whole request head, from connecting"
        " or from the previous response; then it is closed.",
    )
    keep_alive_timeout: int = Field(
        default=5, ge=1, description="Seconds an idle HTTP connection is kept between requests."
    )
    audio_speed_limit: float = Field(
        default=2.0,
        ge=1.0,
        description="How many times real time (16 kHz int16 mono, 32 KB/s) one socket may"
        " send microphone audio, with 2 s of it at once; faster frames are dropped.",
    )
    audio_frames_per_second: int = Field(
        default=100,
        ge=1,
        description="Microphone frames one socket may send per second (a browser sends 31).",
    )
    cookie_secure: bool = Field(
        default=False,
        description="Mark the sign-in cookie Secure (sent over HTTPS only): turn on behind TLS.",
    )
    api_docs: bool = Field(
        default=False,
        description="Serve the API's pages at /docs and /redoc (they load their scripts"
        " from the jsDelivr CDN); /openapi.json is always there.",
    )

    @property
    def active_turn_limit(self) -> int:
        if self.max_active_turns:
            return self.max_active_turns
        return 1 if self.llm_backend == "local" else 256

    @property
    def db_path(self) -> Path:
        return self.home / "os1.db"

    @property
    def config_path(self) -> Path:
        return self.home / "config.toml"


def _default_home() -> Path:
    return Path(platformdirs.user_data_dir("os1", appauthor=False))


def default_cache() -> Path:
    """Where built model files live unless ``cache_dir`` says otherwise."""
    return Path(platformdirs.user_cache_dir("os1", appauthor=False))


def _read_toml(path: Path) -> dict[str, Any]:
    if not path.is_file():
        return {}
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(
            "config_unreadable",
            f"{path} is not valid TOML: {exc}.",
            "Fix the file or delete it to use the defaults.",
        ) from exc


def _from_env(environ: dict[str, str]) -> dict[str, Any]:
    names = set(Settings.model_fields)
    found: dict[str, Any] = {}
    for key, value in environ.items():
        if key.startswith(ENV_PREFIX) and key[len(ENV_PREFIX) :].lower() in names:
            found[key[len(ENV_PREFIX) :].lower()] = value
    return found


def load_settings(
    overrides: dict[str, Any] | None = None, environ: dict[str, str] | None = None
) -> Settings:
    """Build the settings from every layer.

    Args:
        overrides: values from command-line flags; ``None`` values are ignored.
        environ: the environment to read (default ``os.environ``).

    Raises:
        ConfigError: a value is invalid; the message names the key and the layer's file.
    """
    env = dict(os.environ if environ is None else environ)
    flags = {k: v for k, v in (overrides or {}).items() if v is not None}
    env_values = _from_env(env)
    home = Path(flags.get("home") or env_values.get("home") or _default_home()).expanduser()
    layered: dict[str, Any] = {"home": home, "cache_dir": default_cache()}
    layered.update(_read_toml(home / "config.toml"))
    layered.update(env_values)
    layered.update(flags)
    layered["home"] = home
    try:
        return Settings(**layered)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in exc.errors()
        )
        raise ConfigError(
            "config_invalid",
            f"Invalid configuration: {problems}.",
            f"Check {home / 'config.toml'}, the OS1_* environment variables and the flags.",
        ) from exc
