"""Two-way sync with a CalDAV server (Nextcloud, Radicale, Fastmail, iCloud, ...).

Each round lists the server calendar's objects with their ETags (no bodies), then:
an object whose ETag changed is downloaded; one that vanished was deleted there; a
local event marked dirty is uploaded (``If-Match`` its last ETag, so a change made
meanwhile on the server is never overwritten blindly); a local tombstone is deleted
there. When both sides changed the same event, the later LAST-MODIFIED wins and the
report says so; an event deleted on one side and edited on the other is kept (the
edit is newer news than the deletion, and nothing is lost). Network calls are blocking
(the ``caldav`` library), so they run in a worker thread.

The account (url, username, password, calendar name) is the person's setting
``calendar.caldav``; the password is kept there as the person gave it.
"""

from __future__ import annotations

import asyncio
import hashlib
import re
from dataclasses import asdict, dataclass, field
from typing import Any
from urllib.parse import quote, unquote, urljoin, urlsplit

import caldav
from caldav.elements import dav

from os1.errors import Os1Error
from os1.parsing_pool import ParsingError, parse
from os1.skills.calendar.events import BadEvent, EventRecord, read_event
from os1.skills.calendar.ics import read_budget, with_timezones
from os1.skills.calendar.store import CalendarStore, StoredEvent
from os1.store import UserStore

ACCOUNT_SETTING = "calendar.caldav"
_LISTING = (
    '<?xml version="1.0" encoding="utf-8"?><d:propfind xmlns:d="DAV:">'
    "<d:prop><d:getetag/></d:prop></d:propfind>"
)
TIMEOUT = 30


class SyncError(Os1Error):
    """The calendar server could not be reached or refused what os1 asked."""


@dataclass(frozen=True)
class Account:
    url: str
    username: str
    password: str
    calendar: str = "os1"  # the calendar's display name on the server
    calendar_url: str = ""  # found (or made) at connect time


async def load_account(store: UserStore) -> Account | None:
    data = await store.get_setting(ACCOUNT_SETTING)
    if not isinstance(data, dict) or not data.get("url"):
        return None
    return Account(**{k: str(v) for k, v in data.items() if k in Account.__dataclass_fields__})


async def save_account(store: UserStore, account: Account) -> None:
    await store.set_setting(ACCOUNT_SETTING, asdict(account))


@dataclass
class SyncReport:
    pushed: list[str] = field(default_factory=list)
    pulled: list[str] = field(default_factory=list)
    deleted_here: list[str] = field(default_factory=list)
    deleted_there: list[str] = field(default_factory=list)
    conflicts: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        """What happened, in words, one line per kind."""
        parts = [
            ("Sent to the server", self.pushed),
            ("Brought in from the server", self.pulled),
            ("Deleted here (deleted on the server)", self.deleted_here),
            ("Deleted on the server (deleted here)", self.deleted_there),
            ("Changed on both sides", self.conflicts),
            ("Could not sync", self.failed),
        ]
        out = [f"{label}: {'; '.join(items)}" for label, items in parts if items]
        return out or ["Already in step: nothing to sync."]


def _fail(account: Account, exc: Exception) -> SyncError:
    return SyncError(
        "caldav_unreachable",
        f"The calendar server at {account.url} did not work: {type(exc).__name__}: {exc}",
        "Check the address, user name and password with `os1 calendar connect`, then sync again.",
    )


