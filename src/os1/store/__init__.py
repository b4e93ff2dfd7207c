"""Persistence: SQLite (WAL, the embedded default) or PostgreSQL, with named migrations
and per-user scoping."""

from os1.store.base import StoreBase
from os1.store.opening import open_store
from os1.store.sqlite import Database, User
from os1.store.user import Scoped, UserStore

__all__ = ["Database", "Scoped", "StoreBase", "User", "UserStore", "open_store"]
