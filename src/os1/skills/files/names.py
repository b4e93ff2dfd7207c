"""Paths as the file system has them, shown to people and kept as JSON without loss.

On Linux a file name is bytes; Python hands undecodable bytes over as lone surrogates
(``surrogateescape``), which print badly and which a UTF-8 writer (SQLite, a web page, a
JSON encoder with ``ensure_ascii=False``) rejects. So a path is *packed* before it leaves
this package (plans, journal, undo data): kept as it is when it is valid text, else as a
NUL byte followed by the base64 of its raw bytes. NUL can never occur in a path, so the
two forms cannot be confused and every name comes back byte for byte.
"""

from __future__ import annotations

import base64
import os

_RAW = "\0"


def readable(path: str) -> str:
    """``path`` for people: undecodable bytes become U+FFFD, control characters ``?``."""
    text = os.fsencode(path).decode("utf-8", errors="replace")
    if text.isprintable():
        return text
    return "".join(ch if ch.isprintable() else "?" for ch in text)


def is_odd(name: str) -> bool:
    """A name that is not plain printable text (undecodable bytes, newlines, ...)."""
    return not name.isprintable()


def pack(path: str) -> str:
    """``path`` as safe JSON text (see the module docstring)."""
    try:
        path.encode("utf-8")
    except UnicodeEncodeError:
        return _RAW + base64.b64encode(os.fsencode(path)).decode("ascii")
    return path


def unpack(text: str) -> str:
    """The path ``pack`` made ``text`` from."""
    if text.startswith(_RAW):
        return os.fsdecode(base64.b64decode(text[1:]))
    return text


def plural(count: int, word: str) -> str:
    """``1 file``, ``2 files``, ``1,204 symbolic links``."""
    return f"{count:,} {word}" + ("" if count == 1 else "s")