class Remote:
    """One server calendar, by blocking calls (run them in a thread)."""

    def __init__(self, account: Account) -> None:
        self.account = account
        try:
            # typed as Any: parts of the caldav library carry no annotations
            self.client: Any = caldav.DAVClient(
                url=account.url,
                username=account.username or None,
                password=account.password or None,
                timeout=TIMEOUT,
            )
            self.calendar = self._calendar()
        except Os1Error:
            raise
        except Exception as exc:  # the library raises many kinds; all mean "not reachable"
            raise _fail(account, exc) from exc
        self.url = str(self.calendar.url)

    def _calendar(self) -> Any:
        if self.account.calendar_url:
            return self.client.calendar(url=self.account.calendar_url)
        principal = self.client.principal()
        for calendar in principal.calendars():
            if calendar.get_display_name() == self.account.calendar:
                return calendar
        return principal.make_calendar(name=self.account.calendar)

    def listing(self) -> dict[str, str]:
        """href -> ETag of every object in the calendar (one PROPFIND, no bodies; every
        CalDAV server answers it, unlike sync tokens)."""
        try:
            answer = self.client.propfind(self.url, _LISTING, depth=1)
            found = answer.expand_simple_props([dav.GetEtag()])
        except Exception as exc:
            raise _fail(self.account, exc) from exc
        own = urlsplit(self.url).path.rstrip("/")
        listing = {}
        for href, props in found.items():
            url = _canonical(urljoin(self.url, href))
            etag = props.get("{DAV:}getetag")
            if urlsplit(url).path.rstrip("/") != own and etag:
                listing[url] = str(etag)
        return listing

    def fetch(self, href: str) -> tuple[str, str]:
        answer = self._call("GET", href)
        raw = answer.raw
        text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)
        return text, str(answer.headers.get("ETag", ""))

    def put(self, uid: str, ics: str, href: str = "", etag: str = "") -> tuple[str, str]:
        """Upload ``ics``: a new object (``href`` empty) or a replacement of the one at
        ``href`` still at ``etag``. Returns the href and the new ETag.

        Raises:
            SyncError: code ``changed_meanwhile`` if the server's copy changed since.
        """
        target = href or _canonical(self.url.rstrip("/") + "/" + _object_name(uid))
        headers = {"Content-Type": "text/calendar; charset=utf-8"}
        headers.update({"If-Match": etag} if href and etag else {"If-None-Match": "*"})
        answer = self._call("PUT", target, with_timezones(ics), headers)
        new_etag = str(answer.headers.get("ETag", ""))
        if not new_etag:  # some servers change what they store and send no ETag
            new_etag = self.listing().get(target, "")
        return target, new_etag

    def delete(self, href: str, etag: str = "") -> None:
        self._call("DELETE", href, headers={"If-Match": etag} if etag else {}, missing_ok=True)

    def _call(
        self,
        method: str,
        href: str,
        body: str = "",
        headers: dict[str, str] | None = None,
        *,
        missing_ok: bool = False,
    ) -> Any:
        try:
            answer = self.client.request(href, method, body, headers or {})
        except Exception as exc:
            raise _fail(self.account, exc) from exc
        if answer.status == 412:
            raise SyncError("changed_meanwhile", "The event changed on the server meanwhile.")
        if answer.status == 404 and missing_ok:
            return answer
        if answer.status >= 300:
            raise SyncError(
                "caldav_refused",
                f"The calendar server refused {method} ({answer.status} {answer.reason}).",
                "Check that the account may write to this calendar.",
            )
        return answer

    def close(self) -> None:
        self.client.close()


def _canonical(url: str) -> str:
    """One spelling per object URL (servers differ in what they percent-escape)."""
    parts = urlsplit(url)
    return parts._replace(path=quote(unquote(parts.path), safe="/@:+,;=")).geturl()


def _object_name(uid: str) -> str:
    if re.fullmatch(r"[A-Za-z0-9@._-]{1,120}", uid):
        return quote(uid, safe="") + ".ics"
    return hashlib.sha256(uid.encode()).hexdigest()[:40] + ".ics"


async def connect(store: UserStore, account: Account) -> Account:
    """Check the account by finding (or making) its calendar, and keep it.

    A different server or calendar than before means every event is sent afresh.

    Raises:
        SyncError: the server could not be reached or refused.
    """
    remote = await asyncio.to_thread(Remote, account)
    await asyncio.to_thread(remote.close)
    found = Account(account.url, account.username, account.password, account.calendar, remote.url)
    before = await load_account(store)
    if before is None or before.calendar_url != found.calendar_url:
        await CalendarStore(store).unlink_all()
    await save_account(store, found)
    return found


async def sync(store: UserStore) -> SyncReport:
    """One round of two-way sync for the person's account.

    Raises:
        SyncError: no account, or the server could not be reached.
    """
    account = await load_account(store)
    if account is None:
        raise SyncError(
            "no_caldav_account",
            "No calendar server is set up.",
            "Connect one: os1 calendar connect https://server/dav --user NAME",
        )
    remote = await asyncio.to_thread(Remote, account)
    try:
        return await _Round(CalendarStore(store), remote).run()
    finally:
        await asyncio.to_thread(remote.close)


