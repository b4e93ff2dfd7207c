"""Server fixtures (their helpers live in ``serving.py`` so tests can import them)."""

from serving import client, live_server, server_settings

__all__ = ["client", "live_server", "server_settings"]
