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