class _Round:
    def __init__(self, calendar: CalendarStore, remote: Remote) -> None:
        self.calendar = calendar
        self.remote = remote
        self.report = SyncReport()

    async def run(self) -> SyncReport:
        listing = await asyncio.to_thread(self.remote.listing)
        local = await self.calendar.all(deleted=True)
        for event in local:
            try:
                if event.href:
                    await self._known(event, listing.get(event.href))
                elif not event.deleted:
                    await self._push(event.record)
                else:
                    await self.calendar.forget(event.record.uid)
            except SyncError as exc:
                if exc.code == "caldav_unreachable":
                    raise
                self.report.failed.append(f"“{event.record.summary}”: {exc.message}")
        known = {e.href for e in local}
        for href in sorted(set(listing) - known):
            await self._new_remote(href)
        return self.report

    async def _push(self, record: EventRecord, href: str = "", etag: str = "") -> None:
        new_href, new_etag = await asyncio.to_thread(
            self.remote.put, record.uid, record.ics, href, etag
        )
        await self.calendar.synced(record.uid, new_href, new_etag)
        self.report.pushed.append(f"“{record.summary}”")

    async def _theirs(self, href: str) -> tuple[EventRecord, str] | None:
        text, etag = await asyncio.to_thread(self.remote.fetch, href)
        try:  # what the server sends is read in the parsing pool, like an imported file
            return await parse(read_budget(len(text)), read_event, text), etag
        except (BadEvent, ParsingError) as exc:
            self.report.failed.append(f"{href.rsplit('/', 1)[-1]} on the server: {exc}")
            return None

    async def _take(self, record: EventRecord, href: str, etag: str) -> None:
        await self.calendar.put(record, dirty=False, href=href, etag=etag)

    async def _known(self, event: StoredEvent, etag: str | None) -> None:
        mine = event.record
        name = f"“{mine.summary}”"
        if etag is None:  # gone from the server
            if event.deleted or not event.dirty:
                await self.calendar.forget(mine.uid)
                if not event.deleted:
                    self.report.deleted_here.append(name)
            else:
                await self._push(mine)
                self.report.conflicts.append(
                    f"{name} was deleted on the server but changed here; kept it"
                )
            return
        if etag == event.etag:  # the server has what we last saw
            if event.deleted:
                await asyncio.to_thread(self.remote.delete, event.href, etag)
                await self.calendar.forget(mine.uid)
                self.report.deleted_there.append(name)
            elif event.dirty:
                await self._push(mine, event.href, etag)
            return
        found = await self._theirs(event.href)
        if found is None:
            return
        theirs, new_etag = found
        if not event.dirty:
            await self._take(theirs, event.href, new_etag)
            self.report.pulled.append(f"“{theirs.summary}”")
        elif event.updated_at > theirs.last_modified:
            if event.deleted:
                await asyncio.to_thread(self.remote.delete, event.href, new_etag)
                await self.calendar.forget(mine.uid)
                self.report.conflicts.append(
                    f"{name} was changed on the server, then deleted here later; deleted it"
                )
            else:
                await self._push(mine, event.href, new_etag)
                self.report.conflicts.append(
                    f"{name}: kept the version changed here (the later one)"
                )
        else:
            await self._take(theirs, event.href, new_etag)
            what = (
                "deleted here earlier; kept the server's"
                if event.deleted
                else "kept the server's (the later one)"
            )
            self.report.conflicts.append(f"“{theirs.summary}”: {what}")

    async def _new_remote(self, href: str) -> None:
        try:
            found = await self._theirs(href)
        except SyncError as exc:
            self.report.failed.append(f"{href.rsplit('/', 1)[-1]}: {exc.message}")
            return
        if found is None:
            return
        theirs, etag = found
        here = await self.calendar.get(theirs.uid, deleted=True)
        if here is not None and here.dirty and here.updated_at > theirs.last_modified:
            await self._push(here.record, href, etag)
            self.report.conflicts.append(f"“{here.record.summary}”: kept the version changed here")
            return
        await self._take(theirs, href, etag)
        self.report.pulled.append(f"“{theirs.summary}”")


async def push_now(store: UserStore, uid: str) -> str:
    """Send one event's change (new, edited or deleted) to the server now, if an account
    is set up. Returns a sentence for the person ("" when there is no account); a
    failure leaves the change marked for the next sync instead of raising."""
    account = await load_account(store)
    if account is None:
        return ""
    calendar = CalendarStore(store)
    event = await calendar.get(uid, deleted=True)
    try:
        remote = await asyncio.to_thread(Remote, account)
        try:
            round_ = _Round(calendar, remote)
            if event is None:
                return ""
            if not event.href:
                if event.deleted:
                    await calendar.forget(uid)
                    return ""
                await round_._push(event.record)
                return "It is on the calendar server too."
            listing = await asyncio.to_thread(remote.listing)
            await round_._known(event, listing.get(event.href))
            if event.deleted:
                return "It is gone from the calendar server too."
            return "The calendar server has the change too."
        finally:
            await asyncio.to_thread(remote.close)
    except SyncError as exc:
        return f"The calendar server did not take it yet ({exc.message}); the next sync will."
