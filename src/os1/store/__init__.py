"""Persistence: SQLite (WAL) with named migrations and per-user scoping."""

from os1.store.sqlite import Database, User, UserStore

__all__ = ["Database", "User", "UserStore"]
