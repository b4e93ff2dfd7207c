"""The three places mail is read from: a Maildir, an mbox file, an IMAP account.

Each source yields ``Batch``es of raw mails it has not given before: a Maildir or mbox
is told which keys the index already holds (a Maildir key is the file's unique name, an
mbox key a hash of the mail, since mbox positions shift); an IMAP folder remembers its
UIDVALIDITY and the last UID indexed, so a second run fetches only what is new. Sources
are plain blocking iterators; the indexer runs them in a worker thread. Reading never
changes the mail: IMAP folders are opened read-only (EXAMINE) and fetched with PEEK, so
indexing marks nothing as read.
"""

from __future__ import annotations

import contextlib
import hashlib
import imaplib
import mailbox
import os
import re
import ssl
import time
from collections.abc import Generator
from dataclasses import dataclass, field
from pathlib import Path

from os1.errors import InputError
from os1.skills.mail.account import Server

INBOX = "INBOX"
BATCH = 500
IMAP_BATCH = 200
IMAP_FETCH_CAP = 1_000_000  # bytes of each mail fetched over IMAP (text comes first)
_STATUS_READ = re.compile(rb"^X?-?Status:[^\n]*R", re.I | re.M)


@dataclass(frozen=True)
class RawMail:
    folder: str
    key: str
    raw: bytes
    seen: bool
    received: float


@dataclass(frozen=True)
class Issue:
    """A mail that was skipped or repaired, for the person's report."""

    where: str
    action: str  # "skipped" or "repaired"
    reason: str


@dataclass
class FolderState:
    known: set[str] = field(default_factory=set)  # Maildir / mbox keys already indexed
    uidvalidity: int = 0  # IMAP
    last_uid: int = 0  # IMAP


@dataclass
class Batch:
    folder: str
    mails: list[RawMail]
    issues: list[Issue] = field(default_factory=list)
    uidvalidity: int = 0
    last_uid: int = 0
    reset: bool = False  # the folder's UIDs were renumbered: forget what was indexed
    total: int | None = None  # how many new mails the folder has, when known


def is_sent_folder(name: str) -> bool:
    lowered = name.lower().rsplit("/", 1)[-1].rsplit(".", 1)[-1]
    return lowered in ("sent", "sent items", "sent mail", "sent messages", "gesendet")


class MaildirSource:
    """A Maildir (and its Maildir++ subfolders such as ``.Sent``). Folders and flags are
    read from file names, so listing thousands of mails reads no file twice."""

    def __init__(self, path: Path) -> None:
        self.path = path.expanduser().resolve()
        self.name = f"maildir:{self.path}"

    def folders(self) -> dict[str, Path]:
        if not (self.path / "cur").is_dir() and not (self.path / "new").is_dir():
            raise InputError(
                "mail_no_maildir",
                f"{self.path} is not a Maildir (it has no cur/ or new/ folder).",
                "Point --maildir at the folder that holds cur/, new/ and tmp/.",
            )
        found = {INBOX: self.path}
        for entry in sorted(os.scandir(self.path), key=lambda e: e.name):
            if (
                entry.name.startswith(".")
                and entry.is_dir()
                and (Path(entry.path) / "cur").is_dir()
            ):
                found[entry.name[1:].replace(".", "/")] = Path(entry.path)
        return found

    def _listing(self, folder: Path) -> dict[str, tuple[Path, bool]]:
        files: dict[str, tuple[Path, bool]] = {}
        for sub in ("new", "cur"):
            try:
                entries = list(os.scandir(folder / sub))
            except FileNotFoundError:
                continue
            for entry in entries:
                if entry.name.startswith("."):
                    continue
                key, _, info = entry.name.partition(":")
                seen = sub == "cur" and "S" in info.partition(",")[2]
                files[key] = (Path(entry.path), seen)
        return files

    def read(self, states: dict[str, FolderState]) -> Generator[Batch, None, None]:
        for folder, path in self.folders().items():
            known = states.get(folder, FolderState()).known
            listing = self._listing(path)
            new = sorted(k for k in listing if k not in known)
            yield Batch(folder, [], total=len(new))
            for start in range(0, len(new), BATCH):
                batch = Batch(folder, [])
                for key in new[start : start + BATCH]:
                    file, seen = listing[key]
                    try:
                        raw = file.read_bytes()
                        received = file.stat().st_mtime
                    except FileNotFoundError:
                        # another mail program moved it (new/ -> cur/) while we read
                        again = self._listing(path).get(key)
                        if again is None:
                            batch.issues.append(Issue(f"{folder}/{key}", "skipped", "vanished"))
                            continue
                        file, seen = again
                        raw, received = file.read_bytes(), file.stat().st_mtime
                    except OSError as exc:
                        reason = f"unreadable: {exc.strerror}"
                        batch.issues.append(Issue(f"{folder}/{key}", "skipped", reason))
                        continue
                    batch.mails.append(RawMail(folder, key, raw, seen, received))
                yield batch


