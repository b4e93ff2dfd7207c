"""People, keys, passwords, web sessions and file reach: the accounts of a shared os1,
for every door (``os1 users``, the server's sign-in and admin routes, MCP).

The account rules live in ``store.accounts`` (administration works on the database
directly); this is the doors' handle on them, plus the re-checks an open socket or
session makes (``store.standing``).
"""

from __future__ import annotations

from os1.core.base import Core
from os1.store import accounts as _accounts
from os1.store.accounts import FILES_ANYWHERE, KEY_PREFIX, Account
from os1.store.standing import Credential, lapsed

__all__ = ["FILES_ANYWHERE", "KEY_PREFIX", "Account", "Accounts", "Credential", "lapsed"]


class Accounts(_accounts.Accounts):
    """Create, check, disable and delete the accounts of the companion's store."""

    def __init__(self, core: Core) -> None:
        super().__init__(core.db)
        self.core = core
