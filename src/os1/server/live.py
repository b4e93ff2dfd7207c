"""What is open, and for whom: every chat socket and MCP session by account, so each ends
when its account, or the credential it was opened with, no longer stands.

Sockets live for hours, long after the one check of their credentials at connect. Three
moments end them (the rule is ``store.standing``: the same person, enabled, the key or
web sign-in still valid):

- at once, when this process changes the account (``Accounts.on_end``: disable, key
  revocation, a new password, sign-out, delete): that account's holders are re-checked
  with one query and those that lapsed are closed before the change returns;
- at a socket's next message, which ``ws.py`` re-checks before acting on it;
- every ``session_sweep_seconds``, a sweep of everything open, in one pass of a few
  indexed lookups per 500 holders on a reader thread: a change made by another process
  (``os1 users disable bob``) reaches idle sockets too. The event loop only gathers the
  registry's entries: for ten thousand idle sockets, a few milliseconds per pass.

When the account itself lapses (disabled, deleted), its turns under way in every door
are stopped as by a Stop (the reply so far is kept, marked interrupted), and the key
checks the accounts cache are dropped. The registry also caps the sockets one person
may hold at once (``max_sockets_per_person``), so one account cannot exhaust the server.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from typing import Literal

from os1.core.accounts import Account, Accounts, Credential, lapsed
from os1.core.turns import CancelToken
from os1.server.problems import HttpProblem

log = logging.getLogger(__name__)
END_WAIT = 5.0  # seconds an ending waits for the turns it stopped to be saved

EndFn = Callable[[], Awaitable[None]]
AliveFn = Callable[[], bool]
Kind = Literal["socket", "mcp"]


@dataclass(eq=False)
class Tether:
    """One open thing speaking for ``account``: a socket or an MCP session."""

    account: Account
    credential: Credential | None
    end: EndFn  # close it, telling the other side why
    kind: Kind = "socket"
    alive: AliveFn | None = None  # for what may end without telling us (an MCP session)


@dataclass(frozen=True)
class _Person:
    """The account alone: does the person still stand, whatever their credentials?"""

    account: Account
    credential: None = None


class LiveSessions:
    """The registry of what is open, per account; see the module's docstring."""

    def __init__(self, accounts: Accounts, *, per_person: int, sweep_every: float) -> None:
        self.accounts = accounts
        self.per_person = per_person
        self.sweep_every = sweep_every
        self._open: dict[int, set[Tether]] = {}
        self._turns: dict[int, set[CancelToken]] = {}
        self._people: dict[int, Account] = {}  # whose turns run, for the sweep
        self._quiet: dict[int, asyncio.Event] = {}  # set when the account's last turn ends
        accounts.on_end(self.recheck)

    def hold(
        self,
        account: Account,
        credential: Credential | None,
        end: EndFn,
        *,
        kind: Kind = "socket",
        alive: AliveFn | None = None,
    ) -> Tether:
        """Register one open socket or session until ``release``.

        Raises:
            HttpProblem: 429 when the person already holds as many sockets as allowed.
        """
        held = self._open.get(account.id, set())
        if kind == "socket" and sum(t.kind == "socket" for t in held) >= self.per_person:
            raise HttpProblem(
                429,
                "too_many_sockets",
                f"You already have {self.per_person} conversations open, the most one"
                " person may hold at once.",
                "Close one (another tab or device), then try again.",
            )
        tether = Tether(account, credential, end, kind, alive)
        self._open.setdefault(account.id, set()).add(tether)
        return tether

    def release(self, tether: Tether) -> None:
        held = self._open.get(tether.account.id)
        if held is not None:
            held.discard(tether)
            if not held:
                del self._open[tether.account.id]

    def count(self, account_id: int) -> int:
        """How many sockets and MCP sessions the account holds open."""
        return len(self._open.get(account_id, ()))

    @contextmanager
    def turn(self, account: Account, token: CancelToken) -> Iterator[None]:
        """Count ``token``'s turn as ``account``'s while the block runs, so the turn is
        stopped if the account ends meanwhile."""
        self._turns.setdefault(account.id, set()).add(token)
        self._people[account.id] = account
        try:
            yield
        finally:
            running = self._turns.get(account.id)
            if running is not None:
                running.discard(token)
                if not running:
                    del self._turns[account.id]
                    self._people.pop(account.id, None)
                    if (quiet := self._quiet.pop(account.id, None)) is not None:
                        quiet.set()

    async def stands(self, account: Account) -> bool:
        """Whether the person is still there and enabled, fresh from the store."""
        return not await lapsed(self.accounts.db, [_Person(account)])

    async def recheck(self, account_id: int) -> None:
        """The account was changed in this process: end at once what no longer stands."""
        await self._check(self._holders([account_id]))

    async def sweep(self) -> int:
        """Check everything open against the store; end what lapsed. Returns how many
        sockets and sessions were ended."""
        return await self._check(self._holders(list(self._open) + list(self._turns)))

    @asynccontextmanager
    async def sweeping(self) -> AsyncIterator[None]:
        """Sweep every ``sweep_every`` seconds while the block runs (the app's life)."""
        task = asyncio.get_running_loop().create_task(self._sweep_forever())
        try:
            yield
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)

    async def _sweep_forever(self) -> None:
        while True:
            await asyncio.sleep(self.sweep_every)
            try:
                await self.sweep()
            except Exception:  # a failed pass must not end the sweeping; the next may work
                log.exception("checking open sockets against their accounts failed")

    def _holders(self, account_ids: Sequence[int]) -> list[Tether | _Person]:
        holders: list[Tether | _Person] = []
        for account_id in dict.fromkeys(account_ids):
            held = self._open.get(account_id, set())
            for tether in [t for t in held if t.alive is not None and not t.alive()]:
                self.release(tether)  # an MCP session its client or the SDK ended
            tethers = list(self._open.get(account_id, ()))
            someone = tethers[0].account if tethers else self._people.get(account_id)
            holders.extend(tethers)
            if someone is not None:
                holders.append(_Person(someone))
        return holders

    async def _check(self, holders: Sequence[Tether | _Person]) -> int:
        gone = await lapsed(self.accounts.db, holders)
        people = {h.account.id for h in gone if isinstance(h, _Person)}
        tethers = [h for h in gone if isinstance(h, Tether)]
        if people:
            self.accounts.drop_cached()  # it may have been changed by another process
        for tether in tethers:
            self.release(tether)
        for account_id in people:
            for token in self._turns.get(account_id, ()):
                token.cancel()
        for failure in await asyncio.gather(*(t.end() for t in tethers), return_exceptions=True):
            if isinstance(failure, BaseException):
                log.error("closing a lapsed session failed", exc_info=failure)
        await self._settled(people)
        return len(tethers)

    async def _settled(self, people: set[int]) -> None:
        """Wait (a little) for the stopped turns to be saved, so a delete that follows
        finds nothing of the person still writing."""
        waits = [
            self._quiet.setdefault(p, asyncio.Event()).wait() for p in people if p in self._turns
        ]
        if waits:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.gather(*waits), END_WAIT)
