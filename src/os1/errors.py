"""Errors that carry a stable code and a message a person can act on.

Every failure a person can meet is an ``Os1Error``: ``code`` is for programs (tests, the
``--json`` stream, HTTP problem bodies, WebSocket and MCP errors), ``message`` says what
went wrong and ``hint`` what to do next; ``str(error)`` is both, for a person. One
subclass per area keeps ``except`` clauses honest.
"""

from __future__ import annotations


class Os1Error(Exception):
    """Base of all os1 errors.

    Args:
        code: short machine-readable identifier, e.g. ``model_missing``.
        message: what went wrong, in plain words.
        hint: what the person can do about it (optional).
    """

    def __init__(self, code: str, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message} {self.hint}".strip()


class ConfigError(Os1Error):
    """Configuration is invalid (bad value in config.toml, env or flags)."""


class ModelError(Os1Error):
    """A model could not be built, loaded or reached, or it failed mid-generation."""


class StoreError(Os1Error):
    """The database could not be opened, migrated or written."""


class InputError(Os1Error):
    """What the person sent cannot be used as it is (empty, wrongly encoded, ...)."""


class LetterError(Os1Error):
    """A letter could not be laid out or rendered (no text, too long, no hand for it)."""


class MusicError(Os1Error):
    """A piece could not be planned, composed or rendered (absurd tempo, no bars, no
    synthesizer for the audio)."""


class LibraryError(Os1Error):
    """A book could not be read or found on the person's shelf (binary, empty, missing)."""


class PersonaError(Os1Error):
    """A persona could not be built, found or spoken with (no consent, no readable
    source, a name taken by a person)."""
