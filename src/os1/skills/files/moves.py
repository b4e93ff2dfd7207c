"""Moving one file without ever losing it or overwriting another.

``place(src, dst)`` is the only way this package moves a file. On one drive it makes a
second name (a hard link, which fails if ``dst`` exists, so nothing is ever overwritten,
even by a file that appeared a moment ago) and then removes the first; if the old name
cannot be removed, the new one is taken back. Across drives it copies to a new file
(created exclusively), flushes it to disk, reads it back and compares its hash with the
source's, copies the timestamps and permissions, and only then removes the source; any
failure removes the partial copy and leaves the source as it was. On a file system
without hard links it falls back to rename after checking the name is free.
"""

from __future__ import annotations

import errno
import hashlib
import os
import shutil
import stat

CHUNK = 1024 * 1024
_READ = os.O_RDONLY | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0)
_CREATE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0)


class MoveError(OSError):
    """A move that did not happen; the source is untouched."""


def place(src: str, dst: str) -> None:
    """Move the regular file ``src`` to the free name ``dst`` (see the module docstring).

    Raises:
        FileExistsError: ``dst`` exists; nothing was moved.
        OSError: the move failed; ``src`` is where it was.
    """
    try:
        os.link(src, dst, follow_symlinks=False)
    except FileExistsError:
        raise
    except OSError as exc:
        if exc.errno == errno.EXDEV:
            _copy_then_remove(src, dst)
            return
        if exc.errno not in (errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EMLINK):
            raise
        if os.path.lexists(dst):
            raise FileExistsError(errno.EEXIST, "already exists", dst) from exc
        os.rename(src, dst)
        return
    try:
        os.unlink(src)
    except OSError:
        os.unlink(dst)  # take the second name back: the file stays where it was
        raise


def _copy_then_remove(src: str, dst: str) -> None:
    source = os.open(src, _READ)
    try:
        st = os.fstat(source)
        if not stat.S_ISREG(st.st_mode):
            raise MoveError(errno.EINVAL, "not a regular file", src)
        target = os.open(dst, _CREATE, stat.S_IMODE(st.st_mode) | stat.S_IWUSR)
    except BaseException:
        os.close(source)
        raise
    try:
        wrote = hashlib.blake2b(digest_size=32)
        with open(source, "rb", closefd=False) as reader, open(target, "wb", closefd=False) as out:
            while chunk := reader.read(CHUNK):
                wrote.update(chunk)
                out.write(chunk)
            out.flush()
            os.fsync(target)
        if _hash_of(dst) != wrote.digest() or os.fstat(target).st_size != st.st_size:
            raise MoveError(errno.EIO, "the copy did not read back the same", dst)
        shutil.copystat(src, dst, follow_symlinks=False)
    except BaseException:
        os.close(target)
        os.close(source)
        os.unlink(dst)
        raise
    os.close(target)
    os.close(source)
    os.unlink(src)


def _hash_of(path: str) -> bytes:
    digest = hashlib.blake2b(digest_size=32)
    with open(path, "rb") as stream:
        while chunk := stream.read(CHUNK):
            digest.update(chunk)
    return digest.digest()


def free_name(path: str) -> str:
    """``path``, or ``name (2).ext``, ``name (3).ext``, ... whichever does not exist yet."""
    if not os.path.lexists(path):
        return path
    stem, ext = os.path.splitext(path)
    number = 2
    while os.path.lexists(candidate := f"{stem} ({number}){ext}"):
        number += 1
    return candidate


def inside(path: str, root: str) -> bool:
    """``path`` is strictly below ``root`` and no folder on the way is a link.

    Both must be absolute; ``root`` as the scan resolved it. The parent folder of
    ``path`` is resolved and must come out unchanged: a folder swapped for a symlink
    since the scan (to lead outside the tree) fails this.
    """
    if not os.path.isabs(path) or os.path.normpath(path) != path:
        return False
    if not path.startswith(root.rstrip(os.sep) + os.sep):
        return False
    parent = os.path.dirname(path)
    return os.path.realpath(parent) == parent
