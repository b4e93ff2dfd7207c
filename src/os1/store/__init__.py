"""Persistence: SQLite (WAL) with named migrations and per-user scoping."""

from os1.store.sqlite import Database, User
from os1.store.user import Scoped, UserStore

__all__ = ["Database", "Scoped", "User", "UserStore"]
