"""The core API: the only part of os1 a door (the CLI, the web and REST server, the
OpenAI-compatible API, MCP, voice) may call.

``os1.companion.Companion`` is the entry: ``Companion.start`` opens everything (the model
included), ``Companion.open`` is the cheap open for commands that need no model (nothing
loaded, nothing warmed up). The companion owns one service per area, each written once
here, so a door only parses, calls and renders:

- ``companion.memories`` (``core.memories``): search, list, show, edit, forget, export,
  import, the profile and the timeline;
- ``companion.accounts`` (``core.accounts``): people, keys, passwords, sessions, reach;
- ``companion.actions`` (``core.actions``): the journal and standing policies (propose,
  decide and undo are the companion's own methods);
- ``companion.mail`` / ``.calendar`` / ``.files`` / ``.proofread``: each skill's
  read-only views and its set-up (``core.mail``, ``core.calendar``, ...);
- ``companion.speech`` (``core.speech``): the speech models, voice settings and sessions;
- ``core.models`` and ``core.health``: the model files (status, building) and the checks
  of ``os1 doctor``, which need no companion at all;
- ``core.turns``: the token that stops a turn, and what counts as an empty message;
- ``core.extensions``: what plugins bring (tools, their tables, model backends).

Doors import ``os1.companion``, ``os1.core.*``, ``os1.events``, ``os1.errors`` and
``os1.config``, nothing below them (``tests/test_architecture.py``).
"""