class MboxSource:
    """One mbox file, read with the standard library's ``mailbox.mbox`` (never locked or
    written: we only read)."""

    def __init__(self, path: Path) -> None:
        self.path = path.expanduser().resolve()
        self.name = f"mbox:{self.path}"
        self.folder = "Sent" if is_sent_folder(self.path.stem) else INBOX

    def read(self, states: dict[str, FolderState]) -> Generator[Batch, None, None]:
        if not self.path.is_file():
            raise InputError("mail_no_mbox", f"There is no mbox file at {self.path}.")
        known = states.get(self.folder, FolderState()).known
        box = mailbox.mbox(self.path, create=False)
        received = self.path.stat().st_mtime
        try:
            keys = list(box.iterkeys())
            yield Batch(self.folder, [], total=len(keys))
            for start in range(0, len(keys), BATCH):
                batch = Batch(self.folder, [])
                for position, index in enumerate(keys[start : start + BATCH], start + 1):
                    try:
                        raw = box.get_bytes(index)
                    except (OSError, ValueError, KeyError) as exc:
                        where = f"{self.folder}/mail {position} of {self.path.name}"
                        batch.issues.append(Issue(where, "skipped", f"unreadable: {exc}"))
                        continue
                    key = hashlib.sha1(raw).hexdigest()
                    if key in known:
                        continue
                    known.add(key)  # the same mail twice in one file counts once
                    seen = bool(_STATUS_READ.search(raw[: raw.find(b"\n\n") + 1 or 8192]))
                    batch.mails.append(RawMail(self.folder, key, raw, seen, received))
                yield batch
        finally:
            box.close()


def imap_connect(server: Server, timeout: float = 30.0) -> imaplib.IMAP4:
    """A logged-in IMAP connection.

    Raises:
        InputError: the server cannot be reached or refused the login.
    """
    context = ssl.create_default_context()
    try:
        if server.security == "ssl":
            conn: imaplib.IMAP4 = imaplib.IMAP4_SSL(
                server.host, server.port, ssl_context=context, timeout=timeout
            )
        else:
            conn = imaplib.IMAP4(server.host, server.port, timeout=timeout)
            if server.security == "starttls":
                conn.starttls(ssl_context=context)
        conn.login(server.user, server.password)
    except imaplib.IMAP4.error as exc:
        raise InputError(
            "imap_login", f"The IMAP server refused the login: {exc}.", "Check the password."
        ) from exc
    except OSError as exc:
        raise InputError(
            "imap_unreachable",
            f"Cannot reach the IMAP server {server.host}:{server.port}: {exc}.",
            "Check the host, the port and the security mode.",
        ) from exc
    return conn


def quote_mailbox(name: str) -> str:
    return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'


_LIST_LINE = re.compile(rb'\((?P<flags>[^)]*)\) (?:"[^"]*"|NIL) (?P<name>.+)$')
# flags hold no parentheses: "[^)]*" rescanned the rest of a reply from every "FLAGS ("
_FETCH_META = re.compile(rb"UID (\d+)|FLAGS \(([^()]*)\)|INTERNALDATE \"([^\"]+)\"")


