"""What plugins bring, loaded once per companion: tools, the tables those keep, and chat
model backends, each through its hook (``os1.plugins.hookspecs``).

os1's own model backends are registered here the way a plugin registers one, so choosing
``llm_backend`` is a lookup, not a chain of ifs, and a plugin's backend is chosen the same
way (``llm_backend = "NAME"`` in config.toml).
"""

from __future__ import annotations

import asyncio
import re
import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from os1.config import Settings
from os1.errors import ConfigError
from os1.models.base import LLM
from os1.plugins.hookspecs import hookimpl
from os1.plugins.manager import gather, load_plugins
from os1.skills import builtin
from os1.skills.registry import SkillRegistry, load_skills
from os1.store.migrations import Migration

ProgressFn = Callable[[int, int], None]
Backend = Callable[[Settings, ProgressFn | None], Awaitable[LLM]]
_BACKEND = re.compile(r"[a-z][a-z0-9_]{0,39}")


@dataclass
class Extensions:
    skills: SkillRegistry
    backends: dict[str, Backend]

    @property
    def migrations(self) -> list[Migration]:
        return self.skills.migrations

    @property
    def problems(self) -> list[str]:
        return self.skills.problems


def load_extensions(*, entry_points: bool = True) -> Extensions:
    """os1's own skills and backends, then (with ``entry_points``) every installed
    plugin's; a broken plugin is named in ``problems`` and the rest load."""
    plugins = load_plugins([builtin, sys.modules[__name__]], entry_points=entry_points)
    backends: dict[str, Backend] = {}

    def backend(_source: str, name: str, build: Any) -> None:
        if not isinstance(name, str) or not _BACKEND.fullmatch(name) or not callable(build):
            raise ValueError(f"model backend {name!r} needs a lower_snake name and a builder")
        if name in backends:
            raise ValueError(f"model backend {name!r} is already registered")
        backends[name] = build

    gather(plugins, "register_model_backends", backend)
    return Extensions(load_skills(plugins=plugins), backends)


async def build_llm(
    settings: Settings,
    progress: ProgressFn | None = None,
    backends: dict[str, Backend] | None = None,
) -> LLM:
    """The model ``settings.llm_backend`` names (os1's own backends unless others are
    given); the local one is assembled on first use.

    Raises:
        ConfigError: no backend has that name.
    """
    known = backends if backends is not None else load_extensions(entry_points=False).backends
    build = known.get(settings.llm_backend)
    if build is None:
        raise ConfigError(
            "unknown_backend",
            f"There is no model backend called {settings.llm_backend!r}.",
            f"Set llm_backend to one of: {', '.join(sorted(known))} (a plugin may add more).",
        )
    return await build(settings, progress)


async def _local(settings: Settings, progress: ProgressFn | None) -> LLM:
    from os1.models.assets import resolve_llm_path
    from os1.models.local_gguf import LocalGGUF
    from os1.models.prompt_cache import saved_prompts_dir

    path = await asyncio.to_thread(resolve_llm_path, settings, progress)
    return await asyncio.to_thread(
        LocalGGUF, path, settings.n_ctx, settings.threads, saved_prompts_dir(settings.home)
    )


async def _openai(settings: Settings, progress: ProgressFn | None) -> LLM:
    from os1.models.openai_compat import OpenAICompatLLM

    return OpenAICompatLLM(
        settings.llm_url,
        settings.llm_model,
        api_key=settings.llm_api_key,
        n_ctx=settings.n_ctx,
        timeout=settings.llm_timeout,
    )


async def _scripted(settings: Settings, progress: ProgressFn | None) -> LLM:
    from os1.models.scripted import ScriptedLLM

    return ScriptedLLM(n_ctx=settings.n_ctx)


@hookimpl
def register_model_backends(register: Callable[[str, Backend], None]) -> None:
    """os1's own backends, registered as a plugin's are (this module is one)."""
    register("local", _local)
    register("openai", _openai)
    register("scripted", _scripted)
