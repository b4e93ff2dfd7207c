"""Every hook a plugin can implement, in one place (the simonw/llm way: few hooks, each a
``register`` callback). os1's own skills register through these same hooks.

A third-party package adds skills by implementing a hook and naming its module under the
``os1`` entry-point group in its packaging metadata::

    [project.entry-points.os1]
    weather = "os1_weather"

and in ``os1_weather``::

    from os1.plugins.hookspecs import hookimpl

    @hookimpl
    def register_tools(register):
        register(Weather())

A plugin that keeps data of its own brings its tables with ``register_migrations``, and a
plugin can offer another model backend with ``register_model_backends`` (chosen with
``llm_backend = "NAME"`` in config.toml). ``tests/plugins/os1_example_plugin.py`` uses all
three hooks and is the example to start from.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pluggy

PROJECT = "os1"
hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


@hookspec
def register_tools(register: Callable[[Any], None]) -> None:
    """Call ``register(tool)`` for each tool the plugin offers.

    A tool follows ``os1.skills.base.Tool``: a lower_snake ``name`` (also its slash
    command), a one-line ``summary``, a pydantic ``Args`` model, a few ``examples`` of what
    a person might say, and ``from_command``, ``plan``, ``run`` and ``undo``. ``plan`` may
    only read; ``run`` happens after the person confirmed the plan.
    """


@hookspec
def register_migrations(register: Callable[[str, Callable[[Any], None]], None]) -> None:
    """Call ``register(name, migrate)`` for each schema change the plugin's tables need,
    oldest first; never change one that has shipped.

    ``name`` is lower_snake (``0001_plants``) and is recorded as ``PLUGIN:name``, so two
    plugins never collide. ``migrate(conn)`` gets the SQLite connection inside the
    migration's own transaction (``os1.store.migrations.run_statements`` runs a script
    there); every table holding a person's data needs a ``user_id`` column referencing
    ``users(id) ON DELETE CASCADE``, so deleting an account deletes it too. Core tables
    come first, then each plugin's, in the order plugins load.
    """


@hookspec
def register_model_backends(register: Callable[[str, Callable[..., Any]], None]) -> None:
    """Call ``register(name, build)`` for each chat-model backend the plugin offers.

    ``build(settings, progress)`` is awaited when ``llm_backend`` in the settings is
    ``name``, and returns an ``os1.models.base.LLM``; ``progress(done, total)`` may be
    called while it fetches or builds files. os1's own backends (``local``, ``openai``,
    ``scripted``) are registered the same way.
    """