def _imap_folders(conn: imaplib.IMAP4, sent_name: str) -> list[str]:
    """INBOX and the Sent folder (by its \\Sent mark or its name)."""
    status, lines = conn.list()
    chosen = [INBOX]
    if status != "OK":
        return chosen
    for line in lines:
        match = _LIST_LINE.match(line) if isinstance(line, bytes) else None
        if match is None:
            continue
        name = match["name"].decode("utf-8", "replace").strip('"')
        sent = "\\Sent" in match["flags"].decode() or name == sent_name or is_sent_folder(name)
        if sent and name not in chosen:
            chosen.append(name)
    return chosen


def _parse_fetch(data: list[object], folder: str) -> list[RawMail]:
    mails = []
    for index, item in enumerate(data):
        if not isinstance(item, tuple) or len(item) != 2:
            continue
        meta = item[0]
        after = data[index + 1] if index + 1 < len(data) else b""
        if isinstance(after, bytes):
            meta += after  # some servers send FLAGS after the literal
        uid = flags = date = None
        for found in _FETCH_META.finditer(meta):
            uid = found[1] or uid
            flags = found[2] if found[2] is not None else flags
            date = found[3] or date
        if uid is None:
            continue
        stamp = imaplib.Internaldate2tuple(b'INTERNALDATE "' + date + b'"') if date else None
        received = time.mktime(stamp) if stamp else 0.0
        seen = b"\\Seen" in (flags or b"")
        mails.append(RawMail(folder, uid.decode(), bytes(item[1]), seen, received))
    return mails


class ImapSource:
    """INBOX and Sent of an IMAP account, fetched by UID in batches."""

    def __init__(self, server: Server, sent_folder: str = "Sent") -> None:
        self.server = server
        self.sent_folder = sent_folder
        self.name = f"imap:{server.user}@{server.host}:{server.port}"

    def read(self, states: dict[str, FolderState]) -> Generator[Batch, None, None]:
        conn = imap_connect(self.server)
        try:
            for folder in _imap_folders(conn, self.sent_folder):
                yield from self._folder(conn, folder, states.get(folder, FolderState()))
        finally:
            with contextlib.suppress(imaplib.IMAP4.error, OSError):
                conn.logout()

    def _folder(
        self, conn: imaplib.IMAP4, folder: str, state: FolderState
    ) -> Generator[Batch, None, None]:
        status, _ = conn.select(quote_mailbox(folder), readonly=True)
        if status != "OK":
            yield Batch(folder, [], [Issue(folder, "skipped", "the server would not open it")])
            return
        _, validity = conn.response("UIDVALIDITY")
        uidvalidity = int(validity[0]) if validity and validity[0] else 0
        reset = bool(state.uidvalidity) and uidvalidity != state.uidvalidity
        last = 0 if reset else state.last_uid
        status, found = conn.uid("SEARCH", f"UID {last + 1}:*")
        uids = sorted(int(u) for u in (found[0] or b"").split() if int(u) > last)
        yield Batch(
            folder, [], uidvalidity=uidvalidity, last_uid=last, reset=reset, total=len(uids)
        )
        items = f"(UID FLAGS INTERNALDATE BODY.PEEK[]<0.{IMAP_FETCH_CAP}>)"
        for start in range(0, len(uids), IMAP_BATCH):
            chunk = uids[start : start + IMAP_BATCH]
            status, data = conn.uid("FETCH", ",".join(map(str, chunk)), items)
            if status != "OK":
                issue = Issue(f"{folder}/{chunk[0]}-{chunk[-1]}", "skipped", "fetch failed")
                # stop here: the next run starts again from the last UID kept
                yield Batch(folder, [], [issue], uidvalidity, last)
                return
            mails = _parse_fetch(list(data), folder)
            last = max([last, *chunk])
            yield Batch(folder, mails, uidvalidity=uidvalidity, last_uid=last)
