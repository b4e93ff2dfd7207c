"""Reading a person's text file for proofreading, and writing it back unharmed.

A letter must come back byte for byte as it was, except for the accepted corrections:
the same encoding (a UTF-8 byte-order mark kept, UTF-16 kept), the same line endings
(the text is never normalized, so CRLF stays CRLF), the same permissions. Writing goes
to a temporary file beside it, then ``os.replace``: a crash leaves the old file or the
new one, never half of each.

Encodings are not guessed: UTF-8 (with or without a mark) and UTF-16 with a mark are
read; anything else is refused with what was found and how to convert it, because a
wrong guess would "correct" every accented letter.
"""

from __future__ import annotations

import codecs
import hashlib
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from os1.errors import InputError

MAX_BYTES = 1_000_000


_BOMS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)


@dataclass(frozen=True)
class Document:
    path: Path
    text: str
    encoding: str  # the codec: utf-8, utf-16-le or utf-16-be
    bom: bytes  # the byte-order mark the file started with, written back as it was
    sha256: str  # of the bytes as read: a later write checks nothing changed since

    def encode(self, text: str) -> bytes:
        """``text`` as this file's bytes: same mark, same encoding."""
        return self.bom + text.encode(self.encoding)


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def decode(path: Path, data: bytes) -> tuple[str, str, bytes]:
    """The text in ``data``, its codec and its byte-order mark.

    Raises:
        InputError: binary data, or not UTF-8 / UTF-16 with a mark.
    """
    for bom, codec in _BOMS:
        if data.startswith(bom):
            try:
                return data[len(bom) :].decode(codec), codec, bom
            except UnicodeDecodeError:
                break  # reported below as binary or wrongly encoded
    if b"\x00" in data[:8192]:
        raise InputError(
            "binary_file",
            f"{path.name} is not a text file (it holds binary data).",
            "Proofreading works on plain text: save the document as .txt or .md first.",
        )
    try:
        return data.decode("utf-8"), "utf-8", b""
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        byte = data[exc.start : exc.start + 1].hex()
        raise InputError(
            "not_utf8",
            f"{path.name} is not UTF-8 text (byte 0x{byte} on line {line}); it may be in an"
            " older encoding such as Windows-1252 or Latin-1.",
            f"I do not guess encodings: save it as UTF-8, e.g. "
            f"`iconv -f windows-1252 -t utf-8 '{path}' > fixed.txt`, and proofread that.",
        ) from exc


def load(path: Path | str, shown: str = "") -> Document:
    """The text file at ``path`` (``shown`` is how the person names it, for messages).

    Raises:
        InputError: it is missing, a folder, too big, binary, not UTF-8/UTF-16, or empty;
            the message says what to do instead.
    """
    path = Path(path).expanduser()
    name = shown or str(path)
    if not path.exists():
        raise InputError("not_found", f"There is no file {name}.", "Check the name and folder.")
    if path.is_dir():
        raise InputError(
            "is_a_folder", f"{name} is a folder.", "Name one text file in it to proofread."
        )
    size = path.stat().st_size
    if size > MAX_BYTES:
        raise InputError(
            "too_big",
            f"{path.name} is {size / 1e6:.1f} MB; I proofread files up to"
            f" {MAX_BYTES / 1e6:.0f} MB.",
            "Split it into chapters or letters and proofread them one at a time.",
        )
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError("unreadable", f"I cannot read {name}: {exc.strerror}.") from exc
    text, encoding, bom = decode(path, data)
    if not text.strip():
        raise InputError(
            "nothing_to_proofread", f"{path.name} is empty: there is nothing to proofread."
        )
    return Document(path.resolve(), text, encoding, bom, digest(data))


def write_atomically(path: Path, data: bytes) -> None:
    """Replace ``path``'s content with ``data`` in one step, keeping its permissions.

    Raises:
        OSError: the folder is not writable or the disk is full (``path`` is untouched).
    """
    fd, temp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".os1-tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        if path.exists():
            os.chmod(temp, path.stat().st_mode & 0o7777)
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
