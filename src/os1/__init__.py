"""os1: a local-first AI companion that talks, remembers and helps, offline."""

__version__ = "0.1.0"
